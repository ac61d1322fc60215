"""Tip-offs in the officer console: the reports routed to the officer's
units (commanders: and every unit below), their attachments and history;
officers update the status the citizen sees (and is told of on Zalo:
bot/tipoffs/push.py) and escalate a report to the unit above. The
reporter's identity is in the answer only when the citizen did not ask for
anonymity, and only for those who can see the report;
every view is audited. An anonymous reporter's Zalo user is sealed
(bot/tipoffs/sealed.py): only a commander of the handling unit may open it,
giving a reason, and the opening is in the report's history. An attachment's
address is given only if it is https (the page links nothing else: never
javascript:)."""

from __future__ import annotations

from typing import Any, Dict, Optional

from sanic import Blueprint, response
from sanic.request import Request

from bot.console.access import Access, error
from bot.core.content import read_texts
from bot.core.web import https_only, map_link
from bot.knowledge.store import KnowledgeBase
from bot.tipoffs import push as status_push
from bot.tipoffs.store import STATUSES, TipoffStore

ACTIONS = {"tipoff_received": "Tiếp nhận tin báo", "tipoff_viewed": "Xem tin báo",
           "tipoff_status": "Cập nhật trạng thái", "tipoff_escalated": "Chuyển lên cấp trên",
           "tipoff_unsealed": "Mở niêm phong danh tính người báo tin"}
UNSEAL_REASON_MIN = 10


def create(access: Access, kb: Optional[KnowledgeBase] = None, store: Optional[TipoffStore] = None,
           push: Optional[status_push.StatusPush] = None) -> Blueprint:
    console = Blueprint("console_tipoffs", url_prefix="/console")
    store = store or TipoffStore()
    push = push or status_push.StatusPush(store.engine)
    units = access.units
    labels = read_texts("tipoffs.yml")["statuses"]

    def summary(t: Dict[str, Any]) -> Dict[str, Any]:
        return {
            "code": t["code"], "created_at": t["created_at"], "updated_at": t["updated_at"],
            "status": t["status"], "status_label": labels[t["status"]], "unit": t["unit"],
            "unit_name": units.get(t["unit"]).name, "what": t["what"][:160], "place": t["place"],
            "attachments": len(t["attachments"]), "anonymous": t["anonymous"],
        }

    def visible(request: Request, code: str, state_changing: bool = False):
        """(session, tip-off, None) or (None, None, the error response)."""
        return access.find(request, lambda: store.get(code),
                           lambda session, tipoff: tipoff["unit"] in access.visible_units(session),
                           "Không tìm thấy tin báo này.", state_changing)

    @console.get("/tipoffs")
    async def page(request: Request):
        return access.page(request, "tipoffs", "Tin báo tố giác")

    @console.get("/api/tipoffs")
    async def listing(request: Request):
        session, problem = access.check(request)
        if problem:
            return problem
        return response.json({"tipoffs": [summary(t) for t in store.for_units(access.visible_units(session))],
                              "statuses": [{"id": s, "label": labels[s]} for s in STATUSES]})

    @console.get("/api/tipoffs/<code>")
    async def detail(request: Request, code: str):
        session, tipoff, problem = visible(request, code)
        if problem:
            return problem
        store.viewed(code, session.officer.username)
        parent = units.get(tipoff["unit"]).parent
        history = []
        for entry in store.history(code):
            if entry["action"] in status_push.ACTIONS:  # their times would tell when the reporter wrote
                continue
            officer = access.accounts.officer(entry["actor"])
            history.append({"time": entry["time"], "action": ACTIONS.get(entry["action"], entry["action"]),
                            "actor": officer.display_name if officer else
                            ("Người báo tin" if entry["actor"] == "citizen" else entry["actor"]),
                            "detail": {**entry["detail"], **({"status": labels.get(entry["detail"].get("status"))}
                                                              if "status" in entry["detail"] else {})}})
        result = {
            **summary(tipoff), "what": tipoff["what"], "occurred": tipoff["occurred"],
            "map": map_link(tipoff["latitude"], tipoff["longitude"]) if tipoff["latitude"] is not None else None,
            # an address the citizen's message carried: a link only if it is https (never javascript:)
            "attachments": [{**a, "url": https_only(a.get("url"))} for a in tipoff["attachments"]],
            "history": history,
            "escalate_to": {"id": parent, "name": units.get(parent).name} if parent in units.units else None,
            "can_unseal": tipoff["anonymous"] and access.is_commander_of(session, tipoff["unit"]),
        }
        if not tipoff["anonymous"]:
            result["reporter"] = {"zalo_user_id": tipoff["reporter_id"], "contact": tipoff["contact"]}
        return response.json(result)

    @console.post("/api/tipoffs/<code>/status")
    async def set_status(request: Request, code: str):
        session, tipoff, problem = visible(request, code, state_changing=True)
        if problem:
            return problem
        status = str((request.json or {}).get("status") or "")
        if status not in STATUSES:
            return error("Trạng thái không hợp lệ.", 400)
        store.set_status(code, status, session.officer.username, then=push.within)  # and tell the reporter
        return response.json({"ok": True})

    @console.post("/api/tipoffs/<code>/escalate")
    async def escalate(request: Request, code: str):
        session, tipoff, problem = visible(request, code, state_changing=True)
        if problem:
            return problem
        parent = units.get(tipoff["unit"]).parent
        if parent not in units.units:
            return error("Tin báo đã ở đơn vị cấp cao nhất, không chuyển lên được nữa.", 409)
        note = str((request.json or {}).get("note") or "")[:1000]
        if not store.escalate(code, tipoff["unit"], parent, session.officer.username, note):
            return error("Tin báo vừa được chuyển đi nơi khác. Hãy tải lại danh sách.", 409)
        return response.json({"ok": True, "unit": parent, "unit_name": units.get(parent).name})

    @console.post("/api/tipoffs/<code>/unseal")
    async def unseal(request: Request, code: str):
        """Break-glass: who sent an anonymous report, for a commander of its unit, with a reason, audited."""
        session, tipoff, problem = visible(request, code, state_changing=True)
        if problem:
            return problem
        if not access.is_commander_of(session, tipoff["unit"]):
            return error("Chỉ chỉ huy đơn vị xử lý tin báo mới được mở niêm phong danh tính người báo tin.", 403)
        if not tipoff["anonymous"]:
            return error("Tin báo này không ẩn danh: thông tin người báo tin đã có trong chi tiết.", 409)
        reason = str((request.json or {}).get("reason") or "").strip()
        if len(reason) < UNSEAL_REASON_MIN:
            return error(f"Hãy ghi rõ lý do mở niêm phong (ít nhất {UNSEAL_REASON_MIN} ký tự).", 400)
        reporter = store.unseal(code, session.officer.username, reason[:1000])
        if not reporter:
            return error("Không còn thông tin người báo tin của tin báo này.", 404)
        return response.json({"zalo_user_id": reporter})

    return console
