"""The package version, in one place (provenance in every export carries it)."""

__version__ = "0.4.0"
