"""What the assistant keeps about the citizen: the privacy notice
(data/privacy.yml, bot/privacy/notice.py)."""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from bot.privacy.notice import notice


class ActionPrivacyNotice(Action):
    def name(self) -> Text:
        return "action_privacy_notice"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        dispatcher.utter_message(text=notice())
        return []
