"""Rasa input channel for Zalo Official Accounts: POST /webhooks/zalo/webhook.

Like Rasa's own connectors it only parses, verifies, hands the message to
Rasa and sends the answers; the durable parts live in bot/zalo/:

1. verify and store the delivery, answer an emergency, 200
   (bot/zalo/intake.py; the launcher also runs this step in a process of its
   own, the intake server, which is where Zalo's webhook points);
2. in the background, hand each user's deliveries to Rasa in order, one at
   a time (another replica may be doing it: then it goes on with them);
   POST /webhooks/zalo/kick {"user_id"} from the intake server says a user
   has some; a sweep every second finds any left;
3. answers go through the outbox (bot/zalo/outbox.py); a citizen's tip-off
   status updates held back while Zalo's window was closed go first
   (bot/tipoffs/push.py).

Configuration: environment variables, see bot/zalo/accounts.py.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request

from bot.core.content import read_texts
from bot.core.internal_auth import is_rasa_jwt
from bot.core.limits import MAX_MESSAGE_CHARS
from bot.safety.emergency import Alarms
from bot.server.settings import watch_actions
from bot.tipoffs.push import StatusPush
from bot.zalo import messages as zalo_messages
from bot.zalo.accounts import Registry
from bot.zalo.api import ZaloApi
from bot.zalo.events import json_object, rasa_text
from bot.zalo.intake import Intake
from bot.zalo.outbox import Outbox
from bot.zalo.profiles import Profiles
from bot.zalo.store import ZaloStore
from bot.zalo.workers import UserWorkers

logger = logging.getLogger(__name__)

# Messages handed to Rasa at the same time. Rasa's NLU and policies run on the
# server's event loop, so more at once does not answer faster; it only makes
# everything else the server answers (its HTTP API, its own webhook) wait.
PROCESSING_SLOTS = 2

class ZaloOutput(OutputChannel):
    """Answers to a Zalo user, through the outbox."""

    @classmethod
    def name(cls) -> Text:
        return "zalo"

    def __init__(self, store: ZaloStore, outbox: Outbox, oa_id: Optional[str] = None):
        self.store = store
        self.outbox = outbox
        self.oa_id = oa_id

    def _oa_of(self, recipient_id: Text) -> str:
        oa_id = self.oa_id or (self.store.user(recipient_id) or {}).get("oa_id")
        if oa_id is None:
            raise ValueError(f"Zalo user {recipient_id} is unknown: they never wrote to an OA served here")
        return oa_id

    def _enqueue(self, recipient_id: Text, items: List[Dict[str, Any]], confidential: bool = False) -> None:
        self.outbox.enqueue(self._oa_of(recipient_id), recipient_id, items, confidential=confidential)

    # a bot message marked confidential (metadata {"confidential": ...}: actions/tipoffs.py) is not kept once sent
    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        self._enqueue(recipient_id, zalo_messages.text_items(text), bool(kwargs.get("confidential")))

    async def send_text_with_buttons(self, recipient_id: Text, text: Text, buttons: List[Dict[Text, Any]],
                                     **kwargs: Any) -> None:
        self.outbox.enqueue_with_buttons(self._oa_of(recipient_id), recipient_id, text, buttons,
                                         bool(kwargs.get("confidential")))

    async def send_quick_replies(self, recipient_id: Text, text: Text, quick_replies: List[Dict[Text, Any]],
                                 **kwargs: Any) -> None:
        await self.send_text_with_buttons(recipient_id, text, quick_replies, **kwargs)

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
        self.profiles = Profiles(self.store, registry, self.outbox)  # display names for the console
        self._on_new_message: Optional[Callable[[UserMessage], Awaitable[Any]]] = None
        self.inbox = UserWorkers(self._drain, self.store.users_with_pending_inbound, "Zalo inbox")
        self.alarms = Alarms(self.store.engine)  # emergencies: answered at intake, their location routed here
        self.status_push = StatusPush(self.store.engine)  # tip-off status updates held until the citizen writes
        self.intake = Intake(registry, self.store, self.outbox, self.inbox.kick, self.alarms)
        self._slots: Optional[asyncio.Semaphore] = None

    def get_output_channel(self) -> Optional[OutputChannel]:
        return ZaloOutput(self.store, self.outbox)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        self._on_new_message = on_new_message
        zalo = Blueprint("zalo_webhook", __name__)

        @zalo.listener("after_server_start")
        async def resume(app, loop) -> None:
            self.store.release_claims()  # this replica's, from before it restarted
            # named: Sanic cancels and awaits its named tasks when it stops (else: "Task was destroyed...")
            app.add_task(self.outbox.sweep_forever(), name="zalo outbox sweep")
            app.add_task(self.inbox.sweep_forever(), name="zalo inbox sweep")  # deliveries nobody is handling

        @zalo.listener("before_server_stop")
        async def stop(app, loop) -> None:
            await self.profiles.close()  # the display-name fetches under way: finished or cancelled, not left pending

        @zalo.route("/", methods=["GET"])
        async def health(request: Request):
            return response.json({"status": "ok"})

        @zalo.route("/webhook", methods=["POST"])
        async def webhook(request: Request):
            status, body = self.intake.receive(request.body or b"", request.headers.get("X-ZEvent-Signature"))
            return response.json(body, status=status)

        @zalo.route("/kick", methods=["POST"])
        async def kick(request: Request):
            """The intake server stored deliveries of this user: hand them to Rasa
            now rather than at the next sweep. Internal: the Rasa server's secret
            (bot/core/internal_auth.py)."""
            if not is_rasa_jwt(request.headers.get("Authorization")):
                return response.json({"error": "unauthorized"}, status=401)
            user_id = json_object(request.json if isinstance(request.json, dict) else None).get("user_id")
            if not isinstance(user_id, str) or not user_id:
                return response.json({"error": "user_id missing"}, status=400)
            self.inbox.kick(user_id)
            return response.json({"status": "ok"})

        return zalo

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
        self.status_push.deliver_on_zalo(oa_id, user_id)  # held tip-off status updates, before the answer
        self.profiles.refresh_soon(user_id, oa_id)  # in the background: the message does not wait for it
        message = json_object(payload.get("message"))
        text = rasa_text(event, message)[:MAX_MESSAGE_CHARS]
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
        if event != "user_send_text" and isinstance(message.get("text"), str) and message["text"].strip():
            metadata["caption"] = message["text"][:MAX_MESSAGE_CHARS]  # an image's, a file's (the console shows it)
        output = ZaloOutput(self.store, self.outbox, oa_id)
        if row.get("emergency"):
            # already answered when it arrived (receive); Rasa records it and pauses for the officer
            metadata["sos_text"], text = text, "/sos"
        elif event == "user_send_location" and text.startswith("/share_location"):
            location = json.loads(text[len("/share_location"):])
            routed = self.alarms.route_location(user_id, location["latitude"], location["longitude"],
                                                metadata["unit"])
            if routed:
                await output.send_text_with_buttons(user_id, *routed)
        with watch_actions() as turn:  # the server's settings (bot/server/settings.py) watch Rasa's log
            await self._on_new_message(UserMessage(
                text, output, user_id,
                input_channel=self.name(), message_id=message.get("msg_id"), metadata=metadata,
            ))
        if turn["action_failed"]:  # the message is in the tracker; the citizen is asked to send it again
            await output.send_text_message(user_id, read_texts("answers.yml")["system_error"])
