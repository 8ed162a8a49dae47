"""Reliable delivery, knowing no billing rule: retry policy, outbox worker, dead letters."""
