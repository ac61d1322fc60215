"""Announcements and their deliveries in the project database.

Life of an announcement: ``pending`` (created and submitted for approval in
one step) → ``approved`` or ``rejected`` (by a commander, with a comment
when rejecting) → ``published`` (sent; bot/announcements/publish.py).
``draft`` is reserved for announcements saved without submitting.

Every state change is one SQL statement guarded by the current status
(``UPDATE … WHERE status = 'pending'``), so two commanders, or two
processes, can never both approve or publish the same announcement.

``announcement_deliveries`` has one row per (announcement, citizen) and
the channel that carries it (bot/announcements/publish.py says which):
``consultation`` (the outbox rows, whose status says whether it was sent),
``broadcast`` (the OA's broadcast row says whether it went out),
``undecided`` (follow state unknown: asked of Zalo before the broadcast), or
none with a note saying why nothing was sent.

``announcement_broadcasts`` has one row per (announcement, OA) whose
followers the announcement is broadcast to: the Article's token and id, the
broadcast's message id, and how it ended. Its ``month`` (Vietnam time) counts
against the OA's monthly broadcast quota.
"""

from __future__ import annotations

import json
import time
from typing import Any, Dict, Iterable, List, Optional, Sequence, Set, Tuple

from sqlalchemy import (
    Column,
    Float,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Connection, Engine

from bot.core import db
from bot.zalo.store import ZaloStore

STATUSES = ("draft", "pending", "approved", "rejected", "published")
STATUS_LABELS = {"draft": "Bản nháp", "pending": "Chờ duyệt", "approved": "Đã duyệt", "rejected": "Bị từ chối",
                 "published": "Đã đăng"}
MAX_TITLE = 200
MAX_BODY = 4000
MAX_IMAGE_BYTES = 1024 * 1024  # Zalo's limit for images (jpg/png ≤ 1 MB)
MAX_COMMENT = 1000
OUT_OF_WINDOW_NOTE = "không liên hệ được: quá 7 ngày không tương tác"

announcements = Table(
    "announcements", db.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("title", String(MAX_TITLE), nullable=False),
    Column("body", Text, nullable=False),
    Column("image", LargeBinary),
    Column("image_type", String(32)),  # image/jpeg or image/png
    Column("target_units", Text, nullable=False),  # JSON list of unit ids
    Column("status", String(16), nullable=False, index=True),
    Column("author", String(64), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("reviewer", String(64)),
    Column("review_comment", Text),
    Column("reviewed_at", Float),
    Column("published_at", Float, index=True),
    Column("send_at", Float),  # not published before this time (None: as soon as approved)
)

deliveries = Table(
    "announcement_deliveries", db.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("announcement_id", Integer, nullable=False, index=True),
    Column("user_id", String(64), nullable=False),
    Column("oa_id", String(64), nullable=False),
    Column("outbox_ids", Text),  # JSON list of zalo_outbox ids; NULL when nothing was sent
    Column("note", Text),  # why nothing was sent
    Column("channel", String(16)),  # consultation, broadcast, undecided; NULL: not reached
    Column("created_at", Float, nullable=False),
    UniqueConstraint("announcement_id", "user_id", name="uq_announcement_delivery"),
)

broadcasts = Table(
    "announcement_broadcasts", db.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("announcement_id", Integer, nullable=False, index=True),
    Column("oa_id", String(64), nullable=False),
    Column("month", String(7), nullable=False),  # YYYY-MM, Vietnam time: the quota's month
    Column("status", String(16), nullable=False, index=True),  # pending, sent, failed, quota
    Column("followers", Integer, nullable=False),  # followers we know of when it was planned
    Column("article_token", Text),
    Column("article_id", String(64)),
    Column("message_id", String(64)),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", Float, nullable=False),
    Column("claimed_until", Float),
    Column("error", Text),
    Column("note", Text),  # for the console (Vietnamese) when it did not go out
    Column("created_at", Float, nullable=False),
    Column("sent_at", Float),
    UniqueConstraint("announcement_id", "oa_id", name="uq_announcement_broadcast"),
)
BROADCAST_USES = ("pending", "sent")  # the statuses that spend a broadcast of the month
BROADCAST_LABELS = {"pending": "Đang gửi", "sent": "Đã gửi", "failed": "Không gửi được",
                    "quota": "Hết lượt gửi tháng này"}

# What the console shows for each delivery (keys of delivery_counts)
# (consultation messages; broadcast: carried by an OA's broadcast; not_reached: a follower outside
# the window whose OA could not broadcast)
DELIVERY_LABELS = {"sent": "Đã gửi", "sending": "Đang gửi", "failed": "Không gửi được",
                   "out_of_window": "Ngoài thời hạn 7 ngày", "broadcast": "Qua tin truyền thông",
                   "not_reached": "Không gửi được tin truyền thông"}


class InvalidAnnouncement(ValueError):
    """The message to show the officer (Vietnamese)."""


def image_type(data: bytes) -> str:
    """The content type of a JPEG or PNG image (by its bytes, not its name), or InvalidAnnouncement."""
    if len(data) > MAX_IMAGE_BYTES:
        raise InvalidAnnouncement("Ảnh quá lớn: Zalo chỉ nhận ảnh tối đa 1 MB.")
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    raise InvalidAnnouncement("Ảnh phải là tệp JPG hoặc PNG.")


def _row(row: Any) -> Dict[str, Any]:
    values = dict(row._mapping)
    values["target_units"] = json.loads(values["target_units"])
    values["has_image"] = bool(values.pop("image_type", None))
    values.pop("image", None)
    return values


class AnnouncementStore:
    def __init__(self, engine: Optional[Engine] = None):
        self.engine = engine or db.engine()
        self.zalo = ZaloStore(self.engine)  # the outbox messages deliveries refer to
        db.create_tables(self.engine, announcements, deliveries, broadcasts)

    # ---- announcements
    def create(self, author: str, title: str, body: str, target_units: Sequence[str],
               image: Optional[bytes] = None, status: str = "pending", send_at: Optional[float] = None) -> int:
        title, body = (title or "").strip(), (body or "").strip()
        if not title:
            raise InvalidAnnouncement("Vui lòng nhập tiêu đề.")
        if len(title) > MAX_TITLE:
            raise InvalidAnnouncement(f"Tiêu đề quá dài (tối đa {MAX_TITLE} ký tự).")
        if not body:
            raise InvalidAnnouncement("Vui lòng nhập nội dung.")
        if len(body) > MAX_BODY:
            raise InvalidAnnouncement(f"Nội dung quá dài (tối đa {MAX_BODY:,} ký tự).".replace(",", "."))
        if not target_units:
            raise InvalidAnnouncement("Vui lòng chọn ít nhất một đơn vị nhận.")
        if status not in ("draft", "pending"):
            raise ValueError(f"a new announcement is a draft or pending, not {status!r}")
        if send_at is not None and send_at <= time.time():
            raise InvalidAnnouncement("Thời điểm gửi phải ở tương lai.")
        content_type = image_type(image) if image else None
        with self.engine.begin() as c:
            return c.execute(insert(announcements).values(
                title=title, body=body, image=image or None, image_type=content_type,
                target_units=json.dumps(sorted(set(target_units))), status=status, author=author,
                created_at=time.time(), send_at=send_at,
            )).inserted_primary_key[0]

    def get(self, announcement_id: int) -> Optional[Dict[str, Any]]:
        with self.engine.connect() as c:
            row = c.execute(select(announcements).where(announcements.c.id == announcement_id)).first()
        return _row(row) if row else None

    def image(self, announcement_id: int) -> Optional[Tuple[bytes, str, str]]:
        """(bytes, content type, status) of the announcement's image, or None."""
        with self.engine.connect() as c:
            row = c.execute(select(announcements.c.image, announcements.c.image_type, announcements.c.status)
                            .where(announcements.c.id == announcement_id)).first()
        return (bytes(row.image), row.image_type, row.status) if row and row.image else None

    def all(self, limit: int = 500) -> List[Dict[str, Any]]:
        """Newest first (without image bytes)."""
        columns = [c for c in announcements.c if c.name != "image"]
        with self.engine.connect() as c:
            rows = c.execute(select(*columns).order_by(announcements.c.id.desc()).limit(limit))
            return [_row(r) for r in rows]

    def review(self, announcement_id: int, reviewer: str, approve: bool, comment: str = "") -> bool:
        """Approve or reject a pending announcement (never the reviewer's own);
        False if it is no longer pending."""
        with self.engine.begin() as c:
            done = c.execute(update(announcements).where(and_(
                announcements.c.id == announcement_id, announcements.c.status == "pending",
                announcements.c.author != reviewer,
            )).values(status="approved" if approve else "rejected", reviewer=reviewer,
                      review_comment=comment or None, reviewed_at=time.time()))
        return done.rowcount == 1

    def approved_ids(self, now: Optional[float] = None) -> List[int]:
        """Approved and due (no send time, or it has come), oldest first."""
        now = time.time() if now is None else now
        with self.engine.connect() as c:
            return [r.id for r in c.execute(select(announcements.c.id).where(and_(
                announcements.c.status == "approved",
                or_(announcements.c.send_at.is_(None), announcements.c.send_at <= now))).order_by(announcements.c.id))]

    def published_for(self, units: Set[str], limit: int = 3, scan: int = 200) -> List[Dict[str, Any]]:
        """The newest published announcements addressed to any of ``units``."""
        columns = [c for c in announcements.c if c.name != "image"]
        query = (select(*columns).where(announcements.c.status == "published")
                 .order_by(announcements.c.published_at.desc(), announcements.c.id.desc()).limit(scan))
        with self.engine.connect() as c:
            found = [_row(r) for r in c.execute(query)]
        return [a for a in found if units & set(a["target_units"])][:limit]

    # ---- deliveries
    def deliveries(self, announcement_id: int) -> List[Dict[str, Any]]:
        with self.engine.connect() as c:
            rows = c.execute(select(deliveries).where(deliveries.c.announcement_id == announcement_id)
                             .order_by(deliveries.c.id))
            return [{**dict(r._mapping), "outbox_ids": json.loads(r.outbox_ids or "[]")} for r in rows]

    def delivery_counts(self, announcement_ids: Iterable[int]) -> Dict[int, Dict[str, int]]:
        """Per announcement: how many citizens it was sent to, is being sent
        to, could not be sent to (Zalo refused or failed), and how many were
        outside the 7-day window (not sent)."""
        ids = list(announcement_ids)
        counts = {i: {key: 0 for key in DELIVERY_LABELS} for i in ids}
        if not ids:
            return counts
        with self.engine.connect() as c:
            rows = [r for chunk in _chunks(ids) for r in c.execute(
                select(deliveries.c.announcement_id, deliveries.c.outbox_ids, deliveries.c.channel,
                       deliveries.c.note)
                .where(deliveries.c.announcement_id.in_(chunk)))]
        status = self.zalo.outbox_status(sorted({i for r in rows for i in json.loads(r.outbox_ids or "[]")}))
        for row in rows:
            if row.channel in ("broadcast", "undecided"):
                state = "broadcast"
            elif row.channel is None and row.note and row.note != OUT_OF_WINDOW_NOTE:
                state = "not_reached"
            else:
                state = _delivery_state(json.loads(row.outbox_ids or "[]"), status)
            counts[row.announcement_id][state] += 1
        return counts

    # ---- broadcasts
    def broadcasts(self, announcement_id: int) -> List[Dict[str, Any]]:
        with self.engine.connect() as c:
            return [dict(r._mapping) for r in c.execute(
                select(broadcasts).where(broadcasts.c.announcement_id == announcement_id).order_by(broadcasts.c.id))]

    def broadcasts_used(self, oa_ids: Iterable[str], month: str,
                        connection: Optional[Connection] = None) -> Dict[str, int]:
        """Broadcasts spent (or being sent) this month, per OA."""
        oa_ids = list(oa_ids)
        if connection is None:
            with self.engine.connect() as c:
                return self.broadcasts_used(oa_ids, month, c)
        used = {oa: 0 for oa in oa_ids}
        used.update((r.oa_id, r.n) for r in connection.execute(
            select(broadcasts.c.oa_id, func.count().label("n")).where(and_(
                broadcasts.c.oa_id.in_(oa_ids), broadcasts.c.month == month,
                broadcasts.c.status.in_(BROADCAST_USES))).group_by(broadcasts.c.oa_id)))
        return used


def _delivery_state(outbox_ids: List[int], status: Dict[int, str]) -> str:
    if not outbox_ids:
        return "out_of_window"
    states = [status.get(i, "failed") for i in outbox_ids]
    if any(s in ("undeliverable", "failed") for s in states):
        return "failed"
    if all(s == "sent" for s in states):
        return "sent"
    return "sending"


def _chunks(values: List[Any], size: int = 500):
    for start in range(0, len(values), size):
        yield values[start:start + size]
