"""Billing rules, pure: draft invoices (``drafts``), and what one contract bills in a run
(``plan``) from its retainer (``retainer``), cap (``cap``) and expenses (``expenses``).

Only the draft model is re-exported here; ``domain.contracts`` imports ``period_of`` from this
package, so the rule modules (which import ``domain.contracts``) are imported by their path.
"""

from .drafts import (
    BillableItem,
    ChargeLine,
    Detail,
    DraftInvoice,
    DraftLine,
    LineLink,
    build_drafts,
    invoice_number,
    max_rounding_gap,
    period_of,
)

__all__ = ["BillableItem", "ChargeLine", "Detail", "DraftInvoice", "DraftLine", "LineLink",
           "build_drafts", "invoice_number", "max_rounding_gap", "period_of"]
