"""Two processes issuing the same drafts at once: every invoice numbered once, no gaps.

Issuing reserves a batch's numbers in one counter update and issues the batch's drafts in one
statement (issue 16, item 3); a draft the other process issued first must roll the loser's
whole batch back, numbers included, and never leave an invoice numbered twice or a number
unused.
"""

from __future__ import annotations

import json
from pathlib import Path

from support.fault import Firm, Query, figure, time_file

ENTRIES = 600


def test_two_processes_issuing_one_batch_number_each_invoice_once(
        firm: Firm, sql: Query, tmp_path: Path) -> None:
    firm.cli("ingest", "--source", "tracker", str(time_file(tmp_path / "t.csv", range(ENTRIES))))
    firm.cli("approve", "--project", "P1")
    firm.cli("bill", "--through", "2026-11-30")
    drafts = [i for (i,) in sql("SELECT id FROM invoices WHERE status = 'draft' ORDER BY id")]
    assert len(drafts) > 1
    # one takes every draft, the other names them in the opposite order
    racers = [firm.start("invoices", "issue", "--all", "--json"),
              firm.start("invoices", "issue", *map(str, reversed(drafts)), "--json")]
    outcomes = [(p.returncode, out, err) for p in racers
                for out, err in [p.communicate(timeout=300)]]
    # the loser either found nothing left (--all) or was refused in one line (exit 2)
    for code, out, err in outcomes:
        assert code in (0, 2), f"exit {code}: {out}\n{err}"
    issued_by = [len(json.loads(out)["issued"]) if code == 0 else 0
                 for code, out, _ in outcomes]

    rows = sql("SELECT id, entity, number, sequence FROM invoices ORDER BY id")
    sequences = sorted(s for _, _, _, s in rows)
    numbers = [n for _, _, n, _ in rows]
    # every entry's WIP relieved once: relief never exceeds what the entry booked
    over = sql("SELECT COUNT(*) FROM time_entries WHERE relieved_seconds > billable_seconds")
    postings = sql("SELECT subject, COUNT(*) FROM outbox WHERE subject LIKE 'invoice/%' "
                   "GROUP BY subject")
    figure(f"concurrent issue ({firm.url.split(':')[0]}, 2 processes, {len(drafts)} drafts): "
           f"issued per process {issued_by}, numbers {len(set(numbers))} distinct of "
           f"{len(numbers)}, over-relieved entries {over[0][0]}")
    assert all(s == "issued" for (s,) in sql("SELECT status FROM invoices"))
    assert sum(issued_by) == len(drafts)  # each draft issued by exactly one of them
    assert sequences == list(range(1, len(drafts) + 1))  # one entity: 1..N, none twice
    assert len(set(numbers)) == len(numbers) and None not in numbers
    assert over[0][0] == 0
    assert sorted(s for s, _ in postings) == sorted(f"invoice/{n}" for n in numbers)
    assert all(c == 1 for _, c in postings)
    firm.cli("invoices", "check-sequence")
