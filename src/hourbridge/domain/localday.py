"""The entity's own day: which calendar date an instant falls on for a legal entity.

Instants are UTC (the injected clock); dates a firm reads — "today", an invoice's issue and
due dates, a posting's date, the day a period lock is checked against — are the entity's local
date. An invoice issued at 23:30 UTC by a Tokyo entity is dated the next day there, one issued
at 03:00 UTC by a Los Angeles entity the day before. Time zones are names of the IANA time
zone database (maintained as RFC 6557 describes), resolved with the standard library's
``zoneinfo`` (PEP 615).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hourbridge.errors import InvalidInput

from .masterdata import MasterData


def local_date(now: datetime, timezone: str) -> date:
    """The date ``now`` falls on in ``timezone``; a naive ``now`` is taken as UTC."""
    instant = now if now.tzinfo is not None else now.replace(tzinfo=UTC)
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        # checked at load; a zone the machine's tz database has since dropped is refused
        # rather than guessed, since every date the entity books would follow from it
        raise InvalidInput(f"time zone {timezone!r} is not in this machine's tz database: "
                           "load the entity with another (e.g. its region's current name)"
                           ) from None
    return instant.astimezone(zone).date()


def entity_today(md: MasterData, entity: str, now: datetime) -> date:
    """Today for the legal entity ``entity``, in its own time zone."""
    return local_date(now, md.entities[entity].timezone)


def first_open_day(md: MasterData, entity: str, on: date) -> date:
    """Postings never land in a closed period: they move to the first open day."""
    lock = md.entities[entity].lock_date
    return max(on, lock + timedelta(days=1)) if lock else on


def posting_day(md: MasterData, entity: str, now: datetime) -> date:
    """The date an entity books something done at ``now``: its today, or the first day after
    its closed period."""
    return first_open_day(md, entity, entity_today(md, entity, now))
