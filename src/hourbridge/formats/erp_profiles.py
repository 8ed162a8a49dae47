"""The ``erp_profiles`` section: how each legal entity's documents land in an ERP (YAML or
JSON, beside the master-data bundle). Shape and types are checked here, naming the field;
what needs master data (the entity, ISO codes, required accounts) in ``domain.erp``.

.. code-block:: yaml

    erp_profiles:
      - destination: odoo-gmbh        # the sink's name
        system: odoo                  # or tryton (company: the company's party name)
        entity: GMBH
        company: "1"
        journal: INV                  # sales journal code
        currency: EUR
        receivable_account: "121000"
        revenue_accounts: {default: "400000", expense: "400200"}
        tax_codes: {DE19: "19% S"}    # ours -> the ERP's tax name
        accounts: {"4000": "400000"}  # ledger account -> the ERP's (journal entries)
        numbering: hourbridge         # or erp
        entries_journal: MISC         # journal entries' journal (default: journal)
        connection: {url: "https://odoo.example", database: acme, login: api@acme,
                     secret_env: HOURBRIDGE_ERP_ODOO_GMBH_KEY}
        concurrency: 2
        documents_per_second: 5

What ``connection`` holds per ``system`` (the secret always comes from the environment
variable ``secret_env``, default ``HOURBRIDGE_ERP_<DESTINATION>_KEY``):

- ``d365_fo``: ``url`` (``https://<env>.operations.dynamics.com``), ``tenant``, ``client_id``
  (the secret is the app's client secret); optional ``token_url``, ``scope``,
  ``customer_group``, ``tax_item_group``, ``projects_entity`` (``Projects``).
  ``company`` is the ``dataAreaId``, ``journal`` the
  journal name; tax codes map to sales tax groups.
- ``oracle_fusion``: ``url``, ``login`` (``auth: bearer`` for an IAM token), ``ledger_id``,
  ``data_access_set``; optional ``transaction_source``, ``journal_source`` (both default
  ``Hourbridge``), ``credit_memo_type``, ``payment_terms``, ``poll_seconds``,
  ``poll_timeout``, ``import_settle_seconds``. ``company`` is the business unit, ``journal``
  the transaction type, ``entries_journal`` the GL category.
- ``sap``: ``url`` (the tenant's API host), ``login`` (the communication user); optional
  ``billing_type``, ``credit_billing_type``, ``request_category``, ``chart_of_accounts``;
  for the billing document requests it creates ``request_type`` (``EOX1``),
  ``credit_request_type`` (``EOX2``), ``request_item_category`` (``EDX1``),
  ``sales_organization`` (the company code), ``distribution_channel`` (``10``),
  ``division`` (``00``), ``product`` (for lines without an item), ``price_condition``
  (``PPR0``), ``request_reads`` (5) and ``request_wait_seconds`` (0.5) for reading a new
  request back. ``company`` is the company code, ``entries_journal`` the journal entry's
  document type.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hourbridge.domain.erp import ErpProfile
from hourbridge.domain.problems import Problem


class ErpProfileIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    destination: str = Field(min_length=1, max_length=64)
    system: str
    entity: str
    company: str
    journal: str
    currency: str = Field(min_length=3, max_length=3)
    receivable_account: str
    revenue_accounts: dict[str, str]
    tax_codes: dict[str, str] = {}
    items: dict[str, str] = {}
    accounts: dict[str, str] = {}
    numbering: Literal["hourbridge", "erp"] = "hourbridge"
    entries_journal: str | None = None
    connection: dict[str, str] = {}
    concurrency: int = Field(2, ge=1, le=64)
    documents_per_second: float | None = Field(None, gt=0)

    def to_domain(self) -> ErpProfile:
        return ErpProfile(**self.model_dump())


class ErpProfilesDocument(BaseModel):
    model_config = ConfigDict(extra="ignore")  # the rest of a bundle file is not ours

    erp_profiles: list[ErpProfileIn] = []


def parse_erp_profiles(path: Path) -> tuple[list[ErpProfile], list[str], list[Problem]]:
    """The profiles in ``path``, where each was read, and every problem (naming its field)."""
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if name.lower().endswith(".json") else yaml.safe_load(text)
        doc = ErpProfilesDocument.model_validate(data or {})
    except (OSError, json.JSONDecodeError, yaml.YAMLError) as exc:
        return [], [], [Problem("invalid_format", str(exc).replace("\n", " "), name)]
    except ValidationError as exc:
        return [], [], [
            Problem("invalid_field", str(err["msg"]),
                    f"{name}: " + ".".join(str(p) for p in err["loc"]),
                    str(err["loc"][-1]) if err["loc"] else "")
            for err in exc.errors()]
    return ([p.to_domain() for p in doc.erp_profiles],
            [f"{name}: erp_profiles[{i}]" for i in range(len(doc.erp_profiles))], [])
