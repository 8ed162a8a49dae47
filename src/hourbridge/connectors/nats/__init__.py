"""NATS JetStream fan-out of outbox events (issue 12 item 5)."""

from __future__ import annotations

from .relay import JetStreamRelay, subject_of

__all__ = ["JetStreamRelay", "subject_of"]
