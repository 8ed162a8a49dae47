"""What bootstrap may plug into use cases beyond the unit of work: every use case takes
``(command, uow, now, deps)``."""

from __future__ import annotations

from dataclasses import dataclass

from .rows import BatchValidator


@dataclass(frozen=True)
class Collaborators:
    validator: BatchValidator | None = None  # intake validation; None: in this process


NO_DEPS = Collaborators()
