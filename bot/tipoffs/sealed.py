"""Who sent each tip-off, sealed apart from the report.

A tip-off's row (bot/tipoffs/store.py) names its reporter only when they
agreed to be known. This table links every report's code to the Zalo user
who sent it, and only these paths read it:

* the reporter's own follow-up ("tra cứu TG-XXXXXX", "tin báo của tôi"), in
  the action server, for the sender of the message: ``codes_of``;
* the break-glass view (``TipoffStore.unseal``, POST
  /console/api/tipoffs/<code>/unseal): a commander of the unit handling an
  anonymous report gives a reason; the audit log records who, when and why
  (never the identity) before the identity is returned;
* telling the reporter of a new status (bot/tipoffs/push.py): the update
  goes to that Zalo user, or waits until they write; nobody reads who.

No console page or other API reads it. Whoever administers the database can
still read every table: restrict this one at the database level if that
matters where you run it.
"""

from __future__ import annotations

import time
from typing import Optional

from sqlalchemy import Column, Float, String, Table, insert, select
from sqlalchemy.engine import Connection

from bot.core import db

reporters = Table(
    "tipoff_reporters", db.metadata,
    Column("code", String(16), primary_key=True),
    Column("reporter_id", String(128), nullable=False, index=True),
    Column("sealed_at", Float, nullable=False),
)


def seal(connection: Connection, code: str, reporter_id: str) -> None:
    connection.execute(insert(reporters).values(code=code, reporter_id=reporter_id, sealed_at=time.time()))


def codes_of(reporter_id: str):
    """The codes of the reports ``reporter_id`` sent (a subquery)."""
    return select(reporters.c.code).where(reporters.c.reporter_id == reporter_id)


def reporter_of(connection: Connection, code: str) -> Optional[str]:
    """Only for TipoffStore.unseal, which audits it first, and for the status
    push (bot/tipoffs/push.py), which sends to it and shows it to nobody."""
    return connection.execute(select(reporters.c.reporter_id).where(reporters.c.code == code)).scalar()
