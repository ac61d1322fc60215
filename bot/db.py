"""The project's SQL database (not Rasa's tracker store): Zalo inbox and
outbox, tokens, and later the handoff queue. SQLite by default; any
SQLAlchemy URL (e.g. PostgreSQL) through DATABASE_URL."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from sqlalchemy import MetaData, Table, create_engine, event, inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.pool import QueuePool

ROOT = Path(__file__).resolve().parent.parent
metadata = MetaData()


def database_url() -> str:
    return os.environ.get("DATABASE_URL") or f"sqlite:///{ROOT / 'var' / 'project.db'}"


@lru_cache(maxsize=None)
def engine(url: str | None = None) -> Engine:
    url = url or database_url()
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # connections are kept (SQLAlchemy 1.4 opens a new one per transaction for SQLite files)
        created = create_engine(url, future=True, poolclass=QueuePool, pool_size=5, max_overflow=10,
                                connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(created, "connect")
        def _sqlite_pragmas(connection, _record):
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()
    else:
        created = create_engine(url, future=True, pool_pre_ping=True)
    return created


def create_tables(engine: Engine, *tables: Table) -> None:
    """Create the tables, and add the nullable columns a newer version of the
    code added to tables an older version created."""
    metadata.create_all(engine, tables=list(tables))
    for table in tables:
        existing = {c["name"] for c in inspect(engine).get_columns(table.name)}
        for column in table.columns:
            if column.name not in existing and column.nullable:
                kind = column.type.compile(dialect=engine.dialect)
                with engine.begin() as c:
                    c.execute(text(f'ALTER TABLE {table.name} ADD COLUMN {column.name} {kind}'))
