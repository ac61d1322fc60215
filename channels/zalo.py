"""Rasa input channel for Zalo Official Accounts: POST /webhooks/zalo/webhook.

Like Rasa's own connectors it only parses, verifies, hands the message to
Rasa and sends the answers; the durable parts live in bot/zalo/:

1. read the raw body (400 if not JSON, 413 if too large);
2. find the OA (recipient.id, or sender.id for echoes, oa_id for follows)
   and verify X-ZEvent-Signature with its secret (401 if forged, missing or
   stale; nothing is processed);
3. store the delivery under its msg_id (a redelivery, even after a restart,
   is answered 200 and not processed again) and answer 200 at once;
4. in the background, hand each user's deliveries to Rasa in order;
   answers go through the outbox (bot/zalo/outbox.py). An emergency ("cứu",
   "SOS") is answered at step 3 already, without waiting for Rasa or anyone
   else's messages (bot/safety/).

Configuration: environment variables, see bot/zalo/accounts.py.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import math
import os
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request

from bot import rasa_speedups
from bot.content import read_texts
from bot.handoff.store import HandoffStore
from bot.safety import emergency, sos
from bot.zalo import messages as zalo_messages
from bot.zalo import signature
from bot.zalo.accounts import Registry
from bot.zalo.api import ZaloApi
from bot.zalo.outbox import Outbox
from bot.zalo.store import ZaloStore
from bot.zalo.workers import UserWorkers

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 1_000_000
# Messages handed to Rasa at the same time. Rasa's NLU and policies run on the
# server's event loop, so more at once does not answer faster; it only makes
# the webhook's 200 wait behind them (bench/zalo_webhook_ack.py).
PROCESSING_SLOTS = 2
MEDIA_EVENTS = {
    "user_send_image": "image", "user_send_gif": "image", "user_send_file": "file",
    "user_send_sticker": "sticker", "user_send_audio": "audio", "user_send_video": "video",
    "user_send_link": "link", "user_send_business_card": "business_card",
}

# The delivery being handed to Rasa in this task, to learn whether one of
# its actions failed (the action server is down): Rasa only logs that, drops
# the action's answer and goes on, so the citizen would get no answer at all.
_turn: contextvars.ContextVar[Optional[Dict[str, bool]]] = contextvars.ContextVar("zalo_turn", default=None)


class _ActionFailures(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        turn = _turn.get()
        if turn is not None and record.levelno >= logging.ERROR and "while running action" in record.getMessage():
            turn["action_failed"] = True


logging.getLogger("rasa.core.processor").addHandler(_ActionFailures())
rasa_speedups.install()  # the Rasa server loads this module: see bot/rasa_speedups.py


def _object(value: Any) -> Dict[str, Any]:
    """A JSON object of the event; {} for anything else (a field of any type must not crash the channel)."""
    return value if isinstance(value, dict) else {}


def event_parties(payload: Dict[str, Any]) -> tuple:
    """(oa_id, user_id) of a webhook event, whatever its shape."""
    event = str(payload.get("event_name", ""))
    sender = _object(payload.get("sender")).get("id")
    recipient = _object(payload.get("recipient")).get("id")
    if event in ("follow", "unfollow"):
        return payload.get("oa_id"), _object(payload.get("follower")).get("id")
    if event.startswith("oa_send_"):
        return sender, recipient
    return recipient, sender


def dedup_key(payload: Dict[str, Any], user_id: Optional[str]) -> str:
    msg_id = _object(payload.get("message")).get("msg_id")
    if msg_id:
        return f"msg:{msg_id}"
    return f"{payload.get('event_name')}:{user_id}:{payload.get('timestamp')}"


def rasa_text(event: str, message: Dict[str, Any]) -> Optional[str]:
    """What Rasa receives for an event: the text, or an intent payload."""
    if event == "user_send_text":
        return str(message.get("text") or "")
    if event == "user_send_location":
        attachments = message.get("attachments")
        for attachment in attachments if isinstance(attachments, list) else []:
            coordinates = _object(_object(_object(attachment).get("payload")).get("coordinates"))
            try:
                location = {"latitude": float(coordinates["latitude"]), "longitude": float(coordinates["longitude"])}
            except (KeyError, TypeError, ValueError, OverflowError):
                continue  # no usable coordinates
            if math.isfinite(location["latitude"]) and math.isfinite(location["longitude"]):  # NaN is not JSON
                return "/share_location" + json.dumps(location)
        return "/send_media" + json.dumps({"media_type": "location"})
    if event in MEDIA_EVENTS:
        return "/send_media" + json.dumps({"media_type": MEDIA_EVENTS[event]})
    if event == "follow":
        return "/follow"
    return None


class ZaloOutput(OutputChannel):
    """Answers to a Zalo user, through the outbox."""

    @classmethod
    def name(cls) -> Text:
        return "zalo"

    def __init__(self, store: ZaloStore, outbox: Outbox, oa_id: Optional[str] = None):
        self.store = store
        self.outbox = outbox
        self.oa_id = oa_id

    def _enqueue(self, recipient_id: Text, items: List[Dict[str, Any]]) -> None:
        oa_id = self.oa_id or (self.store.user(recipient_id) or {}).get("oa_id")
        if oa_id is None:
            raise ValueError(f"Zalo user {recipient_id} is unknown: they never wrote to an OA served here")
        for item in items:
            self.store.enqueue(oa_id, recipient_id, item)
        self.outbox.kick(recipient_id)

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        self._enqueue(recipient_id, zalo_messages.text_items(text))

    async def send_text_with_buttons(self, recipient_id: Text, text: Text, buttons: List[Dict[Text, Any]],
                                     **kwargs: Any) -> None:
        self.enqueue_with_buttons(recipient_id, text, buttons)

    def enqueue_with_buttons(self, recipient_id: Text, text: Text, buttons: List[Dict[Text, Any]]) -> None:
        items, menu = zalo_messages.button_items(text, buttons)
        self.store.set_menu(recipient_id, menu)
        self._enqueue(recipient_id, items)

    async def send_quick_replies(self, recipient_id: Text, text: Text, quick_replies: List[Dict[Text, Any]],
                                 **kwargs: Any) -> None:
        await self.send_text_with_buttons(recipient_id, text, quick_replies)

    async def send_image_url(self, recipient_id: Text, image: Text, **kwargs: Any) -> None:
        self._enqueue(recipient_id, [zalo_messages.image_item(image)])

    async def send_attachment(self, recipient_id: Text, attachment: Text, **kwargs: Any) -> None:
        self._enqueue(recipient_id, zalo_messages.text_items(str(attachment)))

    async def send_custom_json(self, recipient_id: Text, json_message: Dict[Text, Any], **kwargs: Any) -> None:
        file = json_message.get("file")
        if isinstance(file, dict) and file.get("url"):
            self._enqueue(recipient_id, [zalo_messages.file_item(file["url"], file.get("name") or "file")])
        else:
            logger.warning("custom message not supported on Zalo, not sent: %s", json_message)


class ZaloInput(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return "zalo"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        # credentials.yml may name values (ZALO_* keys); the environment fills in the rest
        env = {**os.environ, **{str(k): str(v) for k, v in (credentials or {}).items() if v}}
        return cls(Registry.from_env(env))

    def __init__(self, registry: Registry, store: Optional[ZaloStore] = None, api: Optional[ZaloApi] = None):
        self.registry = registry
        self.store = store or ZaloStore()
        self.api = api or ZaloApi(registry.api_base, registry.oauth_base)
        self.outbox = Outbox(self.store, registry, self.api)
        self._on_new_message: Optional[Callable[[UserMessage], Awaitable[Any]]] = None
        self.inbox = UserWorkers(self._drain, self.store.users_with_pending_inbound, "Zalo inbox")
        self._slots: Optional[asyncio.Semaphore] = None
        self.handoffs = HandoffStore(self.store.engine)

    def get_output_channel(self) -> Optional[OutputChannel]:
        return ZaloOutput(self.store, self.outbox)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        self._on_new_message = on_new_message
        zalo = Blueprint("zalo_webhook", __name__)

        @zalo.listener("after_server_start")
        async def resume(app, loop) -> None:
            if self.store.engine.dialect.name == "sqlite":  # the only process: its old claims are its own
                self.store.release_claims()
            app.add_task(self.outbox.sweep_forever())
            app.add_task(self.inbox.sweep_forever())  # deliveries nobody is handling

        @zalo.route("/", methods=["GET"])
        async def health(request: Request):
            return response.json({"status": "ok"})

        @zalo.route("/webhook", methods=["POST"])
        async def webhook(request: Request):
            return self.receive(request.body or b"", request.headers.get("X-ZEvent-Signature"))

        return zalo

    def receive(self, body: bytes, signature_header: Optional[str]):
        """Verify and store one delivery; the HTTP answer to give Zalo."""
        if len(body) > MAX_BODY_BYTES:
            self.store.reject("body too large", body)
            return response.json({"error": "body too large"}, status=413)
        try:
            text = body.decode("utf-8")  # what the inbox keeps, and _handle parses again
            payload = json.loads(text)
            if not isinstance(payload, dict):
                raise ValueError("not an object")
            json.dumps(payload, ensure_ascii=False).encode("utf-8")  # lone surrogates ("\ud800") are not text
        except (ValueError, RecursionError):  # RecursionError: nested too deeply
            self.store.reject("malformed JSON", body)
            return response.json({"error": "malformed JSON"}, status=400)

        oa_id, user_id = event_parties(payload)
        account = self.registry.for_oa(str(oa_id) if oa_id else None)
        if account is None:
            self.store.reject(f"unknown OA {oa_id}", body)
            return response.json({"error": "unknown OA"}, status=401)
        problem = signature.check(signature_header, account.app_id, body, payload.get("timestamp"),
                                  account.oa_secret_key)
        if problem:
            self.store.reject(problem, body)
            logger.warning("Zalo webhook rejected: %s", problem)
            return response.json({"error": problem}, status=401)

        event = str(payload.get("event_name", ""))
        message = _object(payload.get("message"))
        if not user_id or event.startswith("oa_send_"):
            status = "ignored"  # echoes of our own messages, or nothing to answer
        elif event == "unfollow" or rasa_text(event, message) is not None:
            status = "pending"
        else:
            status = "ignored"
            logger.info("Zalo event %s not handled", event)
        alarm = event == "user_send_text" and sos.is_emergency(str(message.get("text") or ""))
        stored = self.store.accept(dedup_key(payload, user_id), str(oa_id or ""), str(user_id or ""), event,
                                   text, status, emergency=alarm)
        if stored is None:
            return response.json({"status": "duplicate"})
        if alarm:
            # answered now, not behind other citizens' messages; Rasa later only records and pauses
            self.store.touch_user(str(user_id), str(oa_id))
            reply, buttons = emergency.raise_alarm(self.handoffs, str(user_id), account.unit, str(message["text"]))
            ZaloOutput(self.store, self.outbox, str(oa_id)).enqueue_with_buttons(str(user_id), reply, buttons)
        if status == "pending":
            self.inbox.kick(str(user_id))
        return response.json({"status": "accepted"})

    async def _drain(self, user_id: str) -> None:
        """Hand the user's stored deliveries to Rasa, one at a time, in order
        (another replica may be doing it: then it goes on with them)."""
        while True:
            row = self.store.claim_inbound(user_id)
            if row is None:
                return
            try:
                if self._slots is None:
                    self._slots = asyncio.Semaphore(PROCESSING_SLOTS)
                async with self._slots:
                    await self._handle(row)
                self.store.finish_inbound(row["id"], "done")
            except Exception as error:  # recorded; the next delivery still goes on
                logger.exception("Zalo delivery %s failed", row["id"])
                self.store.finish_inbound(row["id"], "failed", repr(error))

    async def _handle(self, row: Dict[str, Any]) -> None:
        payload = json.loads(row["payload"])
        event, oa_id, user_id = row["event_name"], row["oa_id"], row["user_id"]
        account = self.registry.for_oa(oa_id)
        if event == "unfollow":
            self.store.touch_user(user_id, oa_id, follower=False)
            return
        self.store.touch_user(user_id, oa_id, follower=True if event == "follow" else None)
        message = _object(payload.get("message"))
        text = rasa_text(event, message)
        menu = json.loads((self.store.user(user_id) or {}).get("menu") or "null")
        choice = text.strip()
        if event == "user_send_text" and menu and choice.isdecimal() and len(choice) <= 3 and 1 <= int(choice) <= len(menu):
            text = menu[int(choice) - 1]  # the citizen chose from a numbered list
        metadata = {
            "oa_id": oa_id,
            "unit": account.unit if account else "",
            "zalo_event": event,
            "msg_id": message.get("msg_id"),
            "attachments": message.get("attachments") or [],
        }
        output = ZaloOutput(self.store, self.outbox, oa_id)
        if row.get("emergency"):
            # already answered when it arrived (receive); Rasa records it and pauses for the officer
            metadata["sos_text"], text = text, "/sos"
        elif event == "user_send_location" and text.startswith("/share_location"):
            location = json.loads(text[len("/share_location"):])
            routed = emergency.route_location(self.handoffs, user_id, location["latitude"], location["longitude"],
                                              metadata["unit"])
            if routed:
                await output.send_text_with_buttons(user_id, *routed)
        turn = {"action_failed": False}
        token = _turn.set(turn)
        try:
            await self._on_new_message(UserMessage(
                text, output, user_id,
                input_channel=self.name(), message_id=message.get("msg_id"), metadata=metadata,
            ))
        finally:
            _turn.reset(token)
        if turn["action_failed"]:  # the message is in the tracker; the citizen is asked to send it again
            await output.send_text_message(user_id, read_texts("answers.yml")["system_error"])
