"""bench: benchmark toolkit for localized AI-edit forensics."""

__version__ = "0.1.0"
