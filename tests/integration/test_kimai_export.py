"""Invoiced Kimai entries are marked exported there (issue 11): ``PATCH /api/timesheets/{id}``
``{"exported": true}`` (never the toggling ``PATCH .../export``), each once, recorded after
Kimai answered; a run stopped by an unavailable Kimai is run again and finishes; an entry
Kimai no longer has is refused by name. On SQLite and PostgreSQL, against the imitation."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import func, select

from hourbridge.bootstrap import Hourbridge, bootstrap
from hourbridge.config import Settings
from hourbridge.connectors import TRACKERS
from hourbridge.connectors.gateway import Trackers
from hourbridge.connectors.http import TrackerUnavailable
from hourbridge.domain import commands as c
from hourbridge.errors import Permanent
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
    bundle["aliases"] = aliases("acme-kimai") + aliases("acme-toggl")
    app.handle(c.LoadMasterData(to_domain([("bundle", BundleDocument.model_validate(bundle))])))
    yield app
    app.close()


def invoiced(hb: Hourbridge, source: str) -> set[str]:
    te = t.time_entries
    with hb.engine.connect() as conn:
        return set(conn.execute(select(te.c.external_id).where(
            te.c.source == source, te.c.billing == "invoiced")).scalars())


def test_invoiced_entries_are_marked_exported_once_and_never_toggled(hb: Hourbridge) -> None:
    with imitate(Imitation("kimai", page_size=100)) as kimai:
        kimai.seed(120)
        hb.handle(c.AddConnection("acme-kimai", "kimai", kimai.url,
                                  c.Secret((("token", "tok-secret"),))))
        assert hb.handle(c.SyncConnection("acme-kimai")).as_dict()["accepted"] == 120
        hb.handle(c.ApproveEntries(actor="pm", date_to=date(2026, 8, 31)))
        hb.handle(c.RunBilling(date(2026, 8, 31)))
        hb.handle(c.IssueInvoices(all_drafts=True))
        billed = invoiced(hb, "acme-kimai")
        assert 0 < len(billed) < 120  # July and August only

        kimai.calls.clear()
        kimai.failing_patches = 6  # Kimai unavailable mid-run: retried by policy, then given up
        with pytest.raises(TrackerUnavailable):
            hb.handle(c.MarkExported("acme-kimai"))
        with hb.engine.connect() as conn:
            recorded = conn.execute(select(func.count()).select_from(t.tracker_exports)
                                    ).scalar_one()
        assert recorded == 0 and len(kimai.calls) == 5  # five attempts at the first entry
        kimai.failing_patches = 2  # retried (an absolute write may be sent again)
        kimai.forget(int(sorted(billed)[0]))  # gone from Kimai since it was invoiced
        first = hb.handle(c.MarkExported("acme-kimai"))
        assert (first["marked"], first["refused"]) == (len(billed) - 1, 1)
        assert "404" in first["refused_ids"][sorted(billed)[0]]
        assert kimai.toggles == 0
        assert {m for m, _, _ in kimai.calls} == {"PATCH"}
        assert all(body == {"exported": True} for _, _, body in kimai.calls)
        exported = {str(e.id) for e in kimai.entries.values() if e.exported}
        assert exported == billed - {sorted(billed)[0]}

        kimai.calls.clear()
        again = hb.handle(c.MarkExported("acme-kimai"))
        assert again["marked"] == 0
        assert [p for _, p, _ in kimai.calls] == [f"/api/timesheets/{sorted(billed)[0]}"]

        hb.handle(c.AddConnection("acme-toggl", "toggl", kimai.url,
                                  c.Secret((("token", "tok-secret"),))))
        with pytest.raises(Permanent, match="no exported flag"):
            hb.handle(c.MarkExported("acme-toggl"))


def test_a_sync_marks_what_was_invoiced_since_the_last(hb: Hourbridge) -> None:
    with imitate(Imitation("kimai", page_size=100)) as kimai:
        kimai.seed(30)
        hb.handle(c.AddConnection("acme-kimai", "kimai", kimai.url,
                                  c.Secret((("token", "tok-secret"),))))
        first = hb.handle(c.SyncConnection("acme-kimai")).as_dict()
        assert (first["accepted"], first["marked_exported"]) == (30, 0)
        hb.handle(c.ApproveEntries(actor="pm", date_to=date(2026, 7, 31)))
        hb.handle(c.RunBilling(date(2026, 7, 31)))
        hb.handle(c.IssueInvoices(all_drafts=True))
        billed = invoiced(hb, "acme-kimai")
        again = hb.handle(c.SyncConnection("acme-kimai")).as_dict()
        assert again["marked_exported"] == len(billed) > 0
        assert {str(e.id) for e in kimai.entries.values() if e.exported} == billed
        assert kimai.toggles == 0
        assert hb.handle(c.SyncConnection("acme-kimai")).as_dict()["marked_exported"] == 0
