"""The demo firm (``hourbridge demo``: two entities, EUR, CHF and USD invoices, credit notes,
journal entries of every kind) issued once per test process, for the ERP sink tests: each
test works on its own copy of the database, pushes it to an ERP imitation and compares what
the imitation keeps with what Hourbridge issued."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from hourbridge.bootstrap import Hourbridge, bootstrap
from hourbridge.config import Settings
from hourbridge.domain import commands as c
from hourbridge.domain.erp import external_id
from hourbridge.formats.erp_profiles import parse_erp_profiles

# every ledger account the demo's journal entries post to, and its tax codes
DEMO_ACCOUNTS = ("1200", "1210", "1300", "1400", "1410", "1776", "2100", "2400", "4000",
                 "4100", "4200", "4900", "5100", "8400", "8700")
DEMO_TAX_CODES = ("standard", "reverse_charge", "outside_scope", "not_registered")
_BUILT: dict[str, Path] = {}


def demo_database(factory: pytest.TempPathFactory) -> Path:
    """The demo firm's SQLite file, built once per test process."""
    if "db" not in _BUILT:
        from hourbridge.cli.demo import run_demo

        path = factory.mktemp("erp-demo") / "demo.db"
        hb = bootstrap(Settings(database_url=f"sqlite:///{path}"))
        try:
            run_demo(hb, 7, show_progress=False)
            hb.worker.drain()  # the built-in ledger's deliveries: pushes count only theirs
        finally:
            hb.close()
        _BUILT["db"] = path
    return _BUILT["db"]


class Clock:
    """Now, until a test moves it on (``hb.clock.at += ...``: the retries are due)."""

    def __init__(self) -> None:
        self.at = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.at


@contextmanager
def demo_copy(factory: pytest.TempPathFactory, tmp_path: Path) -> Iterator[Hourbridge]:
    path = tmp_path / "demo.db"
    shutil.copy(demo_database(factory), path)
    hb = bootstrap(Settings(database_url=f"sqlite:///{path}"), clock=Clock())
    try:
        yield hb
    finally:
        hb.close()


def load_profiles(hb: Hourbridge, tmp_path: Path, *profiles: dict[str, Any]) -> int:
    path = tmp_path / "erp.yaml"
    path.write_text(yaml.safe_dump({"erp_profiles": list(profiles)}))
    parsed, origins, problems = parse_erp_profiles(path)
    assert problems == []
    return int(hb.handle(c.LoadErpProfiles(tuple(parsed), tuple(origins))))


def push(hb: Hourbridge, **kw: Any) -> dict[str, Any]:
    report: dict[str, Any] = hb.handle(c.QueueErpPush(**kw))
    report["delivery"] = hb.worker.drain().as_dict()
    return report


def issued(hb: Hourbridge) -> dict[str, dict[str, Any]]:
    """Our issued invoices and credit notes by external id: kind, net, tax, total (positive),
    currency, customer."""
    out = {}
    for inv in hb.queries.invoices():
        if not inv["number"]:
            continue
        head = "credit-note-issued" if inv["kind"] == "credit_note" else "invoice-issued"
        out[external_id(f"{head}:{inv['entity']}:{inv['number']}")] = {
            "kind": inv["kind"], "entity": inv["entity"], "customer": inv["customer"],
            "currency": inv["currency"], "number": inv["number"],
            **{k: abs(Decimal(inv[k])) for k in ("net", "tax", "total")}}
    return out


def journals(hb: Hourbridge) -> dict[str, list[tuple[str, Decimal, Decimal]]]:
    """Journal entries the ERPs get (every journal event not an invoice or credit note) by
    external id: sorted (account, debit, credit) in the functional currency."""
    out = {}
    with hb.uow() as uow:
        events = uow.erp.journal_events(None)
    for event in events:
        head, _, rest = str(event["subject"]).partition("/")
        if head in ("invoice", "credit-note") and "/" not in rest:
            continue
        lines = []
        for ps in event["data"]["postings"]:
            amount = Decimal(ps["functional_amount"])
            lines.append((ps["account"], max(amount, Decimal(0)), max(-amount, Decimal(0))))
        out[external_id(event["key"])] = sorted(lines)
    return out
