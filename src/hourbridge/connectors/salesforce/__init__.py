"""Salesforce CRM: won opportunities in (issue 11 item 8). ``streams`` declares the SOQL
reads, ``fields`` where values sit in records and pushed events, ``api`` the REST client
(OAuth client credentials or JWT bearer, ``nextRecordsUrl`` paging, the error array, 403
``REQUEST_LIMIT_EXCEEDED``), ``events`` the pushed events (change data capture, platform
events, outbound messages), ``crm`` the gateway the deals use cases call."""

from .crm import NAME, Salesforce

__all__ = ["NAME", "Salesforce"]
