"""QR sheets in the officer console: officers print the sheets of the units
they see (bot/qr/sheets.py).

GET /console/qr                 the page (static/qr.html, qr.js)
GET /console/api/qr/options     the units the officer sees, the procedures by domain (in
                                Vietnamese alphabetical order: bot/core/collation.py), and whether
                                the public address (PUBLIC_URL) is localhost (the page's banner)
GET /console/api/qr?unit=&procedure=&format=png|pdf[&allow_localhost=1]
                                the sheet; header X-QR-Link is what its code opens. A procedure
                                sheet whose link is localhost: 409, unless allow_localhost=1
                                (the page's "Vẫn in (chỉ để thử)")
"""

from __future__ import annotations

import asyncio
from functools import partial

from sanic import Blueprint, response
from sanic.request import Request

from bot.console.access import Access, error
from bot.core import collation
from bot.core.web import is_localhost, public_url
from bot.knowledge.store import KnowledgeBase
from bot.qr import sheets as qr


def create(access: Access, kb: KnowledgeBase) -> Blueprint:
    bp = Blueprint("console_qr", url_prefix="/console")
    units = access.units

    @bp.get("/qr")
    async def page(request: Request):
        return access.page(request, "qr", "Mã QR", "console-page qr-page")

    @bp.get("/api/qr/options")
    async def options(request: Request):
        session, problem = access.check(request)
        if problem:
            return problem
        visible = access.visible_units(session)
        own = session.officer.unit
        listed = sorted((u for u in units.all() if u.id in visible), key=lambda u: (u.id != own, u.name))
        domains = [
            {"domain": domain, "name": name,
             "procedures": [{"id": p.id, "name": p.name} for p in sorted(
                 (p for p in kb.procedures.values() if p.domain == domain), key=lambda p: collation.sort_key(p.name))]}
            for domain, name in kb.domains.items()  # in the catalogue's order (data/procedure_catalogue.yml)
        ]
        return response.json({
            "units": [{"id": u.id, "name": u.name} for u in listed],
            "domains": [d for d in domains if d["procedures"]],
            "public_url": public_url(),
            "public_url_is_localhost": is_localhost(public_url()),
        })

    @bp.get("/api/qr")
    async def sheet(request: Request):
        session, problem = access.check(request)
        if problem:
            return problem
        unit_id = request.args.get("unit") or session.officer.unit
        procedure_id = request.args.get("procedure") or None
        fmt = request.args.get("format") or "png"
        if unit_id not in access.visible_units(session):
            return error("Không tìm thấy đơn vị này trong các đơn vị bạn quản lý.", 404)
        if procedure_id is not None and procedure_id not in kb.procedures:
            return error("Không tìm thấy thủ tục này.", 404)
        if fmt not in ("png", "pdf"):
            return error("Định dạng không hợp lệ: chọn PNG hoặc PDF.", 400)
        make = qr.sheet_pdf if fmt == "pdf" else qr.sheet_png
        allow_localhost = request.args.get("allow_localhost") == "1"
        loop = asyncio.get_running_loop()
        try:  # drawing takes a fraction of a second: off the event loop
            content = await loop.run_in_executor(
                None, partial(make, unit_id, procedure_id, kb=kb, allow_localhost=allow_localhost))
            link = qr.link_for(unit_id, procedure_id, kb=kb)
        except qr.NoOfficialAccount:
            return error("Chưa cấu hình Official Account Zalo nào cho hệ thống, nên chưa tạo được mã QR. "
                         "Hãy báo quản trị viên.", 503)
        except qr.LocalhostLink as refused:
            return error(f"Chưa in tờ này: mã QR sẽ mở {refused.link}, địa chỉ localhost mà điện thoại của người "
                         "dân không mở được. Báo quản trị viên đặt PUBLIC_URL, hoặc chọn “Vẫn in (chỉ để thử)”.",
                         409)
        name = qr.filename(unit_id, procedure_id, fmt)
        disposition = "attachment" if fmt == "pdf" else "inline"
        return response.raw(content, content_type="application/pdf" if fmt == "pdf" else "image/png", headers={
            "Content-Disposition": f'{disposition}; filename="{name}"',
            "X-QR-Link": link,
            "Cache-Control": "no-store",
        })

    return bp
