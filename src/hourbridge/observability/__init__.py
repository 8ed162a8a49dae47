"""Logging (structlog), and later tracing, metrics, audit and KPIs."""
