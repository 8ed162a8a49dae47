"""Money is shown as money: the same small firm on SQLite and PostgreSQL gives the same CLI
``--json`` and API JSON strings, every amount in its currency's minor units, hours with two
decimals (README "Settings" / "Command line")."""

from __future__ import annotations

import difflib
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from hourbridge.api.app import create_app
from hourbridge.bootstrap import bootstrap
from hourbridge.cli.app import app
from hourbridge.config import Settings
from support.firm import small_firm_bundle

runner = CliRunner()
TWO_DECIMALS = re.compile(r"^-?\d+\.\d\d$")
MONEY_KEYS = {"net", "tax", "total", "amount", "debit", "credit", "balance",
              "functional_balance", "wip_relieved"}


def _cli(*args: str) -> Any:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _figures(tmp: Path, url: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setenv("HOURBRIDGE_DATABASE_URL", url)
    bundle = tmp / "firm.yaml"
    bundle.write_text(yaml.safe_dump(small_firm_bundle()))
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    assert runner.invoke(app, ["load", str(bundle)]).exit_code == 0
    times = tmp / "week.csv"
    times.write_text("external_id,employee,project,task,date,hours,notes\n"
                     "a1,E1,P1,DEV,2026-08-10,1.5,design\n"
                     "a2,E2,P1,DEV,2026-08-11,2,build\n"
                     "a3,E1,P1,DEV,2026-09-01,4,more\n")
    _cli("ingest", "--source", "harvest", str(times))
    out: dict[str, Any] = {
        "approve": _cli("approve", "--project", "P1", "--to", "2026-08-31"),
        "bill": _cli("bill", "--through", "2026-08-31"),
        "issue": _cli("invoices", "issue", "--all", "--date", "2026-09-01"),
    }
    assert runner.invoke(app, ["worker", "--once"]).exit_code == 0
    out["list"] = _cli("invoices", "list")
    out["show"] = _cli("invoices", "show", str(out["issue"]["issued"][0]["id"]))
    out["tb"] = _cli("ledger", "trial-balance")
    hb = bootstrap(Settings(database_url=url), upgrade=False)
    with TestClient(create_app(hb)) as client:
        wip = client.post("/v1/approvals", json={"actor": "pm", "project": "P1"})
        assert wip.status_code == 200, wip.text
        out["api_approve"] = wip.json()
        for name, path in (("api_list", "/v1/invoices"), ("api_tb", "/v1/journal/trial-balance"),
                           ("api_show", f"/v1/invoices/{out['show']['id']}")):
            r = client.get(path)
            assert r.status_code == 200, r.text
            out[name] = r.json()
    return out


def _amounts(data: Any, key: str = "") -> list[tuple[str, Any]]:
    if isinstance(data, dict):
        return [a for k, v in data.items() for a in _amounts(v, k)]
    if isinstance(data, list):
        return [a for v in data for a in _amounts(v, key)]
    return [(key, data)] if key in MONEY_KEYS or key in {"wip", "quantity_hours"} else []


@pytest.mark.postgres
def test_same_strings_in_minor_units_on_sqlite_and_postgresql(
        tmp_path: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    lite = _figures(tmp_path / "a", f"sqlite:///{tmp_path}/a/money.db", monkeypatch)
    pg = _figures(tmp_path / "b", postgres_url, monkeypatch)
    for name in lite:
        a, b = (json.dumps(x[name], indent=1).splitlines() for x in (lite, pg))
        assert a == b, (name, "\n".join(difflib.unified_diff(a, b, lineterm="", n=1)))
    shown = _amounts(lite)
    assert len(shown) > 30
    for key, value in shown:
        if isinstance(value, dict):  # wip: currency -> amount
            assert all(TWO_DECIMALS.match(v) for v in value.values()), (key, value)
        else:
            assert isinstance(value, str) and TWO_DECIMALS.match(value), (key, value)
    assert lite["api_approve"]["wip"] == {"EUR": "660.00"}
