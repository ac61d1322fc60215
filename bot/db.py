"""The project's SQL database (not Rasa's tracker store): Zalo inbox and
outbox, tokens, and later the handoff queue. SQLite by default; any
SQLAlchemy URL (e.g. PostgreSQL) through DATABASE_URL."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from sqlalchemy import MetaData, create_engine, event
from sqlalchemy.engine import Engine

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
        created = create_engine(url, future=True, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(created, "connect")
        def _sqlite_pragmas(connection, _record):
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()
    else:
        created = create_engine(url, future=True, pool_pre_ping=True)
    return created
