"""Database fixtures for every layer: SQLite always, PostgreSQL when its URL is set.

Each PostgreSQL test gets a database of its own (created and dropped here), so tests never
share state. In CI (``CI=true``) a PostgreSQL test that cannot connect fails instead of skipping.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import settings

from support.firm import small_firm_bundle

PG_ENV = "HOURBRIDGE_TEST_POSTGRES_URL"

# Hypothesis: CI derandomises (the same examples on every run, so a red build is a real
# regression, never a seed); locally the default profile explores, and
# HYPOTHESIS_PROFILE=explore runs ten times the examples.
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.register_profile("explore", max_examples=1000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE")
                      or ("ci" if os.environ.get("CI", "").lower() == "true" else "default"))
_pg_results = {"passed": 0, "failed": 0, "skipped": 0}


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def _unavailable(reason: str) -> None:
    if _in_ci():
        pytest.fail(f"PostgreSQL required in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    base = os.environ.get(PG_ENV)
    if not base:
        _unavailable(f"set {PG_ENV} to run PostgreSQL tests")
    assert base is not None
    import psycopg
    from sqlalchemy.engine import make_url

    name = f"hb_test_{uuid.uuid4().hex[:12]}"
    try:
        with psycopg.connect(base, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        _unavailable(f"cannot reach PostgreSQL at {base}: {exc}")
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    yield url
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: object) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/hourbridge.db"
    return str(request.getfixturevalue("postgres_url"))


# What tests print on purpose (fault figures, "lost 0 duplicated 0", what Tryton holds, the
# authorization matrix...) is listed at the end of the run. Read from each report's captured
# stdout, in the process that reports: with pytest-xdist the workers' prints arrive there too.
_FIGURES: list[str] = []
FIGURE_LINES_PER_TEST, FIGURE_LINE_CHARS = 12, 300


def _keep_figures(report: pytest.TestReport) -> None:
    if report.when != "call" or not report.passed or not report.capstdout:
        return
    name = report.nodeid.split("::", 1)[-1]
    lines = [ln.strip() for ln in report.capstdout.splitlines() if ln.strip()]
    for line in lines[:FIGURE_LINES_PER_TEST]:
        _FIGURES.append(f"{name}: {line[:FIGURE_LINE_CHARS]}")


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    _keep_figures(report)
    if "postgres" not in report.keywords:
        return
    if report.when == "call":  # a skip inside the test (a missing tool) is no failure
        _pg_results["passed" if report.passed else "skipped" if report.skipped
                    else "failed"] += 1
    elif report.when == "setup" and not report.passed:
        _pg_results["skipped" if report.skipped else "failed"] += 1


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _FIGURES:
        terminalreporter.section("figures the tests printed")
        for line in _FIGURES:
            terminalreporter.write_line(line)
    r = _pg_results
    ran = r["passed"] + r["failed"]
    terminalreporter.write_line(
        f"PostgreSQL: {ran} tests ran ({r['passed']} passed, {r['failed']} failed, "
        f"{r['skipped']} skipped)" + ("" if os.environ.get(PG_ENV) else f"; {PG_ENV} not set")
    )


@pytest.fixture
def small_bundle() -> dict[str, Any]:
    return small_firm_bundle()
