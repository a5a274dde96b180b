"""The ``jobdock`` command line (Typer + Rich)."""
