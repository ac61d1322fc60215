"""The answer to "tin mới", "thông báo mới nhất": the newest published
announcements for the citizen's unit or a unit above it (a district
announcement reaches its wards), newest first."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any, Dict, List, Optional

from bot.announcements.publish import image_url
from bot.announcements.store import AnnouncementStore
from bot.core.split_text import split_text
from bot.core.units import Units, load_units
from bot.core.web import VIETNAM

NEWEST = 3


def date_of(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, VIETNAM).strftime("%d/%m/%Y")


def latest_messages(unit_id: str, store: Optional[AnnouncementStore] = None,
                    units: Optional[Units] = None, limit: int = NEWEST) -> List[Dict[str, Any]]:
    """Chat messages ({"text": …} or {"image": url}) listing the newest announcements."""
    units = units or load_units()
    chain = units.above(units.get(unit_id).id)
    found = (store or AnnouncementStore()).published_for(set(chain), limit=limit)
    if not found:
        return [{"text": f"Hiện {units.get(chain[0]).name} chưa có thông báo mới nào. "
                         "Khi có thông báo, bạn có thể nhắn \"tin mới\" để xem."}]
    heading = "Thông báo mới nhất" if len(found) == 1 else f"{len(found)} thông báo mới nhất"
    messages: List[Dict[str, Any]] = [{"text": f"{heading}:"}]
    for announcement in found:
        source = next(u for u in chain if u in announcement["target_units"])
        when = date_of(announcement["published_at"] or time.time())
        text = f"{announcement['title']}\n{units.get(source).name}, ngày {when}\n\n{announcement['body']}"
        messages += [{"text": chunk} for chunk in split_text(text)]
        if announcement["has_image"]:
            messages.append({"image": image_url(announcement["id"])})
    return messages
