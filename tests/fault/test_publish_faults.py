"""A publish of master data to a tracker killed with SIGKILL midway, then run again (issue 11
item 7): each project ends up exactly once at the tracker, none duplicated, and a third run
changes nothing (``HOURBRIDGE_TEST_PUBLISH_PROJECTS`` projects, 12 by default). The tracker
imitation refuses a second project of the same name the way the real API does and counts
every such attempt, so ``duplicated`` counts them too."""

from __future__ import annotations

import json
import os
import signal
import time
from collections import Counter
from pathlib import Path

import pytest
import yaml
from cryptography.fernet import Fernet

from support.fault import Firm, figure
from support.tracker_directory import Directory
from support.trackers import Imitation, imitate

PROJECTS = int(os.environ.get("HOURBRIDGE_TEST_PUBLISH_PROJECTS", "12"))


def many_projects(count: int) -> dict[str, object]:
    return {"projects": [
        {"code": f"X{n:03d}", "name": f"Project {n}", "customer": "ACME", "entity": "DE",
         "tasks": [{"code": "DEV", "name": "Development"}]} for n in range(count)]}


# Kimai by default (no rate limit: the test waits for nothing but the processes); Harvest
# too with HOURBRIDGE_TEST_PUBLISH_TRACKERS=harvest,kimai (its 100 requests per 15 s window
# makes it slower). Toggl's 1 request a second makes a real process wait; every tracker's
# lost-create case runs in process (tests/integration/test_publish.py)
TRACKERS = os.environ.get("HOURBRIDGE_TEST_PUBLISH_TRACKERS", "kimai").split(",")


@pytest.mark.parametrize("tracker", TRACKERS)
def test_kill_9_during_publish_then_again_creates_each_project_once(
        firm: Firm, tmp_path: Path, tracker: str) -> None:
    name = f"acme-{tracker}"
    (tmp_path / "projects.yaml").write_text(yaml.safe_dump(many_projects(PROJECTS)))
    firm.cli("load", str(tmp_path / "projects.yaml"))
    firm.env["HOURBRIDGE_SECRET_KEY"] = Fernet.generate_key().decode()
    firm.env["HOURBRIDGE_CONNECTION_TOKEN"] = "tok-secret"
    directory = Directory(tracker)
    with imitate(Imitation(tracker, page_delay=0.03, directory=directory)) as served:
        url = f"{served.url}/v1/workspaces/ws1" if tracker == "clockify" else served.url
        firm.cli("connections", "add", name, "--tracker", tracker, "--base-url", url,
                 "--account-id", "42")
        proc = firm.start("connections", "publish", name)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None and \
                directory.created["projects"] < PROJECTS // 2:
            time.sleep(0.01)
        assert proc.poll() is None, "the publish ended before it could be killed"
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=60)
        # a create the killed process sent is still landing (the imitation waits page_delay
        # before it stores it): counted once it has, not by the next run
        time.sleep(0.3)
        before = directory.created["projects"]
        again = json.loads(firm.cli("connections", "publish", name, "--json").stdout)
        third = json.loads(firm.cli("connections", "publish", name, "--json").stdout)
    names = Counter(str(p["name"]) for p in directory.named("projects"))
    duplicated = sum(n - 1 for n in names.values()) + directory.duplicates
    assert duplicated == 0 and third["create"] == 0
    assert len(names) == PROJECTS + 2  # and the small firm's P1 and INT
    assert again["by_kind"]["project"]["create"] == PROJECTS + 2 - before
    figure(f"publish killed at {tracker}: created {len(names)} duplicated {duplicated} "
           f"(killed after {before} projects)")
