"""Handoff state in the project database: the queue of chats waiting for an
officer. Changes are written to the audit log (bot/core/audit.py). Every change is a
single SQL statement or transaction, so several processes (the action
server, console replicas) can share it safely."""

from __future__ import annotations

import json
import time
from typing import Any, Dict, Iterable, List, Optional

from sqlalchemy import Column, Float, Index, Integer, String, Table, Text, and_, func, insert, or_, select, update
from sqlalchemy.engine import Engine

from bot.core import db
from bot.core.audit import AuditLog

OPEN = ("waiting", "active")
PRIORITY = {"sos": 3, "tipoff": 2, "failures": 1, "requested": 1, "area_officer": 1}
# "gặp riêng": a citizen asked for their area officer; the chat waits for that
# officer alone (claimed_by while still "waiting") until it goes to the unit's queue
PERSONAL = "area_officer"

handoffs = Table(
    "handoffs", db.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("conversation_id", String(128), nullable=False, index=True),
    Column("unit", String(64), nullable=False, index=True),
    Column("reason", String(32), nullable=False),  # requested, failures, tipoff, sos, area_officer
    Column("priority", Integer, nullable=False),
    Column("status", String(16), nullable=False, index=True),  # waiting, active, closed, cancelled, timed_out
    Column("created_at", Float, nullable=False, index=True),
    Column("claimed_by", String(64)),
    Column("claimed_at", Float),
    Column("first_reply_at", Float),
    Column("ended_at", Float),
    Column("detail", Text),  # JSON: what started it (e.g. a tip-off id)
    Index("ix_handoffs_unit_created_at", "unit", "created_at"),  # a unit's chats of a period (bot/reports)
)


class Busy(Exception):
    """Too many chats were queued lately: by this conversation, or by all (a flood)."""


class HandoffStore:
    def __init__(self, engine: Optional[Engine] = None):
        self.engine = engine or db.engine()
        db.create_tables(self.engine, handoffs)
        self.audit = AuditLog(self.engine)

    # ---- queue
    def open_for(self, conversation_id: str) -> Optional[Dict[str, Any]]:
        with self.engine.connect() as c:
            row = c.execute(select(handoffs).where(and_(
                handoffs.c.conversation_id == conversation_id, handoffs.c.status.in_(OPEN)))).first()
        return dict(row._mapping) if row else None

    def latest_for(self, conversation_id: str) -> Optional[Dict[str, Any]]:
        """The conversation's newest chat with an officer, open or not."""
        with self.engine.connect() as c:
            row = c.execute(select(handoffs).where(handoffs.c.conversation_id == conversation_id)
                            .order_by(handoffs.c.id.desc()).limit(1)).first()
        return dict(row._mapping) if row else None

    def request(self, conversation_id: str, unit: str, reason: str, detail: Optional[dict] = None,
                limits: Optional[Dict[str, int]] = None, officer: Optional[str] = None) -> Dict[str, Any]:
        """Queue the conversation (once: an open request is returned as it is);
        with ``officer``, for that officer alone until ``to_unit_queue``.
        Raises Busy past the flood ``limits`` (data/handoff.yml)."""
        existing = self.open_for(conversation_id)
        if existing:
            return existing
        if limits:
            self._check_flood(conversation_id, limits)
        with self.engine.begin() as c:
            handoff_id = c.execute(insert(handoffs).values(
                conversation_id=conversation_id, unit=unit, reason=reason, priority=PRIORITY.get(reason, 1),
                status="waiting", created_at=time.time(), detail=json.dumps(detail or {}, ensure_ascii=False),
                claimed_by=officer,
            )).inserted_primary_key[0]
        self.log("system", "requested", handoff_id,
                 {"reason": reason, "unit": unit, **({"for_officer": officer} if officer else {})})
        return self.get(handoff_id)

    def _check_flood(self, conversation_id: str, limits: Dict[str, int]) -> None:
        now = time.time()
        count = select(func.count()).select_from(handoffs)
        with self.engine.connect() as c:
            mine = c.execute(count.where(and_(handoffs.c.conversation_id == conversation_id,
                                              handoffs.c.created_at > now - 3600))).scalar()
            everyone = c.execute(count.where(handoffs.c.created_at > now - 60)).scalar()
        if mine >= limits["per_conversation_per_hour"]:
            raise Busy(f"{conversation_id} opened {mine} chats in the last hour")
        if everyone >= limits["total_per_minute"]:
            raise Busy(f"{everyone} chats were opened in the last minute")

    def escalate(self, handoff_id: int, reason: str) -> None:
        """Raise an open chat's urgency (a waiting request that turns into an SOS)."""
        with self.engine.begin() as c:
            c.execute(update(handoffs).where(handoffs.c.id == handoff_id)
                      .values(reason=reason, priority=PRIORITY.get(reason, 1)))
        self.log("system", "escalated", handoff_id, {"reason": reason})

    def route(self, handoff_id: int, unit: str, detail: Dict[str, Any]) -> None:
        """Send a chat to the unit of the place it is about (an SOS's location)."""
        with self.engine.begin() as c:
            row = c.execute(select(handoffs.c.detail).where(handoffs.c.id == handoff_id)).first()
            merged = {**json.loads(row.detail or "{}"), **detail} if row else detail
            c.execute(update(handoffs).where(handoffs.c.id == handoff_id)
                      .values(unit=unit, detail=json.dumps(merged, ensure_ascii=False)))
        self.log("system", "routed", handoff_id, {"unit": unit, **detail})

    def to_unit_queue(self, handoff_id: int) -> bool:
        """A "gặp riêng" chat its officer did not take: to the unit's queue, as a
        request for an officer, waiting from now (``queued_at`` in its detail).
        False if the officer took it meanwhile, or it ended."""
        with self.engine.begin() as c:
            row = c.execute(select(handoffs).where(and_(
                handoffs.c.id == handoff_id, handoffs.c.status == "waiting", handoffs.c.reason == PERSONAL))).first()
            if row is None:
                return False
            detail = {**json.loads(row.detail or "{}"), "queued_at": time.time()}
            done = c.execute(update(handoffs).where(and_(
                handoffs.c.id == handoff_id, handoffs.c.status == "waiting", handoffs.c.reason == PERSONAL))
                .values(reason="requested", claimed_by=None, detail=json.dumps(detail, ensure_ascii=False)))
        if done.rowcount:
            self.log("system", "to_unit_queue", handoff_id, {"from_officer": row.claimed_by})
        return bool(done.rowcount)

    def get(self, handoff_id: int) -> Optional[Dict[str, Any]]:
        with self.engine.connect() as c:
            row = c.execute(select(handoffs).where(handoffs.c.id == handoff_id)).first()
        return dict(row._mapping) if row else None

    def queue(self, units: Iterable[str]) -> List[Dict[str, Any]]:
        """Open chats of these units: most urgent first, then oldest first."""
        with self.engine.connect() as c:
            rows = c.execute(select(handoffs).where(and_(
                handoffs.c.status.in_(OPEN), handoffs.c.unit.in_(list(units))))
                .order_by(handoffs.c.priority.desc(), handoffs.c.created_at))
            return [dict(r._mapping) for r in rows]

    def all_open(self) -> List[Dict[str, Any]]:
        with self.engine.connect() as c:
            return [dict(r._mapping) for r in c.execute(select(handoffs).where(handoffs.c.status.in_(OPEN)))]

    def claim(self, handoff_id: int, username: str) -> bool:
        """Take the chat; False if another officer has it or it is closed."""
        with self.engine.begin() as c:
            done = c.execute(update(handoffs).where(and_(
                handoffs.c.id == handoff_id, handoffs.c.status.in_(OPEN),
                or_(handoffs.c.claimed_by.is_(None), handoffs.c.claimed_by == username),
            )).values(status="active", claimed_by=username, claimed_at=time.time()))
        if done.rowcount:
            self.log(username, "claimed", handoff_id)
        return bool(done.rowcount)

    def replied(self, handoff_id: int, username: str, text: str) -> None:
        with self.engine.begin() as c:
            c.execute(update(handoffs).where(and_(handoffs.c.id == handoff_id, handoffs.c.first_reply_at.is_(None)))
                      .values(first_reply_at=time.time()))
        self.log(username, "replied", handoff_id, {"length": len(text)})

    @staticmethod
    def _still(handoff_id: int, claimed_by: Optional[str]):
        """The chat is open and still held by ``claimed_by`` (None: by nobody)."""
        holder = handoffs.c.claimed_by.is_(None) if claimed_by is None else handoffs.c.claimed_by == claimed_by
        return and_(handoffs.c.id == handoff_id, handoffs.c.status.in_(OPEN), holder)

    def transfer(self, handoff_id: int, username: str, unit: str, claimed_by: Optional[str] = None) -> bool:
        """Send the chat to a unit's queue; False if it ended, or if someone
        other than ``claimed_by`` (who the caller checked may hand it on) holds it now."""
        with self.engine.begin() as c:
            done = c.execute(update(handoffs).where(self._still(handoff_id, claimed_by))
                             .values(unit=unit, status="waiting", claimed_by=None, claimed_at=None))
        if done.rowcount:
            self.log(username, "transferred", handoff_id, {"to_unit": unit})
        return bool(done.rowcount)

    def transfer_to_officer(self, handoff_id: int, username: str, officer: str, unit: str,
                            claimed_by: Optional[str] = None) -> bool:
        """Hand the chat to another officer (and their unit): they have it at
        once. False as for ``transfer``."""
        with self.engine.begin() as c:
            done = c.execute(update(handoffs).where(self._still(handoff_id, claimed_by))
                             .values(unit=unit, status="active", claimed_by=officer, claimed_at=time.time()))
        if done.rowcount:
            self.log(username, "transferred", handoff_id, {"to_officer": officer, "to_unit": unit})
        return bool(done.rowcount)

    def end(self, handoff_id: int, actor: str, status: str) -> bool:
        """Close, cancel or time out an open chat; False if it was no longer open."""
        with self.engine.begin() as c:
            done = c.execute(update(handoffs).where(and_(handoffs.c.id == handoff_id, handoffs.c.status.in_(OPEN)))
                             .values(status=status, ended_at=time.time()))
        if done.rowcount:
            self.log(actor, status, handoff_id)
        return bool(done.rowcount)

    def log(self, actor: str, action: str, handoff_id: Optional[int] = None, detail: Optional[dict] = None) -> None:
        self.audit.log(actor, action, handoff_id, detail)
