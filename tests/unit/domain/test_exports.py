"""The beancount and hledger renderers on hand-built journal entries.

Text-level properties here (names, amounts, escaping, declaration order, refusals); one test
also feeds the tricky entries to ``bean-check`` and ``hledger check`` and reads them back.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from hourbridge.domain.exports import AccountNames, UnexportableJournal, account_name, amount_text
from hourbridge.domain.exports import beancount as bc
from hourbridge.domain.exports import hledger as hl
from hourbridge.domain.ledger import JournalEntry, Posting
from hourbridge.domain.model import Accounts
from hourbridge.errors import UnbalancedJournal
from support.tools import check_beancount, check_hledger, require_tool, run_tool

D = Decimal
DE_CHART = Accounts(receivables="1400", unbilled_receivables="1410", tax_payable="1776",
                    revenue="8400", revenue_adjustments="8700")
CHARTS = {"DE": DE_CHART, "US": Accounts(), "JP": Accounts(), "KW": Accounts()}
RENDERERS = {"beancount": bc.render_journal, "hledger": hl.render_journal}


def post(account: str, amount: str | int, currency: str = "EUR", **dims: str) -> Posting:
    value = D(amount)
    return Posting(account, max(value, D(0)), max(-value, D(0)), currency, value, **dims)


def entry(key: str, on: date, *postings: Posting, entity: str = "DE", memo: str = "memo",
          source_type: str = "approval", source_id: str | None = None) -> JournalEntry:
    return JournalEntry(key, entity, on, memo, source_type, source_id or key, postings)


TRICKY_MEMO = 'approved "time"; by \\ pm\tnext\nline | (x)'


def tricky_entries() -> list[JournalEntry]:
    return [
        entry("approval:DE:EUR:1", date(2026, 8, 31),
              post("1410", "562.50", customer="ACME", project="P1"),
              post("8400", "-562.50", customer="ACME", project="P1"), memo=TRICKY_MEMO),
        entry("invoice-issued:DE:DE-000001", date(2026, 11, 2),
              post("1400", "669.38", customer="ACME"),
              post("1410", "-552.50", customer="ACME", project="P1"),
              post("1776", "-106.88", customer="ACME"),
              post("8700", "-10.00", customer="ACME"),
              memo="invoice DE-000001", source_type="invoice", source_id="DE-000001"),
        # the same day twice, several customers (payee falls back to the entity)
        entry("approval:US:USD:2", date(2026, 11, 2),
              post("1210", "100.00", "USD", customer="A,B", project="P(9)"),
              post("1210", "50", "USD", customer="C", project="P2"),
              post("4000", "-150.00000000", "USD", customer="A,B", project="P(9)"),
              entity="US", memo="approved time by pm:P2"),
        entry("jp", date(2026, 11, 3), post("1200", 1000, "JPY", customer="Kabushiki"),
              post("4000", -1000, "JPY"), entity="JP", memo="yen"),
        entry("kw)", date(2026, 11, 3), post("1200", "1.005", "KWD"), post("9999", "-1.005", "KWD"),
              entity="KW", memo="dinar, odd account", source_type="odd type!"),
    ]


def rendered(fmt: str, entries: list[JournalEntry] | None = None) -> str:
    return "".join(RENDERERS[fmt](tricky_entries() if entries is None else entries, CHARTS))


# --- account names ---------------------------------------------------------------------------
@pytest.mark.parametrize(("entity", "code", "name", "role"), [
    ("US", "1200", "Assets:US:Receivables:1200", "receivables"),
    ("US", "1210", "Assets:US:Unbilled:1210", "unbilled_receivables"),
    ("US", "2200", "Liabilities:US:Tax:2200", "tax_payable"),
    ("US", "4000", "Income:US:Revenue:4000", "revenue"),
    ("US", "4090", "Income:US:Adjustments:4090", "revenue_adjustments"),
    ("DE", "1400", "Assets:DE:Receivables:1400", "receivables"),
    ("DE", "1776", "Liabilities:DE:Tax:1776", "tax_payable"),
    ("DE", "8700", "Income:DE:Adjustments:8700", "revenue_adjustments"),
    ("DE", "1200", "Equity:DE:Unmapped:1200", None),  # another entity's code, not DE's
    ("XX", "1200", "Equity:XX:Unmapped:1200", None),  # no chart for the entity: never guessed
])
def test_account_names_follow_the_entity_chart(entity: str, code: str, name: str,
                                               role: str | None) -> None:
    account = account_name(entity, code, CHARTS.get(entity))
    assert (account.name, account.role, account.code, account.entity) == (name, role, code, entity)


def test_account_name_components_are_reduced_to_what_both_tools_accept() -> None:
    chart = Accounts(receivables="1200.01 Debtors")
    assert account_name("de.gmbh:1", "1200.01 Debtors", chart).name == \
        "Assets:De-gmbh-1:Receivables:1200-01-Debtors"
    assert account_name("_x", "", None).name == "Equity:X-x:Unmapped:X"


def test_first_role_wins_when_a_chart_maps_two_roles_to_one_code() -> None:
    chart = Accounts(revenue="4000", revenue_adjustments="4000")
    assert account_name("US", "4000", chart).name == "Income:US:Revenue:4000"


def test_two_codes_that_would_share_a_name_are_refused() -> None:
    names = AccountNames({"DE": DE_CHART, "de": DE_CHART, "De": DE_CHART})
    names("DE", "1200.1")
    assert names("DE", "1200.1").name == "Equity:DE:Unmapped:1200-1"
    with pytest.raises(UnexportableJournal, match="both be written as"):
        names("DE", "1200-1")
    assert names("de", "1400").name == "Assets:De:Receivables:1400"
    with pytest.raises(UnexportableJournal, match="both be written as"):
        names("De", "1400")



# --- amounts ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("amount", "currency", "text"), [
    ("12", "EUR", "12.00"), ("150.00000000", "EUR", "150.00"), ("-0.5", "EUR", "-0.50"),
    ("1000", "JPY", "1000"), ("1000.00000000", "JPY", "1000"), ("-7", "JPY", "-7"),
    ("1.005", "KWD", "1.005"), ("2", "KWD", "2.000"), ("-0.00", "EUR", "0.00"),
    ("0E-8", "USD", "0.00"), ("12345678901234.56", "USD", "12345678901234.56"),
])
def test_amounts_carry_exactly_the_minor_units(amount: str, currency: str, text: str) -> None:
    assert amount_text(D(amount), currency) == text


@pytest.mark.parametrize(("amount", "currency"), [
    ("1.5", "JPY"), ("0.001", "EUR"), ("1.0005", "KWD"), ("1", "EURO"), ("1", "XXX")])
def test_amounts_are_never_rounded_or_guessed(amount: str, currency: str) -> None:
    with pytest.raises(UnexportableJournal):
        amount_text(D(amount), currency)


def test_minor_units_in_both_outputs() -> None:
    for fmt in RENDERERS:
        text = rendered(fmt)
        assert re.search(r"Receivables:1200 +1000 JPY\n", text), fmt
        assert re.search(r"Receivables:1200 +1\.005 KWD\n", text), fmt
        assert re.search(r"Unbilled:1210 +50\.00 USD\n", text), fmt
        assert re.search(r"Revenue:4000 +-150\.00 USD\n", text), fmt
    assert "commodity 1000. JPY\n" in rendered("hledger")
    assert "commodity 1000.000 KWD\n" in rendered("hledger")
    assert "commodity 1000.00 EUR\n" in rendered("hledger")


# --- declarations before use -----------------------------------------------------------------
def _first_use(lines: list[str], pattern: re.Pattern[str]) -> dict[str, tuple[int, str]]:
    """account -> (line number, date of its transaction) of the first posting to it."""
    out: dict[str, tuple[int, str]] = {}
    day = ""
    for i, line in enumerate(lines):
        if re.match(r"\d{4}-\d{2}-\d{2} \*", line):
            day = line[:10]
        m = pattern.match(line)
        if m:
            out.setdefault(m.group(1), (i, day))
    return out


def test_beancount_opens_and_commodities_precede_their_first_use() -> None:
    lines = rendered("beancount").splitlines()
    used = _first_use(lines, re.compile(r"  ([A-Z][A-Za-z0-9:-]+)  -?\d"))
    opens = {m.group(2): (i, m.group(1), m.group(3)) for i, line in enumerate(lines)
             if (m := re.match(r"(\d{4}-\d{2}-\d{2}) open (\S+) (\S+)$", line))}
    assert set(opens) == set(used)
    for account, (line_no, day) in used.items():
        open_line, open_day, _currency = opens[account]
        assert open_line < line_no and open_day <= day, account
    assert opens["Assets:JP:Receivables:1200"][2] == "JPY"
    commodities = {m.group(2): (i, m.group(1)) for i, line in enumerate(lines)
                   if (m := re.match(r"(\d{4}-\d{2}-\d{2}) commodity (\S+)$", line))}
    assert set(commodities) == {"EUR", "USD", "JPY", "KWD"}
    first_eur = min(i for i, line in enumerate(lines) if line.endswith(" EUR") and "  " in line)
    assert commodities["EUR"] == (lines.index("2026-08-31 commodity EUR"), "2026-08-31")
    assert commodities["EUR"][0] < first_eur


def test_hledger_declares_accounts_commodities_and_payees_before_use() -> None:
    lines = rendered("hledger").splitlines()
    used = _first_use(lines, re.compile(r"    ([A-Z][A-Za-z0-9:-]+)    -?\d"))
    declared = {m.group(1): i for i, line in enumerate(lines)
                if (m := re.match(r"account (\S+)  ; type: [ALER],", line))}
    assert set(declared) == set(used)
    assert all(declared[a] < i for a, (i, _) in used.items())
    payees = [line.removeprefix("payee ") for line in lines if line.startswith("payee ")]
    assert payees == ["ACME", "US", "Kabushiki", "KW"]  # each once, in order of first use


def test_accounts_are_declared_once_and_lazily() -> None:
    chunks = list(bc.render_journal(tricky_entries(), CHARTS))
    assert chunks[1].count(" open ") == 2 and chunks[2].count(" open ") == 3
    assert "open Assets:DE:Unbilled:1410" not in chunks[2]  # opened by the first entry


# --- metadata, escaping ----------------------------------------------------------------------
def test_beancount_transaction_header_metadata_and_escaping() -> None:
    text = rendered("beancount")
    assert ('2026-08-31 * "ACME" "approved \\"time\\"; by \\\\ pm next line | (x)" '
            '#approval\n  journal_key: "approval:DE:EUR:1"\n  entity: "DE"\n'
            '  source_type: "approval"\n  source_id: "approval:DE:EUR:1"\n'
            '  Assets:DE:Unbilled:1410  562.50 EUR\n    customer: "ACME"\n'
            '    project: "P1"\n') in text
    assert '2026-11-02 * "US" "approved time by pm:P2" #approval\n' in text
    assert '* "KW" "dinar, odd account" #odd-type-\n' in text
    # every metadata key is a valid beancount key
    keys = re.findall(r"^ +([^ \d\"][^ :]*): ", text, flags=re.M)
    assert keys and all(re.fullmatch(r"[a-z][a-zA-Z0-9_-]*", k) for k in keys), set(keys)


def test_hledger_transaction_header_tags_and_sanitizing() -> None:
    text = rendered("hledger")
    assert ("2026-08-31 * (approval:DE:EUR:1) ACME | approved \"time\", by \\ pm next line "
            "| (x)\n    ; journal_key: approval:DE:EUR:1\n    ; entity: DE\n"
            "    ; source_type: approval\n    ; source_id: approval:DE:EUR:1\n"
            "    Assets:DE:Unbilled:1410    562.50 EUR\n        ; customer: ACME\n"
            "        ; project: P1\n") in text
    # a tag value ends at a comma in hledger: commas are percent-encoded
    assert "        ; customer: A%2CB\n        ; project: P(9)\n" in text
    assert "2026-11-03 * (kw]) KW | dinar, odd account\n    ; journal_key: kw)\n" in text


# --- refusals --------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", RENDERERS)
def test_entries_out_of_date_order_are_refused(fmt: str) -> None:
    entries = tricky_entries()
    with pytest.raises(UnexportableJournal, match="posting-date order"):
        rendered(fmt, [entries[1], entries[0]])


@pytest.mark.parametrize("fmt", RENDERERS)
def test_unbalanced_entries_are_refused(fmt: str) -> None:
    with pytest.raises(UnbalancedJournal):
        rendered(fmt, [entry("bad", date(2026, 1, 1), post("1400", 10), post("8400", -9))])


def test_beancount_refuses_a_second_currency_on_one_account() -> None:
    two = [entry("a", date(2026, 1, 1), post("1400", 10), post("8400", -10)),
           entry("b", date(2026, 1, 2), post("1400", 10, "USD"), post("8400", -10, "USD"))]
    with pytest.raises(UnexportableJournal, match="one currency per account"):
        rendered("beancount", two)


@pytest.mark.parametrize("fmt", RENDERERS)
def test_rendering_streams(fmt: str) -> None:
    def entries() -> Iterator[JournalEntry]:
        yield tricky_entries()[0]
        raise AssertionError("read past what was asked for")

    pieces = RENDERERS[fmt](entries(), CHARTS)
    assert next(pieces).startswith("; Journal export from Hourbridge")
    assert "approval:DE:EUR:1" in next(pieces)


@pytest.mark.parametrize("fmt", RENDERERS)
def test_an_empty_journal_is_a_valid_file(fmt: str, tmp_path: Path) -> None:
    path = tmp_path / f"empty.{fmt}"
    path.write_text(rendered(fmt, []), encoding="utf-8")
    (check_beancount if fmt == "beancount" else check_hledger)(path)


# --- the tools agree -------------------------------------------------------------------------
_READ_BACK = """
import json, sys
from beancount import loader
from beancount.core import data
entries, errors, _ = loader.load_file(sys.argv[1])
assert not errors, errors
def meta(m):
    return {k: v for k, v in m.items() if not k.startswith("__") and k not in ("filename",
                                                                              "lineno")}
print(json.dumps([{"payee": e.payee, "narration": e.narration, "tags": sorted(e.tags),
                   "meta": meta(e.meta), "postings": [meta(p.meta) for p in e.postings]}
                  for e in entries if isinstance(e, data.Transaction)], default=str))
"""


def test_tools_accept_the_tricky_entries_and_read_back_what_we_meant(tmp_path: Path) -> None:
    bean = tmp_path / "tricky.beancount"
    bean.write_text(rendered("beancount"), encoding="utf-8")
    check_beancount(bean)
    txns = json.loads(run_tool(sys.executable, "-c", _READ_BACK, bean).stdout)
    assert txns[0]["narration"] == 'approved "time"; by \\ pm next line | (x)'
    assert txns[0]["meta"] == {"journal_key": "approval:DE:EUR:1", "entity": "DE",
                               "source_type": "approval", "source_id": "approval:DE:EUR:1"}
    assert txns[2]["payee"] == "US"
    assert txns[2]["postings"][0] == {"customer": "A,B", "project": "P(9)"}
    assert txns[4]["meta"]["journal_key"] == "kw)" and txns[4]["tags"] == ["odd-type-"]

    ledger = tmp_path / "tricky.journal"
    ledger.write_text(rendered("hledger"), encoding="utf-8")
    check_hledger(ledger)
    hledger = require_tool("hledger")
    payees = run_tool(hledger, "-f", ledger, "payees").stdout.split()
    assert payees == ["ACME", "KW", "Kabushiki", "US"]
    keys = run_tool(hledger, "-f", ledger, "tags", "--values", "journal_key").stdout.split()
    assert set(keys) == {"approval:DE:EUR:1", "invoice-issued:DE:DE-000001",
                         "approval:US:USD:2", "jp", "kw)"}
    notes = run_tool(hledger, "-f", ledger, "notes").stdout.splitlines()
    assert 'approved "time", by \\ pm next line | (x)' in notes
