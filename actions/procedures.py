"""Answers about police procedures, from the knowledge base in data/.

One action answers every procedure question: a procedure by name, a
follow-up about the current procedure ("lệ phí bao nhiêu?"), a general
question that needs a clarifying question ("làm căn cước"), and the reply to
that clarifying question. The slot ``procedure`` always holds the catalogue
id of the procedure answered about.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.citizen import unit_of
from actions.handoff import ActionRequestAreaOfficer, answers_group_question, hand_over
from bot.handoff.texts import settings
from bot.knowledge import answers
from bot.knowledge.store import KnowledgeBase
from bot.knowledge.validate import load_checked
from bot.nlu.text import is_wordlike
from bot.review import capture
from bot.review.confidence import low_confidence


@lru_cache(maxsize=1)
def knowledge() -> Tuple[KnowledgeBase, answers.AnswerConfig]:
    return load_checked(), answers.AnswerConfig.load()


def send(dispatcher: CollectingDispatcher, replies: List[answers.Reply]) -> None:
    for reply in replies:
        kwargs: Dict[str, Any] = {"text": reply.text} if reply.text else {}  # a file alone has no text
        if reply.buttons:
            kwargs["buttons"] = reply.buttons
        if reply.custom:
            kwargs["json_message"] = reply.custom
        dispatcher.utter_message(**kwargs)


def answer(dispatcher: CollectingDispatcher, tracker: Tracker) -> Optional[List[EventType]]:
    """Answer the latest message about a procedure (or ask back, or name the
    agency that handles it); None if it was not understood."""
    kb, config = knowledge()
    latest = tracker.latest_message or {}
    slots = {name: tracker.get_slot(name) for name in ("procedure", "aspect", "clarifying")}
    decision = answers.resolve(
        kb,
        config,
        (latest.get("intent") or {}).get("name"),
        latest.get("intent_ranking") or [],
        latest.get("text") or "",
        slots,
        latest.get("second_opinion"),
    )
    if decision.not_understood:
        return None
    if decision.out_of_scope:
        dispatcher.utter_message(text=config.referrals.answer(decision.referral))
        ranking = {r["name"]: r.get("confidence", 0.0) for r in latest.get("intent_ranking") or []}
        capture.observe(tracker, unit_of(tracker), unserved="out_of_scope",
                        agency=decision.referral.id if decision.referral else None,
                        confidence=ranking.get("out_of_scope"))
        return [SlotSet("clarifying", None)]
    if decision.procedure is None:
        capture.observe(tracker, unit_of(tracker))
    if decision.topic is not None:
        send(dispatcher, [answers.render_topic_question(kb, decision.topic)])
        # the aspect asked for (if any) is answered once the case is known
        return [SlotSet("clarifying", decision.topic.id), SlotSet("procedure", None), SlotSet("aspect", decision.aspect)]
    if decision.candidates:
        send(dispatcher, [answers.render_candidates(kb, config, decision.candidates, decision.matter,
                                                          decision.question)])
        return [SlotSet("clarifying", None), SlotSet("procedure", None), SlotSet("aspect", decision.aspect)]
    if decision.ask_which:
        dispatcher.utter_message(text=config.ask_which_procedure)
        return [SlotSet("procedure", None), SlotSet("aspect", decision.aspect)]
    procedure = kb.procedures[decision.procedure]
    score = low_confidence(kb, config, latest, slots, procedure.id)
    capture.observe(tracker, unit_of(tracker), answered=procedure.id,
                    unserved="low_confidence" if score is not None else None, guess=procedure.id, confidence=score)
    aspect = decision.aspect
    if aspect is None and slots["procedure"] is None and slots["aspect"]:
        aspect = slots["aspect"]  # the question asked before we knew the procedure
    if aspect:
        asked = decision.aspects if aspect in decision.aspects else [aspect]
        send(dispatcher, answers.render_aspects(kb, config, procedure, asked, also=decision.also,
                                                text=latest.get("text") or ""))
    else:
        send(dispatcher, answers.render_overview(kb, config, procedure, also=decision.also,
                                                 text=latest.get("text") or ""))
    return [
        SlotSet("procedure", procedure.id),
        SlotSet("aspect", aspect),
        SlotSet("clarifying", None),
    ]


class ActionAnswerProcedure(Action):
    def name(self) -> Text:
        return "action_answer_procedure"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        events = answer(dispatcher, tracker)
        if events is None:
            not_understood(tracker)
            dispatcher.utter_message(text=knowledge()[1].not_understood)
            return []
        return events


def not_understood(tracker: Tracker) -> None:
    """Keep the message for content staff, with the procedure the classifier
    thought likeliest."""
    kb = knowledge()[0]
    ranking = [r for r in (tracker.latest_message or {}).get("intent_ranking") or [] if r.get("name") in kb.procedures]
    best = max(ranking, key=lambda r: r.get("confidence", 0.0), default=None)
    capture.observe(tracker, unit_of(tracker), unserved="not_understood", guess=best and best["name"],
                    confidence=best and best.get("confidence"))


class ActionNotUnderstood(Action):
    """Out of scope or not understood by the classifier: the words may still
    name a procedure, a case of an open clarifying question, or another
    agency's matter (``answers.resolve`` decides); otherwise "not understood",
    and after two in a row, an officer. A lone number answering the question
    for the residential group goes on with the area officer request."""

    def name(self) -> Text:
        return "action_not_understood"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        if answers_group_question(tracker):  # "6" to "Bạn ở tổ dân phố số mấy?"
            return await ActionRequestAreaOfficer().run(dispatcher, tracker, domain)
        events = answer(dispatcher, tracker)
        if events is not None:
            return events
        not_understood(tracker)
        if failed_twice(tracker):
            dispatcher.utter_message(text=settings()["after_two_failures"])
            return [SlotSet("clarifying", None)] + hand_over(dispatcher, tracker, "failures")
        dispatcher.utter_message(text=knowledge()[1].not_understood)
        return [SlotSet("clarifying", None)]


def failed_twice(tracker: Tracker) -> bool:
    """The citizen's last two questions were not understood (messages with no
    word at all, such as a sticker or an emoji, are not questions)."""
    questions = [
        (e.get("parse_data") or {}).get("intent", {}).get("name")
        for e in tracker.events if e.get("event") == "user" and is_wordlike(e.get("text") or "")
    ]
    return len(questions) >= 2 and questions[-1] == questions[-2] == "nlu_fallback"
