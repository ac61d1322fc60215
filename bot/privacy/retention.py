"""Personal data's lifecycle (docs/privacy.md): each class is kept for the
days ``data/privacy.yml`` gives, then deleted (``purge``); one citizen's
data can be exported (``export``) and erased (``erase``). Every purge,
export and erasure is written to the audit log, without the citizen's id
in clear (``subject`` holds a short hash of it)."""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass
from typing import Any, Dict, List, Optional

from sqlalchemy import and_, delete, inspect, or_, select, text, update
from sqlalchemy.engine import Engine

from bot.announcements.store import deliveries
from bot.core import db
from bot.core.audit import AuditLog, audit
from bot.handoff.store import OPEN, handoffs
from bot.privacy.notice import settings
from bot.reports import rollups
from bot.review.store import unserved
from bot.tipoffs.push import held
from bot.tipoffs.sealed import codes_of, reporters
from bot.tipoffs.store import as_report, tipoffs
from bot.zalo.store import inbox, outbox, rejected, users

DAY = 86400.0
TRACKER_EVENTS = "events"  # Rasa's SQL tracker store: one row per event, keyed by sender_id


def pseudonym(conversation_id: str) -> str:
    """How the audit log names a citizen whose data was exported or erased."""
    return "citizen:" + hashlib.sha256(conversation_id.encode()).hexdigest()[:16]


def tracker_database_url() -> str:
    """Rasa's tracker store: TRACKER_STORE_URL, else the SQLite file beside the project database."""
    if os.environ.get("TRACKER_STORE_URL"):
        return os.environ["TRACKER_STORE_URL"]
    project = db.database_url()
    if project.startswith("sqlite:///"):
        return project.rsplit("/", 1)[0] + "/tracker.db"
    raise RuntimeError("set TRACKER_STORE_URL: the tracker store is not beside the project database")


@dataclass
class Retention:
    engine: Engine
    tracker_engine: Optional[Engine] = None  # None: conversations are left to Rasa's store (not reachable)

    @classmethod
    def from_env(cls) -> "Retention":
        return cls(db.engine(), db.engine(tracker_database_url()))

    # ---- the schedule

    def purge(self, now: Optional[float] = None) -> Dict[str, int]:
        """Delete what is older than its class's retention; rows deleted per class."""
        now = time.time() if now is None else now
        days = settings()["retention_days"]

        def before(name: str) -> float:
            return now - float(days[name]) * DAY

        done: Dict[str, int] = {}
        with self.engine.begin() as c:
            done["zalo_messages"] = (
                c.execute(delete(inbox).where(and_(inbox.c.status.in_(("done", "ignored", "failed")),
                                                   inbox.c.received_at < before("zalo_messages")))).rowcount
                + c.execute(delete(outbox).where(and_(outbox.c.status != "pending",
                                                      outbox.c.created_at < before("zalo_messages")))).rowcount)
            done["rejected_deliveries"] = c.execute(
                delete(rejected).where(rejected.c.received_at < before("rejected_deliveries"))).rowcount
            done["officer_chats"] = c.execute(delete(handoffs).where(and_(
                handoffs.c.status.notin_(OPEN), handoffs.c.ended_at < before("officer_chats")))).rowcount
            expired = and_(tipoffs.c.status == "resolved", tipoffs.c.updated_at < before("tipoffs"))
            c.execute(delete(held).where(held.c.code.in_(select(tipoffs.c.code).where(expired))))
            c.execute(delete(reporters).where(reporters.c.code.in_(select(tipoffs.c.code).where(expired))))
            done["tipoffs"] = c.execute(delete(tipoffs).where(expired)).rowcount
            done["announcement_deliveries"] = c.execute(delete(deliveries).where(
                deliveries.c.created_at < before("announcement_deliveries"))).rowcount
            done["inactive_users"] = c.execute(delete(users).where(and_(
                or_(users.c.follower.is_(False), users.c.follower.is_(None)),
                or_(users.c.last_interaction_at.is_(None),
                    users.c.last_interaction_at < before("inactive_users"))))).rowcount
            done["unserved_questions"] = c.execute(
                delete(unserved).where(unserved.c.created_at < before("unserved_questions"))).rowcount
            done["audit_log"] = c.execute(delete(audit).where(audit.c.time < before("audit_log"))).rowcount
        done["conversations"] = self._purge_conversations(before("conversations"))
        AuditLog(self.engine).log("system", "privacy_purge", detail=done)
        return done

    def _tracker(self) -> Optional[Engine]:
        """The tracker store's database, when it holds conversations."""
        if self.tracker_engine is None or not inspect(self.tracker_engine).has_table(TRACKER_EVENTS):
            return None
        return self.tracker_engine

    def _purge_conversations(self, cutoff: float) -> int:
        """Whole conversations whose last event is older than ``cutoff``."""
        tracker = self._tracker()
        if tracker is None:
            return 0
        senders = f"SELECT sender_id FROM {TRACKER_EVENTS} GROUP BY sender_id HAVING MAX(timestamp) < :cutoff"
        with tracker.begin() as c:
            rollups.forget(c, senders, {"cutoff": cutoff})  # the reports' rollups of their days: built again
            return c.execute(text(f"DELETE FROM {TRACKER_EVENTS} WHERE sender_id IN ({senders})"),
                             {"cutoff": cutoff}).rowcount

    # ---- one citizen

    def _citizen_rows(self, conversation_id: str) -> Dict[str, Any]:
        """(table, condition) of every row about this citizen in the project
        database that erasure deletes (tip-offs are kept: ``erase``)."""
        return {
            "zalo_inbox": (inbox, inbox.c.user_id == conversation_id),
            "zalo_outbox": (outbox, outbox.c.user_id == conversation_id),
            "zalo_users": (users, users.c.user_id == conversation_id),
            "officer_chats": (handoffs, handoffs.c.conversation_id == conversation_id),
            "announcement_deliveries": (deliveries, deliveries.c.user_id == conversation_id),
            "tipoff_updates_held": (held, held.c.code.in_(codes_of(conversation_id))),  # before the links
            "tipoff_links": (reporters, reporters.c.reporter_id == conversation_id),
            "unserved_questions": (unserved, unserved.c.conversation_id == conversation_id),
        }

    def export(self, conversation_id: str, actor: str) -> Dict[str, List[Dict[str, Any]]]:
        """Everything kept about this citizen, by class: with the codes of
        every tip-off they sent, and the reports they made under their name."""
        found: Dict[str, List[Dict[str, Any]]] = {}
        with self.engine.connect() as c:
            for name, (table, condition) in self._citizen_rows(conversation_id).items():
                found[name] = [_plain(dict(r._mapping)) for r in c.execute(select(table).where(condition))]
            found["tipoffs"] = [_plain(as_report(r)) for r in c.execute(
                select(tipoffs).where(tipoffs.c.reporter_id == conversation_id))]
        found["conversation"] = self._conversation(conversation_id)
        AuditLog(self.engine).log(actor, "privacy_export", subject=pseudonym(conversation_id),
                                  detail={name: len(rows) for name, rows in found.items()})
        return found

    def erase(self, conversation_id: str, actor: str) -> Dict[str, int]:
        """Delete everything kept about this citizen; rows by class. Tip-offs
        are evidence in a case: they are kept, and lose every link to the
        citizen (the sealed link; the name and contact of a named report)."""
        done: Dict[str, int] = {}
        with self.engine.begin() as c:
            for name, (table, condition) in self._citizen_rows(conversation_id).items():
                done[name] = c.execute(delete(table).where(condition)).rowcount
            done["tipoffs_unlinked"] = c.execute(update(tipoffs).where(tipoffs.c.reporter_id == conversation_id)
                                                 .values(reporter_id="", contact=None)).rowcount
        tracker = self._tracker()
        if tracker is not None:
            with tracker.begin() as c:
                rollups.forget(c, ":id", {"id": conversation_id})  # the reports' rollups of their days: built again
                done["conversation"] = c.execute(text(f"DELETE FROM {TRACKER_EVENTS} WHERE sender_id = :id"),
                                                 {"id": conversation_id}).rowcount
        AuditLog(self.engine).log(actor, "privacy_erase", subject=pseudonym(conversation_id), detail=done)
        return done

    def _conversation(self, conversation_id: str) -> List[Dict[str, Any]]:
        """The citizen's messages and the assistant's answers, oldest first."""
        tracker = self._tracker()
        if tracker is None:
            return []
        with tracker.connect() as c:
            rows = c.execute(text(f"SELECT type_name, timestamp, data FROM {TRACKER_EVENTS} "
                                  "WHERE sender_id = :id AND type_name IN ('user', 'bot') ORDER BY id"),
                             {"id": conversation_id})
            return [{"from": "citizen" if r.type_name == "user" else "assistant", "time": r.timestamp,
                     "text": json.loads(r.data).get("text")} for r in rows]


def _plain(row: Dict[str, Any]) -> Dict[str, Any]:
    """A row as JSON can hold it (bytes left out)."""
    return {k: (None if isinstance(v, (bytes, bytearray, memoryview)) else v) for k, v in row.items()}
