"""Delivering the outbox: in order per user, retried while Zalo or the
network fails, with the access token refreshed once when Zalo rejects it.

* -216/-220: refresh the OA's token (one refresh at a time per OA, across
  processes: a claim in the database; the rotated refresh token is saved
  before the new access token is used), then retry the call once. A process
  that finds another refreshing waits for the token it saves.
* -32/-100, network errors, timeouts, 5xx: retry later with backoff.
* window errors (-213, -230, -232…): not retried, marked "undeliverable" so
  an officer can see the reply did not reach the citizen.
* other errors: marked "failed". Nothing is deleted.
"""

from __future__ import annotations

import asyncio
import logging
import mimetypes
import time
from collections import defaultdict
from typing import Any, Awaitable, Callable, Dict, List, Optional

import aiohttp

from bot.zalo.accounts import Account, Registry
from bot.zalo.api import TransportError, ZaloApi, ZaloError
from bot.zalo import messages as zalo_messages
from bot.zalo.store import KEEP_MENU, Outgoing, ZaloStore
from bot.zalo.workers import UserWorkers

logger = logging.getLogger(__name__)

BACKOFF_SECONDS = [1, 2, 5, 10, 30, 60, 120, 300]
GIVE_UP_AFTER_SECONDS = 24 * 3600
REFRESH_WAIT_SECONDS = 3.0  # for another process's refresh of the same token to be saved


class TokenRefreshFailed(Exception):
    pass


class Outbox:
    def __init__(self, store: ZaloStore, registry: Registry, api: ZaloApi):
        self.store = store
        self.registry = registry
        self.api = api
        self._refresh_locks: Dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        # kick(user): make sure the user's pending messages are being delivered;
        # sweep_forever(): start delivery for every user whose messages are due
        self.workers = UserWorkers(self._drain, store.users_with_due_messages, "Zalo outbox delivery")
        self.kick, self.sweep_forever = self.workers.kick, self.workers.sweep_forever

    def enqueue(self, oa_id: str, user_id: str, items: List[Dict[str, Any]], menu: Any = KEEP_MENU,
                confidential: bool = False) -> None:
        """Queue messages to a user and make sure they are being delivered
        (``confidential``: their text is not kept once sent: ZaloStore)."""
        self.store.enqueue(oa_id, user_id, items, menu, confidential=confidential)
        self.kick(user_id)

    def enqueue_with_buttons(self, oa_id: str, user_id: str, text: str, buttons: List[Dict[str, Any]],
                             confidential: bool = False) -> None:
        """A text with choices: Zalo buttons, and numbers the citizen may answer with."""
        items, menu = zalo_messages.button_items(text, buttons)
        self.enqueue(oa_id, user_id, items, menu, confidential)

    async def _drain(self, user_id: str) -> None:
        while True:
            item = self.store.claim_outgoing(user_id)
            if item is None:
                return  # nothing to send, waiting for a retry, or another replica sends (the sweeper resumes)
            await self._deliver(item)

    async def _deliver(self, item: Outgoing) -> None:
        account = self.registry.for_oa(item.oa_id)
        if account is None:
            self.store.mark_final(item.id, "failed", None, f"no account for OA {item.oa_id}")
            return
        try:
            message = await self._materialise(account, item.body)
            data = await self.with_token(account, lambda token: self.api.send(token, item.user_id, message))
            self.store.mark_sent(item.id, data.get("message_id"))
        except ZaloError as error:
            if error.kind in ("retry", "token"):
                self._retry(item, error.code, error.message)
            elif error.kind == "window":
                self.store.mark_final(item.id, "undeliverable", error.code, error.message)
            else:
                self.store.mark_final(item.id, "failed", error.code, error.message)
        except (TransportError, TokenRefreshFailed, aiohttp.ClientError, asyncio.TimeoutError) as error:
            self._retry(item, None, str(error))

    def _retry(self, item: Outgoing, code, error: str) -> None:
        if time.time() - item.created_at > GIVE_UP_AFTER_SECONDS:
            self.store.mark_final(item.id, "failed", code, f"gave up after {item.attempts + 1} attempts: {error}")
            return
        delay = BACKOFF_SECONDS[min(item.attempts, len(BACKOFF_SECONDS) - 1)]
        logger.warning("Zalo send to %s failed (%s); retrying in %s s", item.user_id, error, delay)
        self.store.mark_retry(item.id, delay, code, error)

    async def _materialise(self, account: Account, body: Dict[str, Any]) -> Dict[str, Any]:
        if body["type"] == "message":
            return body["message"]
        if body["type"] == "file":
            async with self.api.session().get(body["url"]) as response:
                if response.status != 200:
                    raise TransportError(f"cannot fetch {body['url']}: HTTP {response.status}")
                content = await response.read()
            content_type = mimetypes.guess_type(body["name"])[0] or "application/octet-stream"
            token = await self.with_token(
                account, lambda t: self.api.upload_file(t, body["name"], content, content_type)
            )
            return {"attachment": {"type": "file", "payload": {"token": token}}}
        raise ValueError(f"unknown outbox item type {body['type']!r}")

    def access_token(self, account: Account) -> str:
        saved = self.store.tokens(account.oa_id)
        return saved["access_token"] if saved else account.access_token

    async def with_token(self, account: Account, call: Callable[[str], Awaitable[Any]]) -> Any:
        """``call(access token)``, once more with a refreshed token if Zalo rejects it
        (also for the other callers of the Open API: announcement broadcasts, user profiles)."""
        token = self.access_token(account)
        try:
            return await call(token)
        except ZaloError as error:
            if error.kind != "token":
                raise
        return await call(await self._refresh(account, token))

    async def _refresh(self, account: Account, rejected_token: str) -> str:
        async with self._refresh_locks[account.oa_id]:
            while True:  # Zalo's refresh tokens are single-use: one process spends each
                current = self.access_token(account)
                if current != rejected_token:
                    return current  # another delivery or process refreshed it meanwhile
                if self.store.claim_token_refresh(account.oa_id):
                    break
                await asyncio.sleep(0.1)
            try:
                return await self._refresh_claimed(account, rejected_token)
            finally:
                self.store.release_token_refresh(account.oa_id)

    async def _refresh_claimed(self, account: Account, rejected_token: str) -> str:
        saved = self.store.tokens(account.oa_id)
        if saved and saved["access_token"] != rejected_token:
            return saved["access_token"]  # saved by a process that released its claim just now
        refresh_token = saved["refresh_token"] if saved else account.refresh_token
        try:
            access, refresh = await self.api.refresh(account.app_id, account.app_secret, refresh_token)
        except (ZaloError, TransportError) as error:
            # a process whose claim ran out (a slow refresh) may have spent the same
            # refresh token a moment ago: its new token is ours too
            rotated = await self._saved_by_another_process(account, rejected_token)
            if rotated is not None:
                return rotated
            logger.error("OA %s: access token refresh failed (%s): the OA may need re-consent",
                         account.oa_id, error)
            raise TokenRefreshFailed(str(error)) from error
        self.store.save_tokens(account.oa_id, access, refresh)  # before the new token is used
        logger.info("OA %s: access token refreshed", account.oa_id)
        return access

    async def _saved_by_another_process(self, account: Account, rejected_token: str,
                                        wait: float = REFRESH_WAIT_SECONDS) -> Optional[str]:
        """A newer access token saved by another process within ``wait`` seconds, or None."""
        deadline = time.monotonic() + wait
        while True:
            current = self.access_token(account)
            if current != rejected_token:
                return current
            if time.monotonic() >= deadline:
                return None
            await asyncio.sleep(0.1)
