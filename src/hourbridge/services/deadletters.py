"""Dead letters you can act on (issue 12 item 6): replay puts them back in the outbox.

A replay keeps the row and so its deterministic key: the ledger records the key once, a
webhook goes out with the same ``webhook-id`` and NATS with the same ``Nats-Msg-Id``, so the
receivers' own de-duplication still holds. Each replay is audited (who, when, why, and what it
had died of); a dead letter replayed by two operators at once is revived by one of them only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hourbridge.domain import commands as c
from hourbridge.domain.reasons import DEAD_LETTER_REASONS
from hourbridge.errors import InvalidInput

from .deps import Collaborators
from .ports.uow import UnitOfWork


def replay_dead_letters(cmd: c.ReplayDeadLetters, uow: UnitOfWork, now: datetime,
                        deps: Collaborators) -> dict[str, Any]:
    if not (cmd.ids or cmd.reason or cmd.since):
        raise InvalidInput("name the dead letters to replay: ids, a reason or a time since")
    if cmd.reason and cmd.reason not in DEAD_LETTER_REASONS:
        raise InvalidInput(f"{cmd.reason!r} is not a dead-letter reason; use one of "
                           f"{', '.join(DEAD_LETTER_REASONS)}")
    if not cmd.by.strip():
        raise InvalidInput("say who replays (kept in the audit)")
    with uow:
        found = uow.outbox.dead_letter_ids(cmd.ids, cmd.reason, cmd.since, cmd.entities)
        replayed = [i for i in found if uow.outbox.revive(i, cmd.by.strip(), cmd.note, now)]
        uow.commit()
    missing = sorted(set(cmd.ids) - set(found))
    return {"replayed": replayed, "not_dead": missing, "by": cmd.by.strip(),
            "at": now.isoformat()}
