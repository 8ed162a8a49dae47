"""The dashboard in a real browser: Debian's chromium driven by Playwright against
``hourbridge serve`` on the demo firm. Every page loads without console errors, an exception
dismiss and a dead-letter replay work (and a refused action changes nothing), the KPI numbers
shown equal ``/v1/kpis``, ``/docs`` renders, and each page leaves a screenshot in
``test-artifacts/screenshots/`` (or ``$HOURBRIDGE_TEST_ARTIFACTS``).

Chromium comes from Debian (``apt-get install chromium``; ``.ci/run`` installs it), never from
``playwright install``: without /usr/bin/chromium the test skips locally and fails in CI."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from hourbridge.bootstrap import bootstrap
from hourbridge.config import Settings
from support.server import Server, serve

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("HOURBRIDGE_TEST_ARTIFACTS")
                 or Path(__file__).resolve().parents[2] / "test-artifacts") / "screenshots"
PAGES = ("", "/exceptions", "/dead-letters", "/invoices", "/trace?kind=invoice&ref=1",
         "/trace?kind=entry&ref=999999", "/sync", "/alerts")


@pytest.fixture(scope="module")
def chromium_path() -> Path:
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: apt-get install -y chromium"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"chromium required in CI: {reason}")
        pytest.skip(reason)
    return CHROMIUM


@pytest.fixture
def demo_server(tmp_path: Path) -> Iterator[tuple[Server, int]]:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    cli = Path(sys.executable).with_name("hourbridge")
    subprocess.run([str(cli), "demo", "--json"], env={**os.environ,
                   "HOURBRIDGE_DATABASE_URL": url}, check=True, capture_output=True,
                   timeout=120)
    hb = bootstrap(Settings(database_url=url))
    try:  # one dead letter to replay: an event nothing handles
        with hb.uow() as uow:
            uow.outbox.add("browser-1", "hourbridge.unknown.v1", "browser-1",
                           {"id": "browser-1"}, datetime.now(UTC))
            uow.commit()
        hb.worker.drain()
        [letter] = [d["id"] for d in hb.queries.dead_letters() if d["key"] == "browser-1"]
    finally:
        hb.close()
    with serve(url, tmp_path / "server.log", timeout=120) as server:
        yield server, letter


def test_dashboard_in_chromium(chromium_path: Path, demo_server: tuple[Server, int]) -> None:
    server, letter = demo_server
    with httpx.Client(base_url=server.url, headers=server.headers, timeout=30) as api:
        _drive(chromium_path, server, letter, api)


def _drive(chromium_path: Path, server: Server, letter: int, api: httpx.Client) -> None:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium_path), headless=True)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("console", lambda m: errors.append(f"{page.url}: {m.text}")
                if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(f"{page.url}: {e}"))

        # behind the API's auth: without a session the dashboard sends the browser to
        # /login, which takes an API key and sets the session cookie
        page.goto(f"{server.url}/dashboard")
        assert "/login" in page.url, page.url
        _shot(page, "login")
        page.get_by_label("API key").fill(server.key)
        page.get_by_role("button").first.click()
        page.wait_for_url(f"{server.url}/dashboard**")

        for path in PAGES:
            response = page.goto(f"{server.url}/dashboard{path}")
            assert response is not None and response.status == 200, path
            assert page.locator("h1").count() == 1
            _shot(page, "dashboard" + (path.split("?")[0].replace("/", "-") or "-overview")
                  + ("-unknown" if "999999" in path else ""))
        page.goto(f"{server.url}/dashboard/trace?kind=entry&ref=999999")
        assert "not found" in page.get_by_role("alert").inner_text()

        # the numbers shown are the API's
        page.goto(f"{server.url}/dashboard")
        kpis = api.get("/v1/kpis").json()
        shown = _shown(page)
        assert shown["period.label"] == kpis["period"]["label"] == "all"
        assert shown["exceptions.rate"] == kpis["exceptions"]["rate"]
        for u in kpis["utilization"]:
            assert shown[f"utilization.{u['entity']}"] == u["utilization"]
        for s in kpis["time_to_invoice"]["stages"]:
            assert shown[f"tti.{s['stage']}.count"] == str(s["count"])
            assert shown[f"tti.{s['stage']}.p50"] == ("–" if s["p50"] is None else str(s["p50"]))
        for w in kpis["wip"]["by_entity"]:
            if w["currency"]:
                assert shown[f"wip.{w['entity']}.{w['currency']}.value"] == (
                    f"{w['value']} {w['currency']}")
        for d in kpis["dso"]:
            assert shown[f"dso.{d['entity']}.{d['currency']}"] == d["dso"]
        print(f"kpi figures compared: {len(shown)}", flush=True)

        # keyboard: the first Tab reaches the skip link
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent") == "Skip to content"

        # an exception action that fails shows why and changes nothing; one that works
        open_before = api.get("/v1/exceptions").json()["by_reason"]
        first = api.get("/v1/exceptions", params={"limit": 1}).json()["items"][0]["id"]
        page.goto(f"{server.url}/dashboard/exceptions")
        page.get_by_role("button", name=f"Dismiss exception {first}", exact=True).click()
        assert "needs a note" in page.get_by_role("alert").inner_text()
        assert api.get("/v1/exceptions").json()["by_reason"] == open_before
        page.get_by_label("Note").first.fill("duplicate of a corrected row")
        page.get_by_role("button", name=f"Dismiss exception {first}", exact=True).click()
        assert f"exception {first} dismissed" in page.get_by_role("status").inner_text()
        after = api.get("/v1/exceptions").json()["by_reason"]
        assert sum(after.values()) == sum(open_before.values()) - 1
        _shot(page, "dashboard-exceptions-dismissed")

        # a dead letter replayed from the page is back under its key, audited
        page.goto(f"{server.url}/dashboard/dead-letters")
        page.get_by_label("Note").first.fill("handler deployed")
        page.get_by_role("button", name=f"Replay dead letter {letter}", exact=True).click()
        assert f"dead letter {letter} replayed" in page.get_by_role("status").inner_text()
        [audit] = api.get(f"/v1/dead-letters/{letter}").json()["replays"]
        # by whoever signed in: the key behind the session, never a fixed name
        key_id = server.key.split("_")[1]
        assert audit["replayed_by"].startswith(f"key:{key_id} ")
        assert audit["note"] == "handler deployed"
        _shot(page, "dashboard-dead-letters-replayed")

        # the API docs render offline
        page.goto(f"{server.url}/docs")
        page.wait_for_selector(".swagger-ui .info", timeout=15000)
        _shot(page, "docs")
        browser.close()
    assert errors == []


def _shown(page: Any) -> dict[str, str]:
    return {el.get_attribute("data-kpi"): el.inner_text().strip()
            for el in page.locator("[data-kpi]").all()}


def _shot(page: Any, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
