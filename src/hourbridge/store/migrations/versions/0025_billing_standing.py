"""Billing standing kept as rows, with the contract-months that moved since

Revision ID: 0025_billing_standing
Revises: 0024_kpi_rollups
Create Date: 2026-12-06

Issue 16, item 4: a billing run's "changes since the last run" summed every live invoice of
its scope and stored the whole standing as JSON on the run, growing with history. Now
(``store.tables.standing``):

- ``billing_standing``: the baseline per scope (``*`` or an entity), one row per contract
  and month, rewritten only where it moved;
- ``billing_standing_dirty``: the contract-months whose live invoices moved since, per scope,
  written by triggers in the transaction that moves them (an invoice inserted; its status
  entering or leaving ``void``; its amount, kind, currency, entity, contract or month
  changing; deleted), so every write path marks them; issuing a draft marks nothing;
- ``billing_standing_scopes``: every scope, registered here and by a trigger on new entities,
  so dirty rows are kept from the start, whenever a scope's first run comes.

Scopes whose latest real run stored a standing start from it (their next run reports the
same changes as before the upgrade); others keep their baseline from their first run.
"""
import json

from alembic import op
import sqlalchemy as sa


revision = "0025_billing_standing"
down_revision = "0024_kpi_rollups"
branch_labels = None
depends_on = None

_FIELDS = ("net", "kind", "currency", "entity", "contract", "period")


def _moved(ne: str) -> str:
    """An update moved the standing: the invoice became (or stopped being) void, or a figure
    or key the standing sums by changed; ``ne`` is the dialect's NULL-safe "differs"."""
    return "(OLD.status = 'void') <> (NEW.status = 'void') OR " + " OR ".join(
        f"OLD.{f} {ne} NEW.{f}" for f in _FIELDS)


_DIRTY = "INSERT INTO billing_standing_dirty (scope, contract, period) "


def _mark(row: str) -> str:
    return (f"{_DIRTY}SELECT s.scope, {row}.contract, {row}.period "
            f"FROM billing_standing_scopes s WHERE s.scope IN ('*', {row}.entity)")


# --- PostgreSQL: inserts (COPY of a run's drafts) statement-level, one set-based insert;
# updates and deletes row-level, an update only when the WHEN clause says it moved (checked
# without calling the function: issuing's updates cost a comparison)
_PG = [
    f"""CREATE OR REPLACE FUNCTION billing_standing_inserted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  {_DIRTY}SELECT DISTINCT s.scope, n.contract, n.period FROM new_rows n
    JOIN billing_standing_scopes s ON s.scope IN ('*', n.entity);
  RETURN NULL;
END $$""",
    f"""CREATE OR REPLACE FUNCTION billing_standing_moved() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    {_mark("NEW")};
  END IF;
  {_mark("OLD")};
  RETURN NULL;
END $$""",
    """CREATE OR REPLACE FUNCTION billing_standing_scope() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO billing_standing_scopes (scope, kept) VALUES (NEW.code, false)
    ON CONFLICT (scope) DO NOTHING;
  RETURN NULL;
END $$""",
    "CREATE TRIGGER billing_standing_ins AFTER INSERT ON invoices "
    "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
    "EXECUTE FUNCTION billing_standing_inserted()",
    "CREATE TRIGGER billing_standing_upd AFTER UPDATE ON invoices FOR EACH ROW "
    f"WHEN ({_moved('IS DISTINCT FROM')}) EXECUTE FUNCTION billing_standing_moved()",
    "CREATE TRIGGER billing_standing_del AFTER DELETE ON invoices FOR EACH ROW "
    "EXECUTE FUNCTION billing_standing_moved()",
    "CREATE TRIGGER billing_standing_entity AFTER INSERT ON entities FOR EACH ROW "
    "EXECUTE FUNCTION billing_standing_scope()",
]

# --- SQLite: row-level (it has no others)
_SQLITE = [
    f"CREATE TRIGGER billing_standing_ins AFTER INSERT ON invoices BEGIN {_mark('NEW')}; END",
    "CREATE TRIGGER billing_standing_upd AFTER UPDATE OF status, net, kind, currency, entity, "
    f"contract, period ON invoices WHEN {_moved('IS NOT')} "
    f"BEGIN {_mark('NEW')}; {_mark('OLD')}; END",
    f"CREATE TRIGGER billing_standing_del AFTER DELETE ON invoices BEGIN {_mark('OLD')}; END",
    "CREATE TRIGGER billing_standing_entity AFTER INSERT ON entities BEGIN "
    "INSERT OR IGNORE INTO billing_standing_scopes (scope, kept) VALUES (NEW.code, 0); END",
]
_TRIGGERS = ("billing_standing_ins", "billing_standing_upd", "billing_standing_del")


def create_triggers() -> None:
    for statement in _PG if op.get_bind().dialect.name == "postgresql" else _SQLITE:
        op.execute(statement)


def upgrade() -> None:
    op.create_table(
        "billing_standing_scopes",
        sa.Column("scope", sa.String(length=64), nullable=False),
        sa.Column("kept", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("scope", name="pk_billing_standing_scopes"),
    )
    op.create_table(
        "billing_standing",
        sa.Column("scope", sa.String(length=64), nullable=False),
        sa.Column("contract", sa.String(length=64), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("invoiced", sa.String(length=40), nullable=False),
        sa.Column("credited", sa.String(length=40), nullable=False),
        sa.Column("net", sa.String(length=40), nullable=False),
        sa.Column("documents", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("scope", "contract", "period", name="pk_billing_standing"),
    )
    op.create_table(
        "billing_standing_dirty",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                  autoincrement=True, nullable=False),
        sa.Column("scope", sa.String(length=64), nullable=False),
        sa.Column("contract", sa.String(length=64), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_billing_standing_dirty"),
    )
    op.create_index("ix_billing_standing_dirty_scope", "billing_standing_dirty", ["scope"])
    op.create_index("ix_invoices_contract_period", "invoices", ["contract", "period"])
    bind = op.get_bind()
    # every scope, and the latest standing each one stored as JSON, as its baseline
    scopes = ["*", *bind.execute(sa.text("SELECT code FROM entities")).scalars()]
    for scope in scopes:
        where = "entity IS NULL" if scope == "*" else "entity = :e"
        found = bind.execute(sa.text(
            f"SELECT proposals FROM billing_runs WHERE {where} AND NOT dry_run "
            "AND proposals IS NOT NULL ORDER BY id DESC LIMIT 1"), {"e": scope}).scalar()
        if isinstance(found, str):
            found = json.loads(found)
        kept = isinstance(found, dict) and all(
            isinstance(v, dict) and "invoiced" in v for v in found.values())
        bind.execute(sa.text("INSERT INTO billing_standing_scopes (scope, kept) "
                             "VALUES (:s, :k)"), {"s": scope, "k": kept})
        if kept:
            rows = [{"s": scope, "c": key.split("|", 1)[0], "p": key.split("|", 1)[1],
                     "cur": v["currency"], "i": v["invoiced"], "cr": v["credited"],
                     "n": v["net"], "d": int(v["documents"])} for key, v in found.items()]
            if rows:
                bind.execute(sa.text(
                    "INSERT INTO billing_standing VALUES (:s, :c, :p, :cur, :i, :cr, :n, :d)"),
                    rows)
    create_triggers()
    # what moved since those runs is not known: every live contract-month is looked at
    # once, by each kept scope's next run (no more than each run did before)
    op.execute(f"{_DIRTY}SELECT DISTINCT s.scope, i.contract, i.period FROM invoices i "
               "JOIN billing_standing_scopes s ON s.scope IN ('*', i.entity) "
               "WHERE s.kept")
    op.execute(f"{_DIRTY}SELECT b.scope, b.contract, b.period FROM billing_standing b")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in _TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON invoices")
        op.execute("DROP TRIGGER IF EXISTS billing_standing_entity ON entities")
        for fn in ("billing_standing_inserted", "billing_standing_moved",
                   "billing_standing_scope"):
            op.execute(f"DROP FUNCTION IF EXISTS {fn}()")
    else:
        for name in (*_TRIGGERS, "billing_standing_entity"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_index("ix_invoices_contract_period", table_name="invoices")
    op.drop_table("billing_standing_dirty")
    op.drop_table("billing_standing")
    op.drop_table("billing_standing_scopes")
