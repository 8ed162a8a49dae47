"""Pushed Salesforce events, verified then read: which opportunities they name, by which
delivery ids (replay dedupe), and the reply the sender wants.

- Change Data Capture (``/data/OpportunityChangeEvent``) and platform events
  (``/event/<Name>__e``) reach Hourbridge as the CometD JSON messages (one, or a list as
  CometD batches them) from a subscriber the firm runs (CometD or the Pub/Sub API, which
  decodes the same payload). That relay signs the raw body: ``X-Hourbridge-Signature:
  sha256=<hex HMAC-SHA256>`` keyed with the connection's webhook secret, the scheme of the
  tracker webhooks (``connectors.webhook``). A change event's delivery id is
  ``<channel>#<replayId>`` (replay ids are per channel); a platform event's its ``EventUuid``
  (API 52.0 and later) else the same.
- Outbound Messages (SOAP 1.1, ``http://soap.sforce.com/2005/09/outbound``) come from
  Salesforce itself, which cannot sign a body: the endpoint URL carries the connection's
  webhook secret as ``?token=`` (compared in constant time) and, when the connection names
  its ``organization_id``, the message's ``OrganizationId`` must be it. Each
  ``Notification/Id`` is a delivery; the reply is ``notificationsResponse/Ack=true``, else
  Salesforce sends it again for up to 24 h.

An event never carries what a draft needs (line items, the account): it only says which
opportunities to read back, so pulled and pushed deals are built the same way.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any
from xml.etree import ElementTree as ET

from hourbridge.connectors.webhook import SignatureScheme, Webhook, verify
from hourbridge.domain.problems import Problem
from hourbridge.errors import SignatureRefused, UnreadablePayload
from hourbridge.services.ports.deals import CrmEvent

from .fields import (
    CDC_SKIP_TYPES,
    EVENT_OPPORTUNITY,
    EVENT_UUID,
    ID_PATTERN,
    OUTBOUND_NS,
    SOBJECT_NS,
)

SIGNED = Webhook(signature_header="X-Hourbridge-Signature",
                 scheme=SignatureScheme.HMAC_SHA256_HEX, prefix="sha256=")
TOKEN = Webhook(signature_header="X-Hourbridge-Token", scheme=SignatureScheme.SHARED_TOKEN)
SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
ACK = (b'<?xml version="1.0" encoding="UTF-8"?>'
       b'<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">'
       b'<soapenv:Body><notificationsResponse xmlns="http://soap.sforce.com/2005/09/outbound">'
       b"<Ack>true</Ack></notificationsResponse></soapenv:Body></soapenv:Envelope>")
_ID = re.compile(ID_PATTERN)


def _refused(message: str, where: str = "") -> UnreadablePayload:
    return UnreadablePayload(Problem("invalid_format", message, where or "body"))


def _record_id(value: Any, where: str) -> str:
    text = str(value or "").strip()
    if not _ID.match(text):
        raise _refused(f"{text[:40]!r} is not a Salesforce record id", where)
    return text


def _dig(data: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        data = data.get(key) if isinstance(data, dict) else None
    return data


def _cometd(message: Any, i: int) -> tuple[str, tuple[str, ...]] | None:
    """(delivery id, opportunity ids) of one CometD message; None: nothing to read back."""
    if not isinstance(message, dict):
        raise _refused("a CometD message is an object", f"[{i}]")
    channel = str(message.get("channel") or "")
    payload = _dig(message, ("data", "payload"))
    replay = _dig(message, ("data", "event", "replayId"))
    if not isinstance(payload, dict) or replay is None:
        raise _refused("no data.payload or data.event.replayId", f"[{i}].data")
    if channel.startswith("/data/"):
        header = payload.get("ChangeEventHeader")
        if not isinstance(header, dict):
            raise _refused("a change event without its ChangeEventHeader",
                           f"[{i}].data.payload.ChangeEventHeader")
        delivery = f"{channel}#{replay}"
        if header.get("entityName") != "Opportunity" or header.get(
                "changeType") in CDC_SKIP_TYPES or payload.get("IsWon") is False:
            return delivery, ()
        ids = header.get("recordIds")
        if not isinstance(ids, list) or not ids:
            raise _refused("recordIds is empty", f"[{i}].data.payload.ChangeEventHeader")
        return delivery, tuple(_record_id(r, f"[{i}].recordIds") for r in ids)
    if channel.startswith("/event/"):
        uuid = next((v for p in EVENT_UUID if (v := _dig(message, p))), None)
        named = next((payload[f] for f in EVENT_OPPORTUNITY if payload.get(f)), None)
        if named is None:
            raise _refused(f"the event names no opportunity (one of "
                           f"{', '.join(EVENT_OPPORTUNITY)})", f"[{i}].data.payload")
        return (str(uuid) if uuid else f"{channel}#{replay}",
                (_record_id(named, f"[{i}].data.payload"),))
    raise _refused(f"channel {channel[:60]!r} is neither /data/... nor /event/...",
                   f"[{i}].channel")


def read_cometd(body: bytes) -> CrmEvent:
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise _refused(f"not valid JSON: {exc}") from None
    messages = data if isinstance(data, list) else [data]
    found = [f for f in (_cometd(m, i) for i, m in enumerate(messages)) if f is not None]
    kind = "platform_event" if any(str(m.get("channel", "")).startswith("/event/")
                                   for m in messages if isinstance(m, dict)) else "change_event"
    reply = json.dumps({"taken": [d for d, _ in found]}).encode()
    return CrmEvent(kind, tuple(found), reply, "application/json")


def read_outbound(body: bytes, organization: str | None) -> CrmEvent:
    head = body[:4096].upper()
    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
        raise _refused("a document type or entity declaration: not an outbound message")
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise _refused(f"not well-formed XML: {exc}") from None
    notes = root.find(f"{{{SOAP_NS}}}Body/{{{OUTBOUND_NS}}}notifications")
    if notes is None:
        raise _refused("no soapenv:Body/notifications element", "/Envelope/Body")
    org = (notes.findtext(f"{{{OUTBOUND_NS}}}OrganizationId") or "").strip()
    if organization and org[:15] != organization[:15]:
        raise SignatureRefused(f"the outbound message is from organization {org[:18]!r}, "
                               "not this connection's")
    found: list[tuple[str, tuple[str, ...]]] = []
    for i, note in enumerate(notes.findall(f"{{{OUTBOUND_NS}}}Notification")):
        where = f"/notifications/Notification[{i + 1}]"
        delivery = (note.findtext(f"{{{OUTBOUND_NS}}}Id") or "").strip()
        sobject = note.find(f"{{{OUTBOUND_NS}}}sObject")
        if not delivery or sobject is None:
            raise _refused("a Notification needs its Id and sObject", where)
        won = (sobject.findtext(f"{{{SOBJECT_NS}}}IsWon") or "").strip().lower()
        record = _record_id(sobject.findtext(f"{{{SOBJECT_NS}}}Id"), f"{where}/sObject/Id")
        found.append((f"om:{delivery}", () if won == "false" else (record,)))
    if not found:
        raise _refused("the message holds no Notification", "/notifications")
    return CrmEvent("outbound_message", tuple(found), ACK, "text/xml")


def open_event(secret: str, organization: str | None, headers: Mapping[str, str],
               body: bytes, token: str) -> CrmEvent:
    """Verify first (the raw bytes, before any parsing), then read."""
    if not secret:
        raise SignatureRefused("the connection has no webhook secret: set it with "
                               "`hourbridge deals connect ... --webhook-secret`")
    if token or headers.get("x-hourbridge-token"):
        verify(TOKEN, secret, {"x-hourbridge-token": token or headers["x-hourbridge-token"]},
               body)
        return read_outbound(body, organization)
    verify(SIGNED, secret, headers, body)
    return read_cometd(body)
