"""Intents decided by words, inside the NLU pipeline, after the classifier.

* Emergencies: a message that data/sos.yml calls an emergency ("cứu",
  "giúp", "SOS", "có cướp") gets the intent ``sos`` whatever the classifier
  thought, so every channel (Zalo, REST, ``rasa shell``, the HTTP API)
  answers it as one. The Zalo intake server answers before Rasa with the
  same function, ``bot.safety.sos.is_emergency``. The classifier learns
  emergencies told in one's own words too ("nước lên tới gác rồi, hai bà
  cháu ngồi trên mái"); its ``sos`` stands when it is sure enough and the
  message asks nothing, tells no past event (``is_believed``) and names
  no procedure, else the classifier's next intent is taken.
* Crime reports told in one's own words ("nhà tôi bị trộm xe máy tối qua"):
  when the classifier is unsure and the message holds one of the report
  phrases of data/tipoffs.yml, the intent is ``start_tipoff``, so the citizen
  is offered the confidential tip-off intake rather than "not understood".
  A follow-up question's intent ("luật nào", "ở đâu") yields to a report
  phrase however sure, when no procedure is named: there is nothing to
  follow up on ("phòng trọ bên cạnh đêm nào cũng tụ tập hút chích"); so
  does any intent for a crime told that asks and wants nothing ("bị móc túi
  trên xe buýt, mất ví với căn cước").
* A request for a person in so many words (data/handoff.yml
  ``request_phrases``: "bot trả lời sai", "không ai rep", "người thật") is
  ``request_human`` whatever the classifier thought.
* A lone number ("6", "số 6") is no request of its own: it only answers a
  question (the residential group the area officer request asks for:
  actions/handoff.py takes it while that question is open), so it is
  ``nlu_fallback`` whatever the classifier thought (the "tổ 6" examples
  of request_area_officer would otherwise make any number one).
  The same when the classifier takes the story for a question about how to
  report a crime (``security.crime_report``), however sure, if the message
  says nothing of reporting it ("tố giác", "trình báo"): the report phrase
  says a crime is being told, not asked about.
* A procedure named by one of its aliases ("thủ tục tố giác tội phạm như
  thế nào") that the classifier took for small talk or a general question
  (``WORDY_INTENTS``: "what can you do", greetings, the directory) is that
  procedure, when the classifier ranks it at least ``NAMED_AT_LEAST``.
* Another agency's matter taken for a tip-off: when the classifier says
  ``start_tipoff`` for a message that holds no report phrase but names
  another agency's matter in its question ("công ty nợ lương, kiện ở tòa
  nào", "xe khách sắp hết hạn đăng kiểm"), the intent is ``out_of_scope``, so
  the citizen is told which agency handles it. The same for talk to the page
  (``TALK_INTENTS``: the directory, privacy…) that names no procedure
  ("công chứng hợp đồng vay tiền, công an phường làm không").
* A procedure question taken for a tip-off: ``start_tipoff`` from the
  classifier for a message that names a procedure by an alias, or a topic
  beside a procedure question's words (data/tipoffs.yml ``not_report``), and
  does not tell a crime without asking of a procedure, gives way to the
  classifier's next intent ("ngân hàng cần giấy xác nhận chỗ ở").
* A request for a person the classifier barely believes (below
  ``report_unless_confidence``), in a message that names a procedure or a
  topic ("ad oi hoi chut ve gplx"), gives way to the classifier's next intent.
* A tip-off guessed from the shape of a message alone: ``start_tipoff`` from
  the classifier, less sure than ``tipoff_unless_confidence`` of
  data/tipoffs.yml and with no report phrase nor a word asking to send one
  ("gửi tin báo"), gives way to the classifier's next intent ("cúp nước cả
  tuần rồi, gọi ai").

An intent given way to is replaced by the classifier's next one, which must
pass the same bars as a first one: the fallback threshold (else
``nlu_fallback``) and, for ``sos``, ``is_believed``.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.core.content import read_texts
from bot.handoff.texts import settings as handoff_settings
from bot.knowledge.answers import (CRIME_REPORT, AnswerConfig, asks, matter_asked, named_procedures, question_span,
                                   want_words)
from bot.knowledge.store import KnowledgeBase
from bot.knowledge.validate import load_checked
from bot.nlu.text import bare_number, canonical, find_phrase
from bot.safety.sos import is_believed, is_emergency

SOS_INTENT = "sos"
TIPOFF_INTENT = "start_tipoff"
FALLBACK_INTENT = "nlu_fallback"
FALLBACK_THRESHOLD = 0.3  # Rasa's FallbackClassifier's default; config.yml sets both
# the classifier's answers that only say "none of mine": a report phrase wins over them
GUESSES = {"out_of_scope", "nlu_fallback"}
# intents a report phrase never overrides: the citizen asked for something else...
KEPT_INTENTS = {SOS_INTENT, TIPOFF_INTENT, "request_human", "tipoff_status", "cancel", CRIME_REPORT}
# ...except these, when the classifier is unsure of them (a person)...
YIELDING_INTENTS = {"request_human"}
# ...and how to report a crime, however sure, when the message only tells the crime (no word
# about reporting it, "tố giác", "trình báo"): a crime told in one's own words is reported at once
TOLD_INTENTS = {CRIME_REPORT}


@lru_cache(maxsize=1)
def tipoff_settings() -> Dict[str, Any]:
    return read_texts("tipoffs.yml")


def is_crime_report(text: str, intent: str, confidence: float) -> bool:
    s = tipoff_settings()
    # the cheap checks first: this runs on every message, and few hold a report phrase
    if find_phrase(text, s["report_phrases"]) is None or find_phrase(text, s["not_report"]) is not None:
        return False
    unsure_kept = intent in YIELDING_INTENTS and confidence < s["report_unless_confidence"]
    told = intent in TOLD_INTENTS and find_phrase(text, s["intake_phrases"]) is None
    if intent in KEPT_INTENTS and not (unsure_kept or told):
        return False
    kb, config = knowledge_base(), answer_config()
    if intent == "out_of_scope" and crime_only_in_story(config, text, s["report_phrases"]):
        return False
    if confidence < s["report_unless_confidence"] or intent in GUESSES or told:
        return True
    if config.aspect_of_intent(intent) is not None and not named_procedures(kb, text):
        return True  # a follow-up ("lệ phí bao nhiêu", "luật nào") with no procedure named follows up on nothing
    # a crime told that asks nothing and wants nothing ("bị móc túi trên xe buýt, mất ví với căn cước")
    return ("?" not in text and not asks(text) and not want_words(text)
            and not named_procedures(kb, config.expand(text)))


def crime_only_in_story(config: AnswerConfig, text: str, report_phrases: List[str]) -> bool:
    """Whether the question asks about another agency's matter while the crime
    is told only before it, in the story ("bị móc túi mất hộ chiếu ở Kuala
    Lumpur. Giờ xin giấy tờ về nước ở đâu"; "trình báo rồi … giờ kiện ở tòa
    nào"): not a tip-off when the classifier too says not ours."""
    expanded = config.expand(text)
    start, end = question_span(expanded)
    return matter_asked(config, expanded) and find_phrase(canonical(expanded)[start:end], report_phrases) is None


@lru_cache(maxsize=1)
def answer_config() -> AnswerConfig:
    return AnswerConfig.load()


@lru_cache(maxsize=1)
def knowledge_base() -> KnowledgeBase:
    return load_checked()


# general intents whose words a procedure question shares ("thủ tục… như thế nào")
WORDY_INTENTS = {"ask_capabilities", "ask_directory", "greet", "thank", "bot_challenge", "ask_announcements"}
NAMED_AT_LEAST = 0.1


def named_procedure_taken_for_talk(message: Message, intent: str) -> Optional[str]:
    """The procedure a message names by an alias, when the classifier took it
    for a general intent but still ranks that procedure."""
    if intent not in WORDY_INTENTS:
        return None
    names = {n[0] for n in named_procedures(knowledge_base(), answer_config().expand(message.get(TEXT) or ""))}
    ranking = {r.get(INTENT_NAME_KEY): r.get(PREDICTED_CONFIDENCE_KEY) or 0.0
               for r in message.get(INTENT_RANKING_KEY) or []}
    if len(names) != 1:
        return None
    procedure = next(iter(names))
    return procedure if ranking.get(procedure, 0.0) >= NAMED_AT_LEAST else None


# intents that only talk to the page (what it does, its directory, privacy): they hold no matter of their own
TALK_INTENTS = WORDY_INTENTS | {"ask_privacy", "ask_unit_pages"}


# intents that already hand the chat to a person, or that a person's words must not override
PERSON_INTENTS = {SOS_INTENT, TIPOFF_INTENT, "request_human", "request_area_officer", "cancel", "tipoff_status"}


def is_request_for_person(text: str, intent: str) -> bool:
    """A complaint that the bot answered wrong, that nobody answers, or a
    real person asked for (data/handoff.yml ``request_phrases``), whatever
    the classifier thought ("tôi hỏi căn cước mà trả lời về đăng ký xe là
    sao")."""
    # abbreviations spelled out: "ko phải cái tôi hỏi" is "không phải cái tôi hỏi"
    return (intent not in PERSON_INTENTS
            and find_phrase(answer_config().expand(text), handoff_settings()["request_phrases"]) is not None)


def is_other_agency_matter(text: str, intent: str) -> bool:
    """A story the classifier took for a tip-off, with no report phrase, or
    for talk to the page, naming no procedure, that asks about another
    agency's matter ("công chứng hợp đồng vay tiền, công an phường làm không")."""
    s = tipoff_settings()
    if intent == TIPOFF_INTENT:
        if find_phrase(text, s["report_phrases"] + s["intake_phrases"]) is not None:
            return False
    elif intent not in TALK_INTENTS:
        return False
    config = answer_config()
    expanded = config.expand(text)
    return matter_asked(config, expanded) and (intent == TIPOFF_INTENT or not named_procedures(knowledge_base(), expanded))


def is_procedure_taken_for_tipoff(text: str, intent: str) -> bool:
    """A story the classifier took for a tip-off that asks about a procedure:
    one named by an alias ("ngân hàng cần giấy xác nhận chỗ ở"), or a
    topic named beside words of a procedure question ("bị giựt túi, đã
    trình báo rồi, giờ làm lại cái thẻ căn cước"); unless it tells a crime
    (a report phrase) or asks to send a tip-off, and asks nothing of a procedure."""
    s = tipoff_settings()
    if intent != TIPOFF_INTENT:
        return False
    asks_procedure = find_phrase(text, s["not_report"]) is not None
    if not asks_procedure and find_phrase(text, s["report_phrases"] + s["intake_phrases"]) is not None:
        return False
    kb, expanded = knowledge_base(), answer_config().expand(text)
    return bool(named_procedures(kb, expanded)) or (
        asks_procedure and any(find_phrase(expanded, t.names) for t in kb.topics.values()))


def is_unsure_request_for_person(text: str, intent: str, confidence: float) -> bool:
    """A request for a person the classifier barely believes, in a message
    that names a procedure or a topic ("ad oi hoi chut ve gplx"): the
    procedure question it more likely is."""
    if intent not in YIELDING_INTENTS or confidence >= tipoff_settings()["report_unless_confidence"]:
        return False
    kb, expanded = knowledge_base(), answer_config().expand(text)
    return bool(named_procedures(kb, expanded)) or any(find_phrase(expanded, t.names) for t in kb.topics.values())


def is_unsure_tipoff(text: str, intent: str, confidence: float) -> bool:
    s = tipoff_settings()
    return (intent == TIPOFF_INTENT and confidence < s["tipoff_unless_confidence"]
            and find_phrase(text, s["report_phrases"] + s["intake_phrases"]) is None)


def drop_intent(message: Message, name: str, fallback_threshold: float) -> None:
    """The classifier's next intent, at its own confidence, instead of ``name``;
    ``nlu_fallback`` when it is less sure of that one than the fallback
    threshold, as Rasa's FallbackClassifier does for the first (a guess that
    it is none of ours, ``out_of_scope``, stands: it claims nothing)."""
    ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get(INTENT_NAME_KEY) != name]
    if not ranking:
        return
    if (ranking[0].get(INTENT_NAME_KEY) not in GUESSES
            and (ranking[0].get(PREDICTED_CONFIDENCE_KEY) or 0.0) < fallback_threshold):
        ranking.insert(0, {INTENT_NAME_KEY: FALLBACK_INTENT, PREDICTED_CONFIDENCE_KEY: fallback_threshold})
    message.set(INTENT, dict(ranking[0]), add_to_output=True)
    message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)


def promote(message: Message, name: str) -> None:
    """``name``, at the classifier's own confidence, first."""
    ranking = message.get(INTENT_RANKING_KEY) or []
    chosen = next(r for r in ranking if r.get(INTENT_NAME_KEY) == name)
    message.set(INTENT, dict(chosen), add_to_output=True)
    message.set(INTENT_RANKING_KEY, [chosen] + [r for r in ranking if r is not chosen], add_to_output=True)


def set_intent(message: Message, name: str) -> None:
    chosen = {INTENT_NAME_KEY: name, PREDICTED_CONFIDENCE_KEY: 1.0}
    ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get(INTENT_NAME_KEY) != name]
    message.set(INTENT, chosen, add_to_output=True)
    message.set(INTENT_RANKING_KEY, [chosen] + ranking, add_to_output=True)


def is_unbelieved_emergency(message: Message) -> bool:
    """The classifier's ``sos`` (for a message with no emergency phrase) not to
    be believed: a question, a past event, a procedure named, or the
    classifier unsure (``bot.safety.sos.is_believed``)."""
    intent, text = message.get(INTENT) or {}, message.get(TEXT) or ""
    return (intent.get(INTENT_NAME_KEY) == SOS_INTENT
            and (not is_believed(text, intent.get(PREDICTED_CONFIDENCE_KEY) or 0.0)
                 or bool(named_procedures(knowledge_base(), answer_config().expand(text)))))


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class IntentRules(GraphComponent):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"fallback_threshold": FALLBACK_THRESHOLD}

    def __init__(self, fallback_threshold: float = FALLBACK_THRESHOLD) -> None:
        self.fallback_threshold = fallback_threshold

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "IntentRules":
        return cls(config["fallback_threshold"])

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            if is_emergency(message.get(TEXT) or ""):
                set_intent(message, SOS_INTENT)
                continue
            self._drop_unbelieved_emergency(message)
            self._decide(message)
            self._drop_unbelieved_emergency(message)  # the intent a rule fell back to
        return messages

    def _drop_unbelieved_emergency(self, message: Message) -> None:
        if is_unbelieved_emergency(message):
            drop_intent(message, SOS_INTENT, self.fallback_threshold)

    def _decide(self, message: Message) -> None:
        """The rules after the emergency phrases, on the intent left by the classifier."""
        text, threshold = message.get(TEXT) or "", self.fallback_threshold
        intent = message.get(INTENT) or {}
        if bare_number(text) is not None:
            set_intent(message, FALLBACK_INTENT)
        elif is_crime_report(text, intent.get(INTENT_NAME_KEY) or "", intent.get(PREDICTED_CONFIDENCE_KEY) or 0.0):
            set_intent(message, TIPOFF_INTENT)
        elif is_request_for_person(text, intent.get(INTENT_NAME_KEY) or ""):
            set_intent(message, "request_human")
        elif (named := named_procedure_taken_for_talk(message, intent.get(INTENT_NAME_KEY) or "")) is not None:
            promote(message, named)
        elif is_other_agency_matter(text, intent.get(INTENT_NAME_KEY) or ""):
            set_intent(message, "out_of_scope")
        elif is_unsure_request_for_person(text, intent.get(INTENT_NAME_KEY) or "",
                                          intent.get(PREDICTED_CONFIDENCE_KEY) or 0.0):
            drop_intent(message, "request_human", threshold)
        elif (is_unsure_tipoff(text, intent.get(INTENT_NAME_KEY) or "", intent.get(PREDICTED_CONFIDENCE_KEY) or 0.0)
              or is_procedure_taken_for_tipoff(text, intent.get(INTENT_NAME_KEY) or "")):
            drop_intent(message, TIPOFF_INTENT, threshold)
