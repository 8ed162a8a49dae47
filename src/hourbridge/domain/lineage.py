"""Why a time entry has not (or not wholly) billed: its states read as reason codes.

The trace (``hourbridge trace entry ID``) shows an entry's whole path; this is the one place
that turns the facts it read into the answer a finance user asks first ("why is this hour
not on an invoice?"). Pure: the caller passes every fact, including the holds that cover the
entry and its open exceptions and corrections.
"""

from __future__ import annotations

from dataclasses import dataclass

from .problems import Problem


@dataclass(frozen=True, slots=True)
class EntryFacts:
    """What the store knows about one entry, as far as billing it goes."""

    approval: str
    billing: str
    billable: bool
    deleted: bool
    billable_seconds: int
    billed_seconds: int
    written_off_seconds: int
    # (scope, ref, reason) of each active hold on the entry, its project, contract or customer
    holds: tuple[tuple[str, str, str], ...] = ()
    open_corrections: int = 0
    has_contract: bool = True
    # the contract's not-to-exceed cap in hours (or "amount") when it holds work beyond it
    hold_cap: str | None = None
    # the latest real billing run that reached the entry's work date (id, through), if any
    passed_by_run: tuple[int, str] | None = None


def why_not_billed(facts: EntryFacts) -> tuple[Problem, ...]:
    """Each reason the entry's billable time is not (all) on a live invoice; empty when it
    is. Several can hold at once (held and not approved): all are listed, most basic first,
    because fixing one alone would not bill it."""
    f = facts
    if f.deleted:
        return (Problem("deleted_at_source", "the source deleted this entry"),)
    if not f.billable or f.billing == "non_billable":
        why = "no contract on its project" if not f.has_contract else "a non-billable task"
        return (Problem("non_billable", f"not billable: {why}"),)
    if f.billing == "covered":
        return (Problem("covered_by_fee", "a fee-only contract version covers these hours: "
                        "its fee schedule or milestones bill, never the hours"),)
    open_seconds = f.billable_seconds - f.billed_seconds - f.written_off_seconds
    if f.billing == "written_off":
        return (Problem("written_off", "its time was written off (a write-off credit note "
                        "or a cap write-down)"),)
    reasons: list[Problem] = []
    if f.approval == "rejected":
        reasons.append(Problem("rejected", "rejected at approval"))
    elif f.approval != "approved":
        reasons.append(Problem("not_approved", f"approval is {f.approval}, not approved"))
    reasons += [Problem("on_hold", f"{scope} {ref} is on hold: {reason}", field=scope)
                for scope, ref, reason in f.holds]
    if f.open_corrections:
        reasons.append(Problem("correction_open", f"{f.open_corrections} correction(s) of "
                               "this entry await a decision"))
    if reasons:
        return tuple(reasons)
    if f.billing == "on_draft":
        return (Problem("on_draft", "on a draft invoice not yet issued"),)
    if open_seconds > 0 and f.billing in ("unbilled", "credited"):
        # a run through its date passed it over: on a capped contract, the cap held it (the
        # run's own report names each held entry; the trace reads state, not the plan)
        if f.passed_by_run is not None and f.hold_cap is not None:
            run, through = f.passed_by_run
            return (Problem("over_cap", f"the contract's not-to-exceed cap ({f.hold_cap}) "
                            f"holds work beyond it: billing run #{run} through {through} "
                            "left this entry open"),)
        return (Problem("awaiting_billing_run", f"{open_seconds} s approved and open: the next "
                        "billing run through its work date bills them"),)
    return ()


def why_expense_not_billed(approval: str, billing: str) -> tuple[Problem, ...]:
    """The same question for an expense, whose billing is all or nothing."""
    if billing == "billed":
        return ()
    if billing == "non_billable":
        return (Problem("non_billable", "not billable (the expense or its contract's "
                        "expense policy)"),)
    if billing == "written_off":
        return (Problem("written_off", "written off"),)
    if approval == "rejected":
        return (Problem("rejected", "rejected at approval"),)
    if approval != "approved":
        return (Problem("not_approved", f"approval is {approval}, not approved"),)
    return (Problem("awaiting_billing_run", "approved and unbilled: the next billing run "
                    "through its date bills it"),)
