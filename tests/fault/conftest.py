"""Fault tests: real processes against one database, killed or racing, then counted.

Each test prints its figures (``entries billed twice 0``, ``lost 0 duplicated 0``...); the
root conftest lists what tests print at the end of the run, so the CI log shows them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from support.fault import Firm, Query
from support.firm import small_firm_bundle
from support.templates import migrated_sqlite


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def firm(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Firm]:
    # at the schema head already (support.templates): `db upgrade` below finds nothing to do
    url = (migrated_sqlite(tmp_path / "fault.db") if request.param == "sqlite"
           else str(request.getfixturevalue("migrated_postgres_url")))
    f = Firm(url, tmp_path)
    bundle = tmp_path / "firm.yaml"
    bundle.write_text(yaml.safe_dump(small_firm_bundle()))
    f.cli("db", "upgrade")
    f.cli("load", str(bundle))
    yield f


@pytest.fixture
def sql(firm: Firm) -> Iterator[Query]:
    from sqlalchemy import text

    from hourbridge.store.engine import make_engine, read_only

    engine = read_only(make_engine(firm.url))  # never waits for a writer

    def run(statement: str) -> list[tuple[Any, ...]]:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(statement))]

    yield run
    engine.dispose()
