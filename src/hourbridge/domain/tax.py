"""Tax on an invoice: which rule applies, at what rate, with which legal note.

Rules, by the issuing entity's country and the customer's country and status (VAT Directive
2006/112/EC for the EU rules):

0. an entity outside the EU with no VAT id charges no VAT at all: category O, "not subject
   to VAT" (a US LLC, say; US sales tax on services is not modelled);
1. a customer marked exempt: category E (exempt), no tax, the exemption noted;
2. same country: domestic tax at the entity's rate for the customer's tax code (category S,
   or Z for a zero rate);
3. entity and customer in two EU member states:
   - a business customer: reverse charge (category AE, Article 196), no tax on the invoice;
     the customer's VAT id is required: without it the invoice is not made (``missing_vat_id``
     problem) rather than guessing;
   - a consumer: the entity's domestic tax (general place-of-supply rule, Article 45);
4. a business customer outside the entity's country otherwise (an EU entity billing outside
   the EU, or a non-EU entity billing abroad): not subject to the entity's tax (category O,
   Article 44 for EU entities); a consumer there pays the entity's domestic tax.

Rounding: tax is computed once per invoice on its net total and rounded half-up to the minor
unit of the invoice currency (DESIGN §3: "tax computed per invoice per rate"), never per line.
Category codes are UNTDID 5305 as used by EN 16931; exemption reason codes are VATEX.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from .model import Customer, LegalEntity
from .money import round_money, tax_amount
from .problems import Problem

# EU member states (ISO 3166-1 alpha-2; Greece is GR here, EL only in VAT ids)
EU = frozenset("AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE "
               "SI SK".split())

REVERSE_CHARGE_NOTE = ("Reverse charge: VAT to be accounted for by the recipient "
                       "(Article 196, Council Directive 2006/112/EC).")
OUTSIDE_SCOPE_NOTE = "Not subject to VAT in the supplier's country (place of supply abroad)."
EXEMPT_NOTE = "Exempt from VAT: the customer is tax-exempt."
NOT_REGISTERED_NOTE = "Not subject to VAT: the supplier is not registered for VAT."


@dataclass(frozen=True, slots=True)
class TaxDecision:
    code: str        # the rule: the entity's rate code, or exempt / reverse_charge / outside
    rate: Decimal
    amount: Decimal
    note: str = ""
    category: str = "S"  # UNTDID 5305: S, Z, E, AE, O
    exemption_code: str | None = None  # VATEX code where the category needs one


def outside_vat(entity: LegalEntity) -> bool:
    """Rule 0: an entity outside the EU without a VAT id charges no VAT (and needs no rate)."""
    return entity.vat_id is None and entity.country not in EU


def invoice_tax(
    entity: LegalEntity, customer: Customer, net: Decimal, currency: str
) -> TaxDecision | Problem:
    nothing = round_money(Decimal(0), currency)
    if outside_vat(entity):
        return TaxDecision("not_registered", Decimal(0), nothing, NOT_REGISTERED_NOTE, "O",
                           "VATEX-EU-O")
    if customer.tax_exempt:
        return TaxDecision("exempt", Decimal(0), nothing, EXEMPT_NOTE, "E", "VATEX-EU-132")
    domestic = entity.country == customer.country
    if not domestic and customer.business:
        if entity.country in EU and customer.country in EU:
            if not customer.vat_id:
                return Problem(
                    "missing_vat_id",
                    f"customer {customer.id} ({customer.country}) is a business in another EU "
                    f"member state than entity {entity.code} ({entity.country}): reverse "
                    "charge needs the customer's VAT id",
                    customer.id, "vat_id")
            return TaxDecision("reverse_charge", Decimal(0), nothing, REVERSE_CHARGE_NOTE,
                               "AE", "VATEX-EU-AE")
        return TaxDecision("outside_scope", Decimal(0), nothing, OUTSIDE_SCOPE_NOTE, "O",
                           "VATEX-EU-O")
    code = customer.tax_code
    rate = entity.tax_rates.get(code)
    if rate is None:
        if code in ("zero", "exempt", "none"):
            return TaxDecision(code, Decimal(0), nothing, category="Z")
        raise KeyError(f"entity {entity.code} has no tax rate {code!r}")
    return TaxDecision(code, rate, tax_amount(net, rate, currency),
                       category="S" if rate else "Z")
