"""What intake reads of stored rows, for every kind (time entries, expenses): rows by source
and external id, and the contents already taken (the unique intake key)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy import Connection, Table, select

from hourbridge.services.ports.entries import StoredEntry

from ._sql import _member


def stored_rows(conn: Connection, table: Table, source: str, external_ids: Sequence[str],
                extra: Sequence[str] = (),
                make: Callable[..., StoredEntry] = StoredEntry) -> dict[str, StoredEntry]:
    """The rows of ``source`` with these external ids, by external id: id, revision, content
    key, approval and billing, then the ``extra`` columns (as ``make`` takes them), and the
    row's entity (keyword ``entity``)."""
    c = table.c
    cols = [c.id, c.revision, c.content_key, c.approval, c.billing,
            *(c[name] for name in extra), c.entity]
    found: dict[str, StoredEntry] = {}
    for member in _member(conn, c.external_id, external_ids):
        for r in conn.execute(select(c.external_id, *cols).where(member, c.source == source)):
            found[r[0]] = make(*r[1:-1], entity=r[-1])
    return found


def taken_contents(conn: Connection, table: Table, keys: Sequence[str]) -> set[str]:
    """Which of these contents a row already holds, by the unique intake key (one index
    serves this lookup and the constraint that holds it under concurrent intakes)."""
    found: set[str] = set()
    for member in _member(conn, table.c.intake_key, keys):
        found.update(conn.execute(select(table.c.intake_key).where(member)).scalars())
    return found


