"""``hourbridge alerts list|check``: the SLA and business alert rules, and which fire now."""

from __future__ import annotations

from typing import Annotated

import typer

from hourbridge.domain.alerts import MONITORS
from hourbridge.domain.commands import RaiseAlerts

from .options import JsonOpt
from .output import console, print_json, session, table

alerts_app = typer.Typer(help="SLA monitors and business alerts (rules in a YAML file).",
                         no_args_is_help=True)

RulesOpt = Annotated[str | None, typer.Option(
    "--rules", help="YAML file of rules (default: $HOURBRIDGE_ALERT_RULES, else the built-in "
    "rules).")]


@alerts_app.command("list")
def alerts_list(rules: RulesOpt = None, as_json: JsonOpt = False) -> None:
    """The rules in force: monitor, threshold and severity."""
    from hourbridge.observability.alerts import load_rules  # YAML, queries: not at start-up

    with session() as hb:
        found = load_rules(rules or hb.settings.alert_rules)
    rows = [{"name": r.name, "monitor": r.monitor, "threshold": str(r.threshold),
             "unit": r.unit, "severity": r.severity, "measures": MONITORS[r.monitor][1]}
            for r in found]
    if as_json:
        print_json(rows)
        return
    table("alert rules", ["name", "monitor", "threshold", "severity", "fires on"],
          [(r["name"], r["monitor"], f"{r['threshold']} {r['unit']}", r["severity"],
            r["measures"]) for r in rows])


@alerts_app.command("check")
def alerts_check(
    rules: RulesOpt = None,
    send: Annotated[bool, typer.Option(
        "--send", help="Also log them and queue them to the webhook subscriptions of "
        "hourbridge.alert.raised.v1 (as the worker does).")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Check every rule now; exit 1 when an alert fires (for cron and probes)."""
    from hourbridge.observability.alerts import AlertLog, check_alerts, load_rules

    with session() as hb:
        found = load_rules(rules or hb.settings.alert_rules)
        alerts = check_alerts(hb.queries, found, hb.clock())
        if send and alerts:
            AlertLog().update(alerts)
            hb.handle(RaiseAlerts(tuple(a.as_dict() for a in alerts)))
    if as_json:
        print_json({"rules": len(found), "firing": [a.as_dict() for a in alerts]})
    elif alerts:
        table("alerts firing", ["rule", "severity", "subject", "count", "message"],
              [(a.rule, a.severity, a.subject, a.count, a.message) for a in alerts])
    else:
        console.print(f"no alert: {len(found)} rules checked", highlight=False)
    if alerts:
        raise typer.Exit(1)
