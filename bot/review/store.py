"""What the assistant did not serve, kept for content staff: one row per
message in table ``unserved`` of the project database (bot/core/db.py).

Kinds (``KINDS``): not understood, another agency's matter, answered with
low confidence, a question back the citizen did not answer with a choice,
an answer followed by a complaint or by a request for an officer, and an
answer the citizen marked as wrong. The text is stored masked
(bot/review/masking.py), with its group key (bot/review/grouping.py).
Statuses: open, then assigned (to a procedure), out_of_scope (to an
agency) or skipped, with who resolved it and when."""

from __future__ import annotations

import time
from typing import Any, Dict, Iterable, List, Optional

from sqlalchemy import Column, Float, Integer, String, Table, Text, and_, insert, select, update
from sqlalchemy.engine import Engine

from bot.core import db

KINDS = ("not_understood", "out_of_scope", "low_confidence", "clarification_ignored", "complaint",
         "officer_after_answer", "marked_wrong")
STATUSES = ("open", "assigned", "out_of_scope", "skipped")

unserved = Table(
    "unserved", db.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("conversation_id", String(128), nullable=False, index=True),
    Column("unit", String(64), nullable=False, index=True),
    Column("text", Text, nullable=False),  # masked
    Column("group_key", String(512), nullable=False, index=True),
    Column("kind", String(32), nullable=False),
    Column("guess", String(128)),  # the procedure the assistant thought of (or answered)
    Column("agency", String(64)),  # the other agency it named (out of scope)
    Column("confidence", Float),
    Column("created_at", Float, nullable=False, index=True),
    Column("status", String(16), nullable=False, index=True),
    Column("resolved_by", String(64)),
    Column("resolved_at", Float),
    Column("resolution", String(128)),  # the procedure or agency it was given to
)


class UnservedStore:
    def __init__(self, engine: Optional[Engine] = None):
        self.engine = engine or db.engine()
        db.create_tables(self.engine, unserved)

    def add(self, conversation_id: str, unit: str, text: str, group_key: str, kind: str,
            guess: Optional[str] = None, agency: Optional[str] = None,
            confidence: Optional[float] = None) -> Optional[int]:
        """A new open row (already masked); None when the same message of the
        same conversation is already open with this kind."""
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}")
        with self.engine.begin() as c:
            same = c.execute(select(unserved.c.id).where(and_(
                unserved.c.conversation_id == conversation_id, unserved.c.kind == kind,
                unserved.c.group_key == group_key, unserved.c.status == "open"))).first()
            if same:
                return None
            result = c.execute(insert(unserved).values(
                conversation_id=conversation_id, unit=unit, text=text, group_key=group_key, kind=kind,
                guess=guess, agency=agency, confidence=confidence, created_at=time.time(), status="open"))
            return int(result.inserted_primary_key[0])

    def get(self, row_id: int) -> Optional[Dict[str, Any]]:
        with self.engine.connect() as c:
            row = c.execute(select(unserved).where(unserved.c.id == row_id)).first()
        return dict(row._mapping) if row else None

    def rows(self, status: Optional[str] = "open", units: Optional[Iterable[str]] = None,
             group_key: Optional[str] = None) -> List[Dict[str, Any]]:
        """Rows, oldest first: of this status (None: all), of these units, of this group."""
        query = select(unserved).order_by(unserved.c.id)
        if status is not None:
            query = query.where(unserved.c.status == status)
        if units is not None:
            query = query.where(unserved.c.unit.in_(list(units)))
        if group_key is not None:
            query = query.where(unserved.c.group_key == group_key)
        with self.engine.connect() as c:
            return [dict(r._mapping) for r in c.execute(query)]

    def resolve(self, row_ids: Iterable[int], status: str, actor: str, resolution: Optional[str] = None) -> List[int]:
        """Close these rows (those still open); the ids closed."""
        if status not in STATUSES[1:]:
            raise ValueError(f"status must be one of {STATUSES[1:]}")
        closed = []
        with self.engine.begin() as c:
            for row_id in row_ids:
                done = c.execute(update(unserved).where(and_(unserved.c.id == row_id, unserved.c.status == "open"))
                                 .values(status=status, resolved_by=actor, resolved_at=time.time(),
                                         resolution=resolution))
                if done.rowcount:
                    closed.append(row_id)
        return closed
