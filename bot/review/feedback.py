"""The citizen's feedback on a procedure's first answer ("Hữu ích" / "Chưa
đúng", data/answers.yml ``feedback_buttons``): counted per unit and
procedure for the reports, with no personal data (no conversation id, no
text). The question a "Chưa đúng" was about, and what the citizen then says
they wanted, go to the review queue (bot/review/capture.py, kind
``marked_wrong``), where content staff decide what becomes an example:
feedback never reaches data/ on its own."""

from __future__ import annotations

import time
from typing import Dict, Iterable, Optional

from sqlalchemy import Boolean, Column, Float, Integer, String, Table, func, insert, select
from sqlalchemy.engine import Engine

from bot.core import db

feedback = Table(
    "feedback", db.metadata,
    Column("id", Integer, primary_key=True),
    Column("unit", String(64), nullable=False, index=True),
    Column("procedure", String(64)),
    Column("helpful", Boolean, nullable=False),
    Column("created_at", Float, nullable=False, index=True),
)


class FeedbackStore:
    def __init__(self, engine: Optional[Engine] = None):
        self.engine = engine or db.engine()
        db.create_tables(self.engine, feedback)

    def add(self, unit: str, procedure: Optional[str], helpful: bool) -> int:
        with self.engine.begin() as c:
            return int(c.execute(insert(feedback).values(unit=unit, procedure=procedure, helpful=helpful,
                                                         created_at=time.time())).inserted_primary_key[0])

    def counts(self, units: Optional[Iterable[str]] = None, since: float = 0.0,
               until: Optional[float] = None) -> Dict[str, int]:
        """{"helpful": n, "wrong": n} of these units in [since, until)."""
        query = select(feedback.c.helpful, func.count()).where(feedback.c.created_at >= since)
        if until is not None:
            query = query.where(feedback.c.created_at < until)
        if units is not None:
            query = query.where(feedback.c.unit.in_(list(units)))
        with self.engine.connect() as c:
            found = dict(c.execute(query.group_by(feedback.c.helpful)).all())
        return {"helpful": found.get(True, 0), "wrong": found.get(False, 0)}
