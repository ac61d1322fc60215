"""Emergencies (SOS). On Zalo the channel has already answered and queued the
chat before the assistant saw it (bot/safety/emergency.py); here the bot only
pauses for the officer. On other channels this action gives the answer."""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused, EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.citizen import unit_of
from bot.safety.emergency import Alarms


class ActionEmergency(Action):
    def name(self) -> Text:
        return "action_emergency"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        metadata = tracker.latest_message.get("metadata") or {}
        alarms = Alarms()
        if "sos_text" not in metadata:  # not answered by the channel
            text, buttons = alarms.raise_alarm(tracker.sender_id, unit_of(tracker),
                                               tracker.latest_message.get("text") or "")
            dispatcher.utter_message(text=text, buttons=buttons)
        # paused for the officer; unless a flood kept the SOS out of the queue (nobody would resume it)
        return [ConversationPaused()] if alarms.handoffs.open_for(tracker.sender_id) else []
