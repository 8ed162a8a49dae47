"""Marking invoiced entries exported in Kimai under kill -9 and a concurrent run (issue 11):
two ``connections mark-exported`` processes race, one is killed mid-way, a third run finishes;
every invoiced entry ends exported in Kimai, each mark recorded once, the toggling ``PATCH
.../export`` never sent. ``HOURBRIDGE_FAULT_EXPORT_ENTRIES`` sizes it (CI: 300)."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import yaml
from cryptography.fernet import Fernet

from support.fault import Firm, Query, figure
from support.trackers import Imitation, aliases, imitate

ENTRIES = int(os.environ.get("HOURBRIDGE_FAULT_EXPORT_ENTRIES", "300"))


def test_racing_and_killed_marking_ends_with_each_invoiced_entry_exported_once(
        firm: Firm, sql: Query, tmp_path: Path) -> None:
    name = "acme-kimai"
    (tmp_path / "aliases.yaml").write_text(yaml.safe_dump({"aliases": aliases(name)}))
    firm.cli("load", str(tmp_path / "aliases.yaml"))
    firm.env["HOURBRIDGE_SECRET_KEY"] = Fernet.generate_key().decode()
    firm.env["HOURBRIDGE_CONNECTION_TOKEN"] = "tok-secret"
    with imitate(Imitation("kimai", page_size=500)) as kimai:
        kimai.seed(ENTRIES)
        firm.cli("connections", "add", name, "--tracker", "kimai", "--base-url", kimai.url)
        firm.cli("sync", name)
        firm.cli("approve", "--project", "P1")
        firm.cli("bill", "--through", "2026-11-30")
        firm.cli("invoices", "issue", "--all")
        billed = {r[0] for r in sql("SELECT external_id FROM time_entries WHERE source = "
                                    f"'{name}' AND billing = 'invoiced'")}
        assert len(billed) > ENTRIES // 2
        kimai.page_delay = 0.004  # each PATCH takes a moment: the kill lands mid-run
        kimai.calls.clear()
        racers = [firm.start("connections", "mark-exported", name, "--json")
                  for _ in range(2)]
        deadline = time.monotonic() + 60
        while len(kimai.calls) < len(billed) // 4 and time.monotonic() < deadline:
            time.sleep(0.01)
        racers[0].send_signal(signal.SIGKILL)
        racers[0].communicate(timeout=60)
        out, err = racers[1].communicate(timeout=120)
        assert racers[1].returncode == 0, err
        survivor = json.loads(out)["marked"]
        kimai.page_delay = 0.0
        last = json.loads(firm.cli("connections", "mark-exported", name, "--json").stdout)
        sent = len(kimai.calls)
    marks, distinct = sql("SELECT COUNT(*), COUNT(DISTINCT external_id) FROM tracker_exports")[0]
    exported = {str(e.id) for e in kimai.entries.values() if e.exported}
    figure(f"kimai mark-exported ({firm.url.split(':')[0]}, {len(billed)} invoiced, 2 racing "
           f"runs, one killed, then one more): PATCH sent {sent}, survivor marked {survivor}, "
           f"last run marked {last['marked']}; not exported {len(billed - exported)}, "
           f"exported but not invoiced {len(exported - billed)}, marks duplicated "
           f"{marks - distinct}, toggles {kimai.toggles}")
    assert exported == billed and (marks, distinct) == (len(billed), len(billed))
    assert kimai.toggles == 0 and last["refused"] == 0
