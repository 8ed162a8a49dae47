"""``python -m bench``: run the benchmarks, each beside its limit, and print the summary.

    python -m bench                       # all scenarios at 1,000,000 entries
    python -m bench ingest --entries 20000 --db sqlite
    python -m bench summary [--json]
    python -m bench all --sizes 10000,100000,1000000   # issue 16's table at each size
    python -m bench table [--baseline DIR]              # that table again, from the results

See bench/README.md.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from pathlib import Path
from types import ModuleType
from typing import Any

from . import summary, table
from .common import (
    DEFAULT_WORKDIR,
    Context,
    err,
    failed,
    log,
    now_iso,
    postgres_url_from_env,
    write_result,
)
from .generate import ensure_dataset
from .scenarios import (
    api,
    approval,
    billing,
    billing_incremental,
    expenses,
    ingest,
    issuing,
    kpis,
    memory,
    peer,
    posting,
    sync,
)

SCENARIOS: dict[str, ModuleType] = {"ingest": ingest, "expenses": expenses, "billing": billing,
                                    "issuing": issuing,
                                    "api": api, "memory": memory, "sync": sync,
                                    "approval": approval, "kpis": kpis, "posting": posting,
                                    "billing-incremental": billing_incremental}
COMMANDS = ("all", *SCENARIOS, "peer", "summary", "table", "generate")


def _entries(text: str) -> int:
    value = int(text.replace(",", ""))
    if value < 100:
        raise argparse.ArgumentTypeError("at least 100 entries")
    return value


def _sizes(text: str) -> tuple[int, ...]:
    try:
        values = tuple(_entries(x.strip()) for x in text.split(",") if x.strip())
    except ValueError:
        raise argparse.ArgumentTypeError("a comma-separated list of entry counts, each "
                                         ">= 100, e.g. 10000,100000,1000000") from None
    if not values:
        raise argparse.ArgumentTypeError("at least one size")
    return tuple(sorted(set(values)))


def _scenarios(text: str) -> tuple[str, ...]:
    names = tuple(x.strip() for x in text.split(",") if x.strip())
    unknown = [n for n in names if n not in SCENARIOS and n != "peer"]
    if not names or unknown:
        raise argparse.ArgumentTypeError(
            f"scenarios among {', '.join([*SCENARIOS, 'peer'])}"
            + (f" (not {', '.join(unknown)})" if unknown else ""))
    return names


def _clients(text: str) -> tuple[int, ...]:
    try:
        values = tuple(int(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise argparse.ArgumentTypeError("a comma-separated list of client counts") from None
    if not values or any(v < 1 for v in values):
        raise argparse.ArgumentTypeError("client counts are positive")
    return values


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--entries", type=_entries, default=1_000_000, metavar="N",
                        help="time entries to generate; the firm scales with it "
                             "(default 1,000,000)")
    common.add_argument("--sizes", type=_sizes, default=None, metavar="LIST",
                        help="run at each of these entry counts in turn (e.g. "
                             "10000,100000,1000000; instead of --entries); `all` then ends "
                             "with issue 16's table (bench/results/table.md)")
    common.add_argument("--only", type=_scenarios, default=None, metavar="LIST",
                        help="with `all`: only these scenarios (e.g. "
                             "ingest,billing,issuing,billing-incremental,approval,peer: "
                             "issue 16's table)")
    common.add_argument("--db", choices=("sqlite", "postgres", "both"), default=None,
                        help="databases to run on (default: sqlite, plus postgres when "
                             "HOURBRIDGE_BENCH_POSTGRES_URL or HOURBRIDGE_TEST_POSTGRES_URL "
                             "is set)")
    common.add_argument("--seed", type=int, default=42, help="generator seed (default 42)")
    common.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR,
                        help="generated data, SQLite files and logs (default bench/.work)")
    common.add_argument("--keep", action="store_true",
                        help="keep the benchmark databases afterwards (default: drop them)")
    common.add_argument("--api-clients", type=_clients, default=(1, 2), metavar="LIST",
                        help="API runs, by number of concurrent clients (default 1,2)")
    common.add_argument("--api-batch", type=int, default=1000, metavar="N",
                        help="entries per API request (default 1000)")
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Hourbridge benchmarks, each measured beside its limit in the same run. "
                    "Results go to bench/results/<scenario>-<db>.json.",
        epilog="Without a command, `all` runs. Every command takes --entries, --db, --seed, "
               "--workdir (see `python -m bench all --help`).")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    helps = {
        "all": "every scenario on every database, then the summary (default)",
        "ingest": "CSV and JSON ingest vs a raw executemany / COPY of the same rows",
        "expenses": "expense CSV ingest vs a raw executemany / COPY of the same rows",
        "billing": "billing run vs SQL SUM(hours*rate) GROUP BY contract, month",
        "issuing": "invoices issue --all over every draft of a billing run, ms per invoice",
        "api": "POST /v1/time-entries in batches through a real server vs CLI ingest",
        "memory": "peak RSS of ingest (goal <= 300 MB at 1,000,000 entries)",
        "approval": "approving 100 new entries after N stored vs a plain UPDATE of them",
        "billing-incremental": "billing 100 new entries after N invoiced vs SQL SUM GROUP BY",
        "sync": "hourbridge sync from a loopback Harvest imitation vs ingest of the same rows",
        "posting": "ERP posting by 1, 2, 4 workers to a 20 ms Odoo imitation vs the "
                   "latency-bound rate",
        "peer": "Tryton on the same kind of invoices (bench/peer_tryton.py, PostgreSQL)",
        "kpis": "each KPI query (hourbridge kpis) timed alone, goal < 1 s each",
        "generate": "only generate (or find) the data set and print its manifest",
    }
    for name, text in helps.items():
        sub.add_parser(name, parents=[common], help=text, description=text)
    s = sub.add_parser("summary", help="print the table of bench/results/*.json",
                       description="print the table of bench/results/*.json")
    s.add_argument("--json", action="store_true", help="print JSON instead of a table")
    tb = sub.add_parser("table", help="print issue 16's table of bench/results/sizes/",
                        description="print issue 16's table (every row at every size, goal, "
                                    "met) from bench/results/sizes/<N>/*.json")
    tb.add_argument("--sizes", type=_sizes, default=None, metavar="LIST",
                    help="the sizes to show (default: every size stored)")
    tb.add_argument("--baseline", type=Path, default=None, metavar="DIR",
                    help="an earlier run's sizes folder: a before column beside each size")
    tb.add_argument("--json", action="store_true", help="print JSON instead of markdown")
    return parser


def _databases(choice: str | None, pg_url: str | None) -> list[str]:
    if choice is None:
        return ["sqlite", "postgres"] if pg_url else ["sqlite"]
    if choice in ("postgres", "both") and not pg_url:
        raise SystemExit("--db postgres needs HOURBRIDGE_BENCH_POSTGRES_URL "
                         "(or HOURBRIDGE_TEST_POSTGRES_URL), e.g. "
                         "postgresql://postgres@127.0.0.1:5432/postgres")
    return ["sqlite", "postgres"] if choice == "both" else [choice]


def run_units(ctx: Context, modules: list[ModuleType], kinds: list[str]) -> tuple[bool, list]:
    """Run every unit of ``modules`` on every database kind; write each result."""
    ok = True
    produced: list[dict[str, Any]] = []
    for module in modules:
        for name, fn, goal in module.UNITS:
            for kind in kinds:
                started = now_iso()
                try:
                    out = fn(ctx, kind)
                except KeyboardInterrupt:
                    raise
                except Exception as exc:
                    ok = False
                    err.print(f"[red]{name} on {kind} failed:[/red] {exc}", highlight=False)
                    traceback.print_exc()
                    out = failed(name, kind, ctx.entries, started, exc, goal)
                for res in out if isinstance(out, list) else [out]:
                    write_result(res)
                    produced.append(res)
    return ok, produced


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not any(a in COMMANDS for a in argv) and not {"-h", "--help"} & set(argv):
        argv.insert(0, "all")
    args = build_parser().parse_args(argv)
    if args.command == "summary":
        return summary.main(as_json=args.json)
    if args.command == "table":
        return table.main(list(args.sizes or ()), args.baseline, as_json=args.json)
    if args.sizes:
        return _at_sizes(args)
    return _run(args, args.entries)


def _at_sizes(args: argparse.Namespace) -> int:
    """The command at each size in turn (the peer once), then issue 16's table."""
    worst, ran_peer = 0, False
    for n in args.sizes:
        # the peer runs on at most 10,000 entries: once, with the first size
        worst = max(worst, _run(args, n, with_peer=not ran_peer))
        ran_peer = True
    if args.command == "all":
        table.main(list(args.sizes), write=True)
        log(f"issue 16's table: {table.TABLE_FILE}")
    return worst


def _run(args: argparse.Namespace, entries: int, with_peer: bool = True) -> int:
    pg_url = postgres_url_from_env()
    workdir: Path = args.workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    ctx = Context(entries=entries, seed=args.seed, workdir=workdir,
                  databases=_databases(args.db, pg_url), postgres_url=pg_url, keep=args.keep,
                  api_clients=args.api_clients, api_batch=args.api_batch)
    if args.command == "generate":
        ds = ensure_dataset(workdir, ctx.entries, ctx.seed, log)
        import json

        sys.stdout.write(json.dumps({"directory": str(ds.directory), **ds.manifest},
                                    indent=2) + "\n")
        return 0
    log(f"{ctx.entries:,} entries, seed {ctx.seed}, databases {', '.join(ctx.databases)}, "
        f"workdir {workdir}")
    _ = ctx.dataset  # generate (or reuse) before anything is timed
    try:
        return _run_scenarios(args, ctx, with_peer)
    finally:
        if ctx.stages is not None:
            ctx.stages.drop()  # the set-up saved for this size (bench/stages.py)


def _run_scenarios(args: argparse.Namespace, ctx: Context, with_peer: bool) -> int:
    if args.command == "all":
        chosen = args.only or (*SCENARIOS, "peer")
        ok, _ = run_units(ctx, [m for n, m in SCENARIOS.items() if n in chosen], ctx.databases)
        ok_peer = True
        if "peer" not in chosen:
            log("peer skipped: not in --only")
        elif not with_peer:
            log("peer already run at an earlier size (it uses at most 10,000 entries)")
        elif "postgres" in ctx.databases or not ctx.postgres_url:
            ok_peer, _ = run_units(ctx, [peer], ["postgres"])
        else:
            log("peer skipped: it runs on PostgreSQL, and --db excludes it")
        summary.main(write=True)
        return 0 if ok and ok_peer else 1
    if args.command == "peer":
        if not with_peer:
            return 0
        ok, produced = run_units(ctx, [peer], ["postgres"])
    else:
        ok, produced = run_units(ctx, [SCENARIOS[args.command]], ctx.databases)
    for res in produced:
        res.setdefault("_file", f"{res['scenario']}-{res['database']}.json")
    summary.print_table(summary.rows(produced))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
