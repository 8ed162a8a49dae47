"""Database fixtures for every layer: SQLite always, PostgreSQL when its URL is set.

Each test gets a database of its own (created and dropped here), so tests never share state;
``database_url``'s is already at the schema head (``support.templates``). In CI
(``CI=true``) a PostgreSQL test that cannot connect fails instead of skipping.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from support.firm import small_firm_bundle
from support.templates import create_postgres, drop_templates, migrated_sqlite

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


def _postgres_database(migrated: bool) -> Iterator[str]:
    base = os.environ.get(PG_ENV)
    if not base:
        _unavailable(f"set {PG_ENV} to run PostgreSQL tests")
    assert base is not None
    import psycopg
    from sqlalchemy.engine import make_url

    name = f"hb_test_{uuid.uuid4().hex[:12]}"
    try:
        create_postgres(base, name, migrated)
    except psycopg.OperationalError as exc:
        _unavailable(f"cannot reach PostgreSQL at {base}: {exc}")
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    yield url
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A new, empty PostgreSQL database of the test's own."""
    yield from _postgres_database(migrated=False)


@pytest.fixture
def migrated_postgres_url() -> Iterator[str]:
    """A new PostgreSQL database of the test's own, at the schema head (a template's copy)."""
    yield from _postgres_database(migrated=True)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database of the test's own on each engine, at the schema head (``support.templates``:
    a migrated template's copy), or empty for a test marked ``empty_database``."""
    empty = request.node.get_closest_marker("empty_database") is not None
    if request.param == "sqlite":
        path = tmp_path / "hourbridge.db"
        return f"sqlite:///{path}" if empty else migrated_sqlite(path)
    return str(request.getfixturevalue("postgres_url" if empty else "migrated_postgres_url"))


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


def pytest_sessionfinish(session: pytest.Session) -> None:
    drop_templates()  # on every xdist worker too: its session ends here


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


# Scheduling on the xdist workers (``make test``: ``--dist loadscope``, a module's tests on
# one worker). The longest modules are handed out first, so the short modules fill in around
# them instead of one of them running alone at the end; in the two longest (a minute or two
# per test) each test is a unit of its own, so their two engines run side by side rather than
# one after the other.
SPLIT_MODULES = ("tests/e2e/test_api_fuzz.py", "tests/fault/test_erp_bulk_faults.py")
LONG_MODULES = (*SPLIT_MODULES, "tests/integration/test_erp_tryton.py",
                "tests/integration/test_billing_properties.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        module = item.nodeid.split("::", 1)[0]
        return LONG_MODULES.index(module) if module in LONG_MODULES else len(LONG_MODULES)

    items.sort(key=rank)  # stable: every other test keeps its order


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    if config.getoption("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class LongTestsAlone(LoadScopeScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            if nodeid.split("::", 1)[0] in SPLIT_MODULES:
                return nodeid
            return str(super()._split_scope(nodeid))

    return LongTestsAlone(config, log)


@pytest.fixture
def small_bundle() -> dict[str, Any]:
    return small_firm_bundle()
