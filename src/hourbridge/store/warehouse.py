"""The warehouse export: entries, invoices, invoice lines and ledger postings as Parquet files
(one per table) for a data warehouse to load.

Each file is written beside its final name and renamed over it, so a reader (or a run killed
half-way) never sees a half-written file; a run replaces the last one whole. Money columns keep
their exact decimals (Parquet DECIMAL), times are UTC timestamps, JSON columns are text.
"""

from __future__ import annotations

import json
import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import Engine, Table, select

from . import tables as t

# file name -> the table it holds; postings are journal lines with their entry's key, entity
# and date (what a warehouse joins on)
WAREHOUSE_FILES = ("entries", "invoices", "invoice_lines", "postings")
CHUNK = 20_000


def export_warehouse(engine: Engine, folder: Path) -> dict[str, int]:
    """Write the four files into ``folder`` (made if missing); rows written per file."""
    folder.mkdir(parents=True, exist_ok=True)
    je, jl = t.journal_entries, t.journal_lines
    postings = (select(jl, je.c.key.label("entry_key"), je.c.entity.label("entry_entity"),
                       je.c.posted_on.label("posted_on"))
                .join_from(jl, je, je.c.id == jl.c.journal_entry).order_by(jl.c.id))
    sources = {"entries": _all(t.time_entries), "invoices": _all(t.invoices),
               "invoice_lines": _all(t.invoice_lines), "postings": postings}
    counts: dict[str, int] = {}
    with engine.connect() as conn:
        for name, stmt in sources.items():
            result = conn.execution_options(yield_per=CHUNK).execute(stmt)
            columns = list(result.keys())
            rows = [tuple(r) for r in result]
            table = pa.table({c: _column([r[i] for r in rows]) for i, c in enumerate(columns)})
            final = folder / f"{name}.parquet"
            partial = folder / f".{name}.parquet.partial"
            pq.write_table(table, partial)
            os.replace(partial, final)
            counts[name] = len(rows)
    return counts


def _all(table: Table) -> Any:
    """The table's stored columns (a generated one, such as ``billing_open``, is derived
    from the others and not part of the export's schema)."""
    return select(*(c for c in table.c if c.computed is None)).order_by(table.c.id)


def _column(values: list[Any]) -> pa.Array:
    sample = next((v for v in values if v is not None), None)
    if isinstance(sample, (dict, list)):
        return pa.array([None if v is None else json.dumps(v, default=str) for v in values],
                        pa.string())
    if isinstance(sample, Decimal):
        # one scale for the column: the widest among its values
        scale = max(-int(v.as_tuple().exponent) for v in values if v is not None)
        return pa.array(values, pa.decimal128(38, max(scale, 0)))
    return pa.array(values)
