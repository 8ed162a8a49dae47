"""The ERP delivery (``pipeline.sinks``) with a fake sink and an in-memory posting record:
look up by external id before any push that follows an attempt of unknown outcome, never
after a refusal; post a draft an earlier attempt left; and per-destination limits."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

import pytest

from hourbridge.connectors.http import UnknownOutcome
from hourbridge.domain.erp import (
    ErpDocument,
    ErpParty,
    ErpRecord,
    PaymentState,
    document_to_data,
)
from hourbridge.errors import Permanent
from hourbridge.pipeline.sinks import Destination, Limits, OutcomeUnknown, SinkRegistry

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
DOC = ErpDocument("invoice", "hb:inv:1", "1", "INV", "EUR", date(2026, 11, 2), (),
                  partner=ErpParty("hb:customer:DE:ACME", "Acme AG"))


class FakeSink:
    def __init__(self, held: ErpRecord | None = None, fail: Exception | None = None) -> None:
        self.held, self.fail = held, fail
        self.calls: list[str] = []

    def push_customer(self, party: ErpParty, company: str) -> str:
        self.calls.append("push_customer")
        return "7"

    def push_document(self, doc: ErpDocument) -> ErpRecord:
        self.calls.append("push_document")
        if self.fail is not None:
            raise self.fail
        self.held = ErpRecord("42")
        return self.held

    def find(self, kind: str, external_id: str) -> ErpRecord | None:
        self.calls.append("find")
        return self.held

    def confirm(self, kind: str, record: ErpRecord) -> ErpRecord:
        self.calls.append("confirm")
        return ErpRecord(record.erp_id)

    def payment_state(self, kind: str, erp_id: str) -> PaymentState:
        return PaymentState("not_paid")


class MemoryLog:
    def __init__(self, *earlier: str) -> None:
        self.rows = [{"id": i, "status": s} for i, s in enumerate(earlier)]

    def attempts(self, destination: str, external_id: str) -> list[dict[str, Any]]:
        return [dict(r) for r in self.rows]

    def begin_many(self, destination: str, docs: Sequence[tuple[str, str, str]],
                   now: datetime) -> list[tuple[int, list[str]]]:
        earlier = [r["status"] for r in self.rows]
        out = []
        for _ in docs:
            self.rows.append({"id": len(self.rows), "status": "sending"})
            out.append((len(self.rows) - 1, earlier))
        return out

    def finish_many(self, outcomes: Sequence[tuple[int, str, str | None, str | None]],
                    now: datetime) -> None:
        for attempt, status, erp_id, error in outcomes:
            self.rows[attempt].update(status=status, erp_id=erp_id, error=error)


def _registry(sink: FakeSink, log: MemoryLog) -> SinkRegistry:
    return SinkRegistry(lambda name: Destination(sink, Limits()) if name == "odoo" else None,
                        log, lambda: NOW)


def test_first_attempt_pushes_without_a_lookup() -> None:
    sink, log = FakeSink(), MemoryLog()
    assert _registry(sink, log).post("odoo", "k", DOC).erp_id == "42"
    assert sink.calls == ["push_customer", "push_document"]
    assert log.rows[-1]["status"] == "posted"


@pytest.mark.parametrize("earlier", ["sending", "unknown", "failed", "posted"])
def test_after_an_attempt_of_unknown_outcome_a_held_document_is_found_not_pushed(
        earlier: str) -> None:
    sink, log = FakeSink(held=ErpRecord("41", draft=True)), MemoryLog(earlier)
    assert _registry(sink, log).post("odoo", "k", DOC).erp_id == "41"
    assert sink.calls == ["find", "confirm"]  # left a draft: posted now, never created again
    assert log.rows[-1] == {"id": 1, "status": "found", "erp_id": "41", "error": None}


def test_after_an_unknown_outcome_a_missing_document_is_pushed() -> None:
    sink, log = FakeSink(), MemoryLog("unknown")
    _registry(sink, log).post("odoo", "k", DOC)
    assert sink.calls == ["find", "push_customer", "push_document"]


def test_after_a_refusal_there_is_nothing_to_look_up() -> None:
    sink, log = FakeSink(), MemoryLog("refused")
    _registry(sink, log).post("odoo", "k", DOC)
    assert sink.calls == ["push_customer", "push_document"]


def test_an_unknown_outcome_is_retried_and_recorded_as_such() -> None:
    sink, log = FakeSink(fail=UnknownOutcome("dropped")), MemoryLog()
    with pytest.raises(OutcomeUnknown):
        _registry(sink, log).post("odoo", "k", DOC)
    assert log.rows[-1]["status"] == "unknown"


def test_a_refusal_is_permanent_and_keeps_the_erps_message() -> None:
    sink, log = FakeSink(fail=Permanent("ValidationError: bad VAT")), MemoryLog()
    with pytest.raises(Permanent):
        _registry(sink, log).post("odoo", "k", DOC)
    assert (log.rows[-1]["status"], log.rows[-1]["error"]) == ("refused",
                                                               "ValidationError: bad VAT")


def test_an_unknown_destination_is_permanent() -> None:
    with pytest.raises(Permanent, match="no ERP profile"):
        _registry(FakeSink(), MemoryLog()).post("netsuite", "k", DOC)


def test_limits_hold_concurrency_per_destination() -> None:
    limits, inside, peak, lock = Limits(concurrency=2), [0], [0], threading.Lock()

    def call() -> None:
        with limits.slot():
            with lock:
                inside[0] += 1
                peak[0] = max(peak[0], inside[0])
            time.sleep(0.02)
            with lock:
                inside[0] -= 1

    threads = [threading.Thread(target=call) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=5)
    assert peak[0] == 2


def test_limits_space_requests_by_the_rate() -> None:
    waits: list[float] = []
    limits = Limits(concurrency=1, per_second=10, sleep=waits.append)
    for _ in range(5):
        with limits.slot():
            pass
    # no real sleep happened, so each start after the first waits about 0.1 s more
    assert len(waits) == 4 and all(0.05 < w <= 0.1 * (i + 1) + 0.01
                                   for i, w in enumerate(waits))


class FakeBatchSink(FakeSink):
    """A sink that takes several documents per request; ``refuse_post`` ids it will not post
    (a request holding one of them is refused whole, as Odoo rolls it back)."""

    def __init__(self, held: dict[str, ErpRecord], refuse_post: set[str]) -> None:
        super().__init__()
        self.held_many, self.refuse_post = held, refuse_post
        self.requests: list[tuple[str, int]] = []

    def find_many(self, kind: str, external_ids: Sequence[str]) -> dict[str, ErpRecord]:
        self.requests.append(("find", len(external_ids)))
        return {e: r for e, r in self.held_many.items() if e in external_ids}

    def create_many(self, docs: Sequence[ErpDocument]) -> list[ErpRecord]:
        self.requests.append(("create", len(docs)))
        return [ErpRecord(f"new-{d.external_id}", draft=True) for d in docs]

    def confirm_many(self, kind: str, records: Sequence[ErpRecord]) -> list[ErpRecord]:
        self.requests.append(("post", len(records)))
        if any(r.erp_id in self.refuse_post for r in records):
            raise Permanent("UserError: The move is not balanced.")
        return [ErpRecord(r.erp_id) for r in records]


def _doc(n: int) -> ErpDocument:
    return ErpDocument("journal_entry", f"hb:je:{n}", "1", "MISC", "EUR", date(2026, 11, 2),
                       ())


def test_a_chunk_goes_in_one_request_per_step_and_a_refusal_is_found_alone() -> None:
    # document 0: an earlier attempt's outcome is unknown and Odoo holds it as a draft;
    # document 2: Odoo will not post it
    sink = FakeBatchSink({"hb:je:0": ErpRecord("41", draft=True)}, {"new-hb:je:2"})
    log = MultiLog({"hb:je:0": ["unknown"]})
    registry = SinkRegistry(lambda name: Destination(sink, Limits(), per_request=20), log,
                            lambda: NOW)
    events = [{"id": f"k{n}", "data": {"destination": "odoo",
                                       "document": document_to_data(_doc(n))}}
              for n in range(4)]
    outcomes = registry.deliver_many(events)
    assert [o.erp_id if isinstance(o, ErpRecord) else type(o).__name__
            for o in outcomes] == ["41", "new-hb:je:1", "Permanent", "new-hb:je:3"]
    # one look-up (of the suspect only), one create, the post refused whole, then each alone
    assert sink.requests == [("find", 1), ("create", 3), ("post", 4)] + [("post", 1)] * 4
    assert log.finished == {"hb:je:0": "found", "hb:je:1": "posted",
                            "hb:je:2": "failed", "hb:je:3": "posted"}


class MultiLog:
    """The posting record for several documents: earlier statuses by external id."""

    def __init__(self, earlier: dict[str, list[str]]) -> None:
        self.earlier, self.ids, self.finished = earlier, {}, {}  # type: ignore[var-annotated]

    def attempts(self, destination: str, external_id: str) -> list[dict[str, Any]]:
        return []

    def begin_many(self, destination: str, docs: Sequence[tuple[str, str, str]],
                   now: datetime) -> list[tuple[int, list[str]]]:
        out = []
        for _, external_id, _ in docs:
            self.ids[len(self.ids)] = external_id
            out.append((len(self.ids) - 1, self.earlier.get(external_id, [])))
        return out

    def finish_many(self, outcomes: Sequence[tuple[int, str, str | None, str | None]],
                    now: datetime) -> None:
        for attempt, status, _, _ in outcomes:
            self.finished[self.ids[attempt]] = status
