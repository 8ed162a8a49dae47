"""The journal as an hledger journal (checked with ``hledger check -s ordereddates payees``).

Layout: a header with ``decimal-mark .``, then per journal entry (in posting-date order) the
``commodity``, ``account`` and ``payee`` directives of what it uses for the first time, and the
transaction, whose code is the journal key and whose description is ``payee | memo``::

    commodity 1000.00 EUR
    account Assets:DE:Receivables:1200  ; type: A, entity: DE, code: 1200, role: receivables
    payee ACME

    2026-11-02 * (invoice-issued:DE:DE-000001) ACME | invoice DE-000001
        ; journal_key: invoice-issued:DE:DE-000001
        ; entity: DE
        ; source_type: invoice
        ; source_id: DE-000001
        Assets:DE:Receivables:1200    669.38 EUR
            ; customer: ACME

Declaring every account, commodity and payee is what lets the strict checks (``accounts``,
``commodities``, ``payees``) pass. hledger has no escapes: in tag values (which end at a comma)
``%``, ``,`` and control characters are percent-encoded; in the description ``;`` (a comment)
becomes ``,`` and control characters spaces; the payee loses ``|``; the code loses ``)``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping

from ..ledger import JournalEntry
from ..model import Accounts
from ..money import minor_units
from .common import AccountNames, exported, in_date_order, payee

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_TAG_ESCAPE = re.compile(r"[%,\x00-\x1f\x7f]")
_TYPES = {"Assets": "A", "Liabilities": "L", "Equity": "E", "Income": "R", "Expenses": "X"}
DIMENSIONS = ("customer", "project", "employee")
INDENT = "    "


def tag_value(text: str) -> str:
    return _TAG_ESCAPE.sub(lambda m: f"%{ord(m.group()):02X}", text).strip()


def text(value: str) -> str:
    """Free text for a description: one line, no comment start."""
    return " ".join(_CONTROL.sub(" ", value).replace(";", ",").split())


def payee_name(value: str) -> str:
    return text(value).replace("|", "/") or "-"


def code(value: str) -> str:
    return text(value).replace(")", "]")


def commodity_directive(currency: str) -> str:
    units = minor_units(currency)
    sample = "1000." + "0" * units
    return f"commodity {sample} {currency}\n"


def render_journal(entries: Iterable[JournalEntry], accounts: Mapping[str, Accounts],
                   functional: Mapping[str, str] | None = None) -> Iterator[str]:
    """Yield the hledger text of ``entries`` (in posting-date order), piece by piece;
    ``functional`` (entity -> functional currency) makes foreign postings carry their
    functional amount as total cost (``@@``, see ``common``)."""
    names = AccountNames(accounts)
    commodities: set[str] = set()
    declared: set[str] = set()
    payees: set[str] = set()
    yield ("; Journal export from Hourbridge in hledger journal syntax.\n"
           "; Accounts are <Type>:<entity>:<Role>:<code>; codes outside an entity's chart\n"
           "; mapping are under Equity:<entity>:Unmapped.\n"
           "decimal-mark .\n")
    for entry in in_date_order(entries):
        declarations: list[str] = []
        who = payee_name(payee(entry))
        if who not in payees:
            payees.add(who)
            declarations.append(f"payee {who}\n")
        body = [f"{entry.posted_on.isoformat()} * ({code(entry.key)}) {who} | "
                f"{text(entry.memo)}\n"]
        for key, value in (("journal_key", entry.key), ("entity", entry.entity),
                           ("source_type", entry.source_type), ("source_id", entry.source_id)):
            body.append(f"{INDENT}; {key}: {tag_value(value)}\n")
        for p in entry.postings:
            out = exported(entry, p, names, functional)
            account = out.account
            for currency in (out.currency, *(out.price[1:] if out.price else ())):
                if currency not in commodities:
                    commodities.add(currency)
                    declarations.append(commodity_directive(currency))
            if account.name not in declared:
                declared.add(account.name)
                declarations.append(
                    f"account {account.name}  ; type: {_TYPES[account.type]}, "
                    f"entity: {tag_value(account.entity)}, code: {tag_value(account.code)}, "
                    f"role: {account.role or 'unmapped'}\n")
            cost = f" @@ {out.price[0]} {out.price[1]}" if out.price else ""
            body.append(f"{INDENT}{account.name}    {out.amount} {out.currency}{cost}\n")
            for dim in DIMENSIONS:
                value = getattr(p, dim)
                if value:
                    body.append(f"{INDENT * 2}; {dim}: {tag_value(value)}\n")
        yield "\n" + "".join(declarations) + ("\n" if declarations else "") + "".join(body)
