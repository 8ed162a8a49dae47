"""Integration fixtures: a bootstrapped Hourbridge on each database, and a loaded small firm."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from hourbridge.bootstrap import Hourbridge, bootstrap
from hourbridge.config import Settings
from hourbridge.domain import commands as c
from hourbridge.formats import BundleDocument, to_domain
from hourbridge.formats.timefile import TimeFile
from support.einvoice import Validator

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


class FixedClock:
    def __init__(self, at: datetime = NOW) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture
def cli_db(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """The command line's database is the test's (``export invoice`` and others read it)."""
    monkeypatch.setenv("HOURBRIDGE_DATABASE_URL", database_url)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture(scope="session")
def validator() -> Validator:
    """E-invoice schemas parsed and both rule sets compiled once per test session."""
    return Validator()


@pytest.fixture
def hb(database_url: str) -> Iterator[Hourbridge]:
    app = bootstrap(Settings(database_url=database_url), clock=FixedClock())
    yield app
    app.close()


def load(hb: Hourbridge, bundle: dict[str, Any]) -> Any:
    return hb.handle(c.LoadMasterData(
        to_domain([("test", BundleDocument.model_validate(bundle))]))).counts


def csv_payload(rows: list[tuple[Any, ...]],
                header: str = "external_id,employee,project,task,date,hours,notes") -> bytes:
    lines = [header] + [",".join(str(v) for v in row) for row in rows]
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture
def load_bundle(hb: Hourbridge) -> Callable[[dict[str, Any]], Any]:
    return lambda bundle: load(hb, bundle)


@pytest.fixture
def loaded(hb: Hourbridge, small_bundle: dict[str, Any]) -> Hourbridge:
    load(hb, small_bundle)
    return hb


@pytest.fixture
def ingest(hb: Hourbridge) -> Callable[..., Any]:
    def _ingest(rows: list[tuple[Any, ...]], name: str = "t.csv", source: str = "harvest") -> Any:
        payload = TimeFile.from_bytes(name, "text/csv", csv_payload(rows))
        return hb.handle(c.IngestTimeEntries(source, payload))
    return _ingest
