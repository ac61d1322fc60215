"""Receiving Zalo webhook deliveries, and telling a Rasa replica to take them.

``Intake.receive`` is what happens to a delivery before anyone answers it:

1. read the raw body (400 if not JSON, 413 if too large);
2. find the OA (recipient.id, or sender.id for echoes, oa_id for follows)
   and verify X-ZEvent-Signature with its secret (401 if forged, missing or
   stale; nothing is processed). Of refused deliveries, only a bounded
   sample is kept (bot/zalo/rejected.py);
3. store the delivery under its msg_id (a redelivery, even after a restart,
   is answered 200 and not processed again) and answer 200. An emergency
   ("cứu", "SOS") is answered here already, through the outbox, without
   waiting for Rasa or anyone else's messages (the ``emergencies`` hook:
   bot/safety/emergency.py);
4. ``on_pending(user_id)``: someone must hand the user's stored deliveries
   to Rasa (channels/zalo.py does, in order, one at a time per user).

The Rasa server's channel (POST /webhooks/zalo/webhook on a Rasa server)
runs it in the server's own process. The intake server (bot/apps/intake.py,
started by the launcher on --intake-port, same path) runs it in a process
of its own, so Zalo gets its 200 in milliseconds
however busy the Rasa servers are (NLU and policies run on a Rasa server's
event loop and hold up anything else it has to answer). It then tells one
Rasa replica to take the user's deliveries: POST
<replica>/webhooks/zalo/kick (a citizen stays with one replica while they
keep writing; new ones go to the least busy). If no replica answers, the
replicas' inbox sweep (every second) takes them anyway: a delivery stored
is never lost.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any, Callable, Dict, List, Optional, Protocol, Tuple

import aiohttp

from bot.core.internal_auth import rasa_headers
from bot.zalo import signature
from bot.zalo.accounts import Registry
from bot.zalo.events import dedup_key, event_parties, json_object, rasa_text
from bot.zalo.outbox import Outbox
from bot.zalo.rejected import RejectedSample
from bot.zalo.store import ZaloStore

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 1_000_000
class Emergencies(Protocol):
    """What the intake asks of the emergency feature (bot/safety/emergency.py
    provides it; the processes wire it in: bot/apps/intake.py, channels/zalo.py)."""

    def is_emergency(self, text: str) -> bool: ...

    def raise_alarm(self, user_id: str, unit_id: str, text: str) -> Tuple[str, List[Dict[str, str]]]:
        """Alert the officers; the reply and its buttons."""


class Intake:
    def __init__(self, registry: Registry, store: ZaloStore, outbox: Outbox, on_pending: Callable[[str], None],
                 emergencies: Optional[Emergencies] = None):
        self.registry = registry
        self.store = store
        self.outbox = outbox
        self.on_pending = on_pending
        self.emergencies = emergencies
        self.rejected = RejectedSample(store)  # refused deliveries: a bounded sample is kept

    def receive(self, body: bytes, signature_header: Optional[str]) -> Tuple[int, Dict[str, str]]:
        """Verify and store one delivery; the HTTP status and JSON body to answer Zalo with."""
        if len(body) > MAX_BODY_BYTES:
            self.rejected.record("body too large", body)
            return 413, {"error": "body too large"}
        try:
            text = body.decode("utf-8")  # what the inbox keeps, and the channel parses again
            payload = json.loads(text)
            if not isinstance(payload, dict):
                raise ValueError("not an object")
            json.dumps(payload, ensure_ascii=False).encode("utf-8")  # lone surrogates ("\ud800") are not text
        except (ValueError, RecursionError):  # RecursionError: nested too deeply
            self.rejected.record("malformed JSON", body)
            return 400, {"error": "malformed JSON"}

        oa_id, user_id = event_parties(payload)
        account = self.registry.for_oa(str(oa_id) if oa_id else None)
        if account is None:
            self.rejected.record(f"unknown OA {oa_id}", body)
            return 401, {"error": "unknown OA"}
        problem = signature.check(signature_header, account.app_id, body, payload.get("timestamp"),
                                  account.oa_secret_key)
        if problem:
            self.rejected.record(problem, body)
            return 401, {"error": problem}

        event = str(payload.get("event_name", ""))
        message = json_object(payload.get("message"))
        if not user_id or event.startswith("oa_send_"):
            status = "ignored"  # echoes of our own messages, or nothing to answer
        elif event == "unfollow" or rasa_text(event, message) is not None:
            status = "pending"
        else:
            status = "ignored"
            logger.info("Zalo event %s not handled", event)
        alarm = (event == "user_send_text" and self.emergencies is not None
                 and self.emergencies.is_emergency(str(message.get("text") or "")))
        stored = self.store.accept(dedup_key(payload, user_id), str(oa_id or ""), str(user_id or ""), event,
                                   text, status, emergency=alarm)
        if stored is None:
            return 200, {"status": "duplicate"}
        if event in ("follow", "unfollow") and user_id:
            self.store.record_follow(str(oa_id or ""), account.unit, event)  # counted by the reports
        if alarm:
            # answered now, not behind other citizens' messages; Rasa later only records and pauses
            self.store.touch_user(str(user_id), str(oa_id))
            reply, buttons = self.emergencies.raise_alarm(str(user_id), account.unit, str(message["text"]))
            self.outbox.enqueue_with_buttons(str(oa_id), str(user_id), reply, buttons)
        if status == "pending":
            self.on_pending(str(user_id))
        return 200, {"status": "accepted"}


class Replicas:
    """The Rasa servers that hand deliveries to Rasa. A citizen stays with one
    of them while they keep writing (its tracker store has their conversation
    at hand); a citizen who starts writing goes to the one with the fewest
    citizens writing at the moment."""

    ACTIVE_SECONDS = 600.0  # a citizen quiet for this long may move

    def __init__(self, urls: List[str]):
        self.urls = [url.rstrip("/") for url in urls]
        self._home: Dict[str, Tuple[int, float]] = {}  # user -> (replica index, last delivery)
        self._pruned = time.monotonic()
        self._session: Any = None
        self._headers = rasa_headers()  # the Rasa secret's token: signed once, sent with every kick

    def for_user(self, user_id: str, now: Optional[float] = None) -> List[str]:
        """The replicas to tell, in order: the citizen's own first."""
        now = time.monotonic() if now is None else now
        if now - self._pruned > 60:
            self._home = {user: home for user, home in self._home.items() if now - home[1] < self.ACTIVE_SECONDS}
            self._pruned = now
        home = self._home.get(user_id)
        if home is None or now - home[1] >= self.ACTIVE_SECONDS:
            busy = [0] * len(self.urls)
            for index, seen in self._home.values():
                busy[index] += now - seen < self.ACTIVE_SECONDS
            first = busy.index(min(busy))
        else:
            first = home[0]
        self._home[user_id] = (first, now)
        return self.urls[first:] + self.urls[:first]

    def moved(self, user_id: str, url: str) -> None:
        """The citizen's replica did not answer; ``url`` took them."""
        self._home[user_id] = (self.urls.index(url), time.monotonic())

    async def notify(self, user_id: str) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5))
        for attempt, url in enumerate(self.for_user(user_id)):
            try:
                async with self._session.post(f"{url}/webhooks/zalo/kick", json={"user_id": user_id},
                                              headers=self._headers) as answer:
                    if answer.status == 200:
                        if attempt:
                            self.moved(user_id, url)
                        return
                    logger.warning("Rasa replica %s answered %s to a kick", url, answer.status)
            except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as error:
                logger.warning("Rasa replica %s not reachable (%s)", url, error)
        logger.warning("no Rasa replica took %s's delivery now; their inbox sweep will", user_id)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
