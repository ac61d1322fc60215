"""The audit log: who did what, when, to which handoff, tip-off or
announcement. One table in the project database, written by every part
that changes state on an officer's or a citizen's behalf.

``subject`` names what the entry is about ("tipoff:TG-7K3M9Q",
"announcement:4"); handoff entries keep their ``handoff_id``. Never put a
reporter's identity in ``detail``."""

from __future__ import annotations

import json
import time
from typing import Any, Dict, List, Optional

from sqlalchemy import Column, Float, Integer, String, Table, Text, insert, select
from sqlalchemy.engine import Engine

from bot.core import db

audit = Table(
    "audit_log", db.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("time", Float, nullable=False),
    Column("actor", String(64), nullable=False),  # officer username, "citizen" or "system"
    Column("action", String(32), nullable=False),
    Column("handoff_id", Integer, index=True),
    Column("subject", String(64), index=True),
    Column("detail", Text),
)


class AuditLog:
    def __init__(self, engine: Optional[Engine] = None):
        self.engine = engine or db.engine()
        db.create_tables(self.engine, audit)

    def log(self, actor: str, action: str, handoff_id: Optional[int] = None, detail: Optional[dict] = None,
            subject: Optional[str] = None) -> None:
        with self.engine.begin() as c:
            c.execute(insert(audit).values(time=time.time(), actor=actor, action=action, handoff_id=handoff_id,
                                           subject=subject, detail=json.dumps(detail or {}, ensure_ascii=False)))

    def entries(self, handoff_id: Optional[int] = None, subject: Optional[str] = None) -> List[Dict[str, Any]]:
        query = select(audit).order_by(audit.c.id)
        if handoff_id is not None:
            query = query.where(audit.c.handoff_id == handoff_id)
        if subject is not None:
            query = query.where(audit.c.subject == subject)
        with self.engine.connect() as c:
            return [{**dict(r._mapping), "detail": json.loads(r.detail or "{}")} for r in c.execute(query)]
