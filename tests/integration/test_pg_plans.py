"""The PostgreSQL generic-plan trap (issue #16, item 1), shown on the real per-contract query.

psycopg 3 prepares a statement server-side after its fifth run; PostgreSQL may then switch to
a generic plan, built without the parameter values, which for the billing run's per-contract
query scanned every entry (170-240 ms a call instead of under 1 ms). The engine forces custom
plans (``store/engine.py``). This test captures the exact SQL ``SqlEntries.select`` sends for
one contract, prepares it on the engine's own connection, runs it more than five times over
50,000 entries of 200 contracts, and asks PostgreSQL for the plan of the next execution: it
must still be planned for its values and read the contract index. The control shows that the
trap is real on the same data: with generic plans forced, the plan is built for ``$n``. (Run
with ``plan_cache_mode = auto``, PostgreSQL's default, the same test fails: after the fifth
run the generic plan no longer reads the contract index.)
"""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

import pytest
from sqlalchemy import event, text

from hourbridge.bootstrap import Hourbridge
from hourbridge.domain.model import Approval, Billing
from hourbridge.services.ports.entries import EntrySelection
from hourbridge.store.entries import SqlEntries

pytestmark = pytest.mark.postgres
ENTRIES, CONTRACTS = 50_000, 200


@pytest.fixture
def database_url(postgres_url: str) -> str:  # PostgreSQL only: SQLite has no plan cache
    return postgres_url


def _captured_sql(hb: Hourbridge, selection: EntrySelection) -> tuple[str, dict[str, Any]]:
    """The statement and parameters the store really sends for ``selection``."""
    seen: list[tuple[str, dict[str, Any]]] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "FROM time_entries" in statement:
            seen.append((statement, dict(parameters)))

    event.listen(hb.engine, "before_cursor_execute", capture)
    try:
        with hb.engine.connect() as conn:
            list(SqlEntries(conn).select(selection))
    finally:
        event.remove(hb.engine, "before_cursor_execute", capture)
    assert len(seen) == 1, seen
    return seen[0]


def _prepared(statement: str, parameters: dict[str, Any]) -> tuple[str, list[Any]]:
    """``PREPARE``-able text: psycopg's ``%(name)s`` placeholders become ``$1``, ``$2``…"""
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        if match.group(1) not in names:
            names.append(match.group(1))
        return f"${names.index(match.group(1)) + 1}"

    return re.sub(r"%\((\w+)\)s", number, statement), [parameters[n] for n in names]


def _literals(values: list[Any]) -> str:
    """EXECUTE's arguments as SQL literals: a bound ``EXECUTE`` parameter has no type."""
    def literal(v: Any) -> str:
        if isinstance(v, bool):
            return "TRUE" if v else "FALSE"
        if isinstance(v, int):
            return str(v)
        return "'" + str(v).replace("'", "''") + "'"
    return ", ".join(literal(v) for v in values)


def _plan(conn: Any, values: list[Any]) -> dict[str, Any]:
    row = conn.execute(text(
        f"EXPLAIN (FORMAT JSON) EXECUTE per_contract({_literals(values)})")).scalar_one()
    return (json.loads(row) if isinstance(row, str) else row)[0]["Plan"]


def _nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [plan] + [n for child in plan.get("Plans", []) for n in _nodes(child)]


def fill_entries(conn: Any, entries: int, contracts: int | None = None, days: int = 300,
                 prefix: str = "bulk-") -> None:
    """``entries`` approved, unbilled copies of the entry ``seed`` (already ingested): over
    ``contracts`` contracts ``K-n`` (None: the seed's own), on ``days`` days up to the seed's,
    inserted as a bulk load fills pages (to the fillfactor, no dead versions), then analysed."""
    contract = "'K-' || (g % :contracts)" if contracts else "contract"
    conn.execute(text(f"""
        INSERT INTO time_entries (source, external_id, revision, inbox_id, employee,
            project, task, entity, contract, work_date, worked_seconds, billable_seconds,
            billable, notes, content_key, approval, billing, locked, created_at,
            updated_at)
        SELECT source, :prefix || g, revision, inbox_id, employee, project, task, entity,
            {contract}, work_date - (g % :days), worked_seconds, billable_seconds, billable,
            notes, md5(g::text), :approved, :unbilled, locked, created_at, updated_at
        FROM time_entries, generate_series(1, :entries) AS g
        WHERE external_id = 'seed'"""),
        {"contracts": contracts, "entries": entries, "days": days, "prefix": prefix,
         "approved": Approval.APPROVED.value, "unbilled": Billing.UNBILLED.value})
    conn.execute(text("ANALYZE time_entries"))


def test_the_per_contract_query_stays_on_its_index_after_five_runs(
        hb: Hourbridge, loaded: Hourbridge, ingest: Any) -> None:
    ingest([("seed", "E1", "P1", "DEV", "2026-08-10", "2", "seed")])
    with hb.engine.begin() as conn:  # 50,000 approved, unbilled entries of 200 contracts
        fill_entries(conn, ENTRIES, CONTRACTS)
    selection = EntrySelection(
        approval=(Approval.APPROVED.value,),
        billing=(Billing.UNBILLED.value, Billing.CREDITED.value),
        billable=True, date_to=date(2026, 8, 31), contract="K-7")
    statement, parameters = _captured_sql(hb, selection)
    sql, values = _prepared(statement, parameters)
    assert "K-7" in values

    with hb.engine.connect() as conn:  # the engine's own settings, as a billing run has them
        assert conn.execute(text("SHOW plan_cache_mode")).scalar_one() == "force_custom_plan"
        # and never JIT-compiled: at 1M entries compiling cost more than it saved (engine.py)
        assert conn.execute(text("SHOW jit")).scalar_one() == "off"
        conn.execute(text(f"PREPARE per_contract AS {sql}"))
        for _ in range(7):  # past the fifth run, where PostgreSQL considers a generic plan
            conn.execute(text(f"EXECUTE per_contract({_literals(values)})")).all()
        custom = _plan(conn, values)
        used = {n.get("Index Name") for n in _nodes(custom)}
        print(f"per-contract plan after 7 runs: {custom['Node Type']}, indexes {used}",
              flush=True)
        assert "ix_time_entries_open" in used, custom  # the open work only (0028_entry_indexes)
        assert not any(n["Node Type"] == "Seq Scan" for n in _nodes(custom)), custom
        assert "$" not in json.dumps(custom), "a generic plan (built for $n) was used"

        # the control: the same statement under generic plans is planned for $n, so the
        # assertion above can tell the two apart
        conn.execute(text("SET plan_cache_mode = force_generic_plan"))
        generic = _plan(conn, values)
        assert "$" in json.dumps(generic), generic
        print(f"the same under generic plans: {[n['Node Type'] for n in _nodes(generic)]}, "
              f"estimated cost {generic['Total Cost']} vs {custom['Total Cost']}", flush=True)
        conn.rollback()
