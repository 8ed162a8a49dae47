"""What both ledger renderers share: account names, amounts, order and refusals.

Account names are ``<Type>:<entity>:<Role>:<code>``, the role read from the entity's chart of
accounts (``model.Accounts``), e.g. ``Assets:DE:Receivables:1400`` or ``Income:US:Revenue:4000``.
A code the entity's mapping does not know (or an entity without a mapping) goes to
``Equity:<entity>:Unmapped:<code>``: kept visible and balanced, never guessed into a role.
Each component is reduced to what both tools accept (ASCII letters, digits and ``-``, starting
with an upper-case letter or a digit); two different codes that would end up with one name are
refused rather than merged.

Foreign currencies (given the entities' functional currencies): a posting in another currency
than its entity's functional one goes to the account's per-currency leaf ``<code>-<CUR>``
(``Assets:DE:Unbilled:1210-USD``), so every account holds one commodity, and carries its
functional amount as a total price (``100.00 USD @@ 92.59 EUR``), so each transaction balances
in the tools exactly as in our ledger. A functional-only posting (an FX difference: no
transaction amount) is written in the functional currency on the account itself. Balances
per account and commodity then equal our trial balance per currency, and the converted
(cost) balances equal its functional balances.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Context, Decimal, InvalidOperation

from hourbridge.errors import Conflict

from ..ledger import JournalEntry, Posting, balanced
from ..model import Accounts
from ..money import quantum

# role field of ``Accounts`` -> (account type, role component); the first role wins when an
# entity maps two roles to one code.
ROLES: tuple[tuple[str, str, str], ...] = (
    ("receivables", "Assets", "Receivables"),
    ("unbilled_receivables", "Assets", "Unbilled"),
    ("tax_payable", "Liabilities", "Tax"),
    ("revenue", "Income", "Revenue"),
    ("revenue_adjustments", "Income", "Adjustments"),
    ("fx_gain_loss", "Income", "FxGainLoss"),
    ("deferred_revenue", "Liabilities", "DeferredRevenue"),
    ("expense_recoveries", "Income", "ExpenseRecoveries"),
    ("intercompany_receivable", "Assets", "Intercompany"),
    ("intercompany_payable", "Liabilities", "Intercompany"),
    ("intercompany_revenue", "Income", "Intercompany"),
    ("intercompany_cost", "Expenses", "Intercompany"),
)
UNMAPPED = ("Equity", "Unmapped")
_NOT_ALLOWED = re.compile(r"[^A-Za-z0-9-]")
_EXACT = Context(prec=60)


class UnexportableJournal(Conflict):
    """The journal cannot be written so that the target tool reads what we mean."""

    code = "unexportable_journal"


@dataclass(frozen=True, slots=True)
class LedgerAccount:
    name: str
    type: str  # Assets, Liabilities, Equity, Income or Expenses
    entity: str
    code: str
    role: str | None  # None: the code is not in the entity's mapping


def component(text: str) -> str:
    """One account-name component that beancount and hledger both accept."""
    cleaned = _NOT_ALLOWED.sub("-", text.strip())
    if not cleaned:
        return "X"
    first = cleaned[0]
    if first.isalpha():
        return first.upper() + cleaned[1:]
    return cleaned if first.isdigit() else "X" + cleaned


def account_name(entity: str, code: str, accounts: Accounts | None) -> LedgerAccount:
    if accounts is not None:
        for role, type_, label in ROLES:
            if getattr(accounts, role) == code:
                name = f"{type_}:{component(entity)}:{label}:{component(code)}"
                return LedgerAccount(name, type_, entity, code, role)
    type_, label = UNMAPPED
    return LedgerAccount(f"{type_}:{component(entity)}:{label}:{component(code)}", type_,
                         entity, code, None)


class AccountNames:
    """Names for (entity, account code), remembered; a name shared by two codes is refused."""

    def __init__(self, accounts: Mapping[str, Accounts]) -> None:
        self._accounts = accounts
        self._by_code: dict[tuple[str, str, str | None], LedgerAccount] = {}
        self._owner: dict[str, tuple[str, str, str | None]] = {}

    def __call__(self, entity: str, code: str, foreign: str | None = None) -> LedgerAccount:
        """The name of ``code``; with ``foreign``, its leaf for that foreign currency."""
        known = self._by_code.get((entity, code, foreign))
        if known is not None:
            return known
        account = account_name(entity, code, self._accounts.get(entity))
        if foreign is not None:
            account = LedgerAccount(f"{account.name}-{component(foreign)}", account.type,
                                    entity, code, account.role)
        owner = self._owner.setdefault(account.name, (entity, code, foreign))
        if owner != (entity, code, foreign):
            raise UnexportableJournal(
                f"account {code!r} of entity {entity!r} and account {owner[1]!r} of entity "
                f"{owner[0]!r} would both be written as {account.name}")
        self._by_code[(entity, code, foreign)] = account
        return account


@dataclass(frozen=True, slots=True)
class ExportedPosting:
    """What a renderer writes for one posting: account, units and, for a foreign currency,
    the total functional amount as its price (unsigned, the tools take the sign from units)."""

    account: LedgerAccount
    amount: str
    currency: str
    price: tuple[str, str] | None = None


def exported(entry: JournalEntry, p: Posting, names: AccountNames,
             functional: Mapping[str, str] | None) -> ExportedPosting:
    fc = functional.get(entry.entity) if functional else None
    if fc is None or p.currency == fc:
        return ExportedPosting(names(entry.entity, p.account),
                               amount_text(p.debit - p.credit, p.currency), p.currency)
    if not p.debit and not p.credit:  # functional only: an FX difference
        return ExportedPosting(names(entry.entity, p.account),
                               amount_text(p.functional_amount, fc), fc)
    return ExportedPosting(names(entry.entity, p.account, p.currency),
                           amount_text(p.debit - p.credit, p.currency), p.currency,
                           (amount_text(abs(p.functional_amount), fc), fc))


def amount_text(amount: Decimal, currency: str) -> str:
    """``amount`` with exactly the minor units of ``currency`` (2 for EUR, 0 for JPY, 3 for KWD).

    Nothing is rounded here: an amount finer than the currency's minor unit is refused.
    """
    try:
        exact = amount.quantize(quantum(currency), context=_EXACT)
    except ValueError as exc:  # unknown currency
        raise UnexportableJournal(str(exc)) from None
    except InvalidOperation:
        raise UnexportableJournal(f"amount {amount} {currency} is not a number") from None
    if exact != amount:
        raise UnexportableJournal(
            f"amount {amount} {currency} has more decimals than {currency} allows")
    if exact == 0:
        exact = abs(exact)  # never "-0.00"
    return format(exact, "f")


def in_date_order(entries: Iterable[JournalEntry]) -> Iterator[JournalEntry]:
    """Pass ``entries`` through, refusing one dated before its predecessor or unbalanced.

    Accounts and commodities are declared at their first use, so the input must come in
    posting-date order (the read side streams it ordered by date and id).
    """
    last: date | None = None
    for entry in entries:
        if last is not None and entry.posted_on < last:
            raise UnexportableJournal(
                f"journal entry {entry.key} ({entry.posted_on.isoformat()}) comes after one "
                f"dated {last.isoformat()}: entries must be in posting-date order")
        last = entry.posted_on
        yield balanced(entry)


def payee(entry: JournalEntry) -> str:
    """The customer when every posting with a customer names the same one, else the entity."""
    customers = {p.customer for p in entry.postings if p.customer}
    return customers.pop() if len(customers) == 1 else entry.entity

