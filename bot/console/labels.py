"""What the officer console shows for the assistant's ids: a button tap
("/ask_fee") as "(bấm nút) Lệ phí", a procedure by its name in the knowledge
base, an aspect, intent or slot by its Vietnamese label, a shared location
as "📍 Vị trí (HH:MM)" with its map link. The labels: data/console/labels.yml."""

from __future__ import annotations

import json
from datetime import datetime
from functools import lru_cache
from typing import Any, Dict, Optional

from bot.core.content import read
from bot.core.web import VIETNAM, map_link
from bot.knowledge.store import KnowledgeBase


@lru_cache(maxsize=1)
def labels() -> Dict[str, Any]:
    return read("console/labels.yml")


def clock(timestamp: Optional[float]) -> str:
    try:
        return datetime.fromtimestamp(float(timestamp), VIETNAM).strftime("%H:%M")
    except (TypeError, ValueError, OverflowError, OSError):
        return ""


def aspect_label(aspect: Optional[str]) -> Optional[str]:
    return labels()["aspects"].get(aspect, aspect) if aspect else aspect


def intent_label(intent: Optional[str], kb: KnowledgeBase) -> Optional[str]:
    """An intent as an officer says it: a procedure's name, an aspect, a topic, or its label."""
    if not intent:
        return intent
    names = labels()
    if intent in names["not_understood_intents"]:
        return names["not_understood"]
    if intent in names["aspect_intents"]:
        return aspect_label(names["aspect_intents"][intent])
    if intent in kb.procedures:
        return kb.procedures[intent].name
    topic = kb.topic_for_intent(intent) or kb.topics.get(intent)
    if topic is not None:
        return topic.names[0] if topic.names else topic.question
    return names["intents"].get(intent, intent)


def slot_label(slot: str) -> str:
    return labels()["slots"].get(slot, slot)


def location(event: Dict[str, Any]) -> Optional[Dict[str, str]]:
    """A shared location in a citizen's message: its text and map link; None if it is not one."""
    entities = {e.get("entity"): e.get("value") for e in (event.get("parse_data") or {}).get("entities") or []}
    latitude, longitude = entities.get("latitude"), entities.get("longitude")
    text = event.get("text") or ""
    if (latitude is None or longitude is None) and text.startswith("/share_location"):
        try:
            shared = json.loads(text[len("/share_location"):])
            latitude, longitude = shared["latitude"], shared["longitude"]
        except (ValueError, KeyError, TypeError):
            return None
    if latitude is None or longitude is None:
        return None
    try:
        latitude, longitude = float(latitude), float(longitude)
    except (TypeError, ValueError):
        return None
    return {"text": labels()["location"].format(time=clock(event.get("timestamp"))),
            "link": map_link(latitude, longitude)}


def citizen_message(event: Dict[str, Any], kb: KnowledgeBase) -> Dict[str, Optional[str]]:
    """What the citizen sent, as an officer reads it: {"text", "link"} (link: a map, or None)."""
    metadata = event.get("metadata") or {}
    if metadata.get("sos_text"):
        return {"text": f"SOS: {metadata['sos_text']}", "link": None}
    shared = location(event)
    if shared:
        return shared
    text = event.get("text") or ""
    if text.startswith("/"):  # a button's payload: "/ask_fee", "/id_card.first_issue", "/share_location{...}"
        intent = text[1:].split("{", 1)[0].strip()
        return {"text": labels()["button"].format(label=intent_label(intent, kb)), "link": None}
    return {"text": text, "link": None}
