"""Load a master-data bundle: all records or none."""

from __future__ import annotations

from hourbridge.domain.bundle import Bundle, check_bundle
from hourbridge.errors import InvalidInput

from .ports import UnitOfWork


def load_master_data(bundle: Bundle, uow: UnitOfWork) -> dict[str, dict[str, int]]:
    """Upsert ``bundle`` in one transaction; raise ``InvalidInput`` listing every problem."""
    with uow:
        problems = check_bundle(bundle, uow.masterdata.snapshot())
        if problems:
            raise InvalidInput(f"bundle refused: {len(problems)} problem(s)", list(problems))
        counts = uow.masterdata.upsert(bundle)
        uow.commit()
    return counts
