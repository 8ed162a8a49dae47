"""What the UBL and CII renderers share: element building and value formatting."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date
from decimal import Decimal


def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrs)
    if text is not None:
        element.text = text
    return element


def decimal_text(value: Decimal) -> str:
    """Plain notation, never an exponent (both schemas' decimal types refuse ``1E+2``)."""
    return format(value, "f")


def percent_text(value: Decimal) -> str:
    """A rate in percent without trailing zeros: 19, 7, 0, 5.5."""
    text = format(value.normalize(), "f")
    return text if text != "-0" else "0"


def default_namespace_root(tag: str, namespace: str) -> ET.Element:
    """A root element in ``namespace`` written as the default namespace (``<Invoice
    xmlns="...">``, as UBL documents are by convention). ElementTree's own
    ``default_namespace`` refuses unprefixed attributes such as ``currencyID``, so the root
    is made unqualified with the declaration as an attribute; nothing else may be in
    ``namespace`` (in UBL only the root is)."""
    return ET.Element(tag, {"xmlns": namespace})


def serialize(root: ET.Element) -> bytes:
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n").encode("utf-8")


def iso(day: date) -> str:
    return day.isoformat()


def compact(day: date) -> str:
    """UN/CEFACT date format 102 (CCYYMMDD)."""
    return f"{day:%Y%m%d}"
