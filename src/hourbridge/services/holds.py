"""Placing and releasing billing holds."""

from __future__ import annotations

from datetime import datetime

from hourbridge.domain.commands import PlaceHold, ReleaseHold
from hourbridge.domain.holds import HOLD_OWNERS, HoldScope
from hourbridge.errors import Conflict, InvalidInput, NotFound

from .deps import Collaborators
from .ports.uow import UnitOfWork


def place_hold(cmd: PlaceHold, uow: UnitOfWork, now: datetime, deps: Collaborators) -> int:
    try:
        scope = HoldScope(cmd.scope)
    except ValueError:
        raise InvalidInput(f"hold scope {cmd.scope!r} is not one of "
                           f"{', '.join(s.value for s in HoldScope)}") from None
    if cmd.reason not in HOLD_OWNERS:
        raise InvalidInput(f"hold reason {cmd.reason!r} is not one of {', '.join(HOLD_OWNERS)}")
    with uow:
        md = uow.masterdata.snapshot()
        known = {
            HoldScope.CUSTOMER: cmd.ref in md.customers,
            HoldScope.PROJECT: cmd.ref in md.projects,
            HoldScope.CONTRACT: cmd.ref in md.contracts,
            HoldScope.ENTRY: cmd.ref.isdigit() and uow.holds.entry_exists(int(cmd.ref)),
        }[scope]
        if not known:
            raise NotFound(scope.value, cmd.ref)
        hold_id = uow.holds.place(scope.value, cmd.ref, cmd.reason,
                                  cmd.owner_role or HOLD_OWNERS[cmd.reason], cmd.note, now,
                                  cmd.actor)
        uow.commit()
    return hold_id


def release_hold(cmd: ReleaseHold, uow: UnitOfWork, now: datetime, deps: Collaborators) -> None:
    if not cmd.note.strip():
        raise InvalidInput("a release needs a note saying why")
    with uow:
        if not uow.holds.release(cmd.hold_id, now, cmd.actor, cmd.note):
            if not any(h.id == cmd.hold_id for h in uow.holds.active()):
                raise NotFound("active hold", cmd.hold_id)
            raise Conflict(f"hold {cmd.hold_id} could not be released")  # pragma: no cover
        uow.commit()
