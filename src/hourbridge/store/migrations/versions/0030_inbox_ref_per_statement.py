"""PostgreSQL checks the intake rows' inbox reference once per statement, not once per row

Revision ID: 0030_inbox_ref_per_statement
Revises: 0029_billing_open
Create Date: 2026-12-07

Issue 16, item 5. Every time entry and expense names the inbox payload it came from
(``inbox_id``). As a foreign key, PostgreSQL checked it row by row: an after-row trigger per
inserted row, each running its own look-up of the same inbox row with a ``FOR KEY SHARE``
lock. Measured on the 100k bench database (5,000 entries per intake batch, into a table of
100,000): the batch's insert took 215-288 ms with the key and 129 ms without it, about
20 µs a row; a whole 100,000-entry ingest 9.0-9.4 s with it and 7.5-8.1 s without.

The same rule, set-based (PostgreSQL only; SQLite's per-row check is an index probe and
keeps its foreign key):

- after each INSERT statement into ``time_entries`` or ``expenses``: no inserted row may name
  an inbox id that does not exist (one anti-join of the statement's rows against ``inbox``);
- after an UPDATE that changes a row's ``inbox_id`` (a revision, a deletion: the payload that
  brought it): the same, for that row (a row trigger whose condition is checked before
  any call, so the billing run's and issuing's updates pay nothing);
- after a DELETE from ``inbox``, and before a TRUNCATE of it: no stored row may still name
  a removed payload. Hourbridge never removes a payload (the inbox is the record of what
  came in); the check scans the two tables, which is fine for what should never happen.

Each failure raises SQLSTATE 23503 (``foreign_key_violation``), what the key raised. What the
key also did and this does not: lock the inbox row while the inserting transaction runs.
It needs no lock, since nothing removes inbox rows while rows are taken in; a rogue DELETE
of a payload during an intake is refused by its own statement's check if the rows are
committed first, and otherwise the intake's check sees the payload gone.
"""
from alembic import op


revision = "0030_inbox_ref_per_statement"
down_revision = "0029_billing_open"
branch_labels = None
depends_on = None

TABLES = ("time_entries", "expenses")

_FUNCTIONS = """
CREATE OR REPLACE FUNCTION inbox_ref_statement() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM new_rows n
             WHERE NOT EXISTS (SELECT 1 FROM inbox i WHERE i.id = n.inbox_id)) THEN
    RAISE EXCEPTION 'insert on table "%" names an inbox payload that does not exist',
      TG_TABLE_NAME USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION inbox_ref_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM inbox i WHERE i.id = NEW.inbox_id) THEN
    RAISE EXCEPTION 'update on table "%" names inbox payload % that does not exist',
      TG_TABLE_NAME, NEW.inbox_id USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION inbox_ref_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    IF EXISTS (SELECT 1 FROM time_entries) OR EXISTS (SELECT 1 FROM expenses) THEN
      RAISE EXCEPTION 'inbox payloads are still named by stored rows'
        USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
  END IF;
  IF EXISTS (SELECT 1 FROM old_rows o
             WHERE EXISTS (SELECT 1 FROM time_entries t WHERE t.inbox_id = o.id)
                OR EXISTS (SELECT 1 FROM expenses x WHERE x.inbox_id = o.id)) THEN
    RAISE EXCEPTION 'a removed inbox payload is still named by stored rows'
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER inbox_ref_del AFTER DELETE ON inbox REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION inbox_ref_removed();
CREATE TRIGGER inbox_ref_truncate BEFORE TRUNCATE ON inbox
  FOR EACH STATEMENT EXECUTE FUNCTION inbox_ref_removed();
"""


def _table_triggers(table: str) -> str:
    return f"""
CREATE TRIGGER inbox_ref_ins AFTER INSERT ON {table} REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION inbox_ref_statement();
CREATE TRIGGER inbox_ref_upd AFTER UPDATE OF inbox_id ON {table} FOR EACH ROW
  WHEN (NEW.inbox_id IS DISTINCT FROM OLD.inbox_id) EXECUTE FUNCTION inbox_ref_row();
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.drop_constraint(f"fk_{table}_inbox_id_inbox", table, type_="foreignkey")
    op.execute(_FUNCTIONS)
    for table in TABLES:
        op.execute(_table_triggers(table))


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f"DROP TRIGGER inbox_ref_ins ON {table}")
        op.execute(f"DROP TRIGGER inbox_ref_upd ON {table}")
    op.execute("DROP TRIGGER inbox_ref_del ON inbox")
    op.execute("DROP TRIGGER inbox_ref_truncate ON inbox")
    op.execute("DROP FUNCTION IF EXISTS inbox_ref_statement(), inbox_ref_row(), "
               "inbox_ref_removed()")
    for table in TABLES:
        op.create_foreign_key(f"fk_{table}_inbox_id_inbox", table, "inbox", ["inbox_id"],
                              ["id"])
