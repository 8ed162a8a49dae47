"""The composition root's adapters built on first use (``lazy.OnFirstUse``, issue 16): built
once, then the adapter itself; closed only if built; used after closing, closed as the adapter
would be. And ``bootstrap`` still wires every one of them."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from hourbridge.bootstrap import bootstrap
from hourbridge.config import Settings
from hourbridge.lazy import OnFirstUse


class Adapter:
    def __init__(self) -> None:
        self.closed = False

    def send(self, text: str) -> str:
        if self.closed:
            raise RuntimeError("closed")
        return f"sent {text}"

    def close(self) -> None:
        self.closed = True


def test_built_on_first_use_and_only_once() -> None:
    built: list[Adapter] = []

    def build() -> Adapter:
        built.append(Adapter())
        return built[-1]

    lazy = OnFirstUse(build)
    assert built == [] and not lazy.built
    assert lazy.send("a") == "sent a" and lazy.send("b") == "sent b"
    assert len(built) == 1 and lazy.made() is built[0]


def test_threads_racing_to_first_use_share_one_adapter() -> None:
    built: list[Adapter] = []
    start = threading.Barrier(8)

    def build() -> Adapter:
        built.append(Adapter())
        return built[-1]

    lazy = OnFirstUse(build)

    def use() -> None:
        start.wait()
        lazy.send("x")

    threads = [threading.Thread(target=use) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(built) == 1


def test_closing_builds_nothing_and_closes_what_was_built() -> None:
    never = OnFirstUse(Adapter)
    never.close()
    assert not never.built
    used = OnFirstUse(Adapter)
    used.send("a")
    used.close()
    assert used.made().closed


def test_used_after_closing_it_is_closed() -> None:
    lazy = OnFirstUse(Adapter)
    lazy.close()
    with pytest.raises(RuntimeError, match="closed"):
        lazy.send("late")


def test_a_missing_attribute_is_the_adapters_error() -> None:
    with pytest.raises(AttributeError, match="nothing"):
        _ = OnFirstUse(Adapter).nothing


def test_bootstrap_builds_the_adapters_when_a_use_case_needs_them(tmp_path: Path) -> None:
    hb = bootstrap(Settings(database_url=f"sqlite:///{tmp_path}/lazy.db"))
    try:
        deps = hb.collaborators
        trackers, crm, webhooks = deps.trackers, deps.crm, deps.webhooks
        assert isinstance(trackers, OnFirstUse) and not trackers.built
        assert isinstance(crm, OnFirstUse) and not crm.built
        assert isinstance(webhooks, OnFirstUse) and not webhooks.built
        assert trackers.trackers() == ["clockify", "harvest", "kimai", "toggl"]
        assert crm.crms() == ["salesforce"]
        assert type(trackers.made()).__name__ == "Trackers"
        assert type(webhooks.made()).__name__ == "WebhookSender"
    finally:
        hb.close()
    with pytest.raises(RuntimeError, match="closed"):  # as an eagerly built sender was
        webhooks.made()._http()


def test_adapters_given_to_bootstrap_are_used_as_given(tmp_path: Path) -> None:
    from hourbridge.connectors.webhooks import WebhookSender

    sender = WebhookSender(None, lambda: None)  # type: ignore[arg-type, return-value]
    hb = bootstrap(Settings(database_url=f"sqlite:///{tmp_path}/given.db"), webhooks=sender)
    try:
        assert hb.collaborators.webhooks is sender
    finally:
        hb.close()
