"""Named queries of the connections store, one file per dialect."""
