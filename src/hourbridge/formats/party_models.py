"""The party and payment parts of the bundle's entities and customers (issue 17): postal
address, electronic address, contact, bank accounts and payment terms, each checked where it
is read (``checks``), refused naming its field."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, model_validator

from .checks import (
    check_bic,
    check_country,
    check_currency,
    check_eas_scheme,
    check_endpoint_id,
    check_iban,
)

# ISO codes, shared with the rest of the bundle (``bundle_models``)
Country = Annotated[str, Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2 code"),
                    AfterValidator(check_country)]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code"),
                     AfterValidator(check_currency)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AddressIn(_Model):
    """A postal address (EN 16931 BG-5 / BG-8); the country is required."""

    lines: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        [], max_length=3, description="street lines, at most three (BT-35..BT-37)")
    city: str | None = Field(None, min_length=1, max_length=100)
    postal_code: str | None = Field(None, min_length=1, max_length=20)
    subdivision: str | None = Field(None, min_length=1, max_length=100,
                                    description="state, region or province (BT-39)")
    country: Country


class ElectronicAddressIn(_Model):
    """Where e-invoices are delivered (BT-34 / BT-49): on Peppol, the participant id."""

    scheme: Annotated[str, Field(description="a code of the CEF Electronic Address Scheme "
                                             "list, e.g. 0088 GLN, 9930 German VAT number"),
                      AfterValidator(check_eas_scheme)]
    id: str = Field(min_length=1, max_length=100, pattern=r"^\S+$")

    @model_validator(mode="after")
    def _id_fits_scheme(self, info: ValidationInfo) -> ElectronicAddressIn:
        if not (info.context and info.context.get("stored")):  # see checks.STORED
            check_endpoint_id(self.scheme, self.id)
        return self


class ContactIn(_Model):
    name: str | None = Field(None, min_length=1, max_length=200)
    email: str | None = Field(None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    phone: str | None = Field(None, min_length=3, max_length=40)


class BankAccountIn(_Model):
    """An account customers pay into (BG-17); IBAN and BIC checked with python-stdnum."""

    iban: Annotated[str, AfterValidator(check_iban)]
    bic: Annotated[str, AfterValidator(check_bic)] | None = None
    name: str | None = Field(None, description="account name (BT-85)")
    currency: Currency | None = Field(
        None, description="invoices in this currency are paid here; none: any currency")


class PaymentTermsIn(_Model):
    days: int = Field(30, ge=0, le=365, description="days from issue to due date, unless "
                      "the customer has its own payment_terms_days")
    text: str | None = Field(None, min_length=1, max_length=500,
                             description="payment terms every invoice states (BT-20)")
