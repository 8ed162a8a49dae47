"""``/docs`` and ``/redoc`` work without internet: every asset the pages reference is served
by the app itself (no CDN), and the OpenAPI document they load is the app's."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urljoin

import pytest
from fastapi.testclient import TestClient

from hourbridge.bootstrap import bootstrap
from hourbridge.config import Settings
from support.api import api_client

# src="..." / href="..." attributes and the spec URL Swagger UI / ReDoc are told to load
_REFERENCES = re.compile(r"""(?:src|href)=["']([^"']+)["']"""
                         r"""|(?:url|spec-url)[:=]\s*["']([^"']+)["']""")


@pytest.fixture
def api(database_url: str) -> Iterator[TestClient]:
    with api_client(bootstrap(Settings(database_url=database_url))) as client:
        yield client


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_page_and_every_asset_come_from_the_app(api: TestClient, page: str) -> None:
    html = api.get(page)
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    refs = {a or b for a, b in _REFERENCES.findall(html.text)}
    assert refs, "the page references no asset"
    for ref in sorted(refs):
        assert not re.match(r"^(https?:)?//", ref), f"{page} loads {ref} from outside"
        r = api.get(urljoin(page, ref))
        assert r.status_code == 200, ref
        assert r.content, ref
    scripts = [r for r in refs if r.endswith(".js")]
    assert scripts and all(len(api.get(s).content) > 100_000 for s in scripts)
    assert "/openapi.json" in refs


def test_docs_pages_stay_out_of_the_openapi_document(api: TestClient) -> None:
    paths = api.get("/openapi.json").json()["paths"]
    assert not any(p.startswith(("/docs", "/redoc", "/static")) for p in paths)
