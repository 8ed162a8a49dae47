"""``hourbridge erp``: ERP profiles, pushing issued documents to the ERPs, and the posting
record (what was posted where, with the ERP's id)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

from hourbridge.domain import commands as c
from hourbridge.errors import InvalidInput

from .options import JsonOpt
from .output import console, print_json, session, table

erp_app = typer.Typer(help="ERP sinks: profiles, push, postings, customers, projects, check.",
                       no_args_is_help=True)
profiles_app = typer.Typer(help="ERP profiles (the erp_profiles section).",
                           no_args_is_help=True)
erp_app.add_typer(profiles_app, name="profiles")
payments_app = typer.Typer(help="Payments read back from the ERPs.", no_args_is_help=True)
erp_app.add_typer(payments_app, name="payments")

EntityOpt = Annotated[str | None, typer.Option("--entity", help="Only this legal entity.")]
DestinationOpt = Annotated[str | None, typer.Option("--destination",
                                                    help="Only this ERP destination.")]


@profiles_app.command("load")
def profiles_load(
    file: Annotated[Path, typer.Argument(help="YAML or JSON with an erp_profiles section.")],
    as_json: JsonOpt = False,
) -> None:
    """Check and store ERP profiles, all or none; a problem names its field."""
    from hourbridge.formats.erp_profiles import parse_erp_profiles  # pydantic: not at start-up

    with session() as hb:
        profiles, origins, problems = parse_erp_profiles(file)
        if problems:
            raise InvalidInput(f"nothing loaded: {len(problems)} problem(s)", list(problems))
        count = hb.handle(c.LoadErpProfiles(tuple(profiles), tuple(origins)))
        if as_json:
            print_json({"profiles": count})
        else:
            console.print(f"{count} ERP profile(s) loaded")


@erp_app.command("push")
def push(entity: EntityOpt = None, destination: DestinationOpt = None,
         queue_only: Annotated[bool, typer.Option(
             "--queue-only", help="Queue the documents; leave delivery to the worker.")] = False,
         as_json: JsonOpt = False) -> None:
    """Queue every issued document for the ERPs its entity's profiles name (once per
    document and ERP), then deliver what is due."""
    with session() as hb:
        report = hb.handle(c.QueueErpPush(entity, destination))
        if not queue_only:
            report["delivery"] = hb.worker.drain().as_dict()
        if as_json:
            print_json(report)
            return
        console.print(f"queued {report['queued']} (already queued {report['already_queued']})"
                      f" for {', '.join(report['destinations']) or 'no destination'}")
        if "delivery" in report:
            d = report["delivery"]
            console.print(f"delivered {d['delivered']}, retried {d['retried']}, "
                          f"dead {d['dead']}")


@erp_app.command("postings")
def postings(destination: DestinationOpt = None,
             external_id: Annotated[str | None, typer.Option(
                 "--external-id", help="Only the attempts for this document.")] = None,
             as_json: JsonOpt = False) -> None:
    """Each attempt to post each document: where, the ERP's id, and what came of it."""
    with session() as hb:
        rows = hb.handle(c.ShowErpPostings(destination, external_id))
        if as_json:
            print_json(rows)
            return
        table("ERP postings", ["destination", "kind", "external id", "attempt", "status",
                               "ERP id", "error"],
              [(r["destination"], r["kind"], r["external_id"], r["attempt"], r["status"],
                r["erp_id"], (r["error"] or "")[:60]) for r in rows], right=["attempt"])


@dataclass(frozen=True)
class _MapKind:
    """What differs between the customer and the project identity map's commands."""

    name: str  # customer, project
    pull: type[c.PullErpCustomers] | type[c.PullErpProjects]
    show: type[c.ShowErpIdentity] | type[c.ShowErpProjects]
    rules: str  # the matching rules after "our external id"
    missing: str  # what the pull says of ours the ERP does not hold
    title: str


def _map_commands(kind: _MapKind) -> typer.Typer:
    """``hourbridge erp customers|projects pull|list``: one pair of commands per map kind."""
    plural = kind.name + "s"
    app = typer.Typer(help=f"The ERP's {plural} and our identity map.", no_args_is_help=True)

    def pull(destination: Annotated[str, typer.Argument(help="The ERP destination to read.")],
             as_json: JsonOpt = False) -> None:
        with session() as hb:
            report = hb.handle(kind.pull(destination))
            if as_json:
                print_json(report)
                return
            by = ", ".join(f"{k} {v}" for k, v in report["matched_by"].items()) or "none"
            console.print(f"{destination}: {report['erp_' + plural]} {kind.name}(s) in the ERP, "
                          f"{report['matched']} of ours matched ({by})")
            if report["missing"]:
                console.print(f"{kind.missing}: {', '.join(report['missing'])}")
            for line in report["ambiguous"]:
                console.print(f"ambiguous: {line}")

    def show(destination: DestinationOpt = None, as_json: JsonOpt = False) -> None:
        with session() as hb:
            rows = hb.handle(kind.show(destination))
            if as_json:
                print_json(rows)
                return
            table(kind.title, ["destination", kind.name, "ERP id", "matched by", "ERP name"],
                  [(r["destination"], r[kind.name], r["erp_id"], r["matched_by"], r["erp_name"])
                   for r in rows])

    pull.__doc__ = (f"Read the ERP's {plural} into the identity map: by our external id, else "
                    f"{kind.rules}; an ambiguous one is reported (and queued as an exception), "
                    "never guessed.")
    show.__doc__ = (f"The identity map: our {kind.name}, the ERP's id, and the rule that "
                    "matched it.")
    app.command("pull")(pull)
    app.command("list")(show)
    return app


erp_app.add_typer(_map_commands(_MapKind(
    "customer", c.PullErpCustomers, c.ShowErpIdentity, "VAT id, else exact name",
    "not in the ERP yet (created with their first invoice)", "ERP identity map")),
    name="customers")
erp_app.add_typer(_map_commands(_MapKind(
    "project", c.PullErpProjects, c.ShowErpProjects, "code, else exact name", "not in the ERP",
    "ERP projects")), name="projects")


@erp_app.command("check")
def check(entity: Annotated[str, typer.Argument(help="The legal entity whose profiles to "
                                                     "check.")],
          destination: DestinationOpt = None, as_json: JsonOpt = False) -> None:
    """Ask each ERP whether it has what the entity's profile names (company, journals,
    accounts, tax codes, items); exit 1 when something is missing, 0 when ready."""
    with session() as hb:
        report = hb.handle(c.CheckErp(entity, destination))
    if as_json:
        print_json(report)
    else:
        for d in report["destinations"]:
            if not d["missing"]:
                console.print(f"{d['destination']} ({d['system']}): ready")
            for line in d["missing"]:
                console.print(f"{d['destination']} ({d['system']}): missing: {line}")
    if not report["ready"]:
        raise typer.Exit(1)
@payments_app.command("pull")
def payments_pull(
    destination: Annotated[str | None, typer.Argument(
        help="Only this ERP destination (default: every one).")] = None,
    queue: Annotated[bool, typer.Option(
        "--queue", help="Queue the pull for the worker (a schedule's hook) instead.")] = False,
    slot: Annotated[str | None, typer.Option(
        "--slot", help="With --queue: the schedule's run (e.g. 2026-12-06T06); the same slot "
        "queues once.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Read the payment state of every invoice and credit note posted to the ERPs and record
    each payment once; an invoice paid in full becomes paid. Exit 1 if an ERP could not
    answer for some (what the others answered is kept)."""
    with session() as hb:
        if queue:
            added = hb.handle(c.QueuePaymentsPull(destination, slot))
            if as_json:
                print_json({"queued": added})
            else:
                console.print("payments pull queued for the worker" if added
                              else "already queued for this slot")
            return
        report = hb.handle(c.PullErpPayments(destination))
        if as_json:
            print_json(report)
        else:
            console.print(
                f"{report['documents']} document(s) on "
                f"{', '.join(report['destinations']) or 'no destination'}: "
                + (", ".join(f"{n} {s}" for s, n in report["states"].items()) or "none read")
                + f"; {report['payments_recorded']} payment(s) recorded, "
                f"{report['already_recorded']} already recorded, {report['marked_paid']} "
                "invoice(s) now paid")
            for f in report["failed"]:
                console.print(f"[red]{f['destination']} invoice {f['invoice']}: "
                              f"{f['error']}[/red]")
        if report["failed"]:
            raise typer.Exit(1)
