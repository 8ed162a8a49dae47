"""A billing run's "changes since the last run" (``domain.invoiced``), compared over the
contract-months that moved since the scope's last real run, not every live invoice (issue 16,
item 4): the store keeps each scope's baseline as rows and marks, by trigger, every
contract-month whose live documents move (``store.standing``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hourbridge.domain.invoiced import Standing, diff_standing, standing_key, with_drafts

from .ports import UnitOfWork


def standing_changes(uow: UnitOfWork, entity: str | None,
                     dry_drafts: Sequence[Mapping[str, Any]] | None, keep: bool
                     ) -> list[dict[str, Any]]:
    """What moved per contract and month since the scope's last real run, after this run's
    drafts are written (a dry run's, ``dry_drafts``, added as if). ``keep``: this run
    becomes the baseline (a real run that billed something), its marks done.
    Called after the run's drafts, under every lock the run took."""
    invoices = uow.invoices
    kept = invoices.standing_kept(entity)  # first: it waits for a concurrent run's commit
    seen, moved = invoices.moved_since(entity)
    if dry_drafts:
        moved |= {standing_key(d["contract"], d["period"]) for d in dry_drafts}
    before: Standing | None
    if kept:
        before = invoices.kept_standing(entity, moved)
        now = invoices.standing_of_keys(entity, moved)
    else:
        # the scope's first run since standings are kept as rows: once over all it has
        before, now = invoices.last_standing(entity), invoices.standing(entity)
        moved |= set(now)
    after = with_drafts(now, dry_drafts) if dry_drafts else now
    changes = diff_standing(before, after)
    if keep:
        invoices.keep_standing(entity, moved, now, seen, first=not kept)
    return changes
