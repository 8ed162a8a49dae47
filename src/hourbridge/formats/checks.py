"""Field checks of a bundle that need a reference table: ISO 3166-1 countries (pycountry),
ISO 4217 currencies (the domain's table), IANA time zones (zoneinfo), VAT ids per country,
IBANs and BICs (python-stdnum), electronic address schemes (``domain.eas``); and the union
of a nested part with its removal marker.

Each check raises ``ValueError`` with the reason; pydantic names the field path.
"""

from __future__ import annotations

import functools
import zoneinfo
from typing import Annotated, Any

import pycountry
from pydantic import Discriminator, Tag, ValidationInfo
from stdnum import bic, ean, get_cc_module, iban
from stdnum.be import vat as be_vat
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError as NumberError
from stdnum.no import orgnr as no_orgnr

from hourbridge.domain.eas import is_eas_scheme
from hourbridge.domain.iso4217 import is_currency

# the tags of a nested part and of its removal marker; a validation error's location carries
# the tag after the list index, which the error paths leave out (``strip_tags``)
PART = "part"
REMOVAL = "removal"


# validation context of records read back from the store: they were checked by the version
# that stored them; a stricter check now must not make them unreadable (GET lists)
STORED = {"stored": True}


def _stored(info: ValidationInfo) -> bool:
    return bool(info.context and info.context.get("stored"))


def check_country(code: str, info: ValidationInfo) -> str:
    if _stored(info):
        return code
    if pycountry.countries.get(alpha_2=code) is None:
        raise ValueError(f"{code!r} is not an ISO 3166-1 alpha-2 country code")
    return code


def check_currency(code: str, info: ValidationInfo) -> str:
    if _stored(info):
        return code
    if not is_currency(code):
        raise ValueError(f"{code!r} is not an ISO 4217 currency code")
    return code


@functools.cache
def _timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def check_timezone(name: str, info: ValidationInfo) -> str:
    if _stored(info):
        return name
    if name not in _timezones():
        raise ValueError(f"{name!r} is not an IANA time zone (e.g. Europe/Berlin, "
                         "America/New_York, UTC)")
    return name


def check_vat_id(number: str, country: str | None) -> str:
    """An EU VAT id (with its country prefix) by ``stdnum.eu.vat``; another country's by its
    stdnum module where there is one; otherwise it needs at least a digit."""
    cc = (country or "").lower()
    eu = cc in eu_vat.MEMBER_STATES or (cc == "gb" and number.upper().startswith("XI"))
    module: Any = eu_vat if eu else (get_cc_module(cc, "vat") if cc else None)
    if module is None:
        if not any(ch.isdigit() for ch in number):
            raise ValueError(f"{number!r} is not a VAT id (no digits)")
        return number
    try:
        compact = str(module.validate(number))
    except NumberError as exc:
        hint = (" (an EU VAT id starts with its country code, e.g. DE)"
                if eu and not number[:2].isalpha() else "")
        raise ValueError(f"{number!r} is not a valid {country} VAT id: "
                         f"{str(exc).rstrip('.').lower()}{hint}") from None
    # stdnum.eu.vat takes any member state's id: the party's country must be the one it
    # names (Greece writes EL, Northern Ireland XI), or its invoices state a foreign id
    prefix = {"gr": "EL", "gb": "XI"}.get(cc, cc.upper())
    if eu and not compact.upper().startswith(prefix):
        raise ValueError(f"{number!r} is not a {country} VAT id: a {country} VAT id starts "
                         f"with {prefix}")
    return number


def check_iban(number: str, info: ValidationInfo) -> str:
    """An IBAN (ISO 13616: country, check digits, the country's length and format), kept in
    its compact form, as EN 16931 BT-84 carries it."""
    if _stored(info):
        return number
    try:
        return str(iban.validate(number))
    except NumberError as exc:
        raise ValueError(f"{number!r} is not a valid IBAN: "
                         f"{str(exc).rstrip('.').lower()}") from None


def check_bic(code: str, info: ValidationInfo) -> str:
    """A BIC (ISO 9362, 8 or 11 characters with a known country)."""
    if _stored(info):
        return code
    try:
        return str(bic.validate(code))
    except NumberError as exc:
        raise ValueError(f"{code!r} is not a valid BIC: "
                         f"{str(exc).rstrip('.').lower()}") from None


def check_eas_scheme(code: str, info: ValidationInfo) -> str:
    if _stored(info):
        return code
    if not is_eas_scheme(code):
        raise ValueError(f"{code!r} is not a scheme of the CEF Electronic Address Scheme code "
                         "list (e.g. 0088 GLN, 0060 DUNS, 9930 German VAT number)")
    return code


def _gln(value: str) -> bool:
    return value.isdigit() and ean.is_valid(value)


# Peppol BIS Billing 3.0 refuses (flag "fatal") an electronic address in these schemes whose
# id fails its check digit: PEPPOL-COMMON-R040 (0088 GLN, GS1 check digit), -R041 (0192
# Norwegian organisation number, 9 digits mod 11), -R043 (0208 Belgian enterprise number,
# 10 digits mod 97). Checked at load, since the Peppol rules cannot run here (no package
# ships them): a participant id that Peppol would refuse never reaches an invoice.
_PEPPOL_ID_CHECKS: dict[str, tuple[str, Any]] = {
    "0088": ("a GLN (digits with a GS1 check digit)", _gln),
    "0192": ("a Norwegian organisation number (9 digits, mod 11)",
             lambda v: len(v) == 9 and no_orgnr.is_valid(v)),
    "0208": ("a Belgian enterprise number (10 digits, mod 97)",
             lambda v: len(v) == 10 and v.isdigit() and be_vat.is_valid(v)),
}


def check_endpoint_id(scheme: str, value: str) -> None:
    """Raise ``ValueError`` if ``value`` is not an id of ``scheme`` (where we know its
    check: ``_PEPPOL_ID_CHECKS``)."""
    known = _PEPPOL_ID_CHECKS.get(scheme)
    if known is not None and not known[1](value):
        raise ValueError(f"{value!r} is not {known[0]}, as scheme {scheme} requires "
                         "(Peppol refuses it)")


def _which(value: Any) -> str:
    if isinstance(value, dict):
        return REMOVAL if "remove" in value else PART
    return REMOVAL if hasattr(value, "remove") else PART


def removable(part: type, removal: type) -> Any:
    """``part`` or, given ``remove``, its removal marker ``removal`` (which names the key)."""
    return Annotated[Annotated[part, Tag(PART)] | Annotated[removal, Tag(REMOVAL)],
                     Discriminator(_which)]


def strip_tags(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """An error location without the union tags after a list index."""
    out: list[Any] = []
    for i, part in enumerate(loc):
        if part in (PART, REMOVAL) and i and isinstance(loc[i - 1], int):
            continue
        out.append(part)
    return tuple(out)
