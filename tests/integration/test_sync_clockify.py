"""Clockify pull sync (issue 11) against the loopback imitation on SQLite and PostgreSQL: the
detailed report is POSTed with the date range and ``detailedFilter.page``/``pageSize`` in the
body, paged until a short page, incremental by the stored cursor; BREAK entries are refused
as ``not_work`` (never billed) and a full sync notices entries gone from the source."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from hourbridge.bootstrap import Hourbridge, bootstrap
from hourbridge.config import Settings
from hourbridge.connectors import TRACKERS
from hourbridge.connectors.gateway import Trackers
from hourbridge.domain import commands as c
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
    bundle["aliases"] = aliases("acme-clockify")
    app.handle(c.LoadMasterData(to_domain([("bundle", BundleDocument.model_validate(bundle))])))
    yield app
    app.close()


def live_ids(hb: Hourbridge) -> set[str]:
    te = t.time_entries
    with hb.engine.connect() as conn:
        return {r.external_id for r in conn.execute(
            select(te.c.external_id).where(te.c.source == "acme-clockify",
                                           te.c.deleted_at.is_(None)))}


def test_clockify_pages_the_report_by_body_and_refuses_breaks(hb: Hourbridge) -> None:
    with imitate(Imitation("clockify", breaks={3, 250})) as tracker:
        tracker.seed(420)
        hb.handle(c.AddConnection("acme-clockify", "clockify", f"{tracker.url}/v1/workspaces/w1",
                                  c.Secret((("token", "tok-secret"),))))
        assert hb.handle(c.TestConnection("acme-clockify"))["ok"] is True
        tracker.calls.clear()
        first = hb.handle(c.SyncConnection("acme-clockify")).as_dict()
        assert (first["pages"], first["rows"], first["accepted"], first["rejected"]) == (
            3, 420, 418, 2)
        assert first["reasons"] == {"not_work": 2}
        # a first pull reads the workspace's users, clients and projects first (GET)
        reports = [call for call in tracker.calls if call[0] == "POST"]
        posted = [(path, body["detailedFilter"]["page"], body["detailedFilter"]["pageSize"])
                  for _, path, body in reports]
        assert posted == [("/v1/workspaces/w1/reports/detailed", n, 200) for n in (1, 2, 3)]
        body = reports[0][2]
        assert body["dateRangeStart"] == "2000-01-01T00:00:00.000Z"
        assert body["exportType"] == "JSON" and body["dateRangeEnd"].endswith(".000Z")
        assert all(a == "tok-secret" for a in tracker.auth_seen)  # X-Api-Key
        assert f"{3:024x}" not in live_ids(hb) and len(live_ids(hb)) == 418
        with hb.engine.connect() as conn:
            reasons = conn.execute(select(t.exceptions.c.reason)).scalars().all()
        assert sorted(reasons) == ["not_work", "not_work"]

        # incremental: the stored cursor is the report's range start; old entries not asked
        tracker.calls.clear()
        again = hb.handle(c.SyncConnection("acme-clockify")).as_dict()
        assert tracker.calls[0][2]["dateRangeStart"] == first["cursor_after"]
        assert again["accepted"] == 0 and again["cursor_before"] == first["cursor_after"]

        tracker.forget(10)
        full = hb.handle(c.SyncConnection("acme-clockify", full=True)).as_dict()
        assert (full["gone_from_source"], full["deleted"], full["accepted"]) == (1, 1, 0)
        assert f"{10:024x}" not in live_ids(hb)
