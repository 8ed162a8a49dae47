"""Where a won deal's parts sit in Salesforce's records and pushed events (Field Reference
``Opportunity``, ``OpportunityLineItem``, ``Account``; CDC ``cdc_message_structure.htm`` and
``cdc_event_fields_header.htm``; Platform Events ``platform_events_subscribe_cometd.htm``;
the Outbound Messaging WSDL). Pushed shapes marked inferred in the samples are read
tolerantly: each place a value may sit is tried in order."""

from __future__ import annotations

# an account's VAT id: Salesforce has no standard field; the custom ones orgs commonly add
ACCOUNT_VAT = ("VAT_Number__c", "VAT_ID__c", "VATNumber__c", "Tax_Id__c")
ACCOUNT_COUNTRY = ("BillingCountryCode", "BillingCountry")
# the platform event's field naming the opportunity (your event's design; the sample's first)
EVENT_OPPORTUNITY = ("Opportunity_Id__c", "OpportunityId__c", "Opportunity__c", "RecordId__c")
# where a platform event's EventUuid sits (inferred: data.event or the payload)
EVENT_UUID = (("data", "event", "EventUuid"), ("data", "payload", "EventUuid"),
              ("data", "EventUuid"))
# a change event needing no read-back: the deal is not won (or is gone)
CDC_SKIP_TYPES = ("DELETE", "GAP_DELETE", "GAP_OVERFLOW")
OUTBOUND_NS = "http://soap.sforce.com/2005/09/outbound"
SOBJECT_NS = "urn:sobject.enterprise.soap.sforce.com"
# a Salesforce record id: 15 characters (case-sensitive) or 18 (with the checksum suffix);
# only such ids are ever put into a query
ID_PATTERN = r"^[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?$"
