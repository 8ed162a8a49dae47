"""README's "A first hour, step by step", run as a new user runs it: the files it shows
written to an empty folder, each ``$ hourbridge ...`` line run through the installed
``hourbridge`` script (as ``.ci/run`` installs it) on the default embedded SQLite database,
and each output and exit code compared with what README prints.

README is the expectation: a command's lines must appear in its output in that order (a line
``…`` leaves lines out), and ``# exits N`` on a command line is its exit code (else 0).
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"
HOURBRIDGE = Path(sys.executable).parent / "hourbridge"
SECTION = "## A first hour, step by step"
FENCE = re.compile(r"^```(\w+)(?: title=(\S+))?\n(.*?)^```$", re.S | re.M)
SKIP = "…"


@dataclass
class Step:
    argv: list[str]
    exit_code: int
    expected: list[str] = field(default_factory=list)


def walkthrough() -> tuple[dict[str, str], list[Step]]:
    """The files (name -> text) and the commands of README's walkthrough, in order."""
    text = README.read_text(encoding="utf-8")
    start = text.index(SECTION)
    end = text.find("\n## ", start + len(SECTION))
    files: dict[str, str] = {}
    steps: list[Step] = []
    for lang, title, body in FENCE.findall(text[start:end if end >= 0 else None]):
        if title:
            files[title] = body
            continue
        assert lang == "console", f"a fence in the walkthrough that is no file: {lang}"
        for line in body.splitlines():
            if line.startswith("$ "):
                command, _, comment = line[2:].partition("#")
                exits = re.search(r"exits (\d)", comment)
                steps.append(Step(shlex.split(command), int(exits.group(1)) if exits else 0))
            elif line.strip():
                steps[-1].expected.append(line.rstrip())
    return files, steps


def in_order(expected: list[str], actual: list[str]) -> str | None:
    """The first expected line not found (after the one before it), or None."""
    at = 0
    for line in expected:
        if line == SKIP:
            continue
        try:
            at = actual.index(line, at) + 1
        except ValueError:
            return line
    return None


def test_readme_walkthrough_runs_as_documented(tmp_path: Path) -> None:
    files, steps = walkthrough()
    assert {"firm.yaml", "week.csv"} <= files.keys()
    assert [s.argv[:2] for s in steps][:3] == [["hourbridge", "load"]] * 2 + [
        ["hourbridge", "ingest"]]
    assert any(s.exit_code == 1 for s in steps), "the walkthrough shows a partial ingest"
    for name, body in files.items():
        (tmp_path / name).write_text(body, encoding="utf-8")
    # a new user's environment: no database URL, so the default SQLite file in the folder
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOURBRIDGE_")}
    env.pop("COLUMNS", None)
    for step in steps:
        assert step.argv[0] == "hourbridge"
        done = subprocess.run([str(HOURBRIDGE), *step.argv[1:]], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=120, check=False)
        shown = f"$ {shlex.join(step.argv)}\n{done.stdout}{done.stderr}"
        assert done.returncode == step.exit_code, shown
        missing = in_order(step.expected, [line.rstrip() for line in
                                           (done.stdout + done.stderr).splitlines()])
        assert missing is None, f"README line not printed: {missing!r}\n{shown}"
    assert (tmp_path / "hourbridge.db").exists()  # the default database, where README says
