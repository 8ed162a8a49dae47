"""The demo firm's party and payment data: postal addresses, Peppol ids, accounts-payable
contacts, bank accounts and buyer references, as a real firm's master data carries them.

Everything is derived from the record's code (no random stream is drawn, so adding these
facts changes nothing else in the firm). Addresses, registrations and accounts are
fictitious; ids that carry a check digit (IBAN, VAT ids, DUNS-like numbers aside) get a valid
one, since the load checks them (python-stdnum).
"""

from __future__ import annotations

import zlib
from typing import Any

from stdnum import iban
from stdnum.ch import uid as ch_uid

# Peppol participant id schemes used here (CEF EAS code list, ``domain.eas``)
DUNS, SWISS_UID, DE_VAT, AT_VAT = "0060", "0183", "9930", "9914"

_ENTITY_PARTY: dict[str, dict[str, Any]] = {
    "US": {
        "address": {"lines": ["200 Park Avenue South", "Suite 1511"], "city": "New York",
                    "postal_code": "10003", "subdivision": "NY", "country": "US"},
        "electronic_address": {"scheme": DUNS, "id": "081466849"},
        "contact": {"name": "Accounts Receivable", "email": "ar-us@ashgrove.example",
                    "phone": "+1 212 555 0147"},
        "payment_terms": {"days": 30, "text": "Payable by wire transfer quoting the invoice "
                                              "number."},
    },
    "DE": {
        "address": {"lines": ["Neue Mainzer Straße 52"], "city": "Frankfurt am Main",
                    "postal_code": "60311", "subdivision": "Hessen", "country": "DE"},
        "electronic_address": {"scheme": DE_VAT, "id": "DE811000004"},
        "contact": {"name": "Debitorenbuchhaltung", "email": "rechnung@ashgrove.example",
                    "phone": "+49 69 555 0182"},
        "payment_terms": {"days": 14, "text": "Zahlbar ohne Abzug per Überweisung unter "
                                              "Angabe der Rechnungsnummer."},
    },
}
# base customer code -> street, city, postal code, subdivision, mail domain
_CUSTOMER_ADDRESS: dict[str, tuple[str, str, str, str | None, str]] = {
    "MERIDIAN": ("1 Meridian Plaza", "Chicago", "60601", "IL", "meridian.example"),
    "MERIDIAN-LOG": ("4800 W 47th Street", "Chicago", "60632", "IL", "meridian.example"),
    "LAKESIDE": ("2300 Lakeshore Drive", "Milwaukee", "53202", "WI", "lakeside.example"),
    "BLUEHARBOR": ("75 State Street", "Boston", "02109", "MA", "blueharbor.example"),
    "GRANITE": ("900 Granite Way", "Hartford", "06103", "CT", "granitepeak.example"),
    "CASCADIA": ("1420 Fifth Avenue", "Seattle", "98101", "WA", "cascadia.example"),
    "NORTHSTAR": ("7000 Airport Boulevard", "Minneapolis", "55450", "MN", "northstar.example"),
    "SUMMIT": ("1 Summit Ridge Road", "Princeton", "08540", "NJ", "summitridge.example"),
    "ATLAS": ("3100 Freight Lane", "Memphis", "38118", "TN", "atlasfreight.example"),
    "PRAIRIE": ("500 Capitol Avenue", "Springfield", "62701", "IL", "prairie.example"),
    "CORALBAY": ("88 Bayfront Drive", "Miami", "33131", "FL", "coralbay.example"),
    "IRONWOOD": ("2750 Foundry Road", "Pittsburgh", "15222", "PA", "ironwood.example"),
    "RHEINWERK": ("Rheinallee 12", "Düsseldorf", "40221", "Nordrhein-Westfalen",
                  "rheinwerk.example"),
    "RHEINWERK-NETZ": ("Kraftwerkstraße 3", "Köln", "50667", "Nordrhein-Westfalen",
                       "rheinwerk.example"),
    "HANSEBANK": ("Ballindamm 40", "Hamburg", "20095", None, "hansebank.example"),
    "DONAU": ("Donau-City-Straße 7", "Wien", "1220", None, "donau-energie.example"),
    "SCHWARZWALD": ("Industriestraße 18", "Freiburg im Breisgau", "79108",
                    "Baden-Württemberg", "schwarzwald-praezision.example"),
    "ELBTAL": ("Hafenstraße 21", "Dresden", "01067", "Sachsen", "elbtal.example"),
    "ISARTEC": ("Leopoldstraße 150", "München", "80804", "Bayern", "isartec.example"),
    "NORDLICHT": ("Am Sandtorkai 5", "Hamburg", "20457", None, "nordlicht.example"),
    "KRONBERG": ("Frankfurter Straße 200", "Kronberg im Taunus", "61476", "Hessen",
                 "kronberg-auto.example"),
    "SPREEWALD": ("Am Hafen 2", "Lübbenau", "03222", "Brandenburg", "spreewald.example"),
    "ZURLINDEN": ("Hardturmstrasse 101", "Zürich", "8005", "ZH", "zurlinden.example"),
}


def _number(code: str, digits: int) -> str:
    """A stable number of ``digits`` digits for ``code`` (CRC-32, never random)."""
    return str(zlib.crc32(code.encode()) % 10 ** digits).zfill(digits)


def _iban(country: str, bban: str) -> str:
    return country + iban.calc_check_digits(f"{country}00{bban}") + bban


def _bank_accounts(code: str) -> list[dict[str, Any]]:
    if code == "US":  # the LLC's US dollar account is kept with a London branch (IBAN)
        return [{"iban": _iban("GB", "ASHG" + "400515" + _number("US-USD", 8)),
                 "bic": "ASHGGB2L", "name": "Ashgrove Partners LLC", "currency": "USD"}]
    return [  # the GmbH: a euro account and a Swiss franc account for its Swiss client
        {"iban": _iban("DE", "50010517" + _number("DE-EUR", 10)), "bic": "INGDDEFFXXX",
         "name": "Ashgrove Partners GmbH", "currency": "EUR"},
        {"iban": _iban("CH", "00762" + _number("DE-CHF", 12)), "bic": "UBSWCHZH80A",
         "name": "Ashgrove Partners GmbH", "currency": "CHF"}]


def _customer_party(cust: dict[str, Any]) -> dict[str, Any]:
    base = cust["id"].split("-")[0] if cust["id"] not in _CUSTOMER_ADDRESS else cust["id"]
    street, city, postal, region, domain = _CUSTOMER_ADDRESS[base]
    country = cust["country"]
    if country == "DE" and cust.get("vat_id"):
        endpoint = {"scheme": DE_VAT, "id": cust["vat_id"]}
    elif country == "AT" and cust.get("vat_id"):
        endpoint = {"scheme": AT_VAT, "id": cust["vat_id"]}
    elif country == "CH":
        digits = _number(cust["id"], 8)
        endpoint = {"scheme": SWISS_UID, "id": f"CHE{digits}{ch_uid.calc_check_digit(digits)}"}
    else:
        endpoint = {"scheme": DUNS, "id": _number(cust["id"], 9)}
    return {
        "address": {"lines": [street], "city": city, "postal_code": postal,
                    "subdivision": region, "country": country},
        "electronic_address": endpoint,
        "contact": {"name": "Accounts Payable", "email": f"ap@{domain}"},
    }


def add_party_data(bundle: dict[str, Any]) -> None:
    """Addresses, Peppol ids, contacts, bank accounts, terms and buyer references in place."""
    for entity in bundle["entities"]:
        entity.update(_ENTITY_PARTY[entity["code"]], bank_accounts=_bank_accounts(entity["code"]))
    own = {f"ASHGROVE-{e['code']}": e for e in bundle["entities"]}
    for cust in bundle["customers"]:
        if cust["id"] in own:  # the firm itself (internal projects)
            e = own[cust["id"]]
            cust.update(address=e["address"], electronic_address=e["electronic_address"])
        else:
            cust.update(_customer_party(cust))
    for k in bundle["contracts"]:
        # the reference the buyer's accounts payable routes an invoice by (EN 16931 BT-10)
        prefix = k["customer"].split("-")[0][:4]
        k.setdefault("buyer_reference", f"{prefix}-CC{_number(k['id'], 4)}")
