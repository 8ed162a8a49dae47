"""Pull sync against the trackers' loopback imitations (tests/support/trackers.py), on SQLite
and PostgreSQL: pages through links.next, 429s retried, incremental by the stored cursor,
deleted entries, and a full sync that notices entries gone from the source."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from hourbridge.bootstrap import Hourbridge, bootstrap
from hourbridge.config import Settings
from hourbridge.connectors import TRACKERS
from hourbridge.connectors.gateway import Trackers
from hourbridge.connectors.http import TrackerUnavailable
from hourbridge.domain import commands as c
from hourbridge.errors import NotFound, SetupRefused
from hourbridge.formats.bundle import BundleDocument, to_domain
from hourbridge.store import tables as t
from support.firm import small_firm_bundle
from support.trackers import Imitation, aliases, imitate

KEY = Fernet.generate_key().decode()


@pytest.fixture
def hb(database_url: str) -> Iterator[Hourbridge]:
    app = bootstrap(Settings(database_url=database_url),
                    trackers=Trackers(TRACKERS, KEY, sleep=lambda s: None))
    bundle = small_firm_bundle()
    bundle["aliases"] = aliases("acme-harvest") + aliases("acme-toggl") + aliases("acme-kimai")
    doc = BundleDocument.model_validate(bundle)
    app.handle(c.LoadMasterData(to_domain([("bundle", doc)])))
    yield app
    app.close()


def connect(hb: Hourbridge, name: str, tracker: str, url: str, token: str = "tok-secret"
            ) -> None:
    parts = (("token", token), ("account_id", "42")) if tracker == "harvest" else (
        ("token", token),)
    hb.handle(c.AddConnection(name, tracker, url, c.Secret(parts)))


def stored(hb: Hourbridge, source: str) -> dict[str, Any]:
    te = t.time_entries
    with hb.engine.connect() as conn:
        rows = conn.execute(select(te.c.external_id, te.c.worked_seconds, te.c.deleted_at)
                            .where(te.c.source == source)).all()
    return {r.external_id: (r.worked_seconds, r.deleted_at is not None) for r in rows}


def test_harvest_pages_incrementally_and_notices_what_is_gone(hb: Hourbridge) -> None:
    with imitate(Imitation("harvest", page_size=100, throttle_every=4)) as tracker:
        tracker.seed(250)
        connect(hb, "acme-harvest", "harvest", tracker.url)
        first = hb.handle(c.SyncConnection("acme-harvest")).as_dict()
        assert (first["pages"], first["rows"], first["accepted"], first["rejected"]) == (
            3, 250, 250, 0)
        assert first["cursor_before"] is None and first["cursor_after"]
        assert len(stored(hb, "acme-harvest")) == 250
        assert all(a == "Bearer tok-secret" for a in tracker.auth_seen)

        tracker.touch(7, minutes=90)
        tracker.touch(251, minutes=45)  # new at the source
        second = hb.handle(c.SyncConnection("acme-harvest")).as_dict()
        # the first pull asks for the users list first (none here: a 404 ends the listing),
        # then 3 pages, the third answered 429 (every 4th request) and asked again; then 1
        entries = [p for _, p, _ in tracker.calls if p == "/v2/time_entries"]
        assert tracker.requests == 6 and len(entries) == 5
        assert second["cursor_before"] == first["cursor_after"]
        assert (second["rows"], second["accepted"], second["revised"]) == (2, 1, 1)
        assert stored(hb, "acme-harvest")["7"] == (90 * 60, False)

        tracker.forget(12)  # deleted at the source without a trace
        full = hb.handle(c.SyncConnection("acme-harvest", full=True)).as_dict()
        assert full["gone_from_source"] == 1 and full["deleted"] == 1
        assert full["accepted"] == 0 and full["rejected"] == 0
        after = stored(hb, "acme-harvest")
        assert after["12"] == (after["12"][0], True)  # kept, marked deleted: a revision
        assert len(after) == 251
        [listed] = hb.handle(c.ListConnections())
        assert listed["cursor"] == full["cursor_after"] and "tok-secret" not in repr(listed)


def test_a_page_failing_midway_keeps_the_cursor_and_a_rerun_completes(hb: Hourbridge) -> None:
    with imitate(Imitation("harvest", page_size=50, failing_page=3)) as tracker:
        tracker.seed(200)
        connect(hb, "acme-harvest", "harvest", tracker.url)
        with pytest.raises(TrackerUnavailable):
            hb.handle(c.SyncConnection("acme-harvest", full=True))
        assert len(stored(hb, "acme-harvest")) == 100  # pages 1 and 2, committed
        [listed] = hb.handle(c.ListConnections())
        assert listed["cursor"] is None  # not advanced, and no tombstones from a half pull
        tracker.failing_page = 0
        rerun = hb.handle(c.SyncConnection("acme-harvest", full=True)).as_dict()
        assert (rerun["accepted"], rerun["duplicate_pages"], rerun["gone_from_source"]) == (
            100, 2, 0)
        assert len(stored(hb, "acme-harvest")) == 200


def test_toggl_since_brings_deleted_entries_as_tombstones(hb: Hourbridge) -> None:
    with imitate(Imitation("toggl")) as tracker:
        tracker.seed(40)
        connect(hb, "acme-toggl", "toggl", tracker.url)
        first = hb.handle(c.SyncConnection("acme-toggl")).as_dict()
        assert (first["pages"], first["accepted"]) == (1, 40)
        tracker.touch(3, delete=True)
        again = hb.handle(c.SyncConnection("acme-toggl")).as_dict()
        assert (again["rows"], again["deleted"]) == (1, 1)
        assert stored(hb, "acme-toggl")["3"][1] is True


def test_kimai_pages_by_x_total_pages_and_modified_after(hb: Hourbridge) -> None:
    with imitate(Imitation("kimai", page_size=100)) as tracker:
        tracker.seed(230)
        connect(hb, "acme-kimai", "kimai", tracker.url)
        first = hb.handle(c.SyncConnection("acme-kimai")).as_dict()
        assert (first["pages"], first["accepted"], first["rejected"]) == (3, 230, 0)
        tracker.touch(4, minutes=50)
        again = hb.handle(c.SyncConnection("acme-kimai")).as_dict()
        assert (again["pages"], again["rows"], again["revised"]) == (1, 1, 1), str(again)
        assert stored(hb, "acme-kimai")["4"] == (50 * 60, False)
        assert all(a == "Bearer tok-secret" for a in tracker.auth_seen)


def test_the_secret_is_encrypted_at_rest_and_needs_the_key(hb: Hourbridge,
                                                            database_url: str) -> None:
    with imitate(Imitation("harvest")) as tracker:
        tracker.seed(1)
        connect(hb, "acme-harvest", "harvest", tracker.url)
        with hb.engine.connect() as conn:
            sealed = conn.execute(select(t.connections.c.secret)).scalar_one()
        assert "tok-secret" not in sealed
        tested = hb.handle(c.TestConnection("acme-harvest"))
        assert (tested["name"], tested["ok"], tested["aliases"]["learnt"]) == (
            "acme-harvest", True, 0)
        other = bootstrap(Settings(database_url=database_url),
                          trackers=Trackers(TRACKERS, Fernet.generate_key().decode()))
        try:
            with pytest.raises(SetupRefused, match="does not open"):
                other.handle(c.SyncConnection("acme-harvest"))
        finally:
            other.close()
    hb.handle(c.RemoveConnection("acme-harvest"))
    with pytest.raises(NotFound):
        hb.handle(c.SyncConnection("acme-harvest"))
