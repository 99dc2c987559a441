"""Senate: schema governance as signed, voted proposals over a git repository."""

__version__ = "0.1.0"
