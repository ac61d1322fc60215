"""Personal data requests in the officer console ("Dữ liệu cá nhân"): a
citizen asks to see or erase what is kept about them (docs/privacy.md).
Only a commander of the top unit (who sees every unit) may act; every
export and erasure is in the audit log (bot/privacy/retention.py).

GET  /console/privacy                 the page (static/privacy.html, privacy.js)
POST /console/api/privacy/export      {"conversation_id"}: the JSON file
POST /console/api/privacy/erase       {"conversation_id", "confirm"}: confirm repeats the id
"""

from __future__ import annotations

import asyncio
import json
from functools import partial

from sanic import Blueprint, response
from sanic.request import Request

from bot.console.access import Access, error
from bot.knowledge.store import KnowledgeBase
from bot.privacy.retention import Retention

NOT_ALLOWED = "Chỉ chỉ huy đơn vị cấp trên cùng mới được xuất hoặc xóa dữ liệu cá nhân của người dân."


def create(access: Access, kb: KnowledgeBase) -> Blueprint:
    bp = Blueprint("console_privacy", url_prefix="/console")
    every_unit = {u.id for u in access.units.all()}

    def allowed(request: Request):
        """(session, the citizen's conversation id, the error to answer or None)."""
        session, problem = access.check(request, state_changing=True)
        if problem:
            return None, "", problem
        if session.officer.role != "commander" or access.visible_units(session) != every_unit:
            return None, "", error(NOT_ALLOWED, 403)
        conversation_id = str(body(request).get("conversation_id") or "").strip()
        if not conversation_id or len(conversation_id) > 128:
            return None, "", error("Hãy nhập mã người dùng Zalo của người dân.", 400)
        return session, conversation_id, None

    def body(request: Request) -> dict:
        return request.json if isinstance(request.json, dict) else {}

    async def run(call, *args):
        return await asyncio.get_running_loop().run_in_executor(None, partial(call, *args))

    @bp.get("/privacy")
    async def page(request: Request):
        return access.page(request, "privacy", "Dữ liệu cá nhân", "console-page privacy-page")

    @bp.post("/api/privacy/export")
    async def export(request: Request):
        session, conversation_id, problem = allowed(request)
        if problem:
            return problem
        data = await run(Retention.from_env().export, conversation_id, session.officer.username)
        return response.raw(json.dumps(data, ensure_ascii=False, indent=1).encode(), content_type="application/json",
                            headers={"Content-Disposition": 'attachment; filename="du-lieu-ca-nhan.json"',
                                     "Cache-Control": "no-store"})

    @bp.post("/api/privacy/erase")
    async def erase(request: Request):
        session, conversation_id, problem = allowed(request)
        if problem:
            return problem
        if str(body(request).get("confirm") or "").strip() != conversation_id:
            return error("Nhập lại đúng mã người dùng để xác nhận xóa.", 400)
        deleted = await run(Retention.from_env().erase, conversation_id, session.officer.username)
        return response.json({"deleted": deleted})

    return bp
