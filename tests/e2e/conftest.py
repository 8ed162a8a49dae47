"""Fixtures shared by the API's end-to-end modules: one Hourbridge on the test database and
a test client on it (a module defining its own ``hb`` or ``client`` uses its own)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from hourbridge.bootstrap import Hourbridge, bootstrap
from hourbridge.config import Settings
from support.api import api_client


@pytest.fixture
def hb(database_url: str) -> Iterator[Hourbridge]:
    hourbridge = bootstrap(Settings(database_url=database_url))
    yield hourbridge
    hourbridge.close()


@pytest.fixture
def client(hb: Hourbridge) -> Iterator[TestClient]:
    with api_client(hb) as c:
        yield c
