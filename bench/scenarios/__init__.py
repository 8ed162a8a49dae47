"""Benchmark scenarios: each module has ``UNITS``, tuples of (result name, function, goal).

A function takes the run ``Context`` and a database kind (``sqlite`` or ``postgres``) and
returns one result dict (or a list of them), in the shape ``common.result`` builds; the
runner writes each to ``bench/results/<scenario>-<database>.json``.
"""
