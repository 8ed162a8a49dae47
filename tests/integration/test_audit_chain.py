"""The audit chain (issue 14 item 5): every audited command leaves one linked record in its
own transaction; the table refuses UPDATE and DELETE; ``verify`` names the first broken link
after someone who can bypass the triggers edits, deletes, inserts or reorders a record."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Connection, insert, select, text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from hourbridge.bootstrap import Hourbridge, bootstrap
from hourbridge.cli.app import app
from hourbridge.config import Settings
from hourbridge.domain import commands as c
from hourbridge.domain.audit import link_hash
from hourbridge.errors import NotFound
from hourbridge.formats import BundleDocument, to_domain
from hourbridge.store import tables as t
from support.firm import small_firm_bundle


@pytest.fixture
def hb(database_url: str) -> Iterator[Hourbridge]:
    app = bootstrap(Settings(database_url=database_url))
    app.handle(c.LoadMasterData(to_domain(
        [("firm", BundleDocument.model_validate(small_firm_bundle()))])))
    for n in range(3):
        hold = app.handle(c.PlaceHold("customer", "ACME", "dispute", f"am{n}", note=f"n{n}"))
        app.handle(c.ReleaseHold(hold, f"am{n}", "settled"))
    yield app
    app.close()


def test_audited_commands_append_linked_records_never_rewritten(hb: Hourbridge) -> None:
    rows = hb.queries.audit_records()
    assert [r["action"] for r in rows] == ["masterdata.load"] + ["hold.place",
                                                                  "hold.release"] * 3
    assert [r["seq"] for r in rows] == list(range(1, 8))
    assert all(b["prev_hash"] == a["hash"] for a, b in itertools.pairwise(rows))
    assert rows[1]["actor"] == "am0" and rows[1]["object"] == "holds/customer:ACME"
    assert rows[1]["reason"] == "dispute" and rows[1]["changes"] == {"holds": 1}
    # the object's second record starts from the digest its first one left
    assert rows[3]["before_digest"] == rows[1]["after_digest"]
    assert hb.queries.audit_records(object_="holds/customer:ACME", limit=10)[0]["seq"] == 2
    assert len(hb.queries.audit_records(object_="holds/*")) == 6
    assert hb.queries.verify_audit() == {"ok": True, "records": 7, "head": 7,
                                         "first_broken": None}
    # a command that fails leaves no record, its change and record roll back together
    with pytest.raises(NotFound):
        hb.handle(c.ReleaseHold(999, "am", "nothing"))
    with pytest.raises(NotFound):  # refused inside the use case, after reading
        hb.handle(c.PlaceHold("customer", "NOPE", "dispute", "am"))
    assert hb.queries.verify_audit()["records"] == 7
    for statement in ("UPDATE audit_log SET reason = 'x' WHERE seq = 2",
                      "DELETE FROM audit_log WHERE seq = 7"):
        with pytest.raises(DBAPIError, match="append-only"), hb.engine.begin() as conn:
            conn.execute(text(statement))
    assert hb.queries.verify_audit()["ok"]


def _bypassing_triggers(hb: Hourbridge) -> Callable[[Callable[[Connection], None]], None]:
    """Run a tampering as someone with the rights to get past the append-only triggers."""
    postgres = hb.engine.dialect.name == "postgresql"
    if not postgres:  # SQLite: whoever can write the file can drop the triggers
        with hb.engine.begin() as conn:
            conn.execute(text("DROP TRIGGER audit_log_no_update"))
            conn.execute(text("DROP TRIGGER audit_log_no_delete"))

    def run(tamper: Callable[[Connection], None]) -> None:
        with hb.engine.begin() as conn:
            if postgres:  # a superuser: triggers do not fire for a replica session
                conn.execute(text("SET LOCAL session_replication_role = replica"))
            tamper(conn)
    return run


def _rows(conn: Connection) -> list[dict[str, Any]]:
    return [dict(r._mapping) for r in conn.execute(select(t.audit_log)
                                                   .order_by(t.audit_log.c.seq))]


def _shift(conn: Connection, seqs: list[int], by: int) -> None:
    for s in seqs:  # one row at a time, in an order that never collides
        conn.execute(text("UPDATE audit_log SET seq = :n WHERE seq = :s"), {"n": s + by, "s": s})


def _edit(conn: Connection) -> None:
    conn.execute(text("UPDATE audit_log SET reason = 'nothing to see' WHERE seq = 3"))


def _delete(conn: Connection) -> None:
    conn.execute(text("DELETE FROM audit_log WHERE seq = 3"))


def _insert(conn: Connection) -> None:
    """A forged record between 3 and 4, its own hash correct and linked onto 3; the later
    records move up one to make room."""
    _shift(conn, [7, 6, 5, 4], 1)
    r = _rows(conn)[2]
    assert r["seq"] == 3
    forged = {**r, "seq": 4, "actor": "mallory", "reason": "forged", "prev_hash": r["hash"]}
    forged["hash"] = link_hash(r["hash"], 4, r["at"], "mallory", r["action"], r["object"],
                               "forged", r["before_digest"], r["after_digest"], r["changes"])
    conn.execute(insert(t.audit_log).values(**forged))


def _reorder(conn: Connection) -> None:
    conn.execute(text("UPDATE audit_log SET seq = -1 WHERE seq = 3"))
    conn.execute(text("UPDATE audit_log SET seq = 3 WHERE seq = 4"))
    conn.execute(text("UPDATE audit_log SET seq = 4 WHERE seq = -1"))


# each tampering, and the record verify must name as the first broken link
TAMPERINGS = {"edit": (_edit, 3), "delete": (_delete, 3), "insert": (_insert, 5),
              "reorder": (_reorder, 3)}


def test_verify_names_the_first_broken_link_of_any_tampering(
        hb: Hourbridge, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    tamper_as = _bypassing_triggers(hb)
    with hb.engine.connect() as conn:
        original = _rows(conn)
    detected = []
    for name, (tamper, first_broken) in TAMPERINGS.items():
        tamper_as(tamper)
        result = hb.queries.verify_audit()
        print(f"audit tamper {name}: {result['first_broken']}", flush=True)
        if not result["ok"] and result["first_broken"]["seq"] == first_broken:
            detected.append(name)
        if name == "edit":  # the CLI says the same, and exits 1
            monkeypatch.setenv("HOURBRIDGE_DATABASE_URL", database_url)
            cli = CliRunner().invoke(app, ["audit", "verify", "--json"])
            assert cli.exit_code == 1 and json.loads(cli.stdout)["first_broken"]["seq"] == 3
            listed = CliRunner().invoke(app, ["audit", "list", "--object", "holds/*",
                                              "--json"])
            assert listed.exit_code == 0 and len(json.loads(listed.stdout)) == 6

        def restore(conn: Connection) -> None:
            conn.execute(text("DELETE FROM audit_log"))
            conn.execute(insert(t.audit_log), original)
        tamper_as(restore)
        assert hb.queries.verify_audit()["ok"], f"not restored after {name}"
    print(f"audit tamper ({hb.engine.dialect.name}): {len(detected)} of {len(TAMPERINGS)} "
          f"detected", flush=True)
    assert detected == list(TAMPERINGS)
    # and the last record cut off: the chain head still names it
    tamper_as(lambda conn: conn.execute(text("DELETE FROM audit_log WHERE seq = 7")))
    result = hb.queries.verify_audit()
    assert not result["ok"] and result["first_broken"]["seq"] == 7

