"""Durable Zalo state in the project database.

* inbox: every authentic webhook delivery, keyed for deduplication
  (``message.msg_id``), processed in order per user; a restart resumes it.
* outbox: every message for a citizen, sent in order per user, retried
  while Zalo fails, and marked when it cannot be delivered.

Several server processes (replicas) may share the database: a process
claims a user's next delivery or message for a while (a lease) before
handing it to Rasa or sending it, and claims nothing of a user another
process is busy with, so each is handled once and in order. A claim left
by a process that died runs out and the work is taken up again; sooner if
the process comes back under the same worker id (it releases its own).
* tokens: the rotated access/refresh tokens of each OA, and who is refreshing
  them (one process at a time: Zalo's refresh tokens are single-use).
* users: which OA a user belongs to, follow state, last numbered menu, and
  their Zalo display name (a cache: bot/zalo/profiles.py).
* rejected: a bounded sample of the deliveries refused (bad signature,
  malformed JSON…), for audit (bot/zalo/rejected.py).
* follows: one row per follow or unfollow of an OA (its unit and when, not
  who), for the commanders' reports (bot/reports): the inbox forgets them
  after its retention, the reports look back a year.

A delivery or a message marked ``confidential`` (what a citizen confided,
e.g. an answer to the tip-off form, or the bot's confirmation with a
tracking code) keeps its text only while it is being handled: its payload or
body is replaced by ``REDACTED`` once it is done, sent or given up.
"""

from __future__ import annotations

import json
import os
import socket
import time
from dataclasses import dataclass
from typing import Any, Dict, List, Optional

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    String,
    Table,
    Text,
    and_,
    case,
    delete,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from bot.core import db

INBOX_LEASE_SECONDS = 300.0  # longer than Rasa takes for a turn, even with a slow action server
OUTBOX_LEASE_SECONDS = 120.0  # longer than a send with its timeouts and a token refresh
REFRESH_LEASE_SECONDS = 15.0  # longer than a token refresh call with its timeout
KEEP_MENU = object()  # enqueue(): messages that leave the user's numbered choices as they are
REDACTED = json.dumps({"redacted": True})  # the payload or body of a confidential one, once handled

inbox = Table(
    "zalo_inbox", db.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("dedup_key", String(200), unique=True, nullable=False),
    Column("oa_id", String(64)),
    Column("user_id", String(64), index=True),
    Column("event_name", String(64)),
    Column("payload", Text, nullable=False),
    Column("status", String(16), nullable=False, index=True),  # pending, processing, done, ignored, failed
    Column("claimed_until", Float),
    Column("claimed_by", String(64)),  # the claiming process's worker id (ZALO_WORKER_ID)
    Column("emergency", Boolean),  # answered as an SOS on arrival (bot/safety)
    Column("confidential", Boolean),  # the payload is blanked once handled (mark_inbound_confidential)
    Column("error", Text),
    Column("received_at", Float, nullable=False),
    Column("processed_at", Float),
)

outbox = Table(
    "zalo_outbox", db.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("oa_id", String(64), nullable=False),
    Column("user_id", String(64), nullable=False, index=True),
    Column("body", Text, nullable=False),
    Column("status", String(16), nullable=False, index=True),  # pending, sent, undeliverable, failed
    Column("claimed_until", Float),
    Column("claimed_by", String(64)),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", Float, nullable=False),
    Column("error_code", Integer),
    Column("last_error", Text),
    Column("created_at", Float, nullable=False),
    Column("sent_at", Float),
    Column("zalo_message_id", String(64)),
    Column("confidential", Boolean),  # the body is blanked once sent or given up
)

tokens = Table(
    "zalo_tokens", db.metadata,
    Column("oa_id", String(64), primary_key=True),
    Column("access_token", Text, nullable=False),
    Column("refresh_token", Text, nullable=False),
    Column("updated_at", Float, nullable=False),
)

token_refresh = Table(  # the process refreshing an OA's tokens, until when
    "zalo_token_refresh", db.metadata,
    Column("oa_id", String(64), primary_key=True),
    Column("claimed_by", String(64)),
    Column("claimed_until", Float),
)

users = Table(
    "zalo_users", db.metadata,
    Column("user_id", String(64), primary_key=True),
    Column("oa_id", String(64), nullable=False),
    Column("follower", Boolean),
    Column("last_interaction_at", Float),
    Column("menu", Text),  # JSON list of payloads of the last numbered list sent
    # the display name from GET /v3.0/oa/user/detail (bot/zalo/profiles.py): through which OA, when
    # it was fetched, when a fetch was last tried (a failed one is not tried again at once)
    Column("display_name", String(200)),
    Column("profile_oa_id", String(64)),
    Column("profile_fetched_at", Float),
    Column("profile_tried_at", Float),
)

follows = Table(
    "zalo_follows", db.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("oa_id", String(64), nullable=False),
    Column("unit", String(64), nullable=False),  # the OA's unit ('' when the OA names none: the default unit)
    Column("event", String(16), nullable=False),  # follow, unfollow
    Column("at", Float, nullable=False),
    Index("ix_zalo_follows_unit_at", "unit", "at"),
)

rejected = Table(
    "zalo_rejected", db.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("reason", String(200), nullable=False),
    Column("body", Text),
    Column("received_at", Float, nullable=False),
)


@dataclass
class Outgoing:
    id: int
    oa_id: str
    user_id: str
    body: Dict[str, Any]
    attempts: int
    created_at: float


class ZaloStore:
    def __init__(self, engine: Optional[Engine] = None, worker_id: Optional[str] = None):
        self.engine = engine or db.engine()
        # who claims: the same id after a restart (the launcher sets ZALO_WORKER_ID: "<host>:rasa-0"…)
        self.worker_id = worker_id or os.environ.get("ZALO_WORKER_ID") or f"{socket.gethostname()}:{os.getpid()}"
        db.create_tables(self.engine, inbox, outbox, tokens, token_refresh, users, follows, rejected)

    def release_claims(self) -> None:
        """Forget the claims this worker held before it restarted: its deliveries
        and messages are taken up again now, not when their leases end."""
        with self.engine.begin() as c:
            c.execute(update(inbox).where(and_(inbox.c.status == "processing", inbox.c.claimed_by == self.worker_id))
                      .values(status="pending", claimed_until=None, claimed_by=None))
            c.execute(update(outbox).where(outbox.c.claimed_by == self.worker_id)
                      .values(claimed_until=None, claimed_by=None))
            c.execute(update(token_refresh).where(token_refresh.c.claimed_by == self.worker_id)
                      .values(claimed_until=None, claimed_by=None))

    # ---- inbox
    def accept(self, dedup_key: str, oa_id: str, user_id: str, event_name: str, payload: str,
               status: str = "pending", emergency: bool = False) -> Optional[int]:
        """Store a delivery; None if this key was delivered before (a duplicate)."""
        try:
            with self.engine.begin() as c:
                return c.execute(insert(inbox).values(
                    dedup_key=dedup_key, oa_id=oa_id, user_id=user_id, event_name=event_name,
                    payload=payload, status=status, emergency=emergency, received_at=time.time(),
                )).inserted_primary_key[0]
        except IntegrityError:
            return None

    def users_with_pending_inbound(self) -> List[str]:
        """Users with deliveries to hand to Rasa that no live claim covers."""
        now = time.time()
        with self.engine.connect() as c:
            rows = c.execute(select(inbox.c.user_id).where(or_(
                inbox.c.status == "pending",
                and_(inbox.c.status == "processing", inbox.c.claimed_until < now))).distinct())
            return [r.user_id for r in rows]

    def claim_inbound(self, user_id: str, lease: float = INBOX_LEASE_SECONDS) -> Optional[Dict[str, Any]]:
        """The user's oldest delivery not yet handed to Rasa, now this process's
        for ``lease`` seconds; None if there is none, or if another process is
        handing one of theirs to Rasa (one at a time per user, in order)."""
        now = time.time()
        with self.engine.begin() as c:
            row = c.execute(select(inbox).where(and_(
                inbox.c.user_id == user_id, inbox.c.status.in_(("pending", "processing"))))
                .order_by(inbox.c.id).limit(1)).first()
            if row is None or (row.status == "processing" and (row.claimed_until or 0) >= now):
                return None
            claimed = c.execute(update(inbox).where(and_(
                inbox.c.id == row.id, inbox.c.status == row.status,
                or_(inbox.c.claimed_until.is_(None), inbox.c.claimed_until < now),
            )).values(status="processing", claimed_until=now + lease, claimed_by=self.worker_id))
        return {**dict(row._mapping), "status": "processing"} if claimed.rowcount else None

    def finish_inbound(self, row_id: int, status: str, error: Optional[str] = None) -> None:
        with self.engine.begin() as c:
            c.execute(update(inbox).where(inbox.c.id == row_id).values(
                status=status, error=error, processed_at=time.time(), claimed_until=None, claimed_by=None,
                payload=case((inbox.c.confidential.is_(True), REDACTED), else_=inbox.c.payload)))

    def mark_inbound_confidential(self, msg_id: str) -> None:
        """The delivery of message ``msg_id`` holds what the citizen confided:
        keep its payload only until it is handled (now, if it already was)."""
        key = inbox.c.dedup_key == f"msg:{msg_id}"
        with self.engine.begin() as c:
            c.execute(update(inbox).where(key).values(confidential=True))
            c.execute(update(inbox).where(and_(key, inbox.c.status.not_in(("pending", "processing"))))
                      .values(payload=REDACTED))

    def record_follow(self, oa_id: str, unit: str, event: str) -> None:
        """A citizen followed (``follow``) or unfollowed (``unfollow``) the OA of ``unit``."""
        with self.engine.begin() as c:
            c.execute(insert(follows).values(oa_id=oa_id, unit=unit, event=event, at=time.time()))

    def reject(self, reason: str, body: bytes, keep: int = 1000) -> None:
        """Keep a refused delivery (bot/zalo/rejected.py decides which), and
        only the newest ``keep`` of them."""
        with self.engine.begin() as c:
            kept = c.execute(insert(rejected).values(
                reason=reason[:200], body=body.decode("utf-8", "replace"), received_at=time.time(),
            )).inserted_primary_key[0]
            c.execute(delete(rejected).where(rejected.c.id <= kept - keep))

    # ---- outbox
    def enqueue(self, oa_id: str, user_id: str, bodies: List[Dict[str, Any]], menu: Any = KEEP_MENU,
                not_before: Optional[float] = None, connection: Optional[Connection] = None,
                confidential: bool = False) -> List[int]:
        """Queue messages to a user, in order, in one transaction; their ids.
        ``menu``: the payloads of the numbered choices they now offer (None: no
        choices); ``not_before``: not sent before this time (a large
        announcement is spread out); ``connection``: the caller's transaction,
        to queue the messages together with what the caller writes;
        ``confidential``: their bodies are blanked once sent or given up."""
        if connection is None:
            with self.engine.begin() as c:
                return self.enqueue(oa_id, user_id, bodies, menu, not_before, c, confidential)
        now = time.time()
        if menu is not KEEP_MENU:
            connection.execute(update(users).where(users.c.user_id == user_id).values(
                menu=json.dumps(menu) if menu else None))
        return [connection.execute(insert(outbox).values(
            oa_id=oa_id, user_id=user_id, body=json.dumps(body, ensure_ascii=False), status="pending",
            attempts=0, next_attempt_at=not_before or now, created_at=now,
            confidential=confidential or None)).inserted_primary_key[0]
            for body in bodies]

    def audience(self, connection: Optional[Connection] = None) -> List[Dict[str, Any]]:
        """Every citizen who has written to or follows an OA and has not
        unfollowed it: user_id, oa_id, follower (True, or None: not known),
        last_interaction_at (announcements)."""
        query = (select(users.c.user_id, users.c.oa_id, users.c.follower, users.c.last_interaction_at)
                 .where(or_(users.c.follower.is_(None), users.c.follower.is_(True))).order_by(users.c.user_id))
        if connection is None:
            with self.engine.connect() as c:
                return self.audience(c)
        return [dict(r._mapping) for r in connection.execute(query)]

    def outbox_status(self, ids: List[int]) -> Dict[int, str]:
        """The status of these outbox messages (pending, sent, failed…)."""
        found: Dict[int, str] = {}
        with self.engine.connect() as c:
            for start in range(0, len(ids), 500):
                found.update((r.id, r.status) for r in c.execute(
                    select(outbox.c.id, outbox.c.status).where(outbox.c.id.in_(ids[start:start + 500]))))
        return found

    def claim_outgoing(self, user_id: str, lease: float = OUTBOX_LEASE_SECONDS) -> Optional[Outgoing]:
        """The user's oldest unsent message if it is due, now this process's to
        send for ``lease`` seconds; None if there is none, it waits for a
        retry, or another process is sending it (order is kept: later ones wait)."""
        now = time.time()
        with self.engine.begin() as c:
            row = c.execute(
                select(outbox).where(and_(outbox.c.user_id == user_id, outbox.c.status == "pending"))
                .order_by(outbox.c.id).limit(1)
            ).first()
            if row is None or row.next_attempt_at > now or (row.claimed_until or 0) >= now:
                return None
            claimed = c.execute(update(outbox).where(and_(
                outbox.c.id == row.id, outbox.c.status == "pending",
                or_(outbox.c.claimed_until.is_(None), outbox.c.claimed_until < now),
            )).values(claimed_until=now + lease, claimed_by=self.worker_id))
        if not claimed.rowcount:
            return None
        return Outgoing(row.id, row.oa_id, row.user_id, json.loads(row.body), row.attempts, row.created_at)

    def users_with_due_messages(self, now: Optional[float] = None) -> List[str]:
        now = time.time() if now is None else now
        with self.engine.connect() as c:
            rows = c.execute(select(outbox.c.user_id).where(and_(
                outbox.c.status == "pending", outbox.c.next_attempt_at <= now,
                or_(outbox.c.claimed_until.is_(None), outbox.c.claimed_until < now))).distinct())
            return [r.user_id for r in rows]

    def mark_sent(self, row_id: int, message_id: Optional[str]) -> None:
        self._update_outbox(row_id, status="sent", sent_at=time.time(), zalo_message_id=message_id,
                            attempts=outbox.c.attempts + 1, body=_redacted_when_confidential())

    def mark_retry(self, row_id: int, delay: float, code: Optional[int], error: str) -> None:
        self._update_outbox(row_id, attempts=outbox.c.attempts + 1, next_attempt_at=time.time() + delay,
                            error_code=code, last_error=error)

    def mark_final(self, row_id: int, status: str, code: Optional[int], error: str) -> None:
        self._update_outbox(row_id, status=status, attempts=outbox.c.attempts + 1, error_code=code,
                            last_error=error, body=_redacted_when_confidential())

    def _update_outbox(self, row_id: int, **values: Any) -> None:
        with self.engine.begin() as c:
            c.execute(update(outbox).where(outbox.c.id == row_id).values(claimed_until=None, claimed_by=None, **values))

    def outbox_rows(self, user_id: Optional[str] = None) -> List[Dict[str, Any]]:
        query = select(outbox).order_by(outbox.c.id)
        if user_id is not None:
            query = query.where(outbox.c.user_id == user_id)
        with self.engine.connect() as c:
            return [dict(r._mapping) for r in c.execute(query)]

    # ---- tokens
    def tokens(self, oa_id: str) -> Optional[Dict[str, str]]:
        with self.engine.connect() as c:
            row = c.execute(select(tokens).where(tokens.c.oa_id == oa_id)).first()
        return dict(row._mapping) if row else None

    def save_tokens(self, oa_id: str, access_token: str, refresh_token: str) -> None:
        with self.engine.begin() as c:
            done = c.execute(update(tokens).where(tokens.c.oa_id == oa_id).values(
                access_token=access_token, refresh_token=refresh_token, updated_at=time.time()))
            if done.rowcount == 0:
                c.execute(insert(tokens).values(oa_id=oa_id, access_token=access_token,
                                                refresh_token=refresh_token, updated_at=time.time()))

    def claim_token_refresh(self, oa_id: str, lease: float = REFRESH_LEASE_SECONDS) -> bool:
        """Whether this process may refresh the OA's tokens now (for ``lease``
        seconds); False while another process's claim lasts."""
        now = time.time()
        with self.engine.begin() as c:
            if c.execute(update(token_refresh).where(and_(
                token_refresh.c.oa_id == oa_id,
                or_(token_refresh.c.claimed_until.is_(None), token_refresh.c.claimed_until < now),
            )).values(claimed_until=now + lease, claimed_by=self.worker_id)).rowcount:
                return True
        try:
            with self.engine.begin() as c:
                c.execute(insert(token_refresh).values(oa_id=oa_id, claimed_until=now + lease,
                                                       claimed_by=self.worker_id))
            return True
        except IntegrityError:  # another process holds (or has just taken) the claim
            return False

    def release_token_refresh(self, oa_id: str) -> None:
        with self.engine.begin() as c:
            c.execute(update(token_refresh).where(and_(
                token_refresh.c.oa_id == oa_id, token_refresh.c.claimed_by == self.worker_id,
            )).values(claimed_until=None, claimed_by=None))

    # ---- users
    def touch_user(self, user_id: str, oa_id: str, follower: Optional[bool] = None) -> None:
        values: Dict[str, Any] = {"oa_id": oa_id, "last_interaction_at": time.time()}
        if follower is not None:
            values["follower"] = follower
        with self.engine.begin() as c:
            done = c.execute(update(users).where(users.c.user_id == user_id).values(**values))
            if done.rowcount == 0:
                c.execute(insert(users).values(user_id=user_id, **values))

    def user(self, user_id: str, connection: Optional[Connection] = None) -> Optional[Dict[str, Any]]:
        """The user's row (oa_id, follower, last_interaction_at, menu); ``connection``: the caller's transaction."""
        if connection is None:
            with self.engine.connect() as c:
                return self.user(user_id, c)
        row = connection.execute(select(users).where(users.c.user_id == user_id)).first()
        return dict(row._mapping) if row else None

    def display_name(self, user_id: str) -> Optional[str]:
        """The user's Zalo display name, if it was fetched (bot/zalo/profiles.py)."""
        with self.engine.connect() as c:
            return c.execute(select(users.c.display_name).where(users.c.user_id == user_id)).scalar()

    def profile_tried(self, user_id: str, oa_id: str, display_name: Optional[str] = None,
                      fetched: bool = False) -> None:
        """A fetch of the user's profile was tried; ``fetched``: it answered (with ``display_name``)."""
        now = time.time()
        values: Dict[str, Any] = {"profile_tried_at": now}
        if fetched:
            values.update(display_name=display_name, profile_oa_id=oa_id, profile_fetched_at=now)
        with self.engine.begin() as c:
            c.execute(update(users).where(users.c.user_id == user_id).values(**values))


def _redacted_when_confidential():
    return case((outbox.c.confidential.is_(True), REDACTED), else_=outbox.c.body)
