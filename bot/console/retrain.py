"""The review page's "Huấn luyện lại" (bot/review/retrain.py): editors and
commanders start a retrain and follow it; the routes join the review page's
blueprint (``add_routes``), under its API so editors may call them.

GET  /console/api/review/retrain     the last retrains: status, who, figures before and after, seconds per step
POST /console/api/review/retrain     start one in the background (409 while another runs)
"""

from __future__ import annotations

import asyncio
from typing import Callable

from sanic import Blueprint, response
from sanic.request import Request

from bot.console.access import error
from bot.review.retrain import Busy, Retrainer

STATUS_LABELS = {"training": "Đang huấn luyện", "evaluating": "Đang đánh giá", "swapping": "Đang đưa vào sử dụng",
                 "live": "Đã dùng mô hình mới", "refused": "Không dùng: mô hình mới kém hơn", "failed": "Lỗi"}


def add_routes(bp: Blueprint, allowed: Callable) -> None:
    """``allowed(request, state_changing)`` -> (session, None) or (None, the error response): the page's check."""
    retrainer = Retrainer()

    @bp.get("/api/review/retrain")
    async def history(request: Request):
        _, problem = allowed(request)
        if problem:
            return problem
        rows = await asyncio.get_running_loop().run_in_executor(None, retrainer.history)
        return response.json({"retrains": [{**row, "status_label": STATUS_LABELS.get(row["status"], row["status"])}
                                           for row in rows]}, headers={"Cache-Control": "no-store"})

    @bp.post("/api/review/retrain")
    async def start(request: Request):
        session, problem = allowed(request, state_changing=True)
        if problem:
            return problem
        try:
            retrain_id = await asyncio.get_running_loop().run_in_executor(
                None, retrainer.start, session.officer.username)
        except Busy as busy:
            return error(str(busy), 409)
        return response.json({"id": retrain_id, "status": "training"}, status=202)
