"""Data minimization (issue 14 item 8) and event schemas on real traffic (item 7): the whole
demo runs on a bundle seeded with recognisable personal values (contact persons' names,
e-mails and phones, cost rates, the notes of every time entry); no log line (stdlib and
structlog, every level), no outbox event (what webhooks and NATS carry) and no exported span
shows any of them; and every event the demo emits is valid against its JSON Schema."""

from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import Iterator
from contextlib import redirect_stderr
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import structlog
from jsonschema import Draft202012Validator, FormatChecker
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from sqlalchemy import func, select

import hourbridge.cli.demo as demo
import hourbridge.demo as demo_package
from hourbridge.bootstrap import bootstrap
from hourbridge.config import Settings
from hourbridge.demo.firm import DemoFirm, TimeFile, generate_demo_firm
from hourbridge.domain.classification import CLASSIFIED, classified_values
from hourbridge.observability.logging import configure
from hourbridge.services.event_schemas import schema_of
from hourbridge.store import tables as t

NOTE = "Zqxnote"  # in every time entry's notes
RATE = "87.4321"  # every cost rate


def _seeded(firm: DemoFirm) -> DemoFirm:
    bundle = json.loads(json.dumps(firm.bundle))
    for emp in bundle["employees"]:
        for rate in emp.get("cost_rates", []):
            rate["rate"] = RATE
    for n, cust in enumerate(bundle["customers"]):
        cust["contact"] = {"name": f"Zqxname Person{n}", "email": f"zqxmail{n}@private.example",
                           "phone": f"+49 30 7771 {n:04d}"}
    return replace(firm, bundle=bundle, time_files=[_noted(tf) for tf in firm.time_files])


def _noted(tf: TimeFile) -> TimeFile:
    if tf.media_type == "application/json":
        rows = json.loads(tf.payload)
        for r in rows:
            r["notes"] = f"{NOTE} {r.get('notes', '')}"
        return replace(tf, payload=json.dumps(rows).encode())
    reader = csv.DictReader(io.StringIO(tf.payload.decode()))
    out = io.StringIO()
    writer = csv.DictWriter(out, reader.fieldnames or [], lineterminator="\n")
    writer.writeheader()
    for r in reader:
        writer.writerow({**r, "notes": f"{NOTE} {r['notes']}"})
    return replace(tf, payload=out.getvalue().encode())


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    folder: Path = tmp_path_factory.mktemp("minimization")
    spans = InMemorySpanExporter()
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):  # one provider per process: reuse one
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    provider.add_span_processor(SimpleSpanProcessor(spans))
    logs = io.StringIO()
    handler = logging.StreamHandler(logs)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    seeded: dict[str, DemoFirm] = {}
    was_configured, config = structlog.is_configured(), structlog.get_config()

    def generate(**kwargs: Any) -> DemoFirm:
        seeded["firm"] = _seeded(generate_demo_firm(**kwargs))
        return seeded["firm"]

    mp = pytest.MonkeyPatch()
    # the demo command imports the generator from its package when it runs
    mp.setattr(demo_package, "generate_demo_firm", generate)
    try:
        with redirect_stderr(logs):  # structlog writes to whatever stderr is now
            configure("DEBUG")
            hb = bootstrap(Settings(database_url=f"sqlite:///{folder}/demo.db"))
            demo.run_demo(hb, seed=7, show_progress=False)
            with hb.engine.connect() as conn:
                outbox = [p for (p,) in conn.execute(select(t.outbox.c.payload))]
                noted = conn.execute(select(func.count()).where(
                    t.time_entries.c.notes.contains(NOTE))).scalar_one()
            hb.close()
    finally:
        mp.undo()
        root.removeHandler(handler)
        root.setLevel(level)
        structlog.reset_defaults()  # as the other tests found it
        if was_configured:
            structlog.configure(**config)
    bundle = seeded["firm"].bundle
    yield {"bundle": bundle, "noted": noted, "logs": logs.getvalue(), "outbox": outbox,
           "spans": spans.get_finished_spans()}
    spans.clear()


def _span_text(span: Any) -> str:
    parts = [span.name, json.dumps(dict(span.attributes or {}), default=str)]
    parts += [e.name + json.dumps(dict(e.attributes or {}), default=str) for e in span.events]
    return "\n".join(parts)


def test_no_classified_value_in_logs_events_or_spans(run: dict[str, Any]) -> None:
    seeded = dict(classified_values(run["bundle"]))
    assert any(v == RATE for v in seeded.values())
    assert any("zqxmail" in v for v in seeded.values())
    markers = {NOTE: "time_entry.notes", RATE: "cost_rate.rate"} | {
        v: where for where, v in seeded.items()}
    places = {"logs": run["logs"],
              "outbox events": "\n".join(json.dumps(p) for p in run["outbox"]),
              "spans": "\n".join(_span_text(s) for s in run["spans"])}
    found = [f"{where} in {place}" for place, text in places.items()
             for value, where in markers.items() if value in text]
    print(f"data minimization: {len(markers)} seeded values of {len(CLASSIFIED)} classified "
          f"fields; scanned {run['logs'].count(chr(10))} log lines, {len(run['outbox'])} "
          f"events, {len(run['spans'])} spans; found {len(found)}", flush=True)
    assert run["noted"] > 1000  # the seeded notes went in with the entries
    assert run["outbox"] and run["spans"] and run["logs"]
    assert found == []


def test_every_event_the_demo_emits_matches_its_schema(run: dict[str, Any]) -> None:
    # a webhook delivery job carries the event it delivers
    events = [p["event"] if "subscription" in p else p for p in run["outbox"]]
    invalid: list[str] = []
    for event in events:
        schema = schema_of(event["type"])
        assert schema is not None, f"no schema for {event['type']}"
        validator = Draft202012Validator(schema, format_checker=FormatChecker())
        invalid += [f"{event['id']}: {e.message}" for e in validator.iter_errors(event)]
    types = sorted({e["type"] for e in events})
    print(f"event schemas: {len(events)} demo events of {types}, {len(invalid)} invalid",
          flush=True)
    assert events and invalid == []
