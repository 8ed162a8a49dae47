"""The bundle's party, payment and tax fields at load (issue 17, items 1 and 5): bad values
are refused naming the field; rates are percent, the old fraction form read with a warning;
an entity outside VAT needs no rate."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from hourbridge.domain.bundle import check_bundle
from hourbridge.domain.bundle_plan import plan_load
from hourbridge.domain.masterdata import MasterData
from hourbridge.formats.bundle import BundleDocument, parse_bundle_text, to_domain
from support.firm import small_firm_bundle


def parse(bundle: dict[str, Any]) -> BundleDocument | list[Any]:
    return parse_bundle_text(json.dumps(bundle), "firm.json")


def refused(bundle: dict[str, Any]) -> list[tuple[str, str]]:
    out = parse(bundle)
    assert isinstance(out, list), "the bundle was taken"
    return [(p.where, p.message) for p in out]


@pytest.mark.parametrize(("change", "where", "reason"), [
    (lambda b: b["customers"][0].update(address={"city": "Köln", "lines": ["Domplatz 1"]}),
     "firm.json: customers[0].address.country", "Field required"),
    (lambda b: b["customers"][0].update(address={"country": "XX"}),
     "firm.json: customers[0].address.country", "not an ISO 3166-1"),
    (lambda b: b["entities"][0].update(bank_accounts=[{"iban": "DE89370400440532013001"}]),
     "firm.json: entities[0].bank_accounts[0].iban", "not a valid IBAN"),
    (lambda b: b["entities"][0].update(bank_accounts=[{"iban": "DE89370400440532013000",
                                                       "bic": "COBAXXFF"}]),
     "firm.json: entities[0].bank_accounts[0].bic", "not a valid BIC"),
    (lambda b: b["customers"][0].update(electronic_address={"scheme": "1234", "id": "x1"}),
     "firm.json: customers[0].electronic_address.scheme", "Electronic Address Scheme"),
    (lambda b: b["customers"][0].update(electronic_address={"scheme": "0088",
                                                            "id": "4000001000006"}),
     "firm.json: customers[0].electronic_address", "not a GLN"),  # PEPPOL-COMMON-R040
    (lambda b: b["customers"][0].update(electronic_address={"scheme": "0208",
                                                            "id": "0403019262"}),
     "firm.json: customers[0].electronic_address", "Belgian enterprise"),  # -R043
    (lambda b: b["customers"][0].update(vat_id="DE123456789"),
     "firm.json: customers[0].vat_id", "not a valid DE VAT id"),
    (lambda b: b["customers"][0].update(address={"country": "DE", "lines": ["a", "b", "c", "d"]}),
     "firm.json: customers[0].address.lines", "at most 3"),
])
def test_bad_party_data_is_refused_naming_the_field(change: Any, where: str,
                                                    reason: str) -> None:
    bundle = small_firm_bundle()
    change(bundle)
    problems = refused(bundle)
    assert any(w == where and reason in m for w, m in problems), problems


def test_party_data_maps_to_the_domain_in_its_compact_form() -> None:
    bundle = small_firm_bundle()
    bundle["entities"][0].update(
        bank_accounts=[{"iban": "de89 3704 0044 0532 0130 00", "bic": "COBADEFFXXX"}],
        payment_terms={"days": 14, "text": "Net 14."},
        electronic_address={"scheme": "9930", "id": "DE811000004"})
    bundle["contracts"][0].update(buyer_reference="CC-1", purchase_order="PO-2")
    doc = parse(bundle)
    assert isinstance(doc, BundleDocument)
    domain = to_domain([("firm.json", doc)])
    entity, contract = domain.entities[0], domain.contracts[0]
    assert entity.bank_accounts[0].iban == "DE89370400440532013000"
    assert (entity.payment_terms.days, entity.payment_terms.text) == (14, "Net 14.")
    assert (contract.buyer_reference, contract.purchase_order) == ("CC-1", "PO-2")
    assert entity.electronic_address is not None and entity.electronic_address.scheme == "9930"


def test_tax_rates_are_percent_and_the_old_fraction_form_warns() -> None:
    bundle = small_firm_bundle()
    bundle["entities"][0]["tax_rates"] = {"standard": "19", "reduced": "0.07", "zero": "0"}
    doc = parse(bundle)
    assert isinstance(doc, BundleDocument)
    domain = to_domain([("firm.json", doc)])
    assert domain.entities[0].tax_rates == {"standard": Decimal("0.19"),
                                            "reduced": Decimal("0.07"), "zero": Decimal(0)}
    [warning] = domain.warnings
    assert warning.startswith("firm.json: entities[0].tax_rates.reduced: ")
    assert "old fraction form (7.00 %)" in warning


def test_a_rate_of_100_percent_or_more_is_refused() -> None:
    bundle = small_firm_bundle()
    bundle["entities"][0]["tax_rates"] = {"standard": "119"}
    doc = parse(bundle)
    assert isinstance(doc, BundleDocument)
    problems = check_bundle(to_domain([("firm.json", doc)]), MasterData())
    assert [p.where for p in problems] == ["firm.json: entities[0].tax_rates.standard"]


def test_an_entity_outside_vat_needs_no_placeholder_rate() -> None:
    bundle = small_firm_bundle()
    bundle["entities"].append({"code": "US", "name": "Example LLC", "country": "US",
                               "currency": "USD", "invoice_prefix": "US"})
    bundle["customers"].append({"id": "INITECH", "name": "Initech Inc.", "entity": "US",
                                "currency": "USD", "country": "US"})
    doc = parse(bundle)
    assert isinstance(doc, BundleDocument)
    stored = MasterData()
    assert check_bundle(to_domain([("firm.json", doc)]), stored) == []
    # a VAT-registered entity still needs the rate its customers' tax code names
    bundle["entities"][1]["vat_id"] = "DE811000004"
    doc = parse(bundle)
    assert isinstance(doc, BundleDocument)
    assert [p.where for p in check_bundle(to_domain([("firm.json", doc)]), stored)] == [
        "firm.json: customers[2].tax_code"]


def test_a_vat_id_of_another_member_state_is_refused() -> None:
    bundle = small_firm_bundle()
    bundle["customers"][0]["vat_id"] = "FR40303265045"  # valid, but French; ACME is in DE
    assert any(w == "firm.json: customers[0].vat_id" and "starts with DE" in m
               for w, m in refused(bundle))


def test_a_changed_address_and_account_are_listed_field_by_field() -> None:
    bundle = small_firm_bundle()
    bundle["entities"][0]["bank_accounts"] = [{"iban": "DE89370400440532013000"}]
    bundle["customers"][0]["address"] = {"country": "DE", "lines": ["Rheinallee 12"]}
    doc = parse(bundle)
    assert isinstance(doc, BundleDocument)
    stored = to_domain([("a.json", doc)]).merged_over(MasterData())
    bundle["entities"][0]["bank_accounts"] = [{"iban": "DE02500105170137075030"}]
    bundle["customers"][0]["address"]["lines"] = ["Königsallee 1", "3. OG"]
    doc = parse(bundle)
    assert isinstance(doc, BundleDocument)
    changes = {(r.key, f.field): (f.old, f.new)
               for r in plan_load(to_domain([("b.json", doc)]), stored).changes for f in r.fields}
    assert changes[("DE", "bank_accounts.0.iban")] == ("DE89370400440532013000",
                                                       "DE02500105170137075030")
    assert changes[("ACME", "address.lines")] == ("Rheinallee 12", "Königsallee 1; 3. OG")
