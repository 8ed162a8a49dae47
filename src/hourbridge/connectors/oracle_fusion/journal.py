"""Journals into Oracle Fusion General Ledger: journalBatches cannot be created over REST
(GET/PATCH/DELETE only, CONNECTORS.md section 3), so a journal goes through the file-based
import: a zipped ``GlInterface.csv`` (FBDI "Journal Import"), base64 in an ``erpintegrations``
``importBulkData`` payload (``erpintegrations.importBulkData.journal.request.json``), which
answers an ESS request id (``ReqstId``); the job is polled (``ESSJobStatusRF``,
``erpintegrations.essJobStatus.response.json``: INF) until it ends, and a failed job's log
(``ESSExecutionDetailsRF``, a base64 zip of log files: INF) becomes the error's message.

**Inferred**, to verify against the pod's release (CONNECTORS.md open questions 4): the
``ParameterList`` order (data access set, source, ledger, group id, N, N, N, as in the
sample), the CSV column order below (the template's XLSM is the authority), the finders.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import zipfile
from datetime import date

from hourbridge.domain.erp import ErpDocument

JOB = "/oracle/apps/ess/financials/generalLedger/programs/common,JournalImportLauncher"
# the GL_INTERFACE columns we fill, in the order we write them (GlInterface.columns.md)
COLUMNS = ("STATUS", "LEDGER_ID", "ACCOUNTING_DATE", "USER_JE_SOURCE_NAME",
           "USER_JE_CATEGORY_NAME", "CURRENCY_CODE", "DATE_CREATED", "ACTUAL_FLAG",
           "SEGMENT1", "SEGMENT2", "SEGMENT3", "SEGMENT4", "SEGMENT5", "SEGMENT6",
           "ENTERED_DR", "ENTERED_CR", "REFERENCE1", "REFERENCE4", "REFERENCE5",
           "REFERENCE10", "GROUP_ID", "PERIOD_NAME")
SEGMENTS = 6
DONE = {"SUCCEEDED"}
FAILED = {"ERROR", "WARNING", "CANCELLED", "EXPIRED"}


def group_id(external_id: str) -> int:
    """The numeric GROUP_ID of a journal (deterministic: the same on every attempt)."""
    return int(hashlib.sha256(external_id.encode()).hexdigest()[:13], 16)


def gl_interface(doc: ErpDocument, ledger_id: str, source: str, batch: str,
                 created: date) -> bytes:
    """The zip holding exactly ``GlInterface.csv`` for ``doc`` (amounts in the ledger's
    currency, balanced by construction: ``domain.erp.map_journal``)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for ln in doc.lines:
        segments = (ln.account.replace(".", "-").split("-") + [""] * SEGMENTS)[:SEGMENTS]
        writer.writerow([
            "NEW", ledger_id, doc.date.strftime("%Y/%m/%d"), source, doc.journal,
            doc.currency, created.strftime("%Y/%m/%d"), "A", *segments,
            ln.debit if ln.debit else "", ln.credit if ln.credit else "", batch, batch,
            doc.memo[:240], ln.description[:240], group_id(doc.external_id),
            doc.date.strftime("%b-%y")])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("GlInterface.csv", out.getvalue())
    return buffer.getvalue()


def import_payload(doc: ErpDocument, *, ledger_id: str, data_access_set: str, source: str,
                   batch: str, created: date) -> dict[str, str]:
    content = gl_interface(doc, ledger_id, source, batch, created)
    return {
        "OperationName": "importBulkData",
        "DocumentContent": base64.b64encode(content).decode(),
        "ContentType": "zip", "FileName": f"GlInterface_{batch}.zip",
        "DocumentAccount": "fin$/generalLedger$/import$", "JobName": JOB,
        "ParameterList": f"{data_access_set},{source},{ledger_id},"
                         f"{group_id(doc.external_id)},N,N,N",
        "CallbackURL": "#NULL", "NotificationCode": "10",
        "JobOptions": "InterfaceDetails=15,ImportOption=Y,PurgeOption=N,ExtractFileType=ALL"}


def job_log(document_content: str | None) -> str:
    """The text of the log files in an ESS execution-details zip (base64)."""
    if not document_content:
        return ""
    try:
        with zipfile.ZipFile(io.BytesIO(base64.b64decode(document_content))) as archive:
            return " ".join(archive.read(n).decode(errors="replace").strip()
                            for n in archive.namelist() if not n.endswith("/"))
    except (ValueError, zipfile.BadZipFile):
        return ""
