"""Entry point: ``hourbridge --help``.

Creates the typer app and registers the commands of one module per command group. Typer lists
the top-level commands first, then the groups, each in the order registered here.
"""

from __future__ import annotations

from typing import Annotated

import typer

from hourbridge import __version__

from . import (
    alerts,
    aliases,
    audit,
    billing,
    connections,
    contracts,
    corrections,
    db,
    deals,
    delivery,
    demo,
    entries,
    erp,
    exceptions,
    expenses,
    export,
    holds,
    inbox,
    intake,
    intercompany,
    invoices,
    keys,
    kpis,
    ledger,
    mapping,
    masterdata,
    receivables,
    reconcile,
    revenue,
    schedules,
    server,
    trace,
    webhooks,
)
from .output import cli_errors

app = typer.Typer(help="Hourbridge: from the billable hour to the booked invoice.",
                  no_args_is_help=True, add_completion=False)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"hourbridge {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[bool, typer.Option(
        "--version", "-V", callback=_version, is_eager=True,
        help="Print the version and exit.")] = False,
) -> None:
    """Hourbridge: from the billable hour to the booked invoice."""
    # Imported here, not at the top: `--help` and `--version` never reach this callback and
    # need neither pydantic nor structlog (start-up, issue 16).
    from hourbridge.config import load_settings
    from hourbridge.observability.logging import configure as configure_logging

    with cli_errors():
        settings = load_settings()
    configure_logging(settings.log_level, json=settings.log_format == "json")

app.add_typer(db.db_app, name="db")
app.add_typer(db.schema_app, name="schema")
app.add_typer(entries.entries_app, name="entries")
app.add_typer(invoices.invoices_app, name="invoices")
app.add_typer(exceptions.exceptions_app, name="exceptions")
app.add_typer(delivery.deadletters_app, name="deadletters")
app.add_typer(ledger.ledger_app, name="ledger")
app.add_typer(export.export_app, name="export")
app.add_typer(holds.holds_app, name="holds")
app.add_typer(contracts.contracts_app, name="contracts")
app.add_typer(revenue.revenue_app, name="revenue")
app.add_typer(expenses.expenses_app, name="expenses")
app.add_typer(intercompany.intercompany_app, name="intercompany")
app.add_typer(corrections.corrections_app, name="corrections")
app.add_typer(inbox.inbox_app, name="inbox")
app.add_typer(keys.keys_app, name="keys")
app.add_typer(connections.connections_app, name="connections")
app.add_typer(erp.erp_app, name="erp")
app.add_typer(receivables.receivables_app, name="receivables")
app.add_typer(mapping.mapping_app, name="mapping")
app.add_typer(webhooks.webhooks_app, name="webhooks")
app.add_typer(audit.audit_app, name="audit")
app.add_typer(alerts.alerts_app, name="alerts")
app.add_typer(aliases.aliases_app, name="aliases")
app.add_typer(schedules.schedules_app, name="schedules")
app.add_typer(deals.deals_app, name="deals")

app.command("load")(masterdata.load)
app.command("ingest")(intake.ingest)
app.command("trace")(trace.trace)
app.command("kpis")(kpis.kpis)
app.command("reconcile")(reconcile.reconcile)
app.command("sync")(connections.sync)
app.command("approve")(entries.approve)
app.command("reject")(entries.reject)
app.command("adjust")(entries.adjust)
app.command("bill")(billing.bill)
app.command("worker")(delivery.worker)
app.command("serve")(server.serve)
app.command("demo")(demo.demo)
