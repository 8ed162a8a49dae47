"""``HOURBRIDGE_LOG_LEVEL`` decides what the structured logs show: the worker's per-event
lines (ids only, never payloads) appear at DEBUG and stay out at WARNING, also for a logger
already used before the level changed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from hourbridge.bootstrap import Hourbridge
from hourbridge.config import load_settings
from hourbridge.domain import commands as c
from hourbridge.observability.logging import configure


@pytest.fixture
def restore_level() -> Iterator[None]:
    yield
    configure("WARNING")


def approve_and_drain(hb: Hourbridge, ingest: object, external_id: str, day: int) -> None:
    ingest([(external_id, "E1", "P1", "DEV", f"2026-08-{day:02d}", "1",  # type: ignore[operator]
             "secret-notes")], name=f"{external_id}.csv")
    hb.handle(c.ApproveEntries(actor="pm", project="P1", date_to=date(2026, 8, 31)))
    assert hb.worker.drain().delivered >= 1


def test_the_level_from_the_environment_decides(
        loaded: Hourbridge, ingest: object, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch, restore_level: None) -> None:
    monkeypatch.setenv("HOURBRIDGE_LOG_LEVEL", "debug")
    settings = load_settings()
    configure(settings.log_level, json=True)
    approve_and_drain(loaded, ingest, "d1", 10)
    err = capsys.readouterr().err
    delivered = [ln for ln in err.splitlines() if '"event delivered"' in ln]
    assert delivered and '"level": "debug"' in delivered[0]
    assert '"key": "approval:' in delivered[0] and "secret-notes" not in err

    monkeypatch.setenv("HOURBRIDGE_LOG_LEVEL", "WARNING")
    configure(load_settings().log_level, json=True)
    approve_and_drain(loaded, ingest, "d2", 11)
    assert "event delivered" not in capsys.readouterr().err
