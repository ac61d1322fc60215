"""The REST channel, POST /webhooks/rest/webhook, for integrations and
testing: Rasa's own REST channel with what a public service needs
(docs/security.md).

* Off unless ``REST_CHANNEL_TOKEN`` is set; then every request carries
  ``Authorization: Bearer <token>``.
* Its conversations are its own: ``sender`` "x" is the conversation
  "rest:x" (bot/core/conversations.py), never a Zalo citizen's.
* Client metadata and ``input_channel`` are not taken: nothing a client
  claims decides a unit or skips a step.
* Messages longer than ``MAX_MESSAGE_CHARS`` are refused (413).
* When an action fails (the action server is down or too slow), the answer
  ends with an apology, as on Zalo.
* The status updates of the sender's tip-offs (bot/tipoffs/push.py: held
  back, the REST channel cannot push) come first in the next answer.

The answer is Rasa's: a JSON list of the bot's messages.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Awaitable, Callable, Text

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput as RasaRestInput
from sanic import Blueprint, response
from sanic.request import Request

from bot.core.content import read_texts
from bot.core.conversations import rest_conversation
from bot.core.internal_auth import REST_SECRET, matches, secret
from bot.core.limits import MAX_MESSAGE_CHARS
from bot.server.settings import watch_actions
from bot.tipoffs.push import StatusPush

SENDER = re.compile(r"[A-Za-z0-9_.@-]{1,64}")  # usable in a URL path as it is (the HTTP API's /conversations/<id>)


@lru_cache(maxsize=1)
def status_push() -> StatusPush:
    return StatusPush()


def _error(message: str, status: int) -> response.HTTPResponse:
    return response.json({"error": message}, status=status)


class RestInput(RasaRestInput):
    @classmethod
    def name(cls) -> Text:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        rest = Blueprint("rest_webhook", __name__)

        @rest.route("/", methods=["GET"])
        async def health(request: Request):
            return response.json({"status": "ok"})

        @rest.route("/webhook", methods=["POST"])
        async def receive(request: Request):
            token = secret(REST_SECRET)
            if not token:
                return _error(f"the REST channel is off: set {REST_SECRET} to turn it on", 403)
            if not matches(request.headers.get("Authorization"), token):
                return _error("unauthorized: send Authorization: Bearer <REST_CHANNEL_TOKEN>", 401)
            try:
                body = request.json
            except Exception:  # Sanic raises on a body that is not JSON
                body = None
            if not isinstance(body, dict):
                return _error('expected a JSON object {"sender": ..., "message": ...}', 400)
            sender, text = body.get("sender"), body.get("message")
            if not isinstance(sender, str) or not SENDER.fullmatch(sender):
                return _error("sender: 1 to 64 letters, digits or _.@-", 400)
            if not isinstance(text, str):
                return _error("message: a string", 400)
            if len(text) > MAX_MESSAGE_CHARS:
                return _error(f"message: at most {MAX_MESSAGE_CHARS} characters", 413)
            collector = CollectingOutputChannel()
            conversation = rest_conversation(sender)
            with watch_actions() as turn:
                await on_new_message(UserMessage(text, collector, conversation, input_channel=self.name()))
            if turn["action_failed"]:  # the message is in the tracker; the client is asked to send it again
                collector.messages.append({"recipient_id": conversation,
                                           "text": read_texts("answers.yml")["system_error"]})
            held = status_push().deliver_in_answer(conversation)  # tip-off status updates: first in the answer
            return response.json([{"recipient_id": conversation, "text": update} for update in held]
                                 + collector.messages)

        return rest
