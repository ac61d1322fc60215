"""The officer console's chats: page and JSON API under /console (Sanic
blueprint; login and sessions: bot/console/login.py).

Officers see the open chats of their unit (commanders: their unit and every
unit below it), claim one (one officer at a time), read the transcript and
what the assistant understood, reply, transfer and close. Every state change
needs the session's CSRF token (header X-CSRF-Token) and is audited.
"""

from __future__ import annotations

import json
import time
from typing import Any, Dict, Optional

from sanic import Blueprint, response
from sanic.request import Request

from bot.console.access import Access, error as _error
from bot.handoff.area_officers import warn_unusable
from bot.handoff.service import Handoffs, RasaUnavailable
from bot.handoff.store import PERSONAL
from bot.handoff.texts import canned_replies, settings
from bot.knowledge.store import KnowledgeBase
from bot.console import labels
from bot.safety import sos
from bot.tipoffs import redaction
from bot.zalo.store import ZaloStore

RASA_UNAVAILABLE = "Không kết nối được trợ lý, thử lại sau."
CITIZEN_NOT_TOLD = ("Đã chuyển. Trợ lý ảo đang gián đoạn nên người dân chưa được báo "
                    "về việc chuyển; đơn vị nhận nên báo lại khi trả lời.")
REASON_LABELS = {"sos": "SOS khẩn cấp", "tipoff": "Tố giác", "failures": "Trợ lý ảo không hiểu",
                 "requested": "Yêu cầu gặp cán bộ", PERSONAL: "Gặp riêng"}


def create(access: Access, kb: KnowledgeBase, handoffs: Optional[Handoffs] = None) -> Blueprint:
    """The chats page and API; its background job hands back the chats nobody
    took and keeps the queue's previews. At start it warns about area officers
    whose console account cannot take their chats (bot/handoff/area_officers.py)."""
    console = Blueprint("console", url_prefix="/console")
    accounts = access.accounts
    handoffs = handoffs or Handoffs()
    previews: Dict[int, Dict[str, Any]] = {}

    zalo = ZaloStore()

    def citizen_name(tracker: Dict[str, Any]) -> Optional[str]:
        """The citizen's name: Zalo's display name (bot/zalo/profiles.py), else one the
        conversation carries; none in a conversation with a tip-off (its reporter may be anonymous)."""
        if redaction.hidden_events(tracker.get("events") or []):
            return None
        sender = tracker.get("sender_id")
        return (zalo.display_name(sender) if isinstance(sender, str) else None) or labels.citizen_name(tracker)

    async def supervise(app, loop) -> None:
        warn_unusable(access.units, accounts)  # area officers whose chats would wait for nobody: operators are told
        app.add_task(handoffs.supervise(previews, describe=lambda event: labels.citizen_preview(event, kb),
                                        name=citizen_name),
                     name="handoff supervisor")  # named: Sanic cancels and awaits it when it stops

    console.ctx.jobs = [supervise]
    units = access.units

    def undelivered(conversation_id: str):
        rows = [r for r in zalo.outbox_rows(conversation_id) if r["status"] in ("undeliverable", "failed")]
        return [{**r, "text": redaction.outbox_text(json.loads(r["body"])) or "(tệp đính kèm)",
                 "error": r["last_error"]} for r in rows[-20:]]

    visible_units = access.visible_units

    def chat_json(h: Dict[str, Any], now: float, tracker: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
        """A chat as the queue and the chat's header show it; ``tracker``: its
        conversation, read just now (else the supervisor's latest reading)."""
        claimed_by = accounts.officer(h["claimed_by"]) if h["claimed_by"] else None
        preview = previews.get(h["id"], {})
        if h["reason"] == "tipoff":
            name = None  # a tip-off's reporter is never named here (bot/tipoffs/sealed.py)
        else:
            name = citizen_name(tracker) if tracker is not None else preview.get("citizen_name")
        return {
            "id": h["id"], "conversation_id": h["conversation_id"], "unit": h["unit"],
            "citizen": labels.citizen(h["conversation_id"], name),
            "unit_name": units.get(h["unit"]).name, "reason": h["reason"],
            "reason_label": REASON_LABELS.get(h["reason"], h["reason"]), "status": h["status"],
            "created_at": h["created_at"], "claimed_by": h["claimed_by"],
            "claimed_by_name": claimed_by.display_name if claimed_by else None,
            "claimed_at": h["claimed_at"], "first_reply_at": h["first_reply_at"],
            "overdue": h["status"] == "waiting" and now - h["created_at"] > settings()["target_wait_seconds"],
            "last_message": preview.get("last_message"), "last_link": preview.get("last_link"),
            "message_count": preview.get("message_count", 0),
            # "gặp riêng": the area officer the citizen asked for, while it waits for them
            "personal_for": h["claimed_by"] if h["reason"] == PERSONAL and h["status"] == "waiting" else None,
        }

    def authorised(request: Request, handoff_id: int, state_changing: bool = False):
        """(session, handoff, None) or (None, None, the error response)."""
        return access.find(request, lambda: handoffs.store.get(handoff_id),
                           lambda session, h: h["unit"] in visible_units(session),
                           "Không tìm thấy cuộc trò chuyện này.", state_changing)

    @console.exception(RasaUnavailable)
    async def rasa_unavailable(request: Request, exception: RasaUnavailable):
        return _error(RASA_UNAVAILABLE, 503)  # RasaApi has logged it, once

    # ---- page
    @console.get("/")
    async def app_page(request: Request):
        return access.page(request, "console", "")

    # ---- API
    @console.get("/api/queue")
    async def queue(request: Request):
        session, problem = access.check(request)
        if problem:
            return problem
        now = time.time()
        chats = [chat_json(h, now) for h in handoffs.store.queue(visible_units(session))]
        # the chats citizens asked this officer for personally ("gặp riêng") come first
        chats.sort(key=lambda c: not (c["reason"] == PERSONAL and c["claimed_by"] == session.officer.username))
        return response.json({"now": now, "target_wait_seconds": settings()["target_wait_seconds"], "chats": chats})

    @console.get("/api/chats/<handoff_id:int>")
    async def chat(request: Request, handoff_id: int):
        session, handoff, problem = authorised(request, handoff_id)
        if problem:
            return problem
        tracker = await handoffs.rasa.tracker(handoff["conversation_id"])
        events = tracker.get("events") or []
        # a tip-off is read on the tip-offs page, by those it was routed to: bot/tipoffs/redaction.py
        hidden, transcript = redaction.hidden_events(events), []
        for index, event in enumerate(events):
            if event.get("event") == "user":
                said = labels.citizen_message(event, kb)
                hide = index in hidden
                transcript.append({"time": event.get("timestamp"), "from": "citizen", "officer": None,
                                   "text": redaction.shown(hidden, index, said["text"]),
                                   "link": None if hide else said["link"],
                                   **redaction.shown_extras(hidden, index, {"attachments": said["attachments"]})})
                metadata = event.get("metadata") or {}
                if metadata.get("sos_text"):  # answered by the Zalo intake before Rasa (channels/zalo.py)
                    answer, calls = sos.reply(units.get(metadata.get("unit") or handoff["unit"]))
                    transcript.append({"time": event.get("timestamp"), "from": "bot", "officer": None,
                                       "text": answer, "link": None, "attachments": [],
                                       "buttons": [call["title"] for call in calls]})
            elif event.get("event") == "bot":
                extras = labels.bot_extras(event)
                if not (event.get("text") or extras["attachments"] or extras["buttons"]):
                    continue
                username = (event.get("metadata") or {}).get("officer")
                officer = accounts.officer(username) if username else None
                transcript.append({"time": event.get("timestamp"), "from": "officer" if username else "bot",
                                   "text": redaction.shown(hidden, index, event.get("text")), "link": None,
                                   "officer": officer.display_name if officer else username,
                                   **redaction.shown_extras(hidden, index, extras)})
        slots = {k: v for k, v in redaction.visible_slots(tracker.get("slots")).items()
                 if v not in (None, [], "") and k != "session_started_metadata"}
        procedure = slots.get("procedure")
        latest = tracker.get("latest_message") or {}
        intent = (latest.get("intent") or {}).get("name")
        procedure_name = kb.procedures[procedure].name if procedure in kb.procedures else None
        rows = [["Thủ tục", procedure_name or procedure or "Chưa xác định"]]
        if intent:
            rows.append(["Ý định", labels.intent_label(intent, kb)])
        for name, value in slots.items():
            if name == "procedure":
                continue
            if name == "aspect":
                value = labels.aspect_label(value)
            elif name == "clarifying" and value in kb.topics:
                value = labels.intent_label(value, kb)
            rows.append([labels.slot_label(name), value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)])
        return response.json({
            "chat": chat_json(handoff, time.time(), tracker),
            "transcript": transcript[-200:],
            "understood": {
                "intent": intent,
                "procedure": procedure,
                "procedure_name": procedure_name,
                "slots": slots,
                "rows": rows,  # what the panel shows, in the officer's words
            },
            "can_reply": handoff["claimed_by"] == session.officer.username and handoff["status"] == "active",
            # replies the citizen did not get (e.g. outside Zalo's 7-day window)
            "undelivered": [
                {"time": row["created_at"], "text": row["text"], "error_code": row["error_code"], "error": row["error"]}
                for row in undelivered(handoff["conversation_id"])
            ],
        })

    @console.get("/api/canned")
    async def canned(request: Request):
        _, problem = access.check(request)
        return problem or response.json(canned_replies())

    @console.get("/api/transfer-targets")
    async def transfer_targets(request: Request):
        session, problem = access.check(request)
        if problem:
            return problem
        me = session.officer  # handing a chat to oneself or to one's own unit hands it nowhere
        targets = [{"id": f"unit:{u.id}", "name": f"Đơn vị: {u.name}"} for u in units.all() if u.id != me.unit]
        targets += [{"id": f"officer:{o.username}", "name": f"Cán bộ: {o.display_name} ({units.get(o.unit).name})"}
                    for o in accounts.all() if not o.disabled and o.username != me.username]
        return response.json(targets)

    @console.post("/api/chats/<handoff_id:int>/claim")
    async def claim(request: Request, handoff_id: int):
        session, handoff, problem = authorised(request, handoff_id, state_changing=True)
        if problem:
            return problem
        if not handoffs.store.claim(handoff_id, session.officer.username):
            current = handoffs.store.get(handoff_id)
            holder = accounts.officer(current["claimed_by"]) if current and current["claimed_by"] else None
            if holder:
                return _error(f"Cuộc trò chuyện đã được cán bộ {holder.display_name} nhận xử lý.", 409)
            return _error("Cuộc trò chuyện đã kết thúc.", 409)
        return response.json({"chat": chat_json(handoffs.store.get(handoff_id), time.time())})

    async def owned(request: Request, handoff_id: int):
        session, handoff, problem = authorised(request, handoff_id, state_changing=True)
        if problem:
            return None, None, problem
        if handoff["status"] != "active" or handoff["claimed_by"] != session.officer.username:
            return None, None, _error("Bạn cần nhận xử lý cuộc trò chuyện trước.", 409)
        return session, handoff, None

    @console.post("/api/chats/<handoff_id:int>/reply")
    async def reply(request: Request, handoff_id: int):
        session, handoff, problem = await owned(request, handoff_id)
        if problem:
            return problem
        text = str((request.json or {}).get("text") or "").strip()
        if not text:
            return _error("Nội dung trả lời đang trống.", 400)
        if len(text) > 4000:
            return _error("Nội dung quá dài (tối đa 4.000 ký tự).", 400)
        await handoffs.reply(handoff, session.officer.username, text)
        return response.json({"ok": True})

    @console.post("/api/chats/<handoff_id:int>/transfer")
    async def transfer(request: Request, handoff_id: int):
        """Anyone of the unit hands on a waiting chat; a claimed one only the
        officer who has it, or a commander of its unit (or of a unit above)."""
        session, handoff, problem = authorised(request, handoff_id, state_changing=True)
        if problem:
            return problem
        holder = handoff["claimed_by"]
        if (holder and holder != session.officer.username
                and not access.is_commander_of(session, handoff["unit"])):
            officer = accounts.officer(holder)
            return _error(f"Cuộc trò chuyện đang do cán bộ {officer.display_name if officer else holder} xử lý. "
                          "Chỉ cán bộ đó hoặc chỉ huy đơn vị mới chuyển được.", 409)
        kind, _, target = str((request.json or {}).get("to") or "").partition(":")
        officer = accounts.officer(target) if kind == "officer" else None
        if kind == "unit" and target in units.units:
            unit = target
            done = handoffs.store.transfer(handoff_id, session.officer.username, target, claimed_by=holder)
        elif officer and not officer.disabled:
            unit = officer.unit
            done = handoffs.store.transfer_to_officer(handoff_id, session.officer.username, officer.username,
                                                      officer.unit, claimed_by=holder)
        else:
            return _error("Nơi nhận không hợp lệ.", 400)
        if not done:
            return _error("Cuộc trò chuyện vừa thay đổi (đã kết thúc hoặc có người khác nhận). Hãy tải lại.", 409)
        if unit != handoff["unit"]:  # within the unit, the citizen's chat stays where it was
            try:
                await handoffs.transferred(handoff, unit)
            except RasaUnavailable:  # the chat has moved all the same; the officer is told the citizen is not
                return response.json({"ok": True, "warning": CITIZEN_NOT_TOLD})
        return response.json({"ok": True})

    @console.post("/api/chats/<handoff_id:int>/close")
    async def close(request: Request, handoff_id: int):
        session, handoff, problem = await owned(request, handoff_id)
        if problem:
            return problem
        await handoffs.end(handoff, session.officer.username, "closed")
        return response.json({"ok": True})

    return console
