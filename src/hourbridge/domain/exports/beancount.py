"""The journal as a beancount file (checked with ``bean-check``).

Layout: a header, then per journal entry (in posting-date order) the ``commodity`` and ``open``
directives of what it uses for the first time, dated on that entry's day, and the transaction::

    2026-11-02 commodity EUR
    2026-11-02 open Assets:DE:Receivables:1200 EUR
      entity: "DE"
      account_code: "1200"
      role: "receivables"
    ...
    2026-11-02 * "ACME" "invoice DE-000001" #invoice
      journal_key: "invoice-issued:DE:DE-000001"
      entity: "DE"
      source_type: "invoice"
      source_id: "DE-000001"
      Assets:DE:Receivables:1200  669.38 EUR
        customer: "ACME"

Each account is opened for the one currency it is used with: postings in a foreign currency go
to the account's per-currency leaf with their functional amount as total price
(``Assets:DE:Unbilled:1210-USD  100.00 USD @@ 92.59 EUR``, see ``common``); a second
currency on one account is refused. Strings are quoted with
``\\`` and ``"`` escaped and control characters turned into spaces; metadata keys are lowercase
(beancount's ``[a-z][a-zA-Z0-9_-]*``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping

from ..ledger import JournalEntry
from ..model import Accounts
from .common import AccountNames, UnexportableJournal, exported, in_date_order, payee

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_TAG_NOT_ALLOWED = re.compile(r"[^A-Za-z0-9_/.-]")
DIMENSIONS = ("customer", "project", "employee")


def quote(text: str) -> str:
    """A beancount string literal whose parsed value is ``text`` (control characters aside)."""
    text = _CONTROL.sub(" ", text).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


def tag(text: str) -> str:
    return "#" + (_TAG_NOT_ALLOWED.sub("-", text) or "untagged")


def render_journal(entries: Iterable[JournalEntry], accounts: Mapping[str, Accounts],
                   functional: Mapping[str, str] | None = None) -> Iterator[str]:
    """Yield the beancount text of ``entries`` (in posting-date order), piece by piece;
    ``functional`` (entity -> functional currency) makes foreign postings carry prices."""
    names = AccountNames(accounts)
    commodities: set[str] = set()
    opened: dict[str, str] = {}
    yield ("; Journal export from Hourbridge in beancount syntax.\n"
           "; Accounts are <Type>:<entity>:<Role>:<code>; codes outside an entity's chart\n"
           "; mapping are under Equity:<entity>:Unmapped.\n"
           'option "title" "Hourbridge journal"\n'
           # a total price (@@) is stored per unit, so a foreign-currency transaction can be
           # off by ~1e-24 in the functional currency; with no posting in that currency to
           # infer a tolerance from, beancount would allow none
           'option "inferred_tolerance_default" "*:0.000001"\n')
    for entry in in_date_order(entries):
        day = entry.posted_on.isoformat()
        declarations: list[str] = []
        body = [f"{day} * {quote(payee(entry))} {quote(entry.memo)} {tag(entry.source_type)}\n",
                f"  journal_key: {quote(entry.key)}\n",
                f"  entity: {quote(entry.entity)}\n",
                f"  source_type: {quote(entry.source_type)}\n",
                f"  source_id: {quote(entry.source_id)}\n"]
        for p in entry.postings:
            out = exported(entry, p, names, functional)
            account = out.account
            for currency in (out.currency, *(out.price[1:] if out.price else ())):
                if currency not in commodities:
                    commodities.add(currency)
                    declarations.append(f"{day} commodity {currency}\n")
            if account.name not in opened:
                opened[account.name] = out.currency
                declarations.append(
                    f"{day} open {account.name} {out.currency}\n"
                    f"  entity: {quote(account.entity)}\n"
                    f"  account_code: {quote(account.code)}\n"
                    f"  role: {quote(account.role or 'unmapped')}\n")
            elif opened[account.name] != out.currency:
                raise UnexportableJournal(
                    f"journal entry {entry.key}: account {account.name} is used with "
                    f"{opened[account.name]} and {out.currency}; one currency per account")
            price = f" @@ {out.price[0]} {out.price[1]}" if out.price else ""
            body.append(f"  {account.name}  {out.amount} {out.currency}{price}\n")
            for dim in DIMENSIONS:
                value = getattr(p, dim)
                if value:
                    body.append(f"    {dim}: {quote(value)}\n")
        yield "\n" + "".join(declarations) + "".join(body)
