"""Benchmarks of Hourbridge beside their limits (issue 4): ``python -m bench --help``."""
