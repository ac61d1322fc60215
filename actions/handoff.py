"""Handing the chat to an officer: the citizen asks for one, or the assistant
failed to understand twice in a row. The conversation is paused for the bot
(Rasa keeps recording what the citizen writes) until an officer closes it,
the citizen cancels, or nobody takes it in time (bot/handoff/service.py)."""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused, EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.citizen import unit_of
from bot.core.units import load_units
from bot.handoff.store import HandoffStore
from bot.handoff.texts import settings


def hand_over(dispatcher: CollectingDispatcher, tracker: Tracker, reason: str) -> List[EventType]:
    store = HandoffStore()
    texts = settings()
    if store.open_for(tracker.sender_id):
        dispatcher.utter_message(text=texts["already_waiting"])
    else:
        unit = unit_of(tracker)
        store.request(tracker.sender_id, unit, reason)
        dispatcher.utter_message(text=texts["connecting"].format(
            unit=load_units().get(unit).name, minutes=texts["expected_wait_minutes"]))
    return [ConversationPaused()]


class ActionRequestHandoff(Action):
    def name(self) -> Text:
        return "action_request_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        return hand_over(dispatcher, tracker, "requested")
