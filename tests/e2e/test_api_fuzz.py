"""Schemathesis over every operation of /openapi.json: whatever it sends, never a 5xx."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from hourbridge.api.app import create_app
from hourbridge.bootstrap import bootstrap
from hourbridge.config import Settings
from support.api import api_key, bearer
from support.firm import small_firm_bundle

EXAMPLES = 80  # per operation and mode: about half a minute per database


@pytest.fixture
def app(database_url: str) -> Iterator[tuple[FastAPI, dict[str, str]]]:
    hb = bootstrap(Settings(database_url=database_url))
    auth = bearer(api_key(hb, "admin"))  # an admin key: every operation is open to it
    application = create_app(hb)
    with TestClient(application, headers=auth) as client:  # lifespan, some data to find
        assert client.post("/v1/master-data", json=small_firm_bundle()).status_code == 200
        yield application, auth


def test_no_operation_answers_5xx(app: tuple[FastAPI, dict[str, str]]) -> None:
    application, auth = app
    schema = schemathesis.openapi.from_asgi("/openapi.json", application, headers=auth)
    failures: list[str] = []
    calls: Counter[str] = Counter()
    started = time.monotonic()
    operations = [result.ok() for result in schema.get_all_operations()]
    for operation in operations:
        strategy = st.one_of(operation.as_strategy(GenerationMode.POSITIVE),
                             operation.as_strategy(GenerationMode.NEGATIVE))

        @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck), phases=[Phase.generate])
        @given(case=strategy)
        def run(case: Any) -> None:
            try:
                status = case.call(headers=auth).status_code
            except Exception as exc:  # the test client re-raises what the server raised
                status = 500
                failures.append(f"{type(exc).__name__} {case.as_curl_command()}"[:2000])
            else:
                if status >= 500:
                    failures.append(f"{status} {case.as_curl_command()}"[:2000])
            calls[f"{status // 100}xx"] += 1

        run()
    took = time.monotonic() - started
    print(f"operations {len(operations)} calls {sum(calls.values())} {dict(calls)} "
          f"in {took:.0f} s")
    print(f"server errors {len(failures)}")
    assert not failures, "\n".join(failures[:20])
