"""Pull sync under kill -9: a sync killed mid-way, run again, loses no entry and takes none
twice (issue 11: "lost 0 duplicated 0" per tracker). The trackers are loopback imitations."""

from __future__ import annotations

import random
import signal
import time
from pathlib import Path

import pytest
import yaml
from cryptography.fernet import Fernet

from support.fault import Firm, Query, figure
from support.trackers import Imitation, aliases, imitate

ENTRIES = 10_000
KILLS = 2


@pytest.mark.parametrize(("tracker", "page_size", "delay"), [
    ("harvest", 500, 0.15),  # 20 pages: kills land between and inside pages
    ("toggl", 0, 0.0),  # one unpaged answer: kills land while its rows are stored
])
def test_kill_9_during_sync_then_again_loses_nothing(firm: Firm, sql: Query, tmp_path: Path,
                                                     tracker: str, page_size: int,
                                                     delay: float) -> None:
    name = f"acme-{tracker}"
    (tmp_path / "aliases.yaml").write_text(yaml.safe_dump({"aliases": aliases(name)}))
    firm.cli("load", str(tmp_path / "aliases.yaml"))
    firm.env["HOURBRIDGE_SECRET_KEY"] = Fernet.generate_key().decode()
    firm.env["HOURBRIDGE_CONNECTION_TOKEN"] = "tok-secret"
    rng = random.Random(20261206)  # seeded: the same kill points on every run
    imitation = Imitation(tracker, page_size=page_size or ENTRIES, page_delay=delay)
    imitation.seed(ENTRIES)
    with imitate(imitation) as served:
        firm.cli("connections", "add", name, "--tracker", tracker, "--base-url", served.url,
                 "--account-id", "42")
        killed_after: list[float] = []
        kept = 0
        for _ in range(KILLS):
            proc = firm.start("sync", name)
            # kill once the sync is under way: another intake attempt of a page begun (a new
            # page kept, or the page a kill interrupted taken up again), then a little later
            deadline = time.monotonic() + 120
            attempts = f"SELECT COALESCE(SUM(attempts), 0) FROM inbox WHERE source = '{name}'"
            while time.monotonic() < deadline and proc.poll() is None and sql(
                    attempts)[0][0] <= kept:
                time.sleep(0.02)
            pause = rng.uniform(0.05, 0.8)
            time.sleep(pause)
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                killed_after.append(round(pause, 2))
            proc.communicate(timeout=60)
            kept = sql(attempts)[0][0]
        cursor_after_kills = sql(f"SELECT cursor FROM connections WHERE name = '{name}'")
        partial = sql(f"SELECT COUNT(*) FROM time_entries WHERE source = '{name}'")[0][0]
        firm.cli("sync", name, "--json", timeout=600)
    total, distinct = sql("SELECT COUNT(*), COUNT(DISTINCT external_id) FROM time_entries "
                          f"WHERE source = '{name}'")[0]
    figure(f"kill -9 during sync ({tracker}, {firm.url.split(':')[0]}, {ENTRIES} entries, "
           f"killed {killed_after} s after a page was kept, {partial} stored by then): "
           f"lost {ENTRIES - distinct} duplicated {total - distinct}")
    assert killed_after, "the sync finished before a kill: raise the page delay"
    # the cursor moves only once every page is stored: a run killed after its last commit
    # (while it exits) may have moved it, but never with entries still missing
    if cursor_after_kills != [(None,)]:
        assert partial == ENTRIES, "the cursor moved before every page was stored"
    assert (total, distinct) == (ENTRIES, ENTRIES)
    [(cursor,)] = sql(f"SELECT cursor FROM connections WHERE name = '{name}'")
    assert cursor is not None
