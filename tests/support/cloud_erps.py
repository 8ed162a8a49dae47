"""The cloud ERP imitations (``support.d365``, ``support.oracle``, ``support.sap``) as test
cases: how to serve each, the profile that points at it, and what it holds after a push,
so that one test runs against every ERP (a list of factories: add an ERP, add a case)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .d365 import D365
from .erp_server import serve
from .oracle import Oracle
from .sap import Sap


@dataclass(frozen=True)
class Posted:
    """An invoice as the ERP holds it (its reference, net, tax, total) or a journal entry
    (its reference, its (debit, credit) pairs)."""

    reference: str
    amounts: tuple[Decimal, ...]


@dataclass(frozen=True)
class CloudErp:
    name: str
    system: str
    key_env: str
    secret: str
    make: Callable[[], Any]
    profile: Callable[[str], dict[str, Any]]
    invoices: Callable[[Any], list[Posted]]
    journals: Callable[[Any], list[Posted]]
    # the ERP's own master data a document needs before it can post (none so far: SAP's
    # billing document requests are created by the sink)
    prepare: Callable[[Any, list[dict[str, Any]]], None] = lambda erp, invoices: None
    # a posted credit note applied to a posted invoice in the ERP, by the sink's ids for
    # them: (erp, credit note, invoice, amount, ISO date); None while the sink reads none
    apply_credit: Callable[[Any, str, str, Decimal, str], None] | None = None

    def imitate(self, **faults: Any) -> AbstractContextManager[Any]:
        erp = self.make()
        for name, value in faults.items():
            setattr(erp, name, value)
        return serve(erp)


def _dec(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def _base(url: str, system: str, **kw: Any) -> dict[str, Any]:
    return {"destination": f"{system.replace('_', '-')}-de", "system": system, "entity": "DE",
            "currency": "EUR", "concurrency": 2, **kw}


D365_FO = CloudErp(
    "d365_fo", "d365_fo", "HOURBRIDGE_ERP_D365_FO_DE_KEY", "d365-secret", D365,
    lambda url: _base(url, "d365_fo", company="usmf", journal="GenJrn",
                      receivable_account="130100", revenue_accounts={"default": "401100"},
                      tax_codes={"standard": "DE19", "zero": "EU0"},
                      accounts={"1210": "1210", "4000": "4000"},
                      connection={"url": url, "token_url": f"{url}/token",
                                  "client_id": "hb-app", "timeout": "5"}),
    lambda erp: [Posted(h["ExternalInvoiceId"], (_dec(h["InvoiceAmount"]),
                                                 _dec(h["InvoiceTaxAmount"]),
                                                 _dec(h["InvoiceTotalAmount"])))
                 for h in erp.invoices()],
    lambda erp: [Posted(j["lines"][0]["Document"], tuple(
        a for ln in j["lines"] for a in (_dec(ln["DebitAmount"]), _dec(ln["CreditAmount"]))))
        for j in erp.journals()],
    apply_credit=lambda erp, credit, invoice, amount, on: erp.apply_credit(
        int(credit.partition("/")[2]), int(invoice.partition("/")[2]), amount, on))

ORACLE_FUSION = CloudErp(
    "oracle_fusion", "oracle_fusion", "HOURBRIDGE_ERP_ORACLE_FUSION_DE_KEY", "oracle-secret",
    Oracle,
    lambda url: _base(url, "oracle_fusion", company="DE BU", journal="Invoice",
                      entries_journal="Adjustment", receivable_account="101-1100",
                      revenue_accounts={"default": "101-4000"},
                      tax_codes={"standard": "VAT19", "zero": "VAT0"},
                      accounts={"1210": "101-1210", "4000": "101-4000"},
                      connection={"url": url, "login": "hb.integration",
                                  "ledger_id": "300000046975971", "data_access_set": "1",
                                  "poll_seconds": "0.03", "import_settle_seconds": "0.5",
                                  "timeout": "5"}),
    lambda erp: [Posted(t["TransactionNumber"], (_dec(t["LineAmount"]), _dec(t["TaxAmount"]),
                                                 _dec(t["EnteredAmount"])))
                 for t in erp.transactions["receivablesInvoices"]],
    lambda erp: [Posted(b["BatchName"], tuple(
        a for r in b["lines"] for a in (_dec(r["ENTERED_DR"] or 0), _dec(r["ENTERED_CR"] or 0))))
        for b in erp.batches],
    apply_credit=lambda erp, credit, invoice, amount, on: erp.apply_credit(
        int(credit.partition("/")[2]), int(invoice.partition("/")[2]), amount, on))


SAP = CloudErp(
    "sap", "sap", "HOURBRIDGE_ERP_SAP_DE_KEY", "sap-secret", Sap,
    lambda url: _base(url, "sap", company="1010", journal="F2", entries_journal="SA",
                      receivable_account="1100", revenue_accounts={"default": "4000"},
                      tax_codes={"standard": "O1", "zero": "O0"},
                      accounts={"1210": "1210", "4000": "4000"},
                      connection={"url": url, "login": "HB_COMM_USER", "timeout": "5",
                                  "request_wait_seconds": "0.02"}),
    # a billing document holds the net amount; its tax is the accounting document's
    lambda erp: [Posted(d["PurchaseOrderByCustomer"], (_dec(d["TotalNetAmount"]),))
                 for d in erp.billing_documents],
    lambda erp: [Posted(e["DocumentReferenceID"], tuple(
        a for i in e["items"] for a in (
            (_dec(i["AmountInTransactionCurrency"]), _dec(0)) if i["DebitCreditCode"] == "S"
            else (_dec(0), -_dec(i["AmountInTransactionCurrency"])))))
        for e in erp.journal_entries],
    apply_credit=lambda erp, credit, invoice, amount, on: erp.apply_credit(
        credit, invoice, amount, on))

CLOUD_ERPS = [D365_FO, ORACLE_FUSION, SAP]


def refs(posted: list[Posted]) -> Iterator[str]:
    return (p.reference for p in posted)
