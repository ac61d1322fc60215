"""The project's SQL database (not Rasa's tracker store): Zalo inbox,
outbox and tokens, handoffs, tip-offs, announcements, officer accounts and
the audit log. SQLite in the state folder by default; any SQLAlchemy URL
(e.g. PostgreSQL) through DATABASE_URL.

Every module that defines tables on ``metadata`` is named in
``TABLE_MODULES``; ``all_tables()`` imports them, so the launcher creates
every table (tests/test_layout.py fails when a module is missing there)."""

from __future__ import annotations

import importlib
import os
from functools import lru_cache
from pathlib import Path
from typing import List

from sqlalchemy import MetaData, Table, create_engine, event, inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import QueuePool

from bot.core.paths import VAR

metadata = MetaData()

# the modules that define tables on ``metadata``
TABLE_MODULES = ("bot.announcements.store", "bot.console.auth", "bot.console.throttle", "bot.core.audit",
                 "bot.handoff.store", "bot.review.feedback", "bot.review.retrain", "bot.review.store",
                 "bot.tipoffs.push", "bot.tipoffs.sealed", "bot.tipoffs.store", "bot.zalo.store")


def default_database_url(state_dir: Path = VAR) -> str:
    """The SQLite file in the state folder."""
    return f"sqlite:///{state_dir.resolve() / 'project.db'}"


def database_url() -> str:
    return os.environ.get("DATABASE_URL") or default_database_url()


def all_tables() -> List[Table]:
    """Every table of the project database, its modules imported."""
    for module in TABLE_MODULES:
        importlib.import_module(module)
    return list(metadata.sorted_tables)


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
    """Create the tables, and add the nullable columns and the indexes a
    newer version of the code added to tables an older version created."""
    metadata.create_all(engine, tables=list(tables))
    for table in tables:
        existing = {c["name"] for c in inspect(engine).get_columns(table.name)}
        for column in table.columns:
            if column.name not in existing and column.nullable:
                kind = column.type.compile(dialect=engine.dialect)
                with engine.begin() as c:
                    c.execute(text(f'ALTER TABLE {table.name} ADD COLUMN {column.name} {kind}'))
        for index in table.indexes:
            try:
                index.create(engine, checkfirst=True)
            except DBAPIError:  # another process made it at the same moment
                if index.name not in {i["name"] for i in inspect(engine).get_indexes(table.name)}:
                    raise
