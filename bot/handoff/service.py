"""Handoff operations that reach the conversation, through Rasa's HTTP API.

An officer's reply is appended to the conversation as a bot message with
the conversation's own channel as ``output_channel`` (bot/core/conversations.py;
never "latest", which another channel's message could have changed): Rasa
records it and sends it through that channel (Zalo: the outbox). Requests
carry the Rasa server's secret in a header (bot/core/internal_auth.py). Ending a handoff appends ``resume`` and
a message telling the citizen the assistant is back.

The supervisor (``supervise``) runs in the console's web process: it sends
"gặp riêng" chats their area officer did not take in time to the unit's queue,
ends chats nobody took in time, and chats the citizen cancelled ("hủy" while the
bot is paused: Rasa still understands and records the message, but runs no
action, so the cancellation is noticed here).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from typing import Any, Callable, Dict, List, Optional
from urllib.parse import quote

import aiohttp

from bot.core.conversations import channel_of
from bot.core.internal_auth import RASA_SECRET, rasa_headers, secret
from bot.core.units import load_units
from bot.handoff import hours
from bot.handoff.store import PERSONAL, HandoffStore
from bot.handoff.texts import settings
from bot.tipoffs.redaction import last_citizen_message

logger = logging.getLogger(__name__)

CANCEL_INTENT = "cancel"  # "hủy": also stops a tip-off form (actions/tipoffs.py)


class RasaUnavailable(Exception):
    """Rasa's HTTP API did not answer (down, restarting, or answering an error)."""


class RasaApi:
    """Rasa's HTTP API. While it does not answer, every call raises
    RasaUnavailable and the log says so once (again every WARN_EVERY seconds
    while it lasts, and once when Rasa answers again), not once per call."""

    WARN_EVERY = 300.0

    def __init__(self, url: Optional[str] = None, token: Optional[str] = None):
        self.url = (url or os.environ.get("RASA_URL", "http://127.0.0.1:5005")).rstrip("/")
        self.headers = rasa_headers(token or secret(RASA_SECRET))
        self._session: Optional[aiohttp.ClientSession] = None
        self._down_since: Optional[float] = None
        self._warned_at = 0.0

    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15), headers=self.headers)
        return self._session

    async def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            async with self.session().request(method, f"{self.url}{path}", **kwargs) as response:
                response.raise_for_status()
                body = await response.json() if method == "GET" else None
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            self._failed(error)
            raise RasaUnavailable(str(error) or type(error).__name__) from None
        if self._down_since is not None:
            logger.info("Rasa at %s answers again (after %.0f s)", self.url, time.monotonic() - self._down_since)
            self._down_since = None
        return body

    def _failed(self, error: BaseException) -> None:
        now = time.monotonic()
        if self._down_since is None:
            self._down_since = self._warned_at = now
            logger.warning("Rasa at %s does not answer (%s): the console shows chats again when it does",
                           self.url, str(error) or type(error).__name__)
        elif now - self._warned_at >= self.WARN_EVERY:
            self._warned_at = now
            logger.warning("Rasa at %s still does not answer, for %.0f s (%s)", self.url, now - self._down_since,
                           str(error) or type(error).__name__)

    async def tracker(self, conversation_id: str) -> Dict[str, Any]:
        return await self._call("GET", f"/conversations/{quote(conversation_id, safe=':')}/tracker")

    async def append(self, conversation_id: str, events: List[Dict[str, Any]]) -> None:
        await self._call("POST", f"/conversations/{quote(conversation_id, safe=':')}/tracker/events",
                         params={"output_channel": channel_of(conversation_id), "execute_side_effects": "true"},
                         json=events)


def bot_event(text: str, buttons: Optional[List[Dict[str, str]]] = None, officer: Optional[str] = None) -> Dict[str, Any]:
    event: Dict[str, Any] = {"event": "bot", "text": text, "timestamp": time.time(), "metadata": {}}
    if buttons:
        event["data"] = {"buttons": buttons}
    if officer:
        event["metadata"]["officer"] = officer
    return event


class Handoffs:
    def __init__(self, store: Optional[HandoffStore] = None, rasa: Optional[RasaApi] = None):
        self.store = store or HandoffStore()
        self.rasa = rasa or RasaApi()

    async def reply(self, handoff: Dict[str, Any], officer: str, text: str) -> None:
        await self.rasa.append(handoff["conversation_id"], [bot_event(text, officer=officer)])
        self.store.replied(handoff["id"], officer, text)

    async def transferred(self, handoff: Dict[str, Any], unit_id: str) -> None:
        """Tell the citizen which unit now has their chat (after a transfer to
        another unit, or to an officer of another unit)."""
        unit = load_units().get(unit_id)
        await self.rasa.append(handoff["conversation_id"], [bot_event(settings()["transferred"].format(unit=unit.name))])

    async def end(self, handoff: Dict[str, Any], actor: str, status: str) -> bool:
        """Close ("closed"), cancel ("cancelled") or time out ("timed_out");
        False if the chat had already ended."""
        if not self.store.end(handoff["id"], actor, status):
            return False
        unit = load_units().get(handoff["unit"])
        texts = settings()
        if status == "timed_out":
            message = bot_event(
                texts["timed_out"].format(unit=unit.name, phone=unit.duty_phone),
                buttons=[{"title": texts["call_button"], "payload": f"tel:{unit.duty_phone}"}],
            )
        else:
            message = bot_event(texts[status])
        # action_listen closes the turn, so the citizen's next message is handled like any other
        await self.rasa.append(handoff["conversation_id"], [
            {"event": "resume", "timestamp": time.time()}, message,
            {"event": "action", "name": "action_listen", "timestamp": time.time()},
        ])
        return True

    async def check(self, handoff: Dict[str, Any]) -> Optional[Dict[str, Any]]:
        """End the chat if it timed out or the citizen cancelled; the tracker
        (for the console's previews) otherwise."""
        if handoff["status"] == "waiting":
            waited = time.time() - waiting_since(handoff)
            if handoff["reason"] == PERSONAL and waited > settings()["area_officer_timeout_seconds"]:
                if self.store.to_unit_queue(handoff["id"]):
                    unit = load_units().get(handoff["unit"])
                    await self.rasa.append(handoff["conversation_id"], [
                        bot_event(settings()["area_officer_fallback"].format(unit=unit.name))])
                return None  # the unit's wait starts now
            if handoff["reason"] != PERSONAL and self.waited_open(handoff) > settings()["timeout_seconds"]:
                await self.end(handoff, "system", "timed_out")
                return None
        tracker = await self.rasa.tracker(handoff["conversation_id"])
        for event in citizen_messages(tracker, since=handoff["created_at"]):
            if (event.get("parse_data") or {}).get("intent", {}).get("name") == CANCEL_INTENT:
                await self.end(handoff, "citizen", "cancelled")
                return None
        return tracker

    @staticmethod
    def waited_open(handoff: Dict[str, Any]) -> float:
        """Seconds the chat has waited while its unit was open: a chat queued
        outside office hours waits for the unit's next opening (the citizen was
        told when officers answer), then for ``timeout_seconds``."""
        unit = load_units().get(handoff["unit"])
        if not hours.is_open(unit):
            return 0.0
        return time.time() - max(waiting_since(handoff), hours.opened_at(unit))

    async def supervise(self, previews: Dict[int, Dict[str, Any]], interval: float = 1.0,
                        describe: Optional[Callable[[Dict[str, Any]], Dict[str, Any]]] = None,
                        name: Optional[Callable[[Dict[str, Any]], Optional[str]]] = None) -> None:
        """``describe(event)``: what a citizen's message reads as in the previews ({"text", "link"});
        ``name(tracker)``: the citizen's name, if the conversation carries one."""
        while True:
            for handoff in self.store.all_open():
                try:
                    tracker = await self.check(handoff)
                    if tracker is not None:
                        messages = citizen_messages(tracker, since=handoff["created_at"])
                        last = last_citizen_message(tracker.get("events") or [], handoff["created_at"], describe) or {}
                        previews[handoff["id"]] = {
                            "last_message": last.get("text"), "last_link": last.get("link"),
                            "message_count": len(messages),
                            "citizen_name": name(tracker) if name else None,
                        }
                except RasaUnavailable:
                    break  # said once by RasaApi; every chat waits for Rasa
                except Exception:  # one broken chat must not stop the others
                    logger.exception("handoff %s check failed", handoff["id"])
            await asyncio.sleep(interval)


def waiting_since(handoff: Dict[str, Any]) -> float:
    """When the chat started waiting for the unit's officers (a "gặp riêng"
    chat: when its area officer did not take it)."""
    return json.loads(handoff.get("detail") or "{}").get("queued_at") or handoff["created_at"]


def citizen_messages(tracker: Dict[str, Any], since: float = 0.0) -> List[Dict[str, Any]]:
    return [e for e in tracker.get("events") or [] if e.get("event") == "user" and e.get("timestamp", 0) >= since]
