"""Handing the chat to an officer: the citizen asks for one, or the assistant
failed to understand twice in a row. The conversation is paused for the bot
(Rasa keeps recording what the citizen writes) until an officer closes it,
the citizen cancels, or nobody takes it in time (bot/handoff/service.py)."""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused, EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.citizen import unit_of
from bot.core.units import load_units
from bot.handoff.store import Busy, HandoffStore
from bot.handoff.texts import settings
from bot.review import capture

logger = logging.getLogger(__name__)


def hand_over(dispatcher: CollectingDispatcher, tracker: Tracker, reason: str) -> List[EventType]:
    store = HandoffStore()
    texts = settings()
    if store.open_for(tracker.sender_id):
        dispatcher.utter_message(text=texts["already_waiting"])
        return [ConversationPaused()]
    unit = load_units().get(unit_of(tracker))
    try:
        store.request(tracker.sender_id, unit.id, reason, limits=texts["limits"])
    except Busy as flood:
        logger.warning("handoff not queued: %s", flood)
        dispatcher.utter_message(text=texts["busy"].format(unit=unit.name, phone=unit.duty_phone),
                                 buttons=[{"title": texts["call_button"], "payload": f"tel:{unit.duty_phone}"}])
        return []
    dispatcher.utter_message(text=texts["connecting"].format(unit=unit.name, minutes=texts["expected_wait_minutes"]))
    return [ConversationPaused()]


class ActionRequestHandoff(Action):
    def name(self) -> Text:
        return "action_request_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        capture.observe(tracker, unit_of(tracker))  # the answer before, if the citizen asks for an officer after it
        return hand_over(dispatcher, tracker, "requested")
