"""Publishing an approved announcement to citizens on Zalo.

Why consultation messages and not Zalo's broadcast: the broadcast endpoint
(``POST /v2.0/oa/message``, "tin truyền thông") only sends an *Article*
created beforehand through Zalo's Article API (``media_type: "article"``);
it cannot send a text or an image, and this project neither creates Articles
nor can test that API against the simulator. So an announcement goes out as
ordinary consultation messages (``/v3.0/oa/message/cs``), one citizen at a
time, through the persisted outbox, and obeys their rule: Zalo only accepts
them for a user who interacted with the OA within the last 7 days (else
error -230).

Who gets it: every citizen known to an OA whose unit is one of the target
units or below one (a district announcement reaches the wards' OAs), who
has not unfollowed the OA. That is followers, and citizens who wrote to the
OA without our knowing whether they follow it (Zalo's message webhooks do
not say). Those whose last interaction is within 7 days at the planned send
time get the text (title and body, split at 2,000 characters) and the image
if there is one; the others get a delivery record "không liên hệ được: quá 7
ngày không tương tác" and Zalo is not called for them.

Sending: the messages are queued in the Zalo outbox (ZaloStore.enqueue), in the same transaction that
marks the announcement published (so publishing twice never sends twice, and
a crash leaves either everything queued or nothing); the outbox sweeper of
the Rasa process sends them (token refresh, retries, -230 → "undeliverable").
Their first attempts are spread out at SEND_RATE messages a second, well
under Zalo's 4,000 requests a minute per app, so that chat replies to other
citizens keep flowing while a large announcement goes out (the outbox keeps
each citizen's messages in order: one who writes before their copy's turn
gets the answer right after it).
"""

from __future__ import annotations

import json
import logging
import os
import time
from typing import Any, Dict, List, Optional, Set

from sqlalchemy import and_, insert, update
from sqlalchemy.engine import Engine

from bot.announcements.store import AnnouncementStore, announcements, deliveries
from bot.core import db
from bot.core.audit import AuditLog
from bot.core.units import Units, load_units
from bot.core.web import public_url
from bot.zalo.accounts import ConfigurationError, Registry
from bot.zalo.messages import image_item, text_items
from bot.zalo.store import ZaloStore
from bot.zalo.window import WINDOW_SECONDS  # consultation messages: last interaction within 7 days

logger = logging.getLogger(__name__)

SEND_RATE = 40.0  # outbox messages a second (Zalo allows 4,000 requests a minute per app)
UNREACHABLE_NOTE = "không liên hệ được: quá 7 ngày không tương tác"


def image_url(announcement_id: int) -> str:
    return f"{public_url()}/announcements/{announcement_id}/image"


def message_text(announcement: Dict[str, Any]) -> str:
    return f"{announcement['title']}\n\n{announcement['body']}"


def message_items(announcement: Dict[str, Any]) -> List[Dict[str, Any]]:
    """The outbox bodies that carry an announcement to one citizen."""
    items = text_items(message_text(announcement))
    if announcement.get("has_image"):
        items.append(image_item(image_url(announcement["id"])))
    return items


def registry_from_env() -> Optional[Registry]:
    try:
        return Registry.from_env(os.environ)
    except ConfigurationError as error:
        logger.warning("no Zalo account configured (%s): announcements reach nobody on Zalo", error)
        return None


class Publisher:
    def __init__(self, engine: Optional[Engine] = None, registry: Optional[Registry] = None,
                 units: Optional[Units] = None, audit: Optional[AuditLog] = None):
        self.engine = engine or db.engine()
        self.store = AnnouncementStore(self.engine)
        self.zalo = ZaloStore(self.engine)  # the outbox and the audience
        self.registry = registry if registry is not None else registry_from_env()
        self.units = units or load_units()
        self.audit = audit or AuditLog(self.engine)

    def oa_unit(self, oa_id: str) -> Optional[str]:
        """The unit an OA speaks for (an OA without one: the default unit, as for its chats)."""
        account = self.registry.for_oa(oa_id) if self.registry else None
        if account is None:
            return None
        return account.unit if account.unit in self.units.units else self.units.default_unit

    def reached_units(self, target_units: List[str]) -> Set[str]:
        """The target units and every unit below them."""
        return set().union(*(self.units.below(t) for t in target_units))

    def publish(self, announcement_id: int, actor: str = "system") -> Optional[Dict[str, int]]:
        """Send an approved announcement; the counts (queued, out of window),
        or None if it is not (or no longer) approved: it is then left as it is."""
        announcement = self.store.get(announcement_id)
        if announcement is None or announcement["status"] != "approved":
            return None
        items = message_items(announcement)
        now = time.time()
        queued = out_of_window = 0
        reached = self.reached_units(announcement["target_units"])
        oa_units: Dict[str, Optional[str]] = {}
        with self.engine.begin() as c:
            claimed = c.execute(update(announcements).where(and_(
                announcements.c.id == announcement_id, announcements.c.status == "approved",
            )).values(status="published", published_at=now))
            if claimed.rowcount != 1:
                return None  # published meanwhile by another request or process
            sent_messages = 0
            for user in self.zalo.audience(c):
                if user["oa_id"] not in oa_units:
                    oa_units[user["oa_id"]] = self.oa_unit(user["oa_id"])
                if oa_units[user["oa_id"]] not in reached:
                    continue
                send_at = now + sent_messages / SEND_RATE
                last = user["last_interaction_at"]
                if last is None or last + WINDOW_SECONDS <= send_at:
                    c.execute(insert(deliveries).values(
                        announcement_id=announcement_id, user_id=user["user_id"], oa_id=user["oa_id"],
                        outbox_ids=None, note=UNREACHABLE_NOTE, created_at=now))
                    out_of_window += 1
                    continue
                ids = self.zalo.enqueue(user["oa_id"], user["user_id"], items, not_before=send_at, connection=c)
                c.execute(insert(deliveries).values(
                    announcement_id=announcement_id, user_id=user["user_id"], oa_id=user["oa_id"],
                    outbox_ids=json.dumps(ids), note=None, created_at=now))
                sent_messages += len(ids)
                queued += 1
        counts = {"queued": queued, "out_of_window": out_of_window}
        self.audit.log(actor, "published", subject=f"announcement:{announcement_id}", detail=counts)
        return counts

    def publish_approved(self) -> None:
        """Publish announcements approved but not published (the web server
        stopped between the two)."""
        for announcement_id in self.store.approved_ids():
            self.publish(announcement_id)
