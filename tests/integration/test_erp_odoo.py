"""ERP sinks against a local Odoo 17 imitation (``support.odoo``): issued invoices and credit
notes posted once each, found by external id after a lost answer instead of created twice,
refusals kept with Odoo's own message, payment state read back; on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from hourbridge.bootstrap import Hourbridge
from hourbridge.domain import commands as c
from hourbridge.errors import InvalidInput
from hourbridge.formats.erp_profiles import parse_erp_profiles
from support.odoo import Odoo
from support.odoo_server import imitate_odoo

KEY_ENV = "HOURBRIDGE_ERP_ODOO_DE_KEY"
ROWS = [(f"h{i}", "E1" if i % 2 else "E2", "P1", "DEV", f"2026-{m:02d}-{d:02d}", "1.5", "work")
        for i, (m, d) in enumerate([(7, 6), (7, 14), (8, 3), (8, 20), (9, 8), (9, 21)])]


def profile(url: str, **overrides: Any) -> dict[str, Any]:
    return {"destination": "odoo-de", "system": "odoo", "entity": "DE", "company": "1",
            "journal": "INV", "currency": "EUR", "receivable_account": "121000",
            "revenue_accounts": {"default": "400000"}, "tax_codes": {"standard": "19% S",
                                                                     "zero": "0% EU"},
            "accounts": {}, "connection": {"url": url, "database": "acme",
                                           "login": "api@acme.example"},
            "concurrency": 2, **overrides}


def load_profiles(hb: Hourbridge, tmp_path: Path, *profiles: dict[str, Any]) -> int:
    path = tmp_path / "erp.yaml"
    path.write_text(yaml.safe_dump({"erp_profiles": list(profiles)}))
    parsed, origins, problems = parse_erp_profiles(path)
    assert problems == []
    return int(hb.handle(c.LoadErpProfiles(tuple(parsed), tuple(origins))))


@pytest.fixture
def odoo(monkeypatch: pytest.MonkeyPatch) -> Iterator[Odoo]:
    monkeypatch.setenv(KEY_ENV, "odoo-api-key")
    with imitate_odoo(Odoo()) as served:
        yield served


@pytest.fixture
def issued(loaded: Hourbridge, ingest: Any) -> Hourbridge:
    """Three monthly invoices of the small firm, issued."""
    ingest(ROWS)
    hb = loaded
    hb.handle(c.ApproveEntries(actor="pm", project="P1"))
    for month_end in (date(2026, 7, 31), date(2026, 8, 31), date(2026, 9, 30)):
        hb.handle(c.RunBilling(month_end))
    hb.handle(c.IssueInvoices(all_drafts=True))
    hb.worker.drain()  # the built-in ledger's deliveries: the pushes below count only theirs
    return hb


def _posted(odoo: Odoo, move_type: str) -> list[dict[str, Any]]:
    return [m for m in odoo.moves() if m["move_type"] == move_type]


def _push(hb: Hourbridge, **kw: Any) -> dict[str, Any]:
    report: dict[str, Any] = hb.handle(c.QueueErpPush(**kw))
    report["delivery"] = hb.worker.drain().as_dict()
    return report


def test_push_posts_each_document_once_to_the_cent(issued: Hourbridge, odoo: Odoo,
                                                   tmp_path: Path) -> None:
    hb = issued
    load_profiles(hb, tmp_path, profile(odoo.url, entries_journal="MISC",
                                        accounts={"1210": "1210", "4000": "4000"}))
    first = _push(hb, entity="DE")
    assert (first["queued"], first["already_queued"]) == (4, 0)  # 3 invoices, 1 WIP entry
    invoices = {i["number"]: i for i in hb.queries.invoices()}
    moves = _posted(odoo, "out_invoice")
    assert len(moves) == len(invoices) == 3
    for move in moves:
        assert move["state"] == "posted" and move["payment_state"] == "not_paid"
        ours = invoices[move["payment_reference"]]
        assert (move["amount_untaxed"], move["amount_tax"], move["amount_total"]) == (
            Decimal(ours["net"]), Decimal(ours["tax"]), Decimal(ours["total"]))
        assert move["ref"] == f"hb:invoice-issued:DE:{ours['number']}"
    [entry] = _posted(odoo, "entry")
    assert {(ln["debit"], ln["credit"]) for ln in entry["lines"]} == {(1125.0, 0.0),
                                                                      (0.0, 1125.0)}
    partners = odoo.records["res.partner"]
    assert [p["ref"] for p in partners.values()] == ["hb:customer:DE:ACME"]  # created once
    postings = hb.handle(c.ShowErpPostings("odoo-de"))
    assert [p["status"] for p in postings] == ["posted"] * 4
    assert {p["erp_id"] for p in postings} == {str(m["id"]) for m in odoo.moves()}

    again = _push(hb, entity="DE")  # nothing new: nothing queued, nothing posted
    assert (again["queued"], again["already_queued"]) == (0, 4)
    assert len(odoo.moves()) == 4


def test_credit_note_posts_as_a_refund(issued: Hourbridge, odoo: Odoo, tmp_path: Path) -> None:
    hb = issued
    load_profiles(hb, tmp_path, profile(odoo.url, accounts={"1210": "1210", "4000": "4000"}))
    first = hb.queries.invoices()[0]
    hb.handle(c.IssueCreditNote(first["id"], actor="fin", reason="dispute"))
    hb.worker.drain()
    _push(hb)
    credit = next(i for i in hb.queries.invoices() if i["kind"] == "credit_note")
    [refund] = _posted(odoo, "out_refund")
    assert refund["state"] == "posted" and refund["name"].startswith("RINV/")
    assert refund["amount_total"] == abs(Decimal(credit["total"]))
    assert refund["payment_reference"] == credit["number"]


def test_lost_answer_is_found_by_external_id_not_created_twice(
        issued: Hourbridge, odoo: Odoo, tmp_path: Path) -> None:
    hb = issued
    load_profiles(hb, tmp_path, profile(odoo.url, accounts={"1210": "1210", "4000": "4000"},
                                        documents_per_request=1))  # one document a request
    odoo.drop_after_commit = 2  # the first two creates commit, their answers are lost
    report = _push(hb)
    assert report["delivery"]["retried"] == 2
    # the two dropped ones committed as drafts (the answer to create never came back)
    assert sorted(m["state"] for m in odoo.moves()) == ["draft", "draft", "posted", "posted"]
    hb.clock.at += timedelta(hours=1)  # type: ignore[attr-defined]  # the retries are due
    assert hb.worker.drain().as_dict() == {"delivered": 2, "retried": 0, "dead": 0}
    moves = odoo.moves()
    assert len(moves) == 4 and {m["state"] for m in moves} == {"posted"}
    creates = [m for m in odoo.calls if m == ("account.move", "create")]
    assert len(creates) == 4  # two of them the dropped ones, none again
    by_doc: dict[str, list[str]] = {}
    for p in hb.handle(c.ShowErpPostings("odoo-de")):
        by_doc.setdefault(p["external_id"], []).append(p["status"])
    assert sorted(by_doc.values()) == [["posted"], ["posted"], ["unknown", "found"],
                                       ["unknown", "found"]]


def test_a_chunk_whose_answer_is_lost_is_found_whole_never_created_again(
        issued: Hourbridge, odoo: Odoo, tmp_path: Path) -> None:
    hb = issued
    load_profiles(hb, tmp_path, profile(odoo.url, accounts={"1210": "1210", "4000": "4000"}))
    odoo.drop_after_commit = 2  # both creates (the entry's, the 3 invoices') commit unheard
    assert _push(hb)["delivery"] == {"delivered": 0, "retried": 4, "dead": 0}
    assert sorted(m["state"] for m in odoo.moves()) == ["draft"] * 4
    hb.clock.at += timedelta(hours=1)  # type: ignore[attr-defined]  # the retries are due
    calls = len(odoo.calls)
    assert hb.worker.drain().as_dict() == {"delivered": 4, "retried": 0, "dead": 0}
    retry = odoo.calls[calls:]
    print(f"odoo chunk: 4 documents, retry after a lost answer in {len(retry)} requests "
          f"{retry}")
    # per kind one look-up and one post of the drafts it found; nothing created again
    assert sorted(retry) == [("account.move", "action_post")] * 2 + [
        ("account.move", "search_read")] * 2
    assert len(odoo.moves()) == 4 and {m["state"] for m in odoo.moves()} == {"posted"}
    statuses = [p["status"] for p in hb.handle(c.ShowErpPostings("odoo-de"))]
    assert sorted(statuses) == ["found"] * 4 + ["unknown"] * 4


def test_a_chunk_refused_whole_is_sent_one_by_one_and_only_the_refused_one_dies(
        issued: Hourbridge, odoo: Odoo, tmp_path: Path) -> None:
    hb = issued
    load_profiles(hb, tmp_path, profile(odoo.url, accounts={"1210": "1210", "4000": "4000"}))
    odoo.refuse_refs = {"hb:invoice-issued:DE:DE-000002"}
    assert _push(hb)["delivery"] == {"delivered": 3, "retried": 0, "dead": 1}
    creates = [m for m in odoo.calls if m == ("account.move", "create")]
    print(f"odoo chunk refused whole: {len(creates)} creates for 4 documents (the entry's, "
          "the 3 invoices' refused, then each invoice alone)")
    assert len(creates) == 5
    assert sorted(m["ref"] for m in _posted(odoo, "out_invoice")) == [
        "hb:invoice-issued:DE:DE-000001", "hb:invoice-issued:DE:DE-000003"]
    refused = [p for p in hb.handle(c.ShowErpPostings("odoo-de")) if p["status"] != "posted"]
    assert [(p["external_id"], p["status"]) for p in refused] == [
        ("hb:invoice-issued:DE:DE-000002", "refused")]
    assert "refused by this test's ERP" in refused[0]["error"]


def test_odoo_validation_error_is_permanent_and_keeps_its_message(
        issued: Hourbridge, odoo: Odoo, tmp_path: Path) -> None:
    hb = issued
    load_profiles(hb, tmp_path, profile(odoo.url, accounts={"1210": "1210", "4000": "4000"}))
    odoo.invalid_vats = {"DE123456788"}  # Acme's
    report = _push(hb)
    assert report["delivery"] == {"delivered": 1, "retried": 0, "dead": 3}  # the entry went
    assert _posted(odoo, "out_invoice") == []
    refused = [p for p in hb.handle(c.ShowErpPostings("odoo-de")) if p["status"] == "refused"]
    assert len(refused) == 3
    assert all("ValidationError" in p["error"] and "DE123456788" in p["error"]
               for p in refused)
    dead = hb.queries.dead_letters()
    assert len(dead) == 3 and all("does not seem to be valid" in d["last_error"] for d in dead)


def test_payment_state_is_read_back(issued: Hourbridge, odoo: Odoo, tmp_path: Path) -> None:
    hb = issued
    load_profiles(hb, tmp_path, profile(odoo.url, accounts={"1210": "1210", "4000": "4000"}))
    _push(hb)
    assert hb.sinks is not None
    sink = hb.sinks.destination("odoo-de").sink
    [a, b, _] = sorted(_posted(odoo, "out_invoice"), key=lambda m: m["id"])
    odoo.pay(a["id"], Decimal("100.00"))
    odoo.pay(b["id"], b["amount_total"])
    assert sink.payment_state("invoice", str(a["id"])).state == "partial"
    assert sink.payment_state("invoice", str(a["id"])).residual == a["amount_total"] - 100
    assert sink.payment_state("invoice", str(b["id"])).state == "paid"


def test_profiles_are_checked_at_load_naming_the_field(hb: Hourbridge, load_bundle: Any,
                                                       small_bundle: dict[str, Any],
                                                       tmp_path: Path) -> None:
    load_bundle(small_bundle)
    bad = profile("", entity="XX", revenue_accounts={"time": "400000"}, currency="EUX")
    with pytest.raises(InvalidInput) as refused:
        load_profiles(hb, tmp_path, bad)
    fields = {p.field for p in refused.value.problems}  # type: ignore[attr-defined]
    assert fields == {"entity", "currency", "revenue_accounts.default", "connection.url"}
    path = tmp_path / "typo.yaml"
    path.write_text(yaml.safe_dump({"erp_profiles": [{**profile("http://x"), "jurnal": "A"}]}))
    _, _, problems = parse_erp_profiles(path)
    assert [p.field for p in problems] == ["jurnal"]


def test_push_refused_when_the_profile_lacks_a_mapping(issued: Hourbridge, odoo: Odoo,
                                                       tmp_path: Path) -> None:
    hb = issued
    load_profiles(hb, tmp_path, profile(odoo.url, tax_codes={}, accounts={"1210": "1210"}))
    with pytest.raises(InvalidInput) as refused:
        hb.handle(c.QueueErpPush())
    fields = {p.field for p in refused.value.problems}  # type: ignore[attr-defined]
    assert fields == {"tax_codes.standard", "accounts.4000"}
    assert odoo.moves() == []


def test_timeout_then_lookup_finds_the_move_and_a_503_is_retried(
        issued: Hourbridge, odoo: Odoo, tmp_path: Path) -> None:
    hb = issued
    load_profiles(hb, tmp_path, profile(
        odoo.url, accounts={"1210": "1210", "4000": "4000"}, documents_per_request=1,
        connection={"url": odoo.url, "database": "acme", "login": "api@acme.example",
                    "timeout": "0.3"}))
    odoo.unavailable = 1  # the very first request: 503 with Retry-After, nothing done
    odoo.post_latency = 0.6  # every action_post outlasts the client's timeout, then posts
    first = _push(hb)
    assert first["delivery"] == {"delivered": 0, "retried": 4, "dead": 0}
    odoo.post_latency = 0.0
    hb.clock.at += timedelta(hours=1)  # type: ignore[attr-defined]  # the retries are due
    assert hb.worker.drain().as_dict() == {"delivered": 4, "retried": 0, "dead": 0}
    moves = odoo.moves()
    assert len(moves) == 4 and {m["state"] for m in moves} == {"posted"}
    statuses = [p["status"] for p in hb.handle(c.ShowErpPostings("odoo-de"))]
    # the 503 left nothing behind (looked up, not found, pushed); each timeout a move
    # that the lookup found already posted
    assert sorted(statuses) == sorted(["failed", "posted"] + ["unknown", "found"] * 3)


def test_documents_published_after_the_profile_is_loaded_need_no_push(
        loaded: Hourbridge, ingest: Any, odoo: Odoo, tmp_path: Path) -> None:
    hb = loaded
    load_profiles(hb, tmp_path, profile(odoo.url, accounts={"1210": "1210", "4000": "4000"}))
    ingest(ROWS)
    hb.handle(c.ApproveEntries(actor="pm", project="P1"))
    for month_end in (date(2026, 7, 31), date(2026, 8, 31)):
        hb.handle(c.RunBilling(month_end))
    hb.handle(c.IssueInvoices(all_drafts=True))
    delivered = hb.worker.drain().as_dict()
    # each of 3 journal events to the ledger and to Odoo, in the transaction that made it
    assert delivered == {"delivered": 6, "retried": 0, "dead": 0}
    assert len(_posted(odoo, "out_invoice")) == 2 and len(_posted(odoo, "entry")) == 1
    assert hb.handle(c.QueueErpPush())["queued"] == 0
