"""A seeded, deterministic demo consultancy to load, ingest and bill end to end.

Pure standard library and in memory: ``generate_demo_firm`` returns the master-data bundle as
a JSON-ready dict and the timesheet export files as bytes.
"""

from .firm import DemoFirm, generate_demo_firm
from .timesheets import TimeFile

__all__ = ["DemoFirm", "TimeFile", "generate_demo_firm"]
