"""Plain-text ledger exports of the journal (DESIGN §5 ``export journal``): pure renderers.

Each renderer takes domain ``JournalEntry`` objects in posting-date order and the chart-of-accounts
mapping of every entity, and yields pieces of text (each ending with a newline) that, written in
order, make one file the accountants' own tools accept: ``beancount`` (checked with
``bean-check``) and ``hledger`` (checked with ``hledger check -s ordereddates payees``).

Shared rules live in ``common``: hierarchical account names by role, amounts with exactly the
currency's minor units, and the refusals (``UnexportableJournal``) for input no tool could read
the way we meant it.
"""

from __future__ import annotations

from .common import AccountNames, UnexportableJournal, account_name, amount_text

__all__ = ["AccountNames", "UnexportableJournal", "account_name", "amount_text"]
