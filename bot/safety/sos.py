"""Emergency messages: recognised by words alone (data/sos.yml), so the answer
never waits for, or depends on, the language model."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Dict, List, Tuple

from bot.core.content import read_texts
from bot.core.units import Unit
from bot.nlu.telex import untelex
from bot.nlu.text import canonical, find_phrase, find_phrases

_STRETCHED = re.compile(r"(\w)\1{2,}")


@lru_cache(maxsize=1)
def settings() -> Dict[str, Any]:
    return read_texts("sos.yml")


def is_emergency(text: str) -> bool:
    # "cuwus", typed with the keyboard off; "cứuuuu" in panic: letters held down are read as one, or as the
    # two of a Telex key ("oo")
    typed = untelex(text)
    return any(_is_emergency(variant) for variant in dict.fromkeys(
        [_STRETCHED.sub(r"\1\1", typed), _STRETCHED.sub(r"\1", typed)]))


def _is_emergency(text: str) -> bool:
    s = settings()
    words = len(canonical(text).split())
    if words == 0 or find_phrase(_without(text, s["lost_phrases"]), s["not_emergency"]):
        return False
    # an event told as past ("bị cướp điện thoại hôm qua") is a report, not an emergency
    danger = find_phrase(text, s["emergency_phrases"]) is not None and not find_phrase(text, s["past_phrases"])
    if danger and words <= s["max_words"]:
        return True
    if danger and words <= s["urgent_max_words"] and find_phrase(text, s["urgent_phrases"] + s["present_phrases"]):
        return True
    # a plea this short, unless it tells a past event ("trộm hôm qua")
    return (words <= s["help_max_words"] and find_phrase(text, s["help_phrases"]) is not None
            and not find_phrase(text, s["past_phrases"]))


def is_believed(text: str, confidence: float) -> bool:
    """The classifier's word that a message is an emergency, taken when it is
    sure enough and the message asks nothing and tells no past event."""
    s = settings()
    return (confidence >= s["model_at_least"] and "?" not in text
            and not find_phrase(_without(text, s["lost_phrases"]), s["not_emergency"] + s["model_questions"])
            and not find_phrase(text, s["past_phrases"]))


def _without(text: str, phrases: List[str]) -> str:
    """The text (canonical) with the phrases found in it blanked out."""
    message = canonical(text)
    for start, end, _ in find_phrases(message, phrases):  # blanked, not cut: the places stay
        message = message[:start] + " " * (end - start) + message[end:]
    return message


def reply(unit: Unit) -> Tuple[str, List[Dict[str, str]]]:
    """The emergency answer for a unit: text and call buttons."""
    s = settings()
    buttons = [{"title": s["buttons"]["duty"], "payload": f"tel:{unit.duty_phone}"}]
    buttons += [{"title": b["title"], "payload": f"tel:{b['phone']}"} for b in s["buttons"]["national"]]
    return s["reply"].format(unit=unit.name, phone=unit.duty_phone), buttons
