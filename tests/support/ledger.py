"""Our trial balance under the journal exports' account names, to compare with the tools."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from hourbridge.domain.exports import AccountNames

Balances = dict[tuple[str, str], Decimal]


def export_balances(hb: Any) -> tuple[Balances, Balances]:
    """(units, functional) per (export account name, commodity).

    Units: a row in the entity's functional currency keeps the account's name; a row in
    another currency is the account's ``-CUR`` leaf; a row that moved no transaction currency
    (an FX difference) holds its functional amount on the account itself. Functional: every
    row's functional balance on the same name, in the functional currency (what the tools
    give converted at the postings' prices)."""
    names = AccountNames(hb.queries.entity_accounts())
    units: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    functional: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for r in hb.queries.trial_balance():
        fc = r["functional_currency"]
        moved = Decimal(r["debit"]) or Decimal(r["credit"])
        foreign = r["currency"] if r["currency"] != fc and moved else None
        name = names(r["entity"], r["account"], foreign).name
        if moved or r["currency"] == fc:
            units[(name, r["currency"])] += Decimal(r["balance"])
        else:
            units[(name, fc)] += Decimal(r["functional_balance"])
        functional[(name, fc)] += Decimal(r["functional_balance"])
    return dict(units), dict(functional)
