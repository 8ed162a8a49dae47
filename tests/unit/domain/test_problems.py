"""Problems and skips are values: every reason code is registered with its owner, and a Skip
reads as the JSON object the reports have always shown."""

from __future__ import annotations

import ast
from pathlib import Path

from hourbridge.domain.problems import ALREADY, REASON_OWNERS, Problem, Skip

SRC = Path(__file__).resolve().parents[3] / "src" / "hourbridge"


def _literal_codes() -> set[str]:
    """The first string argument of every ``Problem(...)`` and second of ``Skip.because``."""
    codes: set[str] = set()
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else (
                func.attr if isinstance(func, ast.Attribute) else "")
            position = {"Problem": 0, "because": 1}.get(name)
            if position is None or len(node.args) <= position:
                continue
            arg = node.args[position]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                codes.add(arg.value)
            assert not isinstance(arg, ast.JoinedStr), f"{path}: a code built with an f-string"
    return codes


def test_every_code_is_registered_with_its_owner() -> None:
    codes = _literal_codes() | set(ALREADY.values())
    assert {"not_found", "on_hold", "duplicate_entry"} <= codes
    assert codes - set(REASON_OWNERS) == set()


def test_a_skip_reads_as_the_reports_json() -> None:
    held = Skip.because(4, "on_hold", "held by hold 2", hold=2)
    assert held.as_dict() == {"id": 4, "reason": "on_hold", "hold": 2,
                              "message": "held by hold 2"}
    assert list(held) == ["id", "reason", "hold", "message"]
    assert held == {"id": 4, "reason": "on_hold", "hold": 2, "message": "held by hold 2"}
    assert Skip.because(9, "not_found").as_dict() == {"id": 9, "reason": "not_found"}
    rate = Skip("K1", Problem("no_fx_rate", "no CHF rate"), subject_key="contract")
    assert rate.as_dict() == {"contract": "K1", "reason": "no_fx_rate", "message": "no CHF rate"}
    assert rate.problem.owner == "finance"
