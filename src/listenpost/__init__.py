"""listenpost: live, filterable event streams from listening devices."""

__version__ = "0.1.0"
