"""The timesheet an invoice bills, as a CSV supporting document in its e-invoice (BG-24).

A contract that asks for it (``timesheet_attachment``) gets the entries each invoice bills —
date, person, project, task, hours, notes — as RFC 4180 CSV (CRLF line ends, fields with a
comma, quote or line break quoted, quotes doubled), embedded with mime code ``text/csv``, one
of the codes EN 16931 allows for BT-125 (BR-CL-24). The person is the employee's id: personal
fields stay references (DESIGN §3). Hours are the seconds this invoice bills of the entry,
with two decimals as every report shows them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .document import Attachment

COLUMNS = ("date", "person", "project", "task", "hours", "notes")
CSV_MIME = "text/csv"  # RFC 4180 §3 registers it; BR-CL-24 allows it for BT-125


def timesheet_csv(rows: Iterable[Mapping[str, Any]]) -> bytes:
    """RFC 4180 CSV with a header; ``rows`` carry ``work_date`` (ISO text), ``employee``,
    ``project``, ``task``, ``seconds`` and ``notes``."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(COLUMNS)
    for r in rows:
        billed = (Decimal(int(r["seconds"])) / 3600).quantize(Decimal("0.01"), ROUND_HALF_UP)
        writer.writerow((r["work_date"], r["employee"], r["project"], r["task"] or "",
                         str(billed), r["notes"] or ""))
    return out.getvalue().encode("utf-8")


def timesheet_attachment(number: str, rows: Iterable[Mapping[str, Any]]) -> Attachment:
    """The supporting document of invoice ``number``: its reference (BT-122) names the
    invoice, so each document's timesheet has its own."""
    return Attachment(id=f"{number}-timesheet", filename=f"timesheet-{number}.csv",
                      mime_code=CSV_MIME, content=timesheet_csv(rows),
                      description="Timesheet: the entries this invoice bills")
