"""Rasa responses -> bodies of Zalo consultation messages (``/v3.0/oa/message/cs``).

Each function returns outbox items: ``{"type": "message", "message": {...}}``
is sent as it is; ``{"type": "file", ...}`` is uploaded first, just before
sending (upload tokens expire).
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Tuple

from bot.core.split_text import split_text

MAX_BUTTONS = 5
MAX_BUTTON_TITLE = 35  # not published by Zalo; community code uses 20-35


def text_items(text: str) -> List[Dict[str, Any]]:
    return [{"type": "message", "message": {"text": chunk}} for chunk in split_text(text)]


def zalo_button(button: Dict[str, Any]) -> Dict[str, Any]:
    title = str(button.get("title", ""))
    if len(title) > MAX_BUTTON_TITLE:
        title = title[: MAX_BUTTON_TITLE - 1] + "…"
    payload = str(button.get("payload", ""))
    if payload.startswith("tel:"):
        return {"title": title, "type": "oa.open.phone", "payload": {"phone_code": re.sub(r"[^\d+]", "", payload[4:])}}
    if payload.startswith(("http://", "https://")):
        return {"title": title, "type": "oa.open.url", "payload": {"url": payload}}
    return {"title": title, "type": "oa.query.hide", "payload": payload}


def button_items(text: str, buttons: List[Dict[str, Any]]) -> Tuple[List[Dict[str, Any]], Optional[List[str]]]:
    """Items for a text with buttons, and the payloads of a numbered menu
    (when there are more buttons than Zalo shows, they become a numbered
    list the citizen answers by number)."""
    if len(buttons) > MAX_BUTTONS:
        lines = [f"{i}. {b.get('title', '')}" for i, b in enumerate(buttons, start=1)]
        menu = "\n".join(lines) + "\nBạn hãy nhắn số thứ tự để chọn."
        return text_items(f"{text}\n\n{menu}" if text else menu), [str(b.get("payload", "")) for b in buttons]
    chunks = split_text(text) or [""]
    items = [{"type": "message", "message": {"text": chunk}} for chunk in chunks[:-1]]
    last: Dict[str, Any] = {"attachment": {"type": "template", "payload": {"buttons": [zalo_button(b) for b in buttons]}}}
    if chunks[-1]:
        last["text"] = chunks[-1]
    items.append({"type": "message", "message": last})
    return items, None


def image_item(url: str) -> Dict[str, Any]:
    return {"type": "message", "message": {"attachment": {"type": "template", "payload": {
        "template_type": "media", "elements": [{"media_type": "image", "url": url}]}}}}


def file_item(url: str, name: str) -> Dict[str, Any]:
    return {"type": "file", "url": url, "name": name}
