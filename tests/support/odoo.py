"""A local imitation of Odoo 17's external JSON-RPC API (loopback only, a thread per request,
every test bounded in time), for the ERP sink tests.

What it follows (Odoo 17 external API, https://www.odoo.com/documentation/17.0/developer/
reference/external_api.html, and ``odoo/http.py`` for the JSON-RPC envelope):

- ``POST /jsonrpc`` ``{"jsonrpc": "2.0", "method": "call", "params": {"service", "method",
  "args"}, "id"}``; answers ``{"jsonrpc": "2.0", "id", "result"}``, or HTTP 200 with
  ``{"error": {"code": 200, "message": "Odoo Server Error", "data": {"name", "message",
  "debug", "arguments", "context"}}}`` (``serialize_exception``); an error rolls back.
- ``common.authenticate(db, login, key, {})`` gives the uid, ``false`` for a wrong key;
  ``object.execute_kw(db, uid, key, model, method, args, kwargs)`` with a wrong key raises
  ``odoo.exceptions.AccessDenied``.
- ORM methods ``search`` (domain of ``[field, "=", value]`` triples, ``">"`` and ``"in"``
  too, ``limit``), ``search_read`` (``offset``, ``limit``; rows in id order) and ``read``
  (``fields``), ``create`` (one mapping: the new id; a list of them, ``create(vals_list)``:
  the new ids, all created or none; a move created ``posted`` is a ``UserError``),
  ``account.move.action_post`` on one id or several (returns ``False``; all posted or none;
  a draft gets its sequence name ``JOURNAL/YEAR/00001``, ``RJOURNAL/...`` for refunds).
  x2many commands ``(0, 0, vals)`` and ``(6, 0, ids)``.
- ``account.move`` keeps ``state`` (draft/posted), ``payment_state`` (``not_paid`` once
  posted; ``pay`` makes it ``partial`` or ``paid`` and adds the payment to
  ``invoice_payments_widget``; ``apply_credit`` reconciles a credit note with an invoice,
  listed on both without an ``account_payment_id``), ``amount_untaxed``, ``amount_tax``
  (taxes rounded per line: Odoo's default ``round_per_line``), ``amount_total``,
  ``amount_residual``. Posting a customer invoice without a partner, without lines, or an
  unbalanced entry is a ``UserError``; an unknown account, tax or partner id a
  ``MissingError``; a partner VAT number not starting with its country code a
  ``ValidationError`` (``base_vat``'s ``check_vat`` constraint; ``invalid_vats`` lists
  more numbers it refuses).

Served by ``support.odoo_server`` (``imitate_odoo``), which injects the faults.

Faults: ``drop_after_commit`` account.move creates commit and then close the connection
without an answer (the answer is lost); ``post_latency`` holds ``action_post`` (a worker
killed then leaves a committed draft); ``unavailable`` requests answer 503 with
``Retry-After``; ``latency`` seconds before each answer; ``refuse_refs`` account.move creates
of these refs are refused (a ``UserError``: a permanent refusal); ``faults`` draws faults at
random, seeded (``Faults``).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .odoo_server import Faults

UID = 2
CENT = Decimal("0.01")


class OdooError(Exception):
    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name


@dataclass
class Odoo:
    database: str = "acme"
    login: str = "api@acme.example"
    key: str = "odoo-api-key"
    latency: float = 0.0
    post_latency: float = 0.0  # more before each action_post: its create has committed
    drop_after_commit: int = 0  # the next n account.move creates: committed, answer lost
    unavailable: int = 0  # the next n requests answer 503
    invalid_vats: set[str] = field(default_factory=set)  # numbers base_vat refuses
    refuse_refs: set[str] = field(default_factory=set)  # account.move refs refused for good
    faults: Faults | None = None
    url: str = ""
    calls: list[tuple[str, str]] = field(default_factory=list)
    records: dict[str, dict[int, dict[str, Any]]] = field(default_factory=dict)
    _next_id: int = 100
    _sequence: dict[str, int] = field(default_factory=dict)
    _partials: int = 0  # account.partial.reconcile ids
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        for model, rows in {
            "res.country": [{"code": "DE", "name": "Germany"}, {"code": "US", "name": "USA"},
                            {"code": "CH", "name": "Switzerland"},
                            {"code": "FR", "name": "France"}],
            "res.currency": [{"name": c} for c in ("EUR", "USD", "CHF")],
            "account.journal": [{"code": "INV", "type": "sale"},
                                {"code": "MISC", "type": "general"}],
            "account.account": [{"code": c} for c in ("121000", "400000", "400200", "1100",
                                                      "4000", "2200", "1200", "1210")],
            "product.product": [{"default_code": "CONSULT"}],
            "account.tax": [{"name": "19% S", "amount": Decimal(19)},
                            {"name": "0% EU", "amount": Decimal(0)},
                            {"name": "0% Export", "amount": Decimal(0)}],
        }.items():
            for row in rows:
                self._add(model, row)

    def _add(self, model: str, row: dict[str, Any]) -> int:
        self._next_id += 1
        self.records.setdefault(model, {})[self._next_id] = {"id": self._next_id, **row}
        return self._next_id

    def moves(self) -> list[dict[str, Any]]:
        return list(self.records.get("account.move", {}).values())

    def pay(self, move_id: int, amount: Decimal, on: str = "2026-11-30") -> None:
        """The customer paid ``amount`` on ``on`` (or, on a credit note, was refunded it):
        what a reconciled payment does to the move: its residual, payment state and
        ``invoice_payments_widget``, whose content lists each reconciliation with its
        ``partial_id``, amount, date and ``account_payment_id``."""
        with self._lock:
            self._partials += 1
            self._settle(self.records["account.move"][move_id], amount, on, {
                "name": f"Payment {self._partials}", "journal_name": "Bank",
                "account_payment_id": self._partials, "payment_method_name": "Manual",
                "ref": f"BNK1/{on[:4]}/{self._partials:05d}"})

    def apply_credit(self, refund_id: int, invoice_id: int, amount: Decimal,
                     on: str = "2026-11-30") -> None:
        """A credit note reconciled with an invoice (Odoo 17: one
        ``account.partial.reconcile`` between their receivable lines): both residuals fall,
        and each move's widget lists the other move, with no ``account_payment_id``."""
        with self._lock:
            self._partials += 1
            moves = self.records["account.move"]
            refund, invoice = moves[refund_id], moves[invoice_id]
            for move, other in ((refund, invoice), (invoice, refund)):
                self._settle(move, amount, on, {
                    "name": other["name"], "journal_name": "Customer Invoices",
                    "account_payment_id": False, "payment_method_name": False,
                    "ref": other["name"], "move_id": other["id"]})

    def _settle(self, move: dict[str, Any], amount: Decimal, on: str,
                entry: dict[str, Any]) -> None:
        move["amount_residual"] = move["amount_residual"] - amount
        move["payment_state"] = "paid" if move["amount_residual"] <= 0 else "partial"
        widget = move.get("invoice_payments_widget") or {
            "title": "Less Payment", "outstanding": False, "content": []}
        widget["content"].append({
            "amount": float(amount), "currency_id": move.get("currency_id"), "date": on,
            "partial_id": self._partials, "move_id": move["id"], "is_exchange": False,
            **entry})
        move["invoice_payments_widget"] = widget

    # --- the ORM --------------------------------------------------------------------------
    def _match(self, model: str, domain: list[Any]) -> list[dict[str, Any]]:
        rows = list(self.records.get(model, {}).values())
        for name, op, value in domain:
            if op == "in":
                rows = [r for r in rows if r.get(name) in value]
                continue
            if op == ">":
                rows = [r for r in rows if (r.get(name) or 0) > value]
                continue
            if op != "=":
                raise OdooError("builtins.ValueError", f"operator {op!r} not imitated")
            rows = [r for r in rows if r.get(name) == value]
        return rows

    def _ref(self, model: str, rid: Any) -> dict[str, Any]:
        row = self.records.get(model, {}).get(rid)
        if row is None:
            raise OdooError("odoo.exceptions.MissingError", "Record does not exist or has "
                            f"been deleted.\n(Record: {model}({rid},), User: {UID})")
        return row

    def execute(self, model: str, method: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
        self.calls.append((model, method))
        if method == "search":
            rows = self._match(model, args[0])[:kwargs.get("limit") or None]
            return [r["id"] for r in rows]
        if method in ("search_read", "read"):
            rows = (self._match(model, args[0]) if method == "search_read"
                    else [self._ref(model, i) for i in args[0]])
            offset = kwargs.get("offset") or 0
            rows = rows[offset:offset + kwargs["limit"] if kwargs.get("limit") else None]
            fields = kwargs.get("fields") or list(rows[0]) if rows else []
            return [{"id": r["id"], **{f: _plain(r.get(f)) for f in fields}} for r in rows]
        if method == "create":
            if isinstance(args[0], dict):
                return self._add(model, self._create(model, dict(args[0])))
            # create(vals_list): one transaction, every record checked before any is added
            rows = [self._create(model, dict(vals)) for vals in args[0]]
            return [self._add(model, row) for row in rows]
        if model == "account.move" and method == "action_post":
            moves = [self._ref(model, move_id) for move_id in args[0]]
            for move in moves:  # a recordset posts whole or not at all
                self._check_post(move)
            for move in moves:
                self._post(move)
            return False
        raise OdooError("builtins.AttributeError",
                        f"The method '{method}' does not exist on the model '{model}'")

    def _create(self, model: str, vals: dict[str, Any]) -> dict[str, Any]:
        """The record ``vals`` makes, every check done, not yet added."""
        if model == "res.partner":
            if not vals.get("name"):
                raise OdooError("odoo.exceptions.ValidationError", "Name is required")
            if vals.get("vat") and vals.get("country_id"):
                country = self._ref("res.country", vals["country_id"])["code"]
                if (not str(vals["vat"]).upper().startswith(country)
                        or vals["vat"] in self.invalid_vats):
                    raise OdooError("odoo.exceptions.ValidationError",
                                    f"The VAT number [{vals['vat']}] for partner "
                                    f"[{vals['name']}] does not seem to be valid.")
            return vals
        if model != "account.move":
            raise OdooError("odoo.exceptions.AccessError", f"create on {model} not imitated")
        if vals.get("state", "draft") != "draft":
            raise OdooError("odoo.exceptions.UserError", "You cannot create a move already "
                            "in the posted state. Please create a draft move and post it "
                            "after.")
        if vals.get("ref") in self.refuse_refs:
            raise OdooError("odoo.exceptions.UserError",
                            f"The entry {vals['ref']} is refused by this test's ERP.")
        if vals.get("partner_id"):
            self._ref("res.partner", vals["partner_id"])
        self._ref("account.journal", vals["journal_id"])
        lines = []
        for command in vals.pop("invoice_line_ids", []) + vals.pop("line_ids", []):
            line = dict(command[2])
            self._ref("account.account", line["account_id"])
            taxes = [t for cmd in line.pop("tax_ids", []) for t in cmd[2]]
            line["taxes"] = [self._ref("account.tax", t)["amount"] for t in taxes]
            lines.append(line)
        untaxed = tax = Decimal(0)
        for line in lines:
            if "price_unit" in line:
                sub = (Decimal(str(line["quantity"])) * Decimal(str(line["price_unit"]))
                       ).quantize(CENT, ROUND_HALF_UP)
                untaxed += sub
                tax += sum(((sub * rate / 100).quantize(CENT, ROUND_HALF_UP)
                            for rate in line["taxes"]), Decimal(0))
        return {**vals, "lines": lines, "state": "draft", "name": "/",
                "payment_state": "not_paid", "amount_untaxed": untaxed, "amount_tax": tax,
                "amount_total": untaxed + tax, "amount_residual": untaxed + tax,
                "invoice_payments_widget": False}

    def _check_post(self, move: dict[str, Any]) -> None:
        if move["state"] != "draft":
            raise OdooError("odoo.exceptions.UserError", "The entry "
                            f"{move['name']} (id {move['id']}) must be in draft.")
        if not move["lines"]:
            raise OdooError("odoo.exceptions.UserError",
                            "You need to add a line before posting.")
        if move["move_type"].startswith("out_") and not move.get("partner_id"):
            raise OdooError("odoo.exceptions.UserError", "The field 'Customer' is required, "
                            "please complete it to validate the Customer Invoice.")
        if move["move_type"] == "entry":
            debit = sum(Decimal(str(ln["debit"])) for ln in move["lines"])
            credit = sum(Decimal(str(ln["credit"])) for ln in move["lines"])
            if debit != credit:
                raise OdooError("odoo.exceptions.UserError", "The move is not balanced.")

    def _post(self, move: dict[str, Any]) -> None:
        journal = self.records["account.journal"][move["journal_id"]]["code"]
        prefix = ("R" if move["move_type"] == "out_refund" else "") + journal
        self._sequence[prefix] = self._sequence.get(prefix, 0) + 1
        move.update(state="posted", name=f"{prefix}/{move['date'][:4]}/"
                                          f"{self._sequence[prefix]:05d}")

    def handle(self, body: dict[str, Any]) -> tuple[Any, bool]:
        """(the JSON-RPC answer, whether to drop the connection instead of answering)."""
        params = body["params"]
        service, method, args = params["service"], params["method"], params["args"]
        # one transaction at a time; every check runs before a change, so an error leaves
        # the records as they were (Odoo rolls the transaction back)
        with self._lock:
            try:
                if service == "common" and method in ("authenticate", "login"):
                    ok = args[:3] == [self.database, self.login, self.key]
                    return {"jsonrpc": "2.0", "id": body.get("id"),
                            "result": UID if ok else False}, False
                db, uid, key, model, meth, m_args, m_kwargs = args
                if (db, uid, key) != (self.database, UID, self.key):
                    raise OdooError("odoo.exceptions.AccessDenied", "Access Denied")
                result = self.execute(model, meth, m_args, m_kwargs)
                drop = False
                if model == "account.move" and meth == "create" and self.drop_after_commit:
                    self.drop_after_commit -= 1
                    drop = True
                elif (model == "account.move" and meth == "create" and self.faults
                      and self.faults.draw("drop")):
                    drop = True
                return {"jsonrpc": "2.0", "id": body.get("id"), "result": result}, drop
            except OdooError as exc:
                return {"jsonrpc": "2.0", "id": body.get("id"), "error": {
                    "code": 200, "message": "Odoo Server Error",
                    "data": {"name": exc.name, "message": str(exc), "arguments": [str(exc)],
                             "debug": f"Traceback (most recent call last):\n{exc.name}: {exc}",
                             "context": {}}}}, False


def _plain(value: Any) -> Any:
    return float(value) if isinstance(value, Decimal) else value
