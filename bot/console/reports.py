"""Review reports in the officer console ("Báo cáo"): the figures of a unit
over a period beside the previous period, with plots (bot/reports).
Commanders choose their unit or any unit below it, and a commander's
report covers the chosen unit and every unit below it; officers see their
own unit's report only.

GET /console/reports                      the page (static/reports.html, reports.js)
GET /console/api/reports?unit&from&to     the figures, the plots (PNG, base64) and the units one may choose
GET /console/api/reports/pdf?unit&from&to the PDF
Without ``unit``: the officer's own; without dates: the last 13 weeks to today.

Its background job keeps the reports' daily rollups of citizens' messages
(bot/reports/rollups.py): at start, then every ROLLUP_EVERY_SECONDS.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import logging
from functools import partial
from typing import Any, Dict, List, Optional, Set, Tuple

from sanic import Blueprint, response
from sanic.request import Request

from bot.console.access import Access, error
from bot.core.units import Units
from bot.core.web import VIETNAM
from bot.knowledge.store import KnowledgeBase
from bot.reports import pdf, plots, rollups
from bot.reports.figures import Period, Sources, collect, parse_period

logger = logging.getLogger(__name__)
DEFAULT_DAYS = 91  # 13 weeks: the unit's quarterly review
ROLLUP_EVERY_SECONDS = 15 * 60
NOT_ALLOWED = "Bạn không có quyền xem báo cáo của đơn vị này."


def report_json(sources: Sources, units: Units, unit_id: str, period: Period, covered: Set[str]) -> Dict[str, Any]:
    """What the page shows: the figures, and the plots as base64 PNGs (bench/reports.py times it)."""
    report = collect(sources, units, unit_id, period, covered=covered)
    images = {name: base64.b64encode(plots.png(figure)).decode() for name, figure in plots.all_plots(report).items()}
    return {**report.as_json(), "plots": images}


def create(access: Access, kb: Optional[KnowledgeBase] = None, sources: Optional[Sources] = None) -> Blueprint:
    bp = Blueprint("console_reports", url_prefix="/console")
    opened: List[Sources] = [sources] if sources else []

    def databases() -> Sources:
        """The databases, opened once they hold conversations (before that, at every report)."""
        if opened and opened[0].tracker is not None:
            return opened[0]
        found = Sources.from_env()
        opened[:] = [found]
        return found

    async def keep_rollups(app, loop) -> None:
        app.add_task(rollups_forever(), name="report rollups")  # named: Sanic cancels and awaits it when it stops

    async def rollups_forever() -> None:
        """The closed days rolled up, now and every few minutes (a report builds what is still missing)."""
        while True:
            try:
                tracker = (await run(databases)).tracker
                if tracker is not None:
                    built = await run(rollups.refresh, tracker)
                    if built:
                        logger.info("report rollups: %s days built", built)
            except Exception:  # the next round tries again
                logger.exception("report rollups failed")
            await asyncio.sleep(ROLLUP_EVERY_SECONDS)

    bp.ctx.jobs = [keep_rollups]

    def scope(session, unit_id: str) -> Set[str]:
        """The units a report of ``unit_id`` covers for this officer."""
        if session.officer.role == "commander":
            return access.units.below(unit_id)
        return {unit_id}

    def ask(request: Request) -> Tuple[Any, str, Optional[Period], Any]:
        """(session, unit, period, None) or (None, "", None, the error response)."""
        session, problem = access.check(request)
        if problem:
            return None, "", None, problem
        unit_id = request.args.get("unit") or session.officer.unit
        if unit_id not in access.visible_units(session):
            return None, "", None, error(NOT_ALLOWED, 403)
        today = dt.datetime.now(VIETNAM).date()
        first = request.args.get("from") or str(today - dt.timedelta(days=DEFAULT_DAYS - 1))
        last = request.args.get("to") or str(today)
        try:
            period = parse_period(first, last)
        except ValueError as problem:
            return None, "", None, error(str(problem), 400)
        return session, unit_id, period, None

    async def run(call, *args):
        return await asyncio.get_running_loop().run_in_executor(None, partial(call, *args))

    def build(session, unit_id: str, period: Period):
        return collect(databases(), access.units, unit_id, period, covered=scope(session, unit_id))

    @bp.get("/reports")
    async def page(request: Request):
        return access.page(request, "reports", "Báo cáo", "console-page reports-page")

    @bp.get("/api/reports")
    async def figures(request: Request):
        session, unit_id, period, problem = ask(request)
        if problem:
            return problem
        data = await run(lambda: report_json(databases(), access.units, unit_id, period, scope(session, unit_id)))
        units = access.units
        choices = sorted(access.visible_units(session), key=lambda u: (len(units.above(u)), units.units[u].name))
        top = min(len(units.above(u)) for u in choices)  # depth 0: the officer's own unit
        data["choices"] = [{"id": u, "name": units.units[u].name, "depth": len(units.above(u)) - top} for u in choices]
        return response.json(data, headers={"Cache-Control": "no-store"})

    @bp.get("/api/reports/pdf")
    async def document(request: Request):
        session, unit_id, period, problem = ask(request)
        if problem:
            return problem
        report = await run(build, session, unit_id, period)
        body = await run(pdf.pdf_bytes, report)
        name = f"bao-cao-{unit_id}-{period.first}-{period.last}.pdf"
        return response.raw(body, content_type="application/pdf",
                            headers={"Content-Disposition": f'attachment; filename="{name}"',
                                     "Cache-Control": "no-store"})

    return bp
