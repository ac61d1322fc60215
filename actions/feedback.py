"""The citizen's feedback on a procedure's first answer (bot/review/feedback.py):
"Hữu ích" is thanked; "Chưa đúng" keeps the question that got the answer for
content staff and asks, in one message, what the citizen wanted, with an
officer one button away. Texts: data/answers.yml ``feedback``."""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.citizen import unit_of
from actions.procedures import knowledge
from bot.review import capture
from bot.review.feedback import FeedbackStore

logger = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def store() -> FeedbackStore:
    return FeedbackStore()


def keep(unit: str, procedure: Optional[str], helpful: bool) -> None:
    try:
        store().add(unit, procedure, helpful)
    except Exception:  # the citizen's answer goes out whatever happens here
        logger.exception("could not keep feedback on %s", procedure)


def answered_question(tracker: Tracker) -> Optional[str]:
    """The citizen's last typed message before this feedback (not a button's payload)."""
    for event in reversed(tracker.events[:-1]):
        if event.get("event") == "user" and not (event.get("text") or "").startswith("/"):
            return event.get("text")
    return None


class ActionFeedbackHelpful(Action):
    def name(self) -> Text:
        return "action_feedback_helpful"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        keep(unit_of(tracker), tracker.get_slot("procedure"), True)
        dispatcher.utter_message(text=knowledge()[1].feedback["thanks"])
        return []


class ActionFeedbackWrong(Action):
    def name(self) -> Text:
        return "action_feedback_wrong"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        unit, procedure = unit_of(tracker), tracker.get_slot("procedure")
        keep(unit, procedure, False)
        question = answered_question(tracker)
        if question:
            capture.record("marked_wrong", tracker.sender_id, unit, question, guess=procedure)
        texts = knowledge()[1].feedback
        dispatcher.utter_message(text=texts["ask_what"], buttons=[texts["officer_button"]])
        return []
