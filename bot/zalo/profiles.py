"""The citizens' Zalo display names, for the officer console.

``GET /v3.0/oa/user/detail`` gives a user's ``display_name``. It is fetched
once per user and OA, kept in the project database (ZaloStore, table
zalo_users) and fetched again after ``REFRESH_SECONDS``. The fetch runs in
the background, never on a message's way: a failing or slow Zalo only means
the console shows the neutral label ("Công dân 4F2A") a while longer; a
failed fetch is tried again after ``RETRY_SECONDS``. When the server stops,
``close`` waits a moment (``CLOSE_GRACE_SECONDS``) for the fetches under way,
then cancels the others and waits for them: none is left pending, and none
writes to the database after the server stopped (a cancelled fetch writes
nothing; the name is fetched at the citizen's next message).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Optional, Set

from bot.zalo.accounts import Registry
from bot.zalo.api import TransportError, ZaloError
from bot.zalo.outbox import Outbox, TokenRefreshFailed
from bot.zalo.store import ZaloStore

logger = logging.getLogger(__name__)

REFRESH_SECONDS = 7 * 24 * 3600  # a name changed on Zalo shows within a week
RETRY_SECONDS = 3600  # after a failed fetch
MAX_NAME_CHARS = 80
CLOSE_GRACE_SECONDS = 2.0  # at shutdown, for the fetches under way to finish


def due(user: Optional[dict], oa_id: str, now: float) -> bool:
    """Whether the user's name should be fetched (through ``oa_id``) now."""
    if user is None:
        return False
    if user.get("profile_tried_at") and now - user["profile_tried_at"] < RETRY_SECONDS:
        return False
    fetched = user.get("profile_fetched_at")
    return not fetched or user.get("profile_oa_id") != oa_id or now - fetched >= REFRESH_SECONDS


def clean(name: object) -> Optional[str]:
    if not isinstance(name, str):
        return None
    return " ".join(name.split())[:MAX_NAME_CHARS] or None


class Profiles:
    def __init__(self, store: ZaloStore, registry: Registry, outbox: Outbox):
        self.store = store
        self.registry = registry
        self.outbox = outbox  # its token handling (refresh on -216/-220)
        self._fetching: Set[str] = set()
        self._tasks: Set[asyncio.Task] = set()
        self._closed = False

    def refresh_soon(self, user_id: str, oa_id: str) -> None:
        """Start fetching the user's name in the background if it is due."""
        if self._closed or user_id in self._fetching or not due(self.store.user(user_id), oa_id, time.time()):
            return
        self._fetching.add(user_id)
        task = asyncio.get_running_loop().create_task(self.fetch(user_id, oa_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self, grace: float = CLOSE_GRACE_SECONDS) -> None:
        """No new fetch; those under way get ``grace`` seconds, the rest are cancelled and awaited."""
        self._closed = True
        pending = set(self._tasks)
        if not pending:
            return
        _, late = await asyncio.wait(pending, timeout=grace)
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)
        if late:  # said: a server that stops slowly is visible in its log
            logger.warning("Zalo user detail: %d fetch(es) cancelled at shutdown (fetched at the citizen's next "
                           "message)", len(late))

    async def fetch(self, user_id: str, oa_id: str) -> Optional[str]:
        """Fetch and keep the user's display name; None when Zalo does not give it."""
        try:
            account = self.registry.for_oa(oa_id)
            if account is None:
                return None
            try:
                detail = await self.outbox.with_token(account, lambda token: self.outbox.api.user_detail(token, user_id))
            except (ZaloError, TransportError, TokenRefreshFailed, asyncio.TimeoutError) as error:
                logger.warning("Zalo user detail of %s failed (%s); the console shows no name", user_id, error)
                self.store.profile_tried(user_id, oa_id)
                return None
            name = clean(detail.get("display_name"))
            self.store.profile_tried(user_id, oa_id, name, fetched=True)
            return name
        except Exception:  # a name is never worth a broken turn
            logger.exception("Zalo user detail of %s failed", user_id)
            return None
        finally:
            self._fetching.discard(user_id)
