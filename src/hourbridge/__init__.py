"""Hourbridge: the governed layer from the billable hour to the booked invoice."""

__all__ = ["__version__"]
__version__ = "0.1.0"
