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
from typer.testing import CliRunner

from hourbridge.bootstrap import bootstrap
from hourbridge.cli.app import app
from hourbridge.config import Settings
from support.api import api_client
from support.firm import small_firm_bundle

runner = CliRunner()
TWO_DECIMALS = re.compile(r"^-?\d+\.\d\d$")
WHOLE = re.compile(r"^-?\d+$")
MONEY_KEYS = {"net", "tax", "total", "amount", "debit", "credit", "balance",
              "functional_balance", "wip_relieved"}


def _with_yen(bundle: dict[str, Any]) -> dict[str, Any]:
    """The small firm plus a Japanese entity billing in yen (no minor unit)."""
    bundle["entities"].append({"code": "JP", "name": "Rei KK", "country": "JP",
                               "currency": "JPY", "invoice_prefix": "JP",
                               "tax_rates": {"standard": "10"}})
    bundle["customers"].append({"id": "TOKYO", "name": "Tokyo KK", "entity": "JP",
                                "currency": "JPY", "country": "JP"})
    bundle["employees"].append({"id": "J1", "entity": "JP", "role": "senior"})
    bundle["contracts"].append({
        "id": "K2", "customer": "TOKYO", "entity": "JP", "currency": "JPY",
        "start_date": "2026-07-01",
        "versions": [{"version": 1, "effective_from": "2026-07-01",
                      "rounding": {"increment_minutes": 15, "mode": "up"}}]})
    bundle["projects"].append({
        "code": "P2", "name": "Tokyo rollout", "customer": "TOKYO", "entity": "JP",
        "contract": "K2", "tasks": [{"code": "DEV", "name": "Development"}],
        "assignments": [{"employee": "J1", "valid_from": "2026-07-01"}]})
    bundle["rate_cards"].append({
        "id": "K2-JPY", "scope": "contract", "scope_id": "K2", "currency": "JPY",
        "rows": [{"id": "senior", "role": "senior", "rate": "18333.33",
                  "valid_from": "2026-01-01"}]})
    return bundle


def _cli(*args: str) -> Any:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _figures(tmp: Path, url: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setenv("HOURBRIDGE_DATABASE_URL", url)
    bundle = tmp / "firm.yaml"
    bundle.write_text(yaml.safe_dump(_with_yen(small_firm_bundle())))
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    loaded = runner.invoke(app, ["load", str(bundle)])
    assert loaded.exit_code == 0, loaded.output
    times = tmp / "week.csv"
    times.write_text("external_id,employee,project,task,date,hours,notes\n"
                     "a1,E1,P1,DEV,2026-08-10,1.5,design\n"
                     "a2,E2,P1,DEV,2026-08-11,2,build\n"
                     "a3,E1,P1,DEV,2026-09-01,4,more\n"
                     "j1,J1,P2,DEV,2026-08-12,2.25,yen\n")
    _cli("ingest", "--source", "harvest", str(times))
    out: dict[str, Any] = {
        "approve": _cli("approve", "--to", "2026-08-31"),
        "bill": _cli("bill", "--through", "2026-08-31"),
        "issue": _cli("invoices", "issue", "--all", "--issue-date", "2026-09-01"),
    }
    assert runner.invoke(app, ["worker", "--once"]).exit_code == 0
    out["list"] = _cli("invoices", "list")
    out["show"] = _cli("invoices", "show", str(out["issue"]["issued"][0]["id"]))
    out["tb"] = _cli("ledger", "trial-balance")
    hb = bootstrap(Settings(database_url=url), upgrade=False)
    with api_client(hb) as client:
        wip = client.post("/v1/approvals", json={"actor": "pm", "project": "P1"})
        assert wip.status_code == 200, wip.text
        out["api_approve"] = wip.json()
        for name, path in (("api_list", "/v1/invoices"), ("api_tb", "/v1/journal/trial-balance"),
                           ("api_show", f"/v1/invoices/{out['show']['id']}")):
            r = client.get(path)
            assert r.status_code == 200, r.text
            out[name] = r.json()
    return out


def _amounts(data: Any, key: str = "", cur: str = "") -> list[tuple[str, str, Any]]:
    """(key, currency, value) of every amount and hours figure in ``data``."""
    if isinstance(data, dict):
        here = data.get("currency", cur)
        out = []
        for k, v in data.items():
            if k == "wip":  # currency -> amount
                out += [(k, c, a) for c, a in v.items()]
            else:
                out += _amounts(v, k, data.get("functional_currency", here)
                                if k.startswith("functional_") else here)
        return out
    if isinstance(data, list):
        return [a for v in data for a in _amounts(v, key, cur)]
    return [(key, cur, data)] if key in MONEY_KEYS or key == "quantity_hours" else []


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
    assert {cur for _, cur, _ in shown} == {"EUR", "JPY"}
    for key, cur, value in shown:
        pattern = WHOLE if cur == "JPY" and key != "quantity_hours" else TWO_DECIMALS
        assert isinstance(value, str) and pattern.match(value), (key, cur, value)
    assert lite["api_approve"]["wip"] == {"EUR": "660.00"}
    yen = [i for i in lite["api_list"]["items"] if i["currency"] == "JPY"]
    assert [(i["net"], i["total"]) for i in yen] == [("41250", "41250")]
