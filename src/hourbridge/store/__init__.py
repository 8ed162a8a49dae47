"""Persistence on SQLAlchemy 2 (Core): tables, migrations, repositories, unit of work, ledger."""
