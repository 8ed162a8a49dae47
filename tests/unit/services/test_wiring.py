"""The command table lists use cases, and the retry policy's jitter differs per worker."""

from __future__ import annotations

import inspect

from hourbridge.errors import Retryable
from hourbridge.pipeline.retry import RetryPolicy
from hourbridge.services.handlers import COMMAND_HANDLERS, QUERY_HANDLERS


def test_every_handler_is_a_named_use_case_with_the_uniform_signature() -> None:
    for command, handler in COMMAND_HANDLERS.items():
        assert handler.__name__ != "<lambda>", command
        assert list(inspect.signature(handler).parameters)[1:] == ["uow", "now", "deps"]
    assert not set(COMMAND_HANDLERS) & set(QUERY_HANDLERS)
    assert all(t.__name__.startswith("Show") for t in QUERY_HANDLERS)


def test_two_policies_draw_different_jitter() -> None:
    delays = {RetryPolicy().decide(5, Retryable("busy")).delay_seconds for _ in range(5)}
    assert len(delays) > 1
