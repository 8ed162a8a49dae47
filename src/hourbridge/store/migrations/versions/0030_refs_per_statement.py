"""PostgreSQL checks the references of bulk-written rows once per statement, not once per row

Revision ID: 0030_refs_per_statement
Revises: 0029_billing_open
Create Date: 2026-12-07

Issue 16, items 2 and 5. A foreign key is checked row by row: PostgreSQL queues an after-row
trigger per written row, and each runs its own look-up of the referenced row with a ``FOR KEY
SHARE`` lock (planned anew each time under the engine's forced custom plans). For the tables
Hourbridge writes in bulk that was a large share of the write:

- intake: ``time_entries.inbox_id`` and ``expenses.inbox_id`` (the payload a row came in).
  Measured on the 100k bench database, 5,000 entries into a table of 100,000: 215-288 ms per
  batch with the key, 129 ms without, about 20 µs a row; a 100,000-entry ingest 9.0-9.4 s
  with it and 7.5-8.1 s without;
- billing: ``invoice_line_entries.entry`` and ``.line`` (88,028 links in the 100k run: 1.05 s
  and 0.39 s of checks), ``invoice_lines.invoice``.

Each becomes the same rule, set-based (PostgreSQL only; SQLite keeps its foreign keys, whose
per-row check is an index probe):

- after each INSERT statement into the table: no inserted row may name a missing row (one
  anti-join of the statement's rows against the referenced table);
- after an UPDATE that changes the column: the same, for that row (a row trigger whose
  condition is checked before any call, so the billing run's and issuing's updates of other
  columns pay nothing);
- after a DELETE from the referenced table, and after an UPDATE of its key: no row may still
  name a removed key; before a TRUNCATE of it: the referencing table must be empty.

Each failure raises SQLSTATE 23503 (``foreign_key_violation``), as the key did. What the
key also did and this does not: lock the referenced rows until the writer commits. Nothing
needs the lock here: a payload, a time entry, an invoice line and an invoice are never
deleted (voids and credits add rows), and the lines a billing run links to are its own,
invisible to anyone else until it commits. A removal that did race a writer is still refused
by whichever of the two checks runs second.
"""
from alembic import op


revision = "0030_refs_per_statement"
down_revision = "0029_billing_open"
branch_labels = None
depends_on = None

# (table, column, referenced table, referenced column): each was a foreign key named
# fk_<table>_<column>_<referenced table> (the metadata's naming convention)
REFERENCES = (
    ("time_entries", "inbox_id", "inbox", "id"),
    ("expenses", "inbox_id", "inbox", "id"),
    ("invoice_line_entries", "entry", "time_entries", "id"),
    ("invoice_line_entries", "line", "invoice_lines", "id"),
    ("invoice_lines", "invoice", "invoices", "id"),
)

# generic functions, given (column, referenced table, referenced column) or (referencing
# table, column, referenced column) as trigger arguments; the transition tables are visible
# to their dynamic statements
_FUNCTIONS = r"""
CREATE OR REPLACE FUNCTION ref_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE missing text;
BEGIN
  EXECUTE format('SELECT n.%1$I::text FROM new_rows n WHERE n.%1$I IS NOT NULL AND NOT EXISTS '
                 '(SELECT 1 FROM %2$I p WHERE p.%3$I = n.%1$I) LIMIT 1',
                 TG_ARGV[0], TG_ARGV[1], TG_ARGV[2]) INTO missing;
  IF missing IS NOT NULL THEN
    RAISE EXCEPTION 'insert on table "%" violates the reference of %: (%)=(%) is not present '
      'in table "%"', TG_TABLE_NAME, TG_ARGV[0], TG_ARGV[0], missing, TG_ARGV[1]
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION ref_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE named text := to_jsonb(NEW) ->> TG_ARGV[0]; found boolean;
BEGIN
  IF named IS NULL THEN RETURN NULL; END IF;
  EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I p WHERE p.%I = %L)',
                 TG_ARGV[1], TG_ARGV[2], named) INTO found;
  IF NOT found THEN
    RAISE EXCEPTION 'update on table "%" violates the reference of %: (%)=(%) is not present '
      'in table "%"', TG_TABLE_NAME, TG_ARGV[0], TG_ARGV[0], named, TG_ARGV[1]
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION ref_removed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE named text;
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    EXECUTE format('SELECT %I::text FROM %I LIMIT 1', TG_ARGV[1], TG_ARGV[0]) INTO named;
  ELSIF TG_OP = 'DELETE' THEN
    EXECUTE format('SELECT o.%3$I::text FROM old_rows o WHERE EXISTS '
                   '(SELECT 1 FROM %1$I c WHERE c.%2$I = o.%3$I) LIMIT 1',
                   TG_ARGV[0], TG_ARGV[1], TG_ARGV[2]) INTO named;
  ELSE  -- a row's key changed
    named := to_jsonb(OLD) ->> TG_ARGV[2];
    EXECUTE format('SELECT %L FROM %I c WHERE c.%I = %L LIMIT 1',
                   named, TG_ARGV[0], TG_ARGV[1], named) INTO named;
  END IF;
  IF named IS NOT NULL THEN
    RAISE EXCEPTION '% on table "%" violates the reference of %.%: (%)=(%) is still named',
      lower(TG_OP), TG_TABLE_NAME, TG_ARGV[0], TG_ARGV[1], TG_ARGV[2], named
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NULL;
END $$;
"""


def _triggers(table: str, column: str, parent: str, key: str) -> str:
    args = f"'{column}', '{parent}', '{key}'"
    back = f"'{table}', '{column}', '{key}'"
    return f"""
CREATE TRIGGER ref_{column}_ins AFTER INSERT ON {table} REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION ref_inserted({args});
CREATE TRIGGER ref_{column}_upd AFTER UPDATE OF {column} ON {table} FOR EACH ROW
  WHEN (NEW.{column} IS DISTINCT FROM OLD.{column}) EXECUTE FUNCTION ref_changed({args});
CREATE TRIGGER ref_{table}_{column}_del AFTER DELETE ON {parent}
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION ref_removed({back});
CREATE TRIGGER ref_{table}_{column}_key AFTER UPDATE OF {key} ON {parent} FOR EACH ROW
  WHEN (NEW.{key} IS DISTINCT FROM OLD.{key}) EXECUTE FUNCTION ref_removed({back});
CREATE TRIGGER ref_{table}_{column}_trunc BEFORE TRUNCATE ON {parent}
  FOR EACH STATEMENT EXECUTE FUNCTION ref_removed({back});
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column, parent, _ in REFERENCES:
        op.drop_constraint(f"fk_{table}_{column}_{parent}", table, type_="foreignkey")
    op.execute(_FUNCTIONS)
    for reference in REFERENCES:
        op.execute(_triggers(*reference))


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column, parent, key in REFERENCES:
        for name, on in ((f"ref_{column}_ins", table), (f"ref_{column}_upd", table),
                         (f"ref_{table}_{column}_del", parent),
                         (f"ref_{table}_{column}_key", parent),
                         (f"ref_{table}_{column}_trunc", parent)):
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {on}")
        op.create_foreign_key(f"fk_{table}_{column}_{parent}", table, parent, [column], [key])
    op.execute("DROP FUNCTION IF EXISTS ref_inserted(), ref_changed(), ref_removed()")
