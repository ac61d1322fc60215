"""Publishing an approved announcement to citizens on Zalo, two ways, and
never both ways to one citizen.

* Broadcast ("tin truyền thông", ``POST /v2.0/oa/message``): the
  announcement becomes an Article (Zalo's Article API) that each target OA
  (the OAs of the target units and of the units below them, from the
  accounts registry) broadcasts to all its followers, whenever they last
  wrote. A broadcast cannot leave anyone out, and an OA has a monthly quota
  of them (Account.broadcasts_per_month, counted per calendar month,
  Vietnam time, in ``announcement_broadcasts``). Sent by
  bot/announcements/broadcast.py, from the web server.
* Consultation messages (``/v3.0/oa/message/cs``): one citizen at a time,
  only to those who interacted with the OA within the last 7 days (else
  Zalo answers -230), through the persisted outbox.

Who gets what (the rule; tests/test_announcements.py checks it). For each
citizen known to a target OA who has not unfollowed it:

* the OA broadcasts (quota left) and the citizen follows it: the broadcast
  carries it (channel ``broadcast``), no consultation message, even inside
  the window;
* the OA broadcasts and we do not know whether the citizen follows it (they
  wrote without a follow event: Zalo's message webhooks do not say):
  ``undecided``; before broadcasting, the web server asks Zalo
  (``user/detail``: user_is_follower): a follower stays with the broadcast,
  anyone else gets consultation messages inside the window, and nothing
  outside it;
* the OA does not broadcast (its quota is spent): consultation messages
  inside the window; outside it nothing, with a note: QUOTA_NOTE for a
  follower, OUT_OF_WINDOW_NOTE for the others;
* the broadcast fails at Zalo (Article not created, out of quota -211, an
  error that is not worth retrying): its citizens inside the window get the
  consultation messages instead (they had none), the others a note. Nothing
  is lost and nobody gets it twice.

Sending: the consultation messages are queued in the Zalo outbox
(ZaloStore.enqueue), in the same transaction that marks the announcement
published and plans the broadcasts (so publishing twice never sends twice,
and a crash leaves either everything planned or nothing); the outbox sweeper
of the Rasa process sends them (token refresh, retries, -230 →
"undeliverable"). Their first attempts are spread out at SEND_RATE messages
a second, well under Zalo's 4,000 requests a minute per app, so that chat
replies to other citizens keep flowing while a large announcement goes out.

A send time (``send_at``): the announcement stays approved until then; the
web server's job publishes what is due every few seconds, and after a
restart (it is all in the database).
"""

from __future__ import annotations

import json
import logging
import os
import time
from datetime import datetime
from typing import Any, Dict, List, Optional, Set

from sqlalchemy import and_, insert, update
from sqlalchemy.engine import Engine

from bot.announcements.store import (
    OUT_OF_WINDOW_NOTE,
    AnnouncementStore,
    announcements,
    broadcasts,
    deliveries,
)
from bot.core import db
from bot.core.audit import AuditLog
from bot.core.units import Units, load_units
from bot.core.web import VIETNAM, public_url
from bot.zalo.accounts import ANY_OA, Account, ConfigurationError, Registry
from bot.zalo.messages import image_item, text_items
from bot.zalo.store import ZaloStore
from bot.zalo.window import WINDOW_SECONDS  # consultation messages: last interaction within 7 days

logger = logging.getLogger(__name__)

SEND_RATE = 40.0  # outbox messages a second (Zalo allows 4,000 requests a minute per app)
UNREACHABLE_NOTE = OUT_OF_WINDOW_NOTE
QUOTA_NOTE = "không gửi được: OA đã hết lượt gửi tin truyền thông tháng này"
BROADCAST_FAILED_NOTE = "không gửi được: tin truyền thông bị Zalo từ chối"


def month_of(timestamp: float) -> str:
    """The quota month (YYYY-MM) of a moment, Vietnam time."""
    return datetime.fromtimestamp(timestamp, VIETNAM).strftime("%Y-%m")


def quota_label(remaining: int, limit: int) -> str:
    return f"Còn {remaining}/{limit} lượt gửi tin truyền thông tháng này"


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

    def target_accounts(self, target_units: List[str]) -> List[Account]:
        """The OAs that broadcast an announcement for these units (an OA
        configured without its id, ZALO_OA_ID unset, cannot)."""
        if self.registry is None:
            return []
        reached = self.reached_units(target_units)
        return [a for a in self.registry.accounts.values()
                if a.oa_id != ANY_OA and self.oa_unit(a.oa_id) in reached]

    def quota(self, target_units: List[str], now: Optional[float] = None) -> List[Dict[str, Any]]:
        """This month's broadcasts left per target OA (the commander sees it before approving)."""
        accounts = self.target_accounts(target_units)
        used = self.store.broadcasts_used([a.oa_id for a in accounts], month_of(now or time.time()))
        found = []
        for account in accounts:
            remaining = max(account.broadcasts_per_month - used[account.oa_id], 0)
            found.append({"oa_id": account.oa_id, "name": account.name, "limit": account.broadcasts_per_month,
                          "remaining": remaining, "label": quota_label(remaining, account.broadcasts_per_month)})
        return found

    def publish(self, announcement_id: int, actor: str = "system") -> Optional[Dict[str, int]]:
        """Send an approved announcement that is due; the counts (see the
        module's rule), or None if it is not (or no longer) approved, or its
        send time has not come: it is then left as it is."""
        announcement = self.store.get(announcement_id)
        if announcement is None or announcement["status"] != "approved":
            return None
        now = time.time()
        if announcement["send_at"] and announcement["send_at"] > now:
            return None
        items = message_items(announcement)
        counts = {"queued": 0, "out_of_window": 0, "broadcast": 0, "undecided": 0, "not_reached": 0,
                  "broadcasts": 0}
        reached = self.reached_units(announcement["target_units"])
        accounts = self.target_accounts(announcement["target_units"])
        oa_units: Dict[str, Optional[str]] = {}
        with self.engine.begin() as c:
            claimed = c.execute(update(announcements).where(and_(
                announcements.c.id == announcement_id, announcements.c.status == "approved",
            )).values(status="published", published_at=now))
            if claimed.rowcount != 1:
                return None  # published meanwhile by another request or process
            month = month_of(now)
            used = self.store.broadcasts_used([a.oa_id for a in accounts], month, c)
            broadcasting = {a.oa_id for a in accounts if used[a.oa_id] < a.broadcasts_per_month}
            followers = {a.oa_id: 0 for a in accounts}
            sent_messages = 0
            for user in self.zalo.audience(c):
                oa_id = user["oa_id"]
                if oa_id not in oa_units:
                    oa_units[oa_id] = self.oa_unit(oa_id)
                if oa_units[oa_id] not in reached:
                    continue
                values = dict(announcement_id=announcement_id, user_id=user["user_id"], oa_id=oa_id,
                              outbox_ids=None, note=None, channel=None, created_at=now)
                send_at = now + sent_messages / SEND_RATE
                last = user["last_interaction_at"]
                in_window = last is not None and last + WINDOW_SECONDS > send_at
                if oa_id in broadcasting and user["follower"] is not None:
                    values["channel"] = "broadcast"
                    followers[oa_id] += 1
                    counts["broadcast"] += 1
                elif oa_id in broadcasting:
                    values["channel"] = "undecided"  # bot/announcements/broadcast.py asks Zalo
                    counts["undecided"] += 1
                elif in_window:
                    ids = self.zalo.enqueue(oa_id, user["user_id"], items, not_before=send_at, connection=c)
                    values.update(channel="consultation", outbox_ids=json.dumps(ids))
                    sent_messages += len(ids)
                    counts["queued"] += 1
                elif user["follower"] is not None and oa_id in followers:
                    values["note"] = QUOTA_NOTE
                    counts["not_reached"] += 1
                else:
                    values["note"] = OUT_OF_WINDOW_NOTE
                    counts["out_of_window"] += 1
                c.execute(insert(deliveries).values(**values))
            for account in accounts:
                spent = account.oa_id not in broadcasting
                c.execute(insert(broadcasts).values(
                    announcement_id=announcement_id, oa_id=account.oa_id, month=month,
                    status="quota" if spent else "pending", followers=followers[account.oa_id],
                    attempts=0, next_attempt_at=now, note=QUOTA_NOTE if spent else None, created_at=now))
                counts["broadcasts"] += 0 if spent else 1
        self.audit.log(actor, "published", subject=f"announcement:{announcement_id}", detail=counts)
        return counts

    def publish_approved(self) -> None:
        """Publish the approved announcements that are due (their send time
        came, or the web server stopped between approving and publishing)."""
        for announcement_id in self.store.approved_ids():
            self.publish(announcement_id)
