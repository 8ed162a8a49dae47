"""party and payment data; what a document shows frozen on it at issue

Revision ID: 0007_party_snapshot
Revises: 0006_entity_day_and_names
Create Date: 2026-12-06

Entities and customers get a ``party`` JSON column (postal address, electronic address,
contact; for entities also bank accounts and payment terms); a customer's
``payment_terms_days`` may be NULL (the entity's terms apply). Invoices get ``snapshot``: the
seller, buyer, bank account, terms, due date and FX rate as the document showed them when it
was issued (``hourbridge.domain.einvoice.snapshot``, version 1), which every export reads.

Invoices issued before this revision: their snapshot is filled here from the master data as
it is now (names, country, VAT and registration ids of entity and customer, the customer's
PO number, whether its contract wants a timesheet attachment), with the due date and FX
rate stored on the invoice. Master data had no address,
electronic address, contact, bank account or buyer reference before, so those are empty in
these snapshots, as they were on the documents.
"""
from alembic import op
import sqlalchemy as sa


revision = '0007_party_snapshot'
down_revision = '0006_entity_day_and_names'
branch_labels = None
depends_on = None


def _party(row: sa.Row, seller: bool) -> dict:
    return {"name": row.name, "country": row.country, "vat_id": row.vat_id,
            "legal_registration_id": row.legal_registration_id if seller else None,
            "tax_registration_id": row.tax_registration_id if seller else None,
            "address": None, "electronic_address": None, "contact": None}


def upgrade() -> None:
    with op.batch_alter_table('entities', schema=None) as batch_op:
        batch_op.add_column(sa.Column('party', sa.JSON(), nullable=True))
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('party', sa.JSON(), nullable=True))
        batch_op.alter_column('payment_terms_days', existing_type=sa.Integer(), nullable=True)
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('snapshot', sa.JSON(), nullable=True))

    conn = op.get_bind()
    meta = sa.MetaData()
    entities = sa.Table('entities', meta, autoload_with=conn)
    customers = sa.Table('customers', meta, autoload_with=conn)
    invoices = sa.Table('invoices', meta, autoload_with=conn)
    ents = {r.code: r for r in conn.execute(sa.select(entities))}
    custs = {r.id: r for r in conn.execute(sa.select(customers))}
    contracts = sa.Table('contracts', meta, autoload_with=conn)
    terms = {r.id: r.terms or {} for r in conn.execute(sa.select(contracts.c.id,
                                                                  contracts.c.terms))}
    issued = conn.execute(sa.select(
        invoices.c.id, invoices.c.entity, invoices.c.customer, invoices.c.contract,
        invoices.c.issue_date,
        invoices.c.due_date, invoices.c.fx_rate).where(invoices.c.number.is_not(None))).all()
    for inv in issued:
        ent, cust = ents[inv.entity], custs[inv.customer]
        due = inv.due_date or inv.issue_date
        snapshot = {
            "version": 1, "seller": _party(ent, True), "buyer": _party(cust, False),
            "bank_account": None, "payment_terms": None,
            "payment_terms_days": (due - inv.issue_date).days if due and inv.issue_date else 0,
            "due_date": due.isoformat() if due else None,
            "fx_rate": None if inv.fx_rate is None else str(inv.fx_rate),
            "functional_currency": ent.currency, "buyer_reference": None,
            "purchase_order": cust.po_number,
            "timesheet_attachment": bool(terms.get(inv.contract, {})
                                         .get("timesheet_attachment")),
        }
        conn.execute(sa.update(invoices).where(invoices.c.id == inv.id)
                     .values(snapshot=snapshot))


def downgrade() -> None:
    op.execute("UPDATE customers SET payment_terms_days = 30 WHERE payment_terms_days IS NULL")
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.drop_column('snapshot')
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.alter_column('payment_terms_days', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('party')
    with op.batch_alter_table('entities', schema=None) as batch_op:
        batch_op.drop_column('party')
