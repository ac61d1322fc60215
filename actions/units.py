"""Questions about the police units: phone, address, hours, commander, area officers, Zalo pages."""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.citizen import oa_of, unit_of
from bot.knowledge import unit_pages
from bot.knowledge.units import answer


class ActionAnswerDirectory(Action):
    def name(self) -> Text:
        return "action_answer_directory"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        text, buttons = answer(tracker.latest_message.get("text") or "", unit_of(tracker))
        dispatcher.utter_message(text=text, buttons=buttons)
        return []


class ActionAnswerUnitPages(Action):
    """"Trang Zalo của các đơn vị": buttons opening the other units' Official Accounts."""

    def name(self) -> Text:
        return "action_answer_unit_pages"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        text, buttons = unit_pages.answer(tracker.latest_message.get("text") or "", unit_of(tracker),
                                          oa_of(tracker), unit_pages.official_accounts())
        dispatcher.utter_message(text=text, buttons=buttons)
        return []
