"""The engine fixtures (fake clock, dock on it) for the feature tests of issue 15."""

from tests.engine.conftest import clock, fake_dock  # noqa: F401 - fixtures
