"""The demo firm: a loadable bundle, deterministic files and exactly the noise it promises."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from datetime import date
from typing import Any

import pytest

from hourbridge.demo import DemoFirm, TimeFile, generate_demo_firm
from hourbridge.domain.bundle import check_bundle
from hourbridge.domain.intake import ParsedEntry, parse_row
from hourbridge.domain.masterdata import MasterData
from hourbridge.domain.rating import RateBook
from hourbridge.domain.validation import ValidatedEntry, content_key, validate_entry
from hourbridge.formats.bundle import BundleDocument, to_domain


@pytest.fixture(scope="module")
def firm() -> DemoFirm:
    return generate_demo_firm()


@pytest.fixture(scope="module")
def md(firm: DemoFirm) -> MasterData:
    return to_domain([("demo", BundleDocument.model_validate(firm.bundle))]).merged_over(
        MasterData())


def _records(tf: TimeFile) -> list[dict[str, Any]]:
    text = tf.payload.decode("utf-8")
    if tf.media_type == "text/csv":
        return list(csv.DictReader(io.StringIO(text)))
    records = json.loads(text)
    assert isinstance(records, list)
    return records


def _unique_files(firm: DemoFirm) -> list[TimeFile]:
    """The files without the exact re-send."""
    seen: set[tuple[str, bytes]] = set()
    out = []
    for tf in firm.time_files:
        if (tf.filename, tf.payload) not in seen:
            seen.add((tf.filename, tf.payload))
            out.append(tf)
    return out


def _parsed(firm: DemoFirm) -> tuple[list[tuple[str, ParsedEntry]], Counter[str]]:
    parsed: list[tuple[str, ParsedEntry]] = []
    failures: Counter[str] = Counter()
    for tf in _unique_files(firm):
        for n, rec in enumerate(_records(tf), start=2):
            got = parse_row(rec, f"{tf.filename}:{n}")
            if isinstance(got, list):
                failures.update({p.code for p in got})
            else:
                parsed.append((tf.filename.split("-")[0], got))
    return parsed, failures


def test_bundle_loads_cleanly(firm: DemoFirm) -> None:
    doc = BundleDocument.model_validate(firm.bundle)
    bundle = to_domain([("demo", doc)])
    assert check_bundle(bundle, MasterData()) == []
    assert json.loads(json.dumps(firm.bundle)) == firm.bundle


def test_sizes(firm: DemoFirm, md: MasterData) -> None:
    assert len(md.customers) >= 10
    assert len(md.projects) >= 30
    assert len(md.employees) >= 50
    assert {e.currency for e in md.entities.values()} == {"USD", "EUR"}
    assert any(c.parent for c in md.customers.values())
    assert any(c.tax_exempt for c in md.customers.values())
    assert firm.through == date(2026, 10, 31)
    rows = sum(len(_records(tf)) for tf in _unique_files(firm))
    assert 5000 <= rows <= 9000


def test_every_project_matches_its_contract(md: MasterData) -> None:
    for p in md.projects.values():
        if p.contract is None:
            continue
        k = md.contracts[p.contract]
        assert (k.customer, k.entity) == (p.customer, p.entity)
        assert md.customers[p.customer].entity == p.entity
        assert k.currency == md.customers[p.customer].currency
    # one contract is in a foreign currency (CHF for the GmbH), with rates to translate it
    foreign = [k for k in md.contracts.values() if k.currency != md.entities[k.entity].currency]
    assert [(k.entity, k.currency) for k in foreign] == [("DE", "CHF")]
    rates = sorted(r.valid_from for r in md.fx_rates.values()
                   if (r.from_currency, r.to_currency) == ("CHF", "EUR"))
    assert rates and rates[0] <= foreign[0].start_date


def test_same_seed_same_bytes() -> None:
    a, b = generate_demo_firm(seed=11), generate_demo_firm(seed=11)
    assert a == b
    assert [f.payload for f in a.time_files] == [f.payload for f in b.time_files]
    assert generate_demo_firm(seed=12).time_files[0].payload != a.time_files[0].payload


def test_last_file_is_an_exact_resend(firm: DemoFirm) -> None:
    last = firm.time_files[-1]
    assert last in firm.time_files[:-1]
    assert len(_unique_files(firm)) == len(firm.time_files) - 1


def test_external_ids_are_unique(firm: DemoFirm) -> None:
    ids = [r["external_id"] for tf in _unique_files(firm) for r in _records(tf)]
    assert len(ids) == len(set(ids))


def test_rows_parse_except_the_bad_quantities(firm: DemoFirm) -> None:
    _, failures = _parsed(firm)
    assert failures == Counter({"invalid_quantity": firm.expected_noise["invalid_quantity"]})


def test_validation_finds_the_noise(firm: DemoFirm, md: MasterData) -> None:
    parsed, _ = _parsed(firm)
    rates = RateBook(md)
    found: Counter[str] = Counter()
    ok = 0
    for source, entry in parsed:
        result = validate_entry(entry, source, md, rates)
        if isinstance(result, ValidatedEntry):
            ok += 1
        else:
            codes = {p.code for p in result}
            assert len(codes) == 1, (entry, result)  # each noisy row has one reason
            found.update(codes)
    for reason, count in firm.expected_noise.items():
        if reason not in ("duplicate_entry", "invalid_quantity"):
            assert found[reason] >= count, reason
    assert "rate_conflict" not in found
    assert ok > 0.9 * len(parsed)


def test_duplicates_are_copies_in_later_files(firm: DemoFirm) -> None:
    first_seen: dict[str, int] = {}
    later = 0
    for i, tf in enumerate(_unique_files(firm)):
        for n, rec in enumerate(_records(tf), start=2):
            got = parse_row(rec, f"{tf.filename}:{n}")
            if isinstance(got, list):
                continue
            key = content_key(got.employee, got.project, got.task, got.work_date,
                              got.worked_seconds, got.notes)
            if key in first_seen:
                assert first_seen[key] < i
                later += 1
            else:
                first_seen[key] = i
    assert later == firm.expected_noise["duplicate_entry"]


def test_rates_change_mid_period(md: MasterData) -> None:
    ends = {r.valid_until for c in md.rate_cards.values() for r in c.rows if r.valid_until}
    starts = {r.valid_from for c in md.rate_cards.values() for r in c.rows}
    assert date(2026, 9, 15) in ends
    assert date(2026, 9, 16) in starts
