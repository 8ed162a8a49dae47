"""Salesforce REST queries as data (developer.salesforce.com REST API guide,
``resources_query.htm``): ``GET /services/data/vXX.X/query?q=<SOQL>`` answers ``{totalSize,
done, nextRecordsUrl?, records[]}``; ``nextRecordsUrl`` is followed verbatim until ``done``
is true. ``Sforce-Query-Options: batchSize=N`` lowers the page (default 2000).

Won means ``IsWon = true``: the stage's type is Closed/Won, whatever the org calls the stage
(the standard one is "Closed Won"). The cursor is ``SystemModstamp`` (the sample query's
watermark), stored to the second: ``>`` a value cut to the second may take a deal again,
which is a duplicate, and never skips one."""

from __future__ import annotations

from dataclasses import dataclass

API_VERSION = "v62.0"
TOKEN_PATH = "/services/oauth2/token"
QUERY_PATH = f"/services/data/{API_VERSION}/query"
BATCH_SIZE = 2000
# a list of ids put into one IN (...) clause (a SOQL statement is at most 100,000 characters)
IDS_PER_QUERY = 200


@dataclass(frozen=True, slots=True)
class Soql:
    """One SOQL read: the object, its fields (``optional`` ones are dropped, once, when the
    org answers ``INVALID_FIELD`` naming them: ``CurrencyIsoCode`` exists only in
    multi-currency orgs, country codes only with state and country picklists, a VAT field
    only where the org added one)."""

    sobject: str
    fields: tuple[str, ...]
    optional: tuple[str, ...] = ()
    order_by: str = ""

    def statement(self, where: str, dropped: frozenset[str] = frozenset()) -> str:
        names = [f for f in self.fields + self.optional if f not in dropped]
        order = f" ORDER BY {self.order_by}" if self.order_by else ""
        return f"SELECT {', '.join(names)} FROM {self.sobject} WHERE {where}{order}"


OPPORTUNITIES = Soql(
    "Opportunity",
    ("Id", "Name", "AccountId", "Amount", "CloseDate", "StageName", "IsWon", "SystemModstamp"),
    optional=("CurrencyIsoCode",), order_by="SystemModstamp, Id")
LINE_ITEMS = Soql(
    "OpportunityLineItem",
    ("Id", "OpportunityId", "Product2Id", "ProductCode", "Name", "Quantity", "UnitPrice",
     "TotalPrice", "Discount", "ServiceDate", "Description", "SortOrder"),
    order_by="OpportunityId, SortOrder, Id")
ACCOUNTS = Soql("Account", ("Id", "Name", "BillingCountry"),
                optional=("BillingCountryCode", "VAT_Number__c"))
