"""Tax on an invoice, from the issuing entity's rate table (v1).

Tax is computed once per invoice on its net total and rounded half-up to the minor unit
(DESIGN §3: "tax computed per invoice per rate"), never per line.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from .model import Customer, LegalEntity
from .money import round_money, tax_amount


@dataclass(frozen=True, slots=True)
class TaxDecision:
    code: str
    rate: Decimal
    amount: Decimal
    note: str = ""


def invoice_tax(
    entity: LegalEntity, customer: Customer, net: Decimal, currency: str
) -> TaxDecision:
    nothing = round_money(Decimal(0), currency)
    if customer.tax_exempt:
        return TaxDecision("exempt", Decimal(0), nothing, "Customer is exempt from tax.")
    code = customer.tax_code
    rate = entity.tax_rates.get(code)
    if rate is None:
        if code in ("zero", "exempt", "none"):
            return TaxDecision(code, Decimal(0), nothing)
        raise KeyError(f"entity {entity.code} has no tax rate {code!r}")
    return TaxDecision(code, rate, tax_amount(net, rate, currency))
