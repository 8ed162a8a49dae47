"""Regenerate the single migration 0001 from ``store.tables`` (nothing is deployed yet, so the
schema has one migration). From the repository root:
``.venv/bin/python scripts/regen_migration.py``."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from alembic import command
from sqlalchemy import create_engine

from hourbridge.store.migrate import MIGRATIONS, alembic_config

VERSIONS = MIGRATIONS / "versions"


def main() -> None:
    for old in VERSIONS.glob("0001_*.py"):
        old.unlink()
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_engine(f"sqlite:///{tmp}/gen.db")
        command.revision(alembic_config(engine), message="canonical model v1", autogenerate=True,
                         rev_id="0001")
    (path,) = VERSIONS.glob("0001_*.py")
    text = path.read_text()
    text = re.sub(r"^\s*# ###.*\n", "", text, flags=re.M)
    text = re.sub(r"Create Date: .*", "Create Date: 2026-11-27", text)
    path.write_text(text)
    print(f"wrote {path.relative_to(Path.cwd())}")


if __name__ == "__main__":
    main()
