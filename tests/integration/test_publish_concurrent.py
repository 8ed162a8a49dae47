"""Two publishes of one connection at the same time (issue 11 item 7): they run one after
the other (``UnitOfWork.exclusive``: an advisory lock on PostgreSQL, a file lock beside the
SQLite database), so the second finds what the first created and creates nothing. Kimai is
the tracker here because it keeps a second project of the same name: without the lock both
publishes create every item and ``duplicated`` is not 0."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

from cryptography.fernet import Fernet

from hourbridge.bootstrap import bootstrap
from hourbridge.config import Settings
from hourbridge.connectors import TRACKERS
from hourbridge.connectors.gateway import Trackers
from hourbridge.domain import commands as c
from hourbridge.formats.bundle import BundleDocument, to_domain
from support.firm import small_firm_bundle
from support.tracker_directory import Directory
from support.trackers import Imitation, imitate

KEY = Fernet.generate_key().decode()


def test_two_publishes_at_once_create_each_item_once(database_url: str) -> None:
    # two apps on one database, as two processes would be
    apps = [bootstrap(Settings(database_url=database_url),
                      trackers=Trackers(TRACKERS, KEY, sleep=lambda s: None))
            for _ in range(2)]
    try:
        bundle = small_firm_bundle()
        bundle["aliases"] = [{"source": "acme-kimai", "kind": "user", "external_id": ext,
                              "code": code} for ext, code in (("17", "E1"), ("18", "E2"))]
        apps[0].handle(c.LoadMasterData(to_domain(
            [("bundle", BundleDocument.model_validate(bundle))])))
        directory = Directory("kimai")
        with imitate(Imitation("kimai", page_delay=0.02, directory=directory)) as served:
            apps[0].handle(c.AddConnection("acme-kimai", "kimai", served.url,
                                           c.Secret((("token", "tok-secret"),))))
            start = threading.Barrier(2)
            reports: list[dict[str, Any]] = []
            failures: list[BaseException] = []

            def publish(app: Any) -> None:
                start.wait()
                try:
                    reports.append(app.handle(c.PublishMasterData("acme-kimai", False)))
                except BaseException as exc:  # reported by the assertion below
                    failures.append(exc)

            threads = [threading.Thread(target=publish, args=(app,)) for app in apps]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)
        assert not failures, failures
        per_name = Counter(f"{collection}/{item.get('name')}"
                           for collection in ("customers", "projects", "activities", "teams")
                           for item in directory.named(collection))
        duplicated = sum(n - 1 for n in per_name.values()) + directory.duplicates
        assert duplicated == 0, per_name
        assert sorted(r["create"] for r in reports) == [0, 10]  # one did it all
        assert directory.creates == 9  # 2 customers, 2 projects, 3 activities, 2 teams
        print(f"two publishes at once (kimai): created {directory.creates} "
              f"duplicated {duplicated}")
    finally:
        for app in apps:
            app.close()
