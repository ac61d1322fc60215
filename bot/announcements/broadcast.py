"""Sending the broadcasts publish.py planned (one row per announcement and
OA in ``announcement_broadcasts``), from the web server's job.

For one broadcast, each step saved before the next (a restart resumes):

1. the citizens whose follow state is unknown (``undecided``) are looked up
   (``GET /v3.0/oa/user/detail``: user_is_follower): followers stay with the
   broadcast, the others get consultation messages if they are inside the
   7-day window, else a note;
2. the Article is created (``POST /v2.0/article/create`` → token) and
   verified (``POST /v2.0/article/verify`` → its id, once Zalo made it);
3. it is broadcast to all the OA's followers (``POST /v2.0/oa/message``,
   ``recipient.target``, media element ``media_type: "article"``).

Rate limits, unknown errors and network failures are retried with backoff
(MAX_ATTEMPTS); -211 (out of quota) ends it as ``quota``, any other error as
``failed``: then the broadcast's citizens inside the window get the
consultation messages instead, the others a note (publish.py's rule). A crash
between Zalo accepting the broadcast and our marking it sent would send it
again on restart (Zalo has no idempotency key for broadcasts).
Protocol and sources: docs/zalo_article_broadcast.md.
"""

from __future__ import annotations

import asyncio
import html
import json
import logging
import time
from typing import Any, Dict, List, Optional

import aiohttp
from sqlalchemy import and_, or_, select, update
from sqlalchemy.engine import Engine

from bot.announcements.publish import (
    BROADCAST_FAILED_NOTE,
    QUOTA_NOTE,
    SEND_RATE,
    WINDOW_SECONDS,
    image_url,
    message_items,
)
from bot.announcements.store import OUT_OF_WINDOW_NOTE, AnnouncementStore, broadcasts, deliveries
from bot.zalo.accounts import Account, Registry
from bot.zalo.api import TransportError, ZaloApi, ZaloError
from bot.zalo.outbox import Outbox, TokenRefreshFailed
from bot.zalo.store import ZaloStore, users

logger = logging.getLogger(__name__)

LEASE_SECONDS = 120.0
BACKOFF_SECONDS = [2, 5, 15, 60, 300, 900]
MAX_ATTEMPTS = 8
VERIFY_DELAY = 2.0  # the Article is made asynchronously: ask again after this
OUT_OF_QUOTA = -211
# Article API limits (docs/zalo_article_broadcast.md)
MAX_ARTICLE_TITLE, MAX_ARTICLE_AUTHOR, MAX_ARTICLE_DESCRIPTION = 150, 50, 300


def _cut(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def article(announcement: Dict[str, Any], account: Account) -> Dict[str, Any]:
    """The Article (type normal) an announcement becomes: one text paragraph per paragraph of its body."""
    paragraphs = [p.strip() for p in announcement["body"].split("\n\n") if p.strip()]
    body: List[Dict[str, Any]] = [{"type": "text", "content": html.escape(p).replace("\n", "<br>")}
                                  for p in paragraphs]
    made = {"type": "normal", "title": _cut(announcement["title"], MAX_ARTICLE_TITLE),
            "author": _cut(account.name, MAX_ARTICLE_AUTHOR),
            "description": _cut(announcement["body"], MAX_ARTICLE_DESCRIPTION),
            "body": body, "status": "show", "comment": "hide"}
    if announcement.get("has_image"):
        url = image_url(announcement["id"])
        made["cover"] = {"cover_type": "photo", "photo_url": url, "status": "show"}
    return made


class Retry(Exception):
    """Not now: ask Zalo again later."""


class Broadcaster:
    def __init__(self, engine: Engine, registry: Registry, api: Optional[ZaloApi] = None):
        self.engine = engine
        self.registry = registry
        self.store = AnnouncementStore(engine)
        self.zalo = ZaloStore(engine)
        self.api = api or ZaloApi(registry.api_base, registry.oauth_base)
        self.outbox = Outbox(self.zalo, registry, self.api)  # its access tokens and their refresh

    async def run_due(self) -> int:
        """Send every broadcast that is due; how many were taken up."""
        taken = 0
        while True:
            row = self.claim()
            if row is None:
                return taken
            taken += 1
            await self.run(row)

    def claim(self) -> Optional[Dict[str, Any]]:
        """The oldest due pending broadcast, now this process's for LEASE_SECONDS (replicas share the table)."""
        now = time.time()
        with self.engine.begin() as c:
            for row in c.execute(select(broadcasts).where(and_(
                    broadcasts.c.status == "pending", broadcasts.c.next_attempt_at <= now,
                    or_(broadcasts.c.claimed_until.is_(None), broadcasts.c.claimed_until < now)))
                    .order_by(broadcasts.c.id).limit(10)).all():
                done = c.execute(update(broadcasts).where(and_(
                    broadcasts.c.id == row.id, broadcasts.c.status == "pending",
                    or_(broadcasts.c.claimed_until.is_(None), broadcasts.c.claimed_until < now),
                )).values(claimed_until=now + LEASE_SECONDS))
                if done.rowcount == 1:
                    return dict(row._mapping)
        return None

    async def run(self, row: Dict[str, Any]) -> None:
        account = self.registry.accounts.get(row["oa_id"])
        announcement = self.store.get(row["announcement_id"])
        if account is None or announcement is None:
            self.end(row, "failed", BROADCAST_FAILED_NOTE, f"no account for OA {row['oa_id']}")
            return
        try:
            await self.resolve_undecided(row, account, announcement)
            token = row["article_token"]
            if not token:
                token = await self.outbox.with_token(account, lambda t: self.api.create_article(
                    t, article(announcement, account)))
                self._save(row["id"], article_token=token)
            article_id = row["article_id"]
            if not article_id:
                article_id = await self.outbox.with_token(account, lambda t: self.api.verify_article(t, token))
                if not article_id:
                    raise Retry("the Article is still being made")
                self._save(row["id"], article_id=article_id)
            data = await self.outbox.with_token(account, lambda t: self.api.broadcast_article(t, article_id))
            self._save(row["id"], status="sent", message_id=str(data.get("message_id") or "") or None,
                       sent_at=time.time(), claimed_until=None, error=None)
            logger.info("announcement %s broadcast by OA %s", row["announcement_id"], row["oa_id"])
        except Retry as wait:
            self._retry(row, str(wait), VERIFY_DELAY)
        except ZaloError as error:
            if error.kind in ("retry", "token"):
                self._retry(row, str(error))
            elif error.code == OUT_OF_QUOTA:
                self.end(row, "quota", QUOTA_NOTE, str(error))
            else:
                self.end(row, "failed", BROADCAST_FAILED_NOTE, str(error))
        except (TransportError, TokenRefreshFailed, aiohttp.ClientError, asyncio.TimeoutError) as error:
            self._retry(row, str(error) or type(error).__name__)

    async def resolve_undecided(self, row: Dict[str, Any], account: Account, announcement: Dict[str, Any]) -> None:
        """Ask Zalo whether the citizens we know no follow state of follow the OA; decide their channel."""
        with self.engine.connect() as c:
            pending = [r.user_id for r in c.execute(select(deliveries.c.user_id).where(and_(
                deliveries.c.announcement_id == row["announcement_id"], deliveries.c.oa_id == row["oa_id"],
                deliveries.c.channel == "undecided")))]
        for user_id in pending:
            try:
                detail = await self.outbox.with_token(account, lambda t: self.api.user_detail(t, user_id))
                follower = bool(detail.get("user_is_follower"))
            except ZaloError as error:
                if error.kind in ("retry", "token"):
                    raise
                follower = False  # not known to Zalo as a follower: a consultation message if it can
            with self.engine.begin() as c:
                if follower:
                    c.execute(update(users).where(users.c.user_id == user_id).values(follower=True))
                    self._set_channel(c, row, user_id, "broadcast")
                else:
                    self._consult_or_note(c, row, announcement, user_id, OUT_OF_WINDOW_NOTE)
                # still ours: many citizens to ask may take longer than one lease
                c.execute(update(broadcasts).where(broadcasts.c.id == row["id"])
                          .values(claimed_until=time.time() + LEASE_SECONDS))

    def end(self, row: Dict[str, Any], status: str, note: str, error: str) -> None:
        """The broadcast will not go out: its citizens inside the window get
        consultation messages, the others ``note``."""
        logger.warning("announcement %s: broadcast by OA %s %s (%s)", row["announcement_id"], row["oa_id"],
                       status, error)
        announcement = self.store.get(row["announcement_id"])
        with self.engine.begin() as c:
            c.execute(update(broadcasts).where(broadcasts.c.id == row["id"]).values(
                status=status, note=note, error=error[:1000], claimed_until=None))
            if announcement is None:
                return
            queued = 0
            for r in c.execute(select(deliveries.c.user_id).where(and_(
                    deliveries.c.announcement_id == row["announcement_id"], deliveries.c.oa_id == row["oa_id"],
                    deliveries.c.channel.in_(("broadcast", "undecided"))))).all():
                # spread out as when publishing, so that chat replies keep flowing
                queued += self._consult_or_note(c, row, announcement, r.user_id, note, time.time() + queued / SEND_RATE)

    def _consult_or_note(self, c, row: Dict[str, Any], announcement: Dict[str, Any], user_id: str,
                         note: str, send_at: Optional[float] = None) -> int:
        """Queue consultation messages if the citizen is inside the window, else record ``note``; how many queued."""
        last = c.execute(select(users.c.last_interaction_at).where(users.c.user_id == user_id)).scalar()
        if last is not None and last + WINDOW_SECONDS > (send_at or time.time()):
            ids = self.zalo.enqueue(row["oa_id"], user_id, message_items(announcement), not_before=send_at,
                                    connection=c)
            self._set_channel(c, row, user_id, "consultation", outbox_ids=json.dumps(ids))
            return len(ids)
        self._set_channel(c, row, user_id, None, note=note)
        return 0

    @staticmethod
    def _set_channel(c, row: Dict[str, Any], user_id: str, channel: Optional[str], **values: Any) -> None:
        c.execute(update(deliveries).where(and_(
            deliveries.c.announcement_id == row["announcement_id"], deliveries.c.user_id == user_id,
        )).values(channel=channel, **values))

    def _save(self, row_id: int, **values: Any) -> None:
        with self.engine.begin() as c:
            c.execute(update(broadcasts).where(broadcasts.c.id == row_id).values(**values))

    def _retry(self, row: Dict[str, Any], error: str, delay: Optional[float] = None) -> None:
        attempts = row["attempts"] + 1
        if attempts >= MAX_ATTEMPTS:
            self.end(row, "failed", BROADCAST_FAILED_NOTE, f"gave up after {attempts} attempts: {error}")
            return
        delay = delay if delay is not None else BACKOFF_SECONDS[min(attempts - 1, len(BACKOFF_SECONDS) - 1)]
        logger.warning("announcement %s: broadcast by OA %s not sent yet (%s); again in %s s",
                       row["announcement_id"], row["oa_id"], error, delay)
        self._save(row["id"], attempts=attempts, next_attempt_at=time.time() + delay, error=error[:1000],
                   claimed_until=None)
