"""The command line's start-up (issue 16): registering the commands and printing help import
no framework a command only needs once it runs. Every command line pays for its imports before
it does anything (the bench's no-op `db upgrade` is in every CLI-timed figure), so the heavy
packages are imported inside the commands that use them; this guards that no module-level
import brings them back. Modules are counted, never timed: the result is the same on any
machine and under any load."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import hourbridge

SRC = Path(hourbridge.__file__).resolve().parents[1]

# the command line in a fresh interpreter, reporting which modules it imported
PROBE = """
import json, sys
from hourbridge.cli.app import app
try:
    app(sys.argv[2:], prog_name="hourbridge")
    code = 0
except SystemExit as exit:
    code = exit.code
with open(sys.argv[1], "w") as fh:
    json.dump({"code": code, "modules": sorted(sys.modules)}, fh)
"""

# what a command that runs may need, never what help needs
HEAVY = ("sqlalchemy", "alembic", "mako", "psycopg", "pydantic", "pydantic_settings",
         "fastapi", "starlette", "uvicorn", "opentelemetry", "prometheus_client", "structlog",
         "reportlab", "facturx", "pypdf", "PIL", "lxml", "pyarrow", "holidays", "httpx",
         "cryptography", "jwt", "nats", "yaml", "croniter", "calamine", "jinja2", "pycountry",
         "stdnum", "ijson")

# the only parts of hourbridge help may import: the commands, the pure domain (the names
# options and choices are drawn from), the errors, and the enum of document formats (the
# documents package itself loads its renderers on first use)
LIGHT = ("hourbridge.cli.", "hourbridge.domain", "hourbridge.errors",
         "hourbridge.documents.formats")
LIGHT_PACKAGES = {"hourbridge.cli", "hourbridge.documents", "hourbridge.observability"}


def probe(tmp_path: Path, *args: str, **env: str) -> dict[str, Any]:
    out = tmp_path / "modules.json"
    run_env = {**os.environ, "PYTHONPATH": str(SRC), **env}
    result = subprocess.run([sys.executable, "-c", PROBE, str(out), *args], cwd=tmp_path,
                            env=run_env, capture_output=True, text=True, timeout=120)
    assert out.exists(), result.stderr
    report: dict[str, Any] = json.loads(out.read_text())
    report["stdout"] = result.stdout
    return report


def heavy_in(modules: list[str]) -> set[str]:
    return {m.split(".")[0] for m in modules} & set(HEAVY)


@pytest.mark.parametrize("args", [["--help"], ["--version"], []])
def test_help_imports_no_framework(tmp_path: Path, args: list[str]) -> None:
    report = probe(tmp_path, *args)
    assert report["code"] == (2 if not args else 0)  # no arguments: help, exit 2
    assert heavy_in(report["modules"]) == set()
    ours = [m for m in report["modules"] if m.startswith("hourbridge.")]
    assert [m for m in ours if not m.startswith(LIGHT) and m not in LIGHT_PACKAGES] == []


# Below the top level, click runs the root callback before it reads the command's own
# --help: the settings are validated (a bad HOURBRIDGE_* variable is exit 2 even there) and
# the logs configured, so pydantic and structlog come along, and nothing else heavy.
CALLBACK = {"pydantic", "pydantic_settings", "structlog"}
CALLBACK_MODULES = ("hourbridge.config", "hourbridge.observability.logging",
                    "hourbridge.domain.classification")


@pytest.mark.parametrize("args", [
    ["db", "--help"], ["ingest", "--help"], ["bill", "--help"], ["export", "invoice", "--help"],
    ["kpis", "--help"], ["demo", "--help"], ["schedules", "--help"], ["worker", "--help"],
    ["serve", "--help"], ["invoices"],
])
def test_command_help_imports_only_the_settings(tmp_path: Path, args: list[str]) -> None:
    report = probe(tmp_path, *args)
    assert report["code"] == (2 if len(args) == 1 and args[0] == "invoices" else 0)
    assert "Usage" in report["stdout"]
    assert heavy_in(report["modules"]) <= CALLBACK
    ours = [m for m in report["modules"] if m.startswith("hourbridge.")]
    assert [m for m in ours if not m.startswith((*LIGHT, *CALLBACK_MODULES))
            and m not in LIGHT_PACKAGES] == []


def test_a_bad_setting_still_refuses_command_help(tmp_path: Path) -> None:
    report = probe(tmp_path, "ingest", "--help", HOURBRIDGE_LOG_LEVEL="LOUD")
    assert report["code"] == 2


def test_the_guard_sees_a_heavy_import(tmp_path: Path) -> None:
    """The probe is not blind: a command that runs does import the database layer."""
    report = probe(tmp_path, "schema", "export",
                   HOURBRIDGE_DATABASE_URL=f"sqlite:///{tmp_path}/s.db")
    assert report["code"] == 0 and '"$schema"' in report["stdout"]
    assert "pydantic" in heavy_in(report["modules"])


# What a command that opens a database at this code's schema never needs: Alembic (the schema
# is checked without it), the web stack, the documents, the KPIs' holidays, the warehouse's
# pyarrow, OpenTelemetry's SDK (tracing off), the ERP sinks.
NOT_FOR_A_CURRENT_DATABASE = ("alembic", "mako", "fastapi", "starlette", "uvicorn", "jinja2",
                              "prometheus_client", "reportlab", "facturx", "pypdf", "PIL",
                              "lxml", "holidays", "pyarrow", "nats", "croniter")


def test_a_no_op_upgrade_imports_no_migration_tooling(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/current.db"
    first = probe(tmp_path, "db", "upgrade", HOURBRIDGE_DATABASE_URL=url)
    assert first["code"] == 0 and "alembic" in first["modules"]  # it did migrate
    again = probe(tmp_path, "db", "upgrade", HOURBRIDGE_DATABASE_URL=url)
    assert again["code"] == 0 and again["stdout"] == first["stdout"]
    loaded = {m.split(".")[0] for m in again["modules"]}
    assert loaded & set(NOT_FOR_A_CURRENT_DATABASE) == set()
    assert "opentelemetry.sdk" not in again["modules"]
    assert [m for m in again["modules"] if m.startswith("hourbridge.connectors.")
            and m.split(".")[2] in ("odoo", "tryton", "netsuite", "business_central",
                                     "d365_fo", "oracle_fusion", "sap")] == []


# What a database command needs only when it uses it (the lazy composition root, issue 16):
# the trackers' HTTP connectors, Salesforce, the webhook sender (httpx, JWT, the secrets'
# crypto), the ERP sinks, parallel intake's process pool (a small file never starts one). A
# no-op `db upgrade` runs no use case either: not the table of them, intake validation or
# the file formats.
ADAPTER_PACKAGES = ("httpx", "jwt", "cryptography", "multiprocessing")
NEVER_ON_THE_DATABASE_PATH = ("hourbridge.connectors", "hourbridge.formats.bundle",
                              "hourbridge.formats.sheet")


def _loaded_under(modules: list[str], prefixes: tuple[str, ...]) -> list[str]:
    return [m for m in modules if m in prefixes or m.startswith(tuple(p + "." for p in prefixes))]


def test_a_no_op_upgrade_builds_no_adapter(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/current.db"
    assert probe(tmp_path, "db", "upgrade", HOURBRIDGE_DATABASE_URL=url)["code"] == 0
    again = probe(tmp_path, "db", "upgrade", HOURBRIDGE_DATABASE_URL=url)
    assert again["code"] == 0 and "schema at revision" in again["stdout"]
    assert "hourbridge.bootstrap" in again["modules"]  # it did open the application
    assert _loaded_under(again["modules"], (*NEVER_ON_THE_DATABASE_PATH, "hourbridge.formats",
                                            "hourbridge.services.handlers",
                                            "hourbridge.pipeline.parallel",
                                            *ADAPTER_PACKAGES, "yaml", "stdnum")) == []


def test_ingesting_a_csv_loads_its_reader_and_no_connector(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/ingest.db"
    assert probe(tmp_path, "db", "upgrade", HOURBRIDGE_DATABASE_URL=url)["code"] == 0
    csv = tmp_path / "time.csv"
    csv.write_text("external_id,employee,project,task,work_date,hours,notes\n"
                   "T1,E1,P1,DEV,2026-03-02,1.5,\n", encoding="utf-8")
    report = probe(tmp_path, "ingest", "--source", "sheet", str(csv), "--json",
                   HOURBRIDGE_DATABASE_URL=url)
    # no master data: the row is refused (exit 1), after the whole intake ran
    assert report["code"] == 1 and '"unknown_employee": 1' in report["stdout"]
    assert {"hourbridge.formats.timefile", "hourbridge.services.handlers"} <= set(
        report["modules"])
    assert _loaded_under(report["modules"], (*NEVER_ON_THE_DATABASE_PATH, *ADAPTER_PACKAGES,
                                             "python_calamine", "yaml", "stdnum")) == []
