"""Citizens ask for the latest announcements ("tin mới", "thông báo mới nhất")."""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.citizen import unit_of
from bot.announcements.chat import latest_messages


class ActionLatestAnnouncements(Action):
    def name(self) -> Text:
        return "action_latest_announcements"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        for message in latest_messages(unit_of(tracker)):
            dispatcher.utter_message(**message)
        return []
