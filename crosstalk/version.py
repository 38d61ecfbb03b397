"""The package's version: one place, read by ``pyproject.toml`` (setuptools' dynamic version) and recorded in
every result's provenance (an editable install's package metadata keeps the version it was installed at)."""

__version__ = "0.7.0"
