"""Zalo webhook events: who they are between, how a redelivery is known,
and what Rasa receives for each (Zalo's documented shapes; any field of any
type must not crash the channel)."""

from __future__ import annotations

import json
import math
from typing import Any, Dict, Optional

MEDIA_EVENTS = {
    "user_send_image": "image", "user_send_gif": "image", "user_send_file": "file",
    "user_send_sticker": "sticker", "user_send_audio": "audio", "user_send_video": "video",
    "user_send_link": "link", "user_send_business_card": "business_card",
}


def json_object(value: Any) -> Dict[str, Any]:
    """A JSON object of the event; {} for anything else (a field of any type must not crash the channel)."""
    return value if isinstance(value, dict) else {}


def event_parties(payload: Dict[str, Any]) -> tuple:
    """(oa_id, user_id) of a webhook event, whatever its shape."""
    event = str(payload.get("event_name", ""))
    sender = json_object(payload.get("sender")).get("id")
    recipient = json_object(payload.get("recipient")).get("id")
    if event in ("follow", "unfollow"):
        return payload.get("oa_id"), json_object(payload.get("follower")).get("id")
    if event.startswith("oa_send_"):
        return sender, recipient
    return recipient, sender


def dedup_key(payload: Dict[str, Any], user_id: Optional[str]) -> str:
    msg_id = json_object(payload.get("message")).get("msg_id")
    if msg_id:
        return f"msg:{msg_id}"
    return f"{payload.get('event_name')}:{user_id}:{payload.get('timestamp')}"


def rasa_text(event: str, message: Dict[str, Any]) -> Optional[str]:
    """What Rasa receives for an event: the text, or an intent payload."""
    if event == "user_send_text":
        return str(message.get("text") or "")
    if event == "user_send_location":
        attachments = message.get("attachments")
        for attachment in attachments if isinstance(attachments, list) else []:
            coordinates = json_object(json_object(json_object(attachment).get("payload")).get("coordinates"))
            try:
                location = {"latitude": float(coordinates["latitude"]), "longitude": float(coordinates["longitude"])}
            except (KeyError, TypeError, ValueError, OverflowError):
                continue  # no usable coordinates
            if math.isfinite(location["latitude"]) and math.isfinite(location["longitude"]):  # NaN is not JSON
                return "/share_location" + json.dumps(location)
        return "/send_media" + json.dumps({"media_type": "location"})
    if event in MEDIA_EVENTS:
        return "/send_media" + json.dumps({"media_type": MEDIA_EVENTS[event]})
    if event == "follow":
        return "/follow"
    return None
