"""Outside tools the tests run as real peers (DESIGN §7): found, or skipped with a reason.

In CI (``CI=true``) a missing tool fails the test instead: ``.ci/run`` installs hledger from
Debian and ``make test`` installs beancount (``bean-check``) with the dev extras.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

INSTALL = {
    "hledger": "apt-get install -y hledger",
    "bean-check": "pip install beancount (the dev extras)",
}


def require_tool(name: str) -> str:
    """The path of ``name`` (the venv's scripts first, then PATH), or skip / fail in CI."""
    search = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    found = shutil.which(name, path=search)
    if found is None:
        reason = f"{name} not installed ({INSTALL.get(name, 'install it')})"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{name} required in CI: {reason}")
        pytest.skip(reason)
    return found


def run_tool(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """Run a tool; a non-zero exit fails the test with its output."""
    done = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, (
        f"{' '.join(map(str, args))} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done


# hledger's strictest reasonable set: -s (accounts, commodities and balanced without inferred
# conversion declared) plus transactions in date order and payees declared. uniqueleafnames is
# left out: every entity has a ...:Receivables:1200, so leaf names repeat by design.
HLEDGER_CHECKS = ("-s", "ordereddates", "payees")


def check_beancount(path: Path) -> None:
    """``bean-check FILE``, then again with the pedantic plugins (declared commodities, one
    currency per account, postings on leaf accounts only, no unused or duplicate entries)."""
    bean_check = require_tool("bean-check")
    run_tool(bean_check, path)
    strict = path.with_name(path.name + ".pedantic.beancount")
    strict.write_text(f'plugin "beancount.plugins.pedantic"\ninclude "{path.name}"\n',
                      encoding="utf-8")
    run_tool(bean_check, strict)


def check_hledger(path: Path) -> None:
    run_tool(require_tool("hledger"), "-f", path, "check", *HLEDGER_CHECKS)


def hledger_balances(path: Path) -> dict[tuple[str, str], Decimal]:
    """hledger's balance per (account, commodity), zero balances included, read from JSON."""
    import json

    done = run_tool(require_tool("hledger"), "-f", path, "bal", "-E", "--flat", "-O", "json")
    rows, _totals = json.loads(done.stdout)
    out: dict[tuple[str, str], Decimal] = {}
    for name, _display, _indent, amounts in rows:
        for amount in amounts:
            quantity = amount["aquantity"]
            value = Decimal(quantity["decimalMantissa"]).scaleb(-quantity["decimalPlaces"])
            if amount["acommodity"] or value:
                out[(name, amount["acommodity"])] = value
    return out


_BEANCOUNT_BALANCES = """
import json, sys
from collections import defaultdict
from decimal import Decimal
from beancount import loader
from beancount.core import data
entries, errors, _ = loader.load_file(sys.argv[1])
assert not errors, errors
sums = defaultdict(Decimal)
for e in entries:
    if isinstance(e, data.Transaction):
        for p in e.postings:
            sums[p.account + " " + p.units.currency] += p.units.number
print(json.dumps({k: str(v) for k, v in sums.items()}))
"""


def beancount_balances(path: Path) -> dict[tuple[str, str], Decimal]:
    """beancount's own balance per (account, currency), from its loader in a subprocess."""
    import json

    require_tool("bean-check")
    done = run_tool(sys.executable, "-c", _BEANCOUNT_BALANCES, path)
    return {tuple(k.split(" ")): Decimal(v)  # type: ignore[misc]
            for k, v in json.loads(done.stdout).items()}
