"""Use cases: one function per command, run inside a unit of work (see ``handlers``)."""
