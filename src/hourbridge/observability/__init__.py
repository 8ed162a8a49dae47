"""Observability: structured logs, Prometheus metrics and OpenTelemetry traces (audit and KPIs
later)."""
