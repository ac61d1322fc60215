"""What the officer console shows for the assistant's ids: a button tap
("/ask_fee") as "(bấm nút) Lệ phí", a procedure by its name in the knowledge
base, an aspect, intent or slot by its Vietnamese label, a shared location
as "📍 Vị trí (HH:MM)" with its map link, a file or image (sent by the
citizen from Zalo, or by the assistant) as "📎 <name>" / "🖼 Ảnh" with its
link, the buttons under a bot message, and a citizen by name or as "Công
dân 4F2A". The labels: data/console/labels.yml."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from functools import lru_cache
from typing import Any, Dict, List, Optional

from bot.core.content import read
from bot.core.web import VIETNAM, https_only, map_link, web_link
from bot.knowledge.store import KnowledgeBase

NAME_FIELDS = ("display_name", "name")  # where a conversation may carry the citizen's name (Zalo's display name)


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


def attachment(kind: str, url: Any = None, name: Any = None, thumbnail: Any = None) -> Dict[str, Optional[str]]:
    """A file or image as the console shows it: {"kind", "text", "url", "thumbnail"}. The link only if it is
    http(s), the thumbnail only if https (the console's pages load nothing else: bot/core/web_headers.py)."""
    media = labels()["media"]
    name = " ".join(str(name or "").split()) or labels()["file_unnamed"]
    text = media.get(kind, media["other"]).format(name=name)
    if kind == "sticker":  # a sticker is a picture of a feeling: its label says enough
        url = thumbnail = None
    return {"kind": kind if kind in media else "other", "text": text, "url": web_link(url),
            "thumbnail": https_only(thumbnail) if kind in ("image", "gif") else None}


def citizen_attachments(event: Dict[str, Any]) -> List[Dict[str, Optional[str]]]:
    """What a citizen sent from Zalo other than text, from the attachments the
    Zalo channel keeps in the message's metadata (channels/zalo.py); without
    them (another channel), from the kind the message's payload names."""
    text = event.get("text") or ""
    items = (event.get("metadata") or {}).get("attachments")
    shown = []
    for item in items if isinstance(items, list) else []:
        item = item if isinstance(item, dict) else {}
        payload = item.get("payload") if isinstance(item.get("payload"), dict) else {}
        kind = str(item.get("type") or "other")
        if kind == "location":
            continue  # read as a location, with its map (location())
        shown.append(attachment(kind, payload.get("url"), payload.get("name") or payload.get("description"),
                                payload.get("thumbnail") or payload.get("url")))
    if not shown and text.startswith("/send_media"):
        try:
            kind = str(json.loads(text[len("/send_media"):])["media_type"])
        except (ValueError, KeyError, TypeError):
            kind = "other"
        shown.append(attachment(kind))
    return shown


def citizen_message(event: Dict[str, Any], kb: KnowledgeBase) -> Dict[str, Any]:
    """What the citizen sent, as an officer reads it: {"text", "link",
    "attachments"} (link: a map, or None; attachments: what attachment() gives)."""
    metadata = event.get("metadata") or {}
    if metadata.get("sos_text"):
        return {"text": f"SOS: {metadata['sos_text']}", "link": None, "attachments": []}
    shared = location(event)
    if shared:
        return {**shared, "attachments": []}
    text = event.get("text") or ""
    if text.startswith("/send_media"):  # an image, a file, a sticker ... from Zalo, with its caption
        caption = metadata.get("caption")
        return {"text": caption if isinstance(caption, str) else "", "link": None,
                "attachments": citizen_attachments(event)}
    if text.startswith("/"):  # a button's payload: "/ask_fee", "/id_card.first_issue"
        intent = text[1:].split("{", 1)[0].strip()
        return {"text": labels()["button"].format(label=intent_label(intent, kb)), "link": None, "attachments": []}
    return {"text": text, "link": None, "attachments": []}


def citizen_preview(event: Dict[str, Any], kb: KnowledgeBase) -> Dict[str, Optional[str]]:
    """A citizen's message in one line (the queue): {"text", "link"}; "🖼 Ảnh: <caption>" for an image."""
    said = citizen_message(event, kb)
    sent = ", ".join(a["text"] for a in said["attachments"])
    text = f"{sent}: {said['text']}" if sent and said["text"] else sent or said["text"]
    return {"text": text, "link": said["link"]}


def bot_extras(event: Dict[str, Any]) -> Dict[str, List[Any]]:
    """What a bot message carries besides its text: {"attachments" (a form
    file: bot/knowledge/answers.py form_attachments; an image), "buttons"
    (their titles, as the citizen saw them)}."""
    data = event.get("data") if isinstance(event.get("data"), dict) else {}
    custom = data.get("custom") if isinstance(data.get("custom"), dict) else {}
    file = custom.get("file") if isinstance(custom.get("file"), dict) else None
    shown = [attachment("file", file.get("url"), file.get("title") or file.get("name"))] if file else []
    if isinstance(data.get("image"), str) and data["image"]:
        shown.append(attachment("image", data["image"], thumbnail=data["image"]))
    buttons = [*(data.get("buttons") or []), *(data.get("quick_replies") or [])]
    titles = [" ".join(str(b.get("title")).split()) for b in buttons if isinstance(b, dict) and b.get("title")]
    return {"attachments": shown, "buttons": titles}


def citizen_name(tracker: Dict[str, Any]) -> Optional[str]:
    """The citizen's name if the conversation carries one (``NAME_FIELDS`` in
    a message's metadata, newest first, in the session's metadata or as a slot)."""
    slots = tracker.get("slots") if isinstance(tracker.get("slots"), dict) else {}
    sources = [e.get("metadata") for e in reversed(tracker.get("events") or []) if e.get("event") == "user"]
    for source in [*sources, slots.get("session_started_metadata"), slots]:
        for field in NAME_FIELDS if isinstance(source, dict) else ():
            value = source.get(field)
            if isinstance(value, str) and value.strip():
                return " ".join(value.split())[:80]
    return None


def citizen(conversation_id: str, name: Optional[str] = None) -> str:
    """How the console names a citizen: by name when known, else "Công dân
    4F2A": the first 16 bits of the SHA-256 of the conversation id. The same
    citizen gets the same label every time; two citizens among the few dozen
    open chats of a unit rarely share one. 16 bits of hash give no Zalo id
    back (an OA's own number for a user, some 19 digits: each label stands
    for about 10^14 of them), and one who already holds an id learns from
    the label at best a 1-in-65536 hint, while the officer reads the chat
    anyway. A longer hash would be a pseudonym that anyone holding the id
    could confirm: it would need a server-side key."""
    if name:
        return name
    code = hashlib.sha256(f"citizen:{conversation_id}".encode("utf-8")).hexdigest()[:4].upper()
    return labels()["citizen"].format(code=code)
