"""Keeping what the assistant did not serve (bot/review/store.py), from the
custom actions that answer (actions/procedures.py, actions/handoff.py).

``record`` keeps one message, masked; it never fails the citizen's answer
(a failed write is logged). ``observe`` looks at the turn an action is
answering, with the conversation's recent events, and records what it shows:

- the message itself, when the action did not serve it (not understood,
  another agency's, answered with low confidence): ``unserved=`` kind;
- a question back with buttons (which procedure?) followed by something
  else than one of its choices: the question that was asked back;
- an answer followed, within two turns, by a complaint ("sai rồi",
  data/review.yml) or a request for an officer: the question that got it;
- after "Chưa đúng" under an answer (actions/feedback.py, which keeps the
  question that got it): the message saying what the citizen wanted.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Dict, List, Optional

from bot.nlu.text import find_phrase
from bot.review.grouping import group_key
from bot.review.masking import mask
from bot.review.settings import settings
from bot.review.store import UnservedStore

logger = logging.getLogger(__name__)

# a button naming a procedure or topic ("/id_card.reissue"): a question back offers only these
_CHOICE = re.compile(r"^/[a-z_]+\.[a-z_]+$")
FEEDBACK_WRONG = "feedback_wrong"  # the "Chưa đúng" button's intent
COMPLAINT_WINDOW = 2  # an answer this many turns back or fewer is what a complaint is about

_store: Optional[UnservedStore] = None


def store() -> UnservedStore:
    global _store
    if _store is None:
        _store = UnservedStore()
    return _store


def record(kind: str, conversation_id: str, unit: str, text: str, guess: Optional[str] = None,
           agency: Optional[str] = None, confidence: Optional[float] = None) -> Optional[int]:
    """Keep a message that was not served (masked); its row id, or None if
    it was kept already, has no words, or could not be written (logged)."""
    try:
        masked = mask(text or "").strip()
        key = group_key(masked)
        if not key or masked.startswith("/"):
            return None  # a sticker, an emoji, a button's payload: nothing to learn from
        return store().add(conversation_id, unit, masked, key, kind, guess=guess, agency=agency,
                           confidence=None if confidence is None else float(confidence))
    except Exception:  # the citizen's answer goes out whatever happens here
        logger.exception("could not keep an unserved message (%s) of %s", kind, conversation_id)
        return None


def _turns(events: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The conversation's turns: each user message with what the bot did
    after it (its messages, the procedure it answered about)."""
    turns: List[Dict[str, Any]] = []
    for event in events:
        kind = event.get("event")
        if kind == "user":
            parse = event.get("parse_data") or {}
            turns.append({"text": event.get("text") or "", "intent": (parse.get("intent") or {}).get("name"),
                          "bot": [], "answered": None})
        elif not turns:
            continue
        elif kind == "bot":
            turns[-1]["bot"].append(event)
        elif kind == "slot" and event.get("name") == "procedure" and event.get("value"):
            turns[-1]["answered"] = event.get("value")
    return turns


def _choices(turn: Dict[str, Any]) -> List[str]:
    """The procedures a question back of this turn offered (none if it was no question back)."""
    for message in turn["bot"]:
        buttons = ((message.get("data") or {}).get("buttons") or [])
        payloads = [str(b.get("payload") or "") for b in buttons]
        if len(payloads) >= 2 and all(_CHOICE.match(p) for p in payloads):
            return [p[1:] for p in payloads]
    return []


def _question(turns: List[Dict[str, Any]], index: int) -> Optional[Dict[str, Any]]:
    """The typed question behind turn ``index``: itself, or, if it was a
    button, the nearest typed message before it."""
    for turn in reversed(turns[:index + 1]):
        if not turn["text"].startswith("/"):
            return turn
    return None


def is_complaint(text: str) -> bool:
    config = settings()
    return (len(text.split()) <= config["complaint_max_words"]
            and find_phrase(text, config["complaints"]) is not None)


def observe(tracker: Any, unit: str, answered: Optional[str] = None, unserved: Optional[str] = None,
            guess: Optional[str] = None, agency: Optional[str] = None,
            confidence: Optional[float] = None) -> None:
    """Record what this turn shows was not served (see the module's doc).
    ``answered``: the procedure the action answered about now; ``unserved``:
    the kind of the current message, if the action did not serve it. Never raises."""
    try:
        conversation = tracker.sender_id
        turns = _turns(tracker.events)
        if not turns:
            return
        current, before = turns[-1], turns[:-1]
        text = (tracker.latest_message or {}).get("text") or current["text"]
        if before:
            options = _choices(before[-1])
            chosen = text.strip().lstrip("/") in options or answered in options
            if options and not chosen:
                asked = _question(before, len(before) - 1)
                if asked is not None:
                    record("clarification_ignored", conversation, unit, asked["text"], guess=options[0])
        complaint = is_complaint(text)
        officer = ((tracker.latest_message or {}).get("intent") or {}).get("name") == "request_human"
        if before and before[-1]["intent"] == FEEDBACK_WRONG and not officer:  # what the citizen wanted
            wrong = next((t["answered"] for t in reversed(before[:-1]) if t["answered"]), None)
            record("marked_wrong", conversation, unit, text, guess=wrong)
        if complaint or officer:
            for index in range(len(before) - 1, max(len(before) - 1 - COMPLAINT_WINDOW, -1), -1):
                if before[index]["answered"]:
                    asked = _question(before, index)
                    if asked is not None:
                        record("complaint" if complaint else "officer_after_answer", conversation, unit,
                               asked["text"], guess=before[index]["answered"])
                    break
        if unserved and not complaint:
            record(unserved, conversation, unit, text, guess=guess, agency=agency, confidence=confidence)
    except Exception:
        logger.exception("could not look for unserved messages in %s", getattr(tracker, "sender_id", "?"))
