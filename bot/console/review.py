"""Messages the assistant did not serve, for content staff ("Câu hỏi cần xử
lý"): editors and commanders see the open messages of their unit and the
units below it, grouped (bot/review/grouping.py), and give a group or one
message to a procedure (a new example in its file), to another agency (a
new out-of-scope example), or skip it (bot/review/queue.py; audited).

GET  /console/review                      the page (static/review.html, review.js)
GET  /console/api/review                  groups, procedures by domain, agencies
POST /console/api/review/assign           {"ids", "procedure"}
POST /console/api/review/out-of-scope     {"ids", "agency"}
POST /console/api/review/skip             {"ids"}
GET, POST /console/api/review/retrain     the retrains; start one (bot/console/retrain.py)
"""

from __future__ import annotations

import asyncio
from functools import partial
from typing import Any, Dict, List

from sanic import Blueprint, response
from sanic.request import Request

from bot.console import retrain
from bot.console.access import Access, error, may_see
from bot.handoff.store import HandoffStore
from bot.knowledge.store import KnowledgeBase
from bot.review import content
from bot.review.content import ContentError, Unknown
from bot.review.grouping import groups
from bot.review.queue import ReviewQueue
from bot.review.settings import settings

PAGE = "/console/review"
KIND_LABELS = {
    "not_understood": "Không hiểu",
    "out_of_scope": "Ngoài phạm vi",
    "low_confidence": "Trả lời chưa chắc chắn",
    "clarification_ignored": "Không chọn khi được hỏi lại",
    "complaint": "Người dân nói trả lời sai",
    "officer_after_answer": "Đòi gặp cán bộ sau câu trả lời",
    "marked_wrong": "Người dân đánh dấu sai",
}


def create(access: Access, kb: KnowledgeBase) -> Blueprint:
    bp = Blueprint("console_review", url_prefix="/console")
    queue = ReviewQueue()
    handoffs = HandoffStore(queue.store.engine)
    units = access.units

    def allowed(request: Request, state_changing: bool = False):
        """(session, None) or (None, the error response)."""
        session, problem = access.check(request, state_changing)
        if problem:
            return None, problem
        if not may_see(session.officer.role, PAGE):
            return None, error("Chỉ biên tập viên nội dung và chỉ huy mới xem được trang này.", 403)
        return session, None

    def seen_units(session) -> set:
        return units.below(session.officer.unit)

    def sample_json(row: Dict[str, Any], chats: bool) -> Dict[str, Any]:
        chat = handoffs.latest_for(row["conversation_id"]) if chats else None
        return {"id": row["id"], "text": row["text"], "unit_name": units.get(row["unit"]).name,
                "kind": KIND_LABELS.get(row["kind"], row["kind"]), "created_at": row["created_at"],
                "conversation_id": row["conversation_id"],
                "chat_link": f"/console#chat-{chat['id']}" if chat else None}

    def listing(session) -> Dict[str, Any]:
        chats = may_see(session.officer.role, "/console")
        found = groups(queue.store.rows(units=seen_units(session)), settings()["samples_per_group"])
        return {
            "groups": [{**g, "units": [units.get(u).name for u in g["units"]],
                        "kinds": [KIND_LABELS.get(k, k) for k in g["kinds"]],
                        "guess_name": kb.procedures[g["guess"]].name if g["guess"] in kb.procedures else None,
                        "samples": [sample_json(r, chats) for r in g["samples"]]} for g in found],
            "domains": content.procedures_by_domain(),
            "agencies": content.agencies(),
        }

    async def run(call, *args, **kwargs):
        return await asyncio.get_running_loop().run_in_executor(None, partial(call, *args, **kwargs))

    def ids_of(body: Dict[str, Any]) -> List[int]:
        ids = body.get("ids")
        if not isinstance(ids, list) or not ids or not all(isinstance(i, int) for i in ids) or len(ids) > 10000:
            return []
        return ids

    @bp.get("/review")
    async def page(request: Request):
        return access.page(request, "review", "Câu hỏi cần xử lý", "console-page review-page")

    @bp.get("/api/review")
    async def list_groups(request: Request):
        session, problem = allowed(request)
        if problem:
            return problem
        return response.json(await run(listing, session))

    async def act(request: Request, name: str, target: str = ""):
        session, problem = allowed(request, state_changing=True)
        if problem:
            return problem
        body = request.json if isinstance(request.json, dict) else {}
        ids = ids_of(body)
        if not ids:
            return error("Hãy chọn câu hỏi cần xử lý.", 400)
        value = str(body.get(target) or "") if target else ""
        if target and not value:
            return error("Hãy chọn thủ tục." if target == "procedure" else "Hãy chọn cơ quan.", 400)
        method = getattr(queue, name)
        try:
            done = await run(method, ids, *([value] if target else []), session.officer.username,
                             units=seen_units(session))
        except Unknown as unknown:
            return error(str(unknown), 404)
        except ContentError as refused:  # already an example, or the content check failed
            return error(str(refused), 409)
        return response.json(done)

    @bp.post("/api/review/assign")
    async def assign(request: Request):
        return await act(request, "assign", "procedure")

    @bp.post("/api/review/out-of-scope")
    async def out_of_scope(request: Request):
        return await act(request, "out_of_scope", "agency")

    @bp.post("/api/review/skip")
    async def skip(request: Request):
        return await act(request, "skip")

    retrain.add_routes(bp, allowed)
    return bp
