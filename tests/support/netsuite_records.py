"""What the NetSuite imitation (``support.netsuite``) checks of a record written, and how
it refuses: errors as ``{type, title, status, o:errorDetails: [{detail, o:errorCode,
o:errorPath}]}`` (``error.400.invalid_content.json``). A customer needs a company name and a
subsidiary; an invoice or credit memo an existing ``entity``, ``subsidiary``, currency, a
``job`` of that customer if any, and item lines whose ``item`` exists, amounts ``quantity x
rate`` to the cent and tax per tax code on the document's net per code, half up (INF); a
journal entry existing accounts and balanced debits and credits (``USER_ERROR``, INF
text)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from support.erp_http import Reply, problem_reply

CENT = Decimal("0.01")
TRANSACTIONS = ("invoice", "creditmemo", "journalentry")
# the imitation's records: record type -> id -> row
Records = dict[str, dict[str, dict[str, Any]]]


def error(status: int, code: str, detail: str, path: str | None = None,
          title: str = "Bad Request", **headers: str) -> Reply:
    item = {"detail": detail, "o:errorCode": code}
    if path:
        item["o:errorPath"] = path
    return problem_reply(status, {"type": "https://www.w3.org/Protocols/rfc2616/"
                                  "rfc2616-sec10.html", "title": title, "status": status,
                                  "o:errorDetails": [item]}, **headers)


class Refusal(Exception):
    def __init__(self, reply: Reply) -> None:
        self.reply = reply


def need(records: Records, record: str, ref: Any, path: str) -> dict[str, Any]:
    """The record ``ref`` (``{"id": ...}``) names, or INVALID_CONTENT naming ``path``."""
    rid = ref.get("id") if isinstance(ref, dict) else None
    row = records.get(record, {}).get(str(rid))
    if row is None:
        raise Refusal(error(400, "INVALID_CONTENT", "Error while accessing resource: You "
                            f"have entered an Invalid Field Value {rid} for the following "
                            f"field: {path.rsplit('.', 1)[-1]}", path))
    return row

def validate(records: Records, record: str, body: dict[str, Any]) -> dict[str, Any]:
    """The row to store for ``body`` written as a ``record``, its amounts and status as
    NetSuite computes them, or a ``Refusal``."""
    row = dict(body)
    if record == "customer":
        if not body.get("companyName"):
            raise Refusal(error(400, "USER_ERROR", "Please enter value(s) for: Company "
                                "Name", "companyName"))
        need(records, "subsidiary", body.get("subsidiary"), "subsidiary")
        return row
    if record not in TRANSACTIONS:
        raise Refusal(error(400, "INVALID_REQUEST", f"writing {record} is not imitated"))
    need(records, "subsidiary", body.get("subsidiary"), "subsidiary")
    currency = need(records, "currency", body.get("currency"), "currency")
    row["currencySymbol"] = currency["symbol"]
    if record == "journalentry":
        lines = (body.get("line") or {}).get("items") or []
        if not lines:
            raise Refusal(error(400, "USER_ERROR", "You must enter at least one line "
                                "item for this transaction.", "line"))
        debit = credit = Decimal(0)
        for i, ln in enumerate(lines):
            need(records, "account", ln.get("account"), f"line.items[{i}].account")
            debit += Decimal(str(ln.get("debit", 0)))
            credit += Decimal(str(ln.get("credit", 0)))
        if debit != credit:
            raise Refusal(error(400, "USER_ERROR", "The transaction is out of balance: "
                                f"debits {debit}, credits {credit}."))
        row["total"] = debit
        return row
    customer = need(records, "customer", body.get("entity"), "entity")
    if body.get("job") is not None:  # the invoice's project: one of its customer's
        job = need(records, "job", body["job"], "job")
        if str((job.get("parent") or {}).get("id")) != customer["id"]:
            raise Refusal(error(400, "USER_ERROR", f"Project {job['id']} does not belong "
                                f"to customer {customer['id']}.", "job"))
    lines = (body.get("item") or {}).get("items") or []
    if not lines:
        raise Refusal(error(400, "USER_ERROR", "You must enter at least one line item "
                            "for this transaction.", "item"))
    nets: dict[Decimal, Decimal] = {}
    subtotal = Decimal(0)
    for i, ln in enumerate(lines):
        need(records, "serviceitem", ln.get("item"), f"item.items[{i}].item")
        if "quantity" not in ln or "rate" not in ln:
            raise Refusal(error(400, "USER_ERROR", "Please enter value(s) for: Quantity, "
                                "Rate", f"item.items[{i}]"))
        amount = (Decimal(str(ln["quantity"])) * Decimal(str(ln["rate"]))).quantize(
            CENT, ROUND_HALF_UP)
        ln["amount"] = amount
        rate = (need(records, "salestaxitem", ln["taxCode"], f"item.items[{i}].taxCode")
                ["rate"] if ln.get("taxCode") else Decimal(0))
        nets[rate] = nets.get(rate, Decimal(0)) + amount
        subtotal += amount
    tax = sum(((net * rate / 100).quantize(CENT, ROUND_HALF_UP)
               for rate, net in nets.items()), Decimal(0))
    row.update(subtotal=subtotal, taxTotal=tax, total=subtotal + tax,
               amountRemaining=subtotal + tax, status={"id": "A", "refName": "Open"},
               entity={"id": customer["id"], "refName": customer["companyName"]})
    return row
