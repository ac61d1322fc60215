"""Announcements in the officer console (page and JSON API under /console),
and the public address of their images (Zalo fetches them).

* An officer creates an announcement for units they see (officers: their
  unit; commanders: theirs and every unit below); it waits for approval.
* It may have a send time ("Gửi lúc", Vietnam time): approved, it waits
  until then (the job below publishes what is due every POLL_SECONDS).
* A commander whose command covers every target unit approves it (it is
  published at once, or at its send time) or rejects it with a comment the
  author reads. Before deciding they see each target OA's broadcasts left
  this month ("Còn N/M lượt gửi tin truyền thông tháng này"). Nobody
  reviews their own announcement.
* Everyone who sees a target unit (and the author) sees the announcement,
  its review and, once published, its reach per channel: each OA's
  broadcast (followers targeted, how it ended) and the consultation
  messages (sent, failed, outside the window).

Wrong role: 403; an announcement or unit the officer does not see: 404.
Every step is in the audit log (subject ``announcement:<id>``).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
from datetime import datetime
from typing import Any, Dict, List, Optional, Tuple

from sanic import Blueprint, response
from sanic.request import Request

from bot.announcements.broadcast import Broadcaster
from bot.announcements.publish import Publisher
from bot.announcements.store import (
    BROADCAST_LABELS,
    DELIVERY_LABELS,
    MAX_COMMENT,
    STATUS_LABELS,
    AnnouncementStore,
    InvalidAnnouncement,
)
from bot.console.access import Access, error
from bot.core.audit import AuditLog
from bot.core.web import VIETNAM
from bot.knowledge.store import KnowledgeBase

logger = logging.getLogger(__name__)
POLL_SECONDS = 5.0  # how often the web server publishes what is due and sends the planned broadcasts
ACTION_LABELS = {"created": "Soạn và gửi duyệt", "approved": "Duyệt", "rejected": "Từ chối",
                 "published": "Đăng và gửi qua Zalo"}


def create(access: Access, kb: Optional[KnowledgeBase] = None, store: Optional[AnnouncementStore] = None,
           publisher: Optional[Publisher] = None) -> Blueprint:
    bp = Blueprint("console_announcements", url_prefix="/console")
    store = store or AnnouncementStore()
    audit = AuditLog(store.engine)
    units = access.units
    state: Dict[str, Publisher] = {}

    def get_publisher() -> Publisher:  # made on first use: it reads the Zalo accounts
        if "publisher" not in state:
            state["publisher"] = publisher or Publisher(store.engine, units=units, audit=audit)
        return state["publisher"]

    def names() -> Dict[str, str]:
        return {o.username: o.display_name for o in access.accounts.all()}

    def visible(session, announcement: Dict[str, Any]) -> bool:
        return (announcement["author"] == session.officer.username
                or bool(set(announcement["target_units"]) & access.visible_units(session)))

    def review_problem(session, announcement: Dict[str, Any]):
        """Why this officer may not approve or reject it (an error response), or None."""
        if session.officer.role != "commander":
            return error("Chỉ chỉ huy đơn vị mới được duyệt hoặc từ chối thông báo.", 403)
        if announcement["author"] == session.officer.username:
            return error("Bạn không thể tự duyệt thông báo do chính mình soạn.", 403)
        outside = [u for u in announcement["target_units"] if not access.is_commander_of(session, u)]
        if outside:
            listed = ", ".join(units.get(u).name for u in outside)
            return error(f"Thông báo gửi đến đơn vị ngoài quyền chỉ huy của bạn ({listed}): "
                         "cần chỉ huy cấp trên duyệt.", 403)
        return None

    def as_json(session, a: Dict[str, Any], counts: Optional[Dict[str, int]],
                officers: Dict[str, str]) -> Dict[str, Any]:
        return {
            "id": a["id"], "title": a["title"], "body": a["body"], "status": a["status"],
            "status_label": STATUS_LABELS.get(a["status"], a["status"]),
            "target_units": [{"id": u, "name": units.get(u).name} for u in a["target_units"]],
            "author": a["author"], "author_name": officers.get(a["author"], a["author"]), "created_at": a["created_at"],
            "reviewer": a["reviewer"], "reviewer_name": officers.get(a["reviewer"], a["reviewer"]),
            "review_comment": a["review_comment"], "reviewed_at": a["reviewed_at"],
            "published_at": a["published_at"], "send_at": a["send_at"],
            "send_at_label": _when(a["send_at"]) if a["send_at"] else None,
            "image_url": f"/console/api/announcements/{a['id']}/image" if a["has_image"] else None,
            "can_review": a["status"] == "pending" and review_problem(session, a) is None,
            "deliveries": counts if a["status"] == "published" else None,
            # before publishing: what the OAs have left this month (after: the broadcasts, in "reach")
            "broadcast_quota": get_publisher().quota(a["target_units"])
            if a["status"] in ("pending", "approved") else None,
        }

    def reach(a: Dict[str, Any]) -> Optional[List[Dict[str, Any]]]:
        """The broadcasts of a published announcement, per OA."""
        if a["status"] != "published":
            return None
        registry = get_publisher().registry
        found = []
        for b in store.broadcasts(a["id"]):
            account = registry.accounts.get(b["oa_id"]) if registry else None
            found.append({"oa_id": b["oa_id"], "oa_name": account.name if account else b["oa_id"],
                          "status": b["status"], "status_label": BROADCAST_LABELS.get(b["status"], b["status"]),
                          "followers": b["followers"], "note": b["note"], "sent_at": b["sent_at"]})
        return found

    def one_json(session, a: Dict[str, Any]) -> Dict[str, Any]:
        return {**as_json(session, a, store.delivery_counts([a["id"]])[a["id"]], names()), "broadcasts": reach(a)}

    def authorised(request: Request, announcement_id: int, state_changing: bool = False):
        """(session, announcement, None) or (None, None, the error response)."""
        return access.find(request, lambda: store.get(announcement_id), visible,
                           "Không tìm thấy thông báo này.", state_changing)

    # ---- page
    @bp.get("/announcements")
    async def page(request: Request):
        return access.page(request, "announcements", "Thông báo", "console-page ann-page")

    # ---- API
    @bp.get("/api/announcements")
    async def list_announcements(request: Request):
        session, problem = access.check(request)
        if problem:
            return problem
        found = [a for a in store.all() if visible(session, a)]
        counts = store.delivery_counts([a["id"] for a in found if a["status"] == "published"])
        officers = names()
        mine = sorted(access.visible_units(session), key=lambda u: (u != session.officer.unit, units.get(u).name))
        return response.json({
            "announcements": [{**as_json(session, a, counts.get(a["id"]), officers), "broadcasts": reach(a)}
                              for a in found],
            "units": [{"id": u, "name": units.get(u).name} for u in mine],
            "is_commander": session.officer.role == "commander",
            "delivery_labels": DELIVERY_LABELS,
        })

    @bp.post("/api/announcements")
    async def create(request: Request):
        session, problem = access.check(request, state_changing=True)
        if problem:
            return problem
        try:
            title, body, targets, image, send_at = _submitted(request)
        except InvalidAnnouncement as invalid:
            return error(str(invalid), 400)
        seen = access.visible_units(session)
        hidden = [u for u in targets if u not in seen]
        if hidden:
            return error(f"Không tìm thấy đơn vị: {', '.join(hidden)}.", 404)
        try:
            announcement_id = store.create(session.officer.username, title, body, targets, image, send_at=send_at)
        except InvalidAnnouncement as invalid:
            return error(str(invalid), 400)
        audit.log(session.officer.username, "created", subject=f"announcement:{announcement_id}",
                  detail={"title": title.strip(), "target_units": sorted(set(targets)), "image": bool(image),
                          **({"send_at": _when(send_at)} if send_at else {})})
        return response.json({"announcement": one_json(session, store.get(announcement_id))}, status=201)

    @bp.get("/api/announcements/<announcement_id:int>")
    async def detail(request: Request, announcement_id: int):
        session, announcement, problem = authorised(request, announcement_id)
        return problem or response.json({"announcement": one_json(session, announcement)})

    @bp.get("/api/announcements/<announcement_id:int>/image")
    async def console_image(request: Request, announcement_id: int):
        _, _, problem = authorised(request, announcement_id)
        if problem:
            return problem
        found = store.image(announcement_id)
        if found is None:
            return error("Thông báo này không có ảnh.", 404)
        return response.raw(found[0], content_type=found[1], headers={"Cache-Control": "private, max-age=300"})

    @bp.get("/api/announcements/<announcement_id:int>/audit")
    async def audit_trail(request: Request, announcement_id: int):
        _, _, problem = authorised(request, announcement_id)
        if problem:
            return problem
        officers = {**names(), "system": "Hệ thống"}
        return response.json({"entries": [
            {"time": e["time"], "actor": e["actor"], "actor_name": officers.get(e["actor"], e["actor"]),
             "action": e["action"], "action_label": ACTION_LABELS.get(e["action"], e["action"]), "detail": e["detail"]}
            for e in audit.entries(subject=f"announcement:{announcement_id}")
        ]})

    async def review(request: Request, announcement_id: int, approve: bool):
        session, announcement, problem = authorised(request, announcement_id, state_changing=True)
        if problem:
            return problem
        problem = review_problem(session, announcement)
        if problem:
            return problem
        try:
            comment = str(_json_body(request).get("comment") or "").strip()
        except InvalidAnnouncement as invalid:
            return error(str(invalid), 400)
        if not approve and not comment:
            return error("Vui lòng ghi lý do từ chối để người soạn biết cần sửa gì.", 400)
        if len(comment) > MAX_COMMENT:
            return error(f"Nhận xét quá dài (tối đa {MAX_COMMENT} ký tự).", 400)
        username = session.officer.username
        if not store.review(announcement_id, username, approve, comment):
            current = store.get(announcement_id)
            label = STATUS_LABELS.get(current["status"], current["status"]) if current else ""
            return error(f"Thông báo này đã được xử lý trước đó (trạng thái: {label}).", 409)
        subject = f"announcement:{announcement_id}"
        audit.log(username, "approved" if approve else "rejected", subject=subject, detail={"comment": comment})
        if approve:
            try:
                await asyncio.get_running_loop().run_in_executor(None, get_publisher().publish, announcement_id,
                                                                 username)
            except Exception:  # stays approved: published when the web server starts again
                logger.exception("publishing announcement %s failed", announcement_id)
        return response.json({"announcement": one_json(session, store.get(announcement_id))})

    @bp.post("/api/announcements/<announcement_id:int>/approve")
    async def approve(request: Request, announcement_id: int):
        return await review(request, announcement_id, True)

    @bp.post("/api/announcements/<announcement_id:int>/reject")
    async def reject(request: Request, announcement_id: int):
        return await review(request, announcement_id, False)

    async def publish_forever() -> None:
        """Publish what is due (its send time came, or the server stopped
        between approving and publishing) and send the planned broadcasts,
        now and every POLL_SECONDS."""
        loop = asyncio.get_running_loop()
        broadcaster: Optional[Broadcaster] = None
        while True:
            try:
                publisher = get_publisher()
                await loop.run_in_executor(None, publisher.publish_approved)
                if publisher.registry is not None:
                    broadcaster = broadcaster or Broadcaster(store.engine, publisher.registry)
                    await broadcaster.run_due()
            except Exception:  # the next round tries again
                logger.exception("publishing announcements failed")
            await asyncio.sleep(POLL_SECONDS)

    async def start_publishing(app, loop) -> None:
        app.add_task(publish_forever(), name="announcements publishing")

    bp.ctx.jobs = [start_publishing]
    return bp


def create_announcements_public(store: Optional[AnnouncementStore] = None) -> Blueprint:
    """Public pages: the image of a published announcement, which Zalo
    downloads (bot/announcements/publish.py image_url, based on PUBLIC_URL)."""
    public = Blueprint("announcements_public")
    store = store or AnnouncementStore()

    @public.get("/announcements/<announcement_id:int>/image")
    async def public_image(request: Request, announcement_id: int):
        found = store.image(announcement_id)
        if found is None or found[2] != "published":
            return error("Không tìm thấy.", 404)
        return response.raw(found[0], content_type=found[1], headers={"Cache-Control": "public, max-age=86400"})

    return public


def _is_json(request: Request) -> bool:
    return request.headers.get("content-type", "").startswith("application/json")


def _json_body(request: Request) -> Dict[str, Any]:
    """The JSON object sent ({} without a JSON body), or InvalidAnnouncement."""
    if not _is_json(request) or not request.body:
        return {}
    try:
        data = request.json
    except Exception:  # Sanic's parse error
        data = None
    if not isinstance(data, dict):
        raise InvalidAnnouncement("Dữ liệu gửi lên không hợp lệ.")
    return data


def _when(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, VIETNAM).strftime("%H:%M %d/%m/%Y")


def _send_at(value: Any) -> Optional[float]:
    """A send time from the form ("2026-12-01T08:30", seconds allowed, Vietnam time; empty: none)."""
    if value in (None, ""):
        return None
    try:
        moment = datetime.fromisoformat(str(value).strip())
    except ValueError:
        raise InvalidAnnouncement("Thời điểm gửi không hợp lệ.") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=VIETNAM)
    return moment.timestamp()


def _submitted(request: Request) -> Tuple[str, str, List[str], Optional[bytes], Optional[float]]:
    """(title, body, target units, image bytes, send time) from a multipart
    form or a JSON body (image as base64)."""
    if _is_json(request):
        data = _json_body(request)
        targets = data.get("units") or []
        encoded = data.get("image") or ""
        try:
            image = base64.b64decode(encoded, validate=True) if encoded else None
        except (binascii.Error, ValueError, TypeError):
            raise InvalidAnnouncement("Ảnh gửi lên không hợp lệ.") from None
        title, body, send_at = data.get("title"), data.get("body"), data.get("send_at")
    else:
        form = request.form
        targets = form.getlist("units") or [] if form else []
        file = request.files.get("image") if request.files else None
        image = file.body if file is not None and file.body else None
        title, body = (form.get("title"), form.get("body")) if form else ("", "")
        send_at = form.get("send_at") if form else None
    if not isinstance(targets, list) or not all(isinstance(u, str) for u in targets):
        raise InvalidAnnouncement("Danh sách đơn vị nhận không hợp lệ.")
    return str(title or ""), str(body or ""), targets, image, _send_at(send_at)
