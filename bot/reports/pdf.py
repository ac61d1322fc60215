"""The report as a PDF (matplotlib's PdfPages): a title page with the key
figures of the period beside the previous one, a page of details (officers,
SOS, tip-offs, announcements, questions kept for review, feedback), the units below
side by side for a commander, then one page per plot (plots.py)."""

from __future__ import annotations

import datetime as dt
import io
from typing import BinaryIO, List, Sequence, Union

import matplotlib
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from bot.core.web import VIETNAM
from bot.reports import plots
from bot.reports.figures import (
    TIPOFF_KIND_LABELS,
    TIPOFF_STATUS_LABELS,
    Report,
    duration,
    number,
)

A4 = (8.27, 11.69)
A4_LANDSCAPE = (11.69, 8.27)
HEADER = "#dde6f2"
LINE = "#b0b8c4"
ROW = 0.019  # a table row's height, in page fractions (portrait)
LEFT, WIDTH = 0.07, 0.86
OFFICERS_SHOWN = 8  # on the details page (the CSV table and the console list every officer)


def _page(size=A4) -> Figure:
    return Figure(figsize=size, dpi=100)


def _table(figure: Figure, top: float, title: str, header: Sequence[str], rows: List[Sequence[str]],
           widths: Sequence[float], row: float = ROW, size: float = 8) -> float:
    """A titled table from ``top`` down (text and lines drawn directly: fast);
    ``widths``: the columns' shares of the width. Where the next thing may start."""
    if title:
        figure.text(LEFT, top, title, fontsize=11, weight="bold", va="top")
        top -= 0.03
    if not rows:
        figure.text(LEFT, top, "Không có dữ liệu trong kỳ.", fontsize=9, va="top")
        return top - 0.04
    lefts = [LEFT + WIDTH * sum(widths[:i]) for i in range(len(widths))]
    figure.patches.append(Rectangle((LEFT, top - row), WIDTH, row, transform=figure.transFigure, color=HEADER,
                                    zorder=0))
    for i, line in enumerate([header, *rows]):
        y = top - i * row
        for x, value in zip(lefts, line):
            figure.text(x + 0.006, y - row / 2, str(value), fontsize=size, va="center",
                        weight="bold" if i == 0 else "normal")
        figure.lines.append(Line2D([LEFT, LEFT + WIDTH], [y - row, y - row], transform=figure.transFigure,
                                   color=LINE, linewidth=0.5))
    figure.lines.append(Line2D([LEFT, LEFT + WIDTH], [top, top], transform=figure.transFigure, color=LINE,
                               linewidth=0.5))
    return top - (len(rows) + 1) * row - 0.025


def _pairs(figure: Figure, top: float, title: str, pairs: List[Sequence[str]]) -> float:
    """A titled two-column table: what, and its value."""
    return _table(figure, top, title, ["Chỉ tiêu", "Kỳ này"], pairs, [0.5, 0.5])


def title_page(report: Report) -> Figure:
    figure = _page()
    figure.text(LEFT, 0.95, "BÁO CÁO KẾT QUẢ HỖ TRỢ NGƯỜI DÂN QUA ZALO", fontsize=15, weight="bold", va="top")
    figure.text(LEFT, 0.915, report.unit_name, fontsize=12, va="top")
    figure.text(LEFT, 0.89, f"Kỳ báo cáo: {report.period.label()} ({report.period.days} ngày) — so với kỳ trước: "
                f"{report.previous_period.label()}", fontsize=9, va="top")
    generated = dt.datetime.fromtimestamp(report.generated_at, VIETNAM)
    scope = f"Gồm {len(report.units)} đơn vị (đơn vị và các đơn vị trực thuộc)." if len(report.units) > 1 else ""
    figure.text(LEFT, 0.87, f"Lập lúc {generated:%H:%M ngày %d/%m/%Y}. {scope}", fontsize=9, va="top", color="#555")
    rows = [[k.label, k.current, k.previous, k.change] for k in report.key_figures()]
    below = _table(figure, 0.83, "Số liệu chính", ["Chỉ tiêu", "Kỳ này", "Kỳ trước", "Thay đổi"], rows,
                   [0.5, 0.15, 0.15, 0.2])
    questions = report.current.questions
    notes = [
        "Trợ lý ảo tự giải đáp: tỷ lệ người dân nhắn tin trong kỳ mà không cần gặp cán bộ "
        f"({number(questions.citizens_with_officer)} người dân đã gặp cán bộ).",
        f"Tin nhắn chưa hiểu: {number(questions.not_understood)}; ngoài phạm vi: {number(questions.out_of_scope)}.",
        f"Thời gian mục tiêu cho cán bộ nhận cuộc trò chuyện: {duration(report.current.chats.target_seconds)} "
        "(data/handoff.yml).",
        "Nhóm câu hỏi chưa trả lời được (trang Câu hỏi cần xử lý): "
        + ("; ".join(f"“{g}” ({n})" for g, n in questions.unanswered_groups) or "không có") + ".",
        "Đánh giá của người dân: " + ", ".join(f"{k} {number(v)}" for k, v in report.current.feedback.items()) + ".",
    ]
    figure.text(LEFT, below, "Ghi chú", fontsize=11, weight="bold", va="top")
    for i, note in enumerate(notes):
        figure.text(LEFT, below - 0.03 - i * 0.022, "• " + note, fontsize=8, va="top")
    return figure


def details_page(report: Report) -> Figure:
    figure = _page()
    now = report.current
    chats, sos, reports, announced = now.chats, now.sos, now.tipoffs, now.announcements
    figure.text(LEFT, 0.95, "Chi tiết kỳ báo cáo " + report.period.label(), fontsize=14, weight="bold", va="top")
    top = _pairs(figure, 0.91, "Cuộc trò chuyện với cán bộ", [
        ["Yêu cầu gặp cán bộ (kể cả SOS)", number(chats.requests)],
        ["Cán bộ đã nhận", number(chats.claimed)],
        ["Thời gian chờ cán bộ nhận: trung vị / 90 %", f"{duration(chats.claim_p50)} / {duration(chats.claim_p90)}"],
        ["Thời gian đến câu trả lời đầu tiên: trung vị / 90 %",
         f"{duration(chats.reply_p50)} / {duration(chats.reply_p90)}"],
        [f"Chờ quá {duration(chats.target_seconds)} (mục tiêu)", number(chats.past_target)],
        ["Hết thời gian chờ, không có cán bộ nhận", number(chats.timed_out)]])
    shown = chats.officers[:OFFICERS_SHOWN]
    top = _table(figure, top, "Theo cán bộ" + (f" ({OFFICERS_SHOWN} trong {len(chats.officers)} cán bộ, nhiều cuộc "
                                                "nhất; đủ danh sách: bảng officers.csv)"
                                                if len(chats.officers) > OFFICERS_SHOWN else ""),
                 ["Cán bộ", "Số cuộc", "Đã trả lời", "Chờ nhận (trung vị)", "Trả lời đầu (trung vị)"],
                 [[o.officer, number(o.chats), number(o.replied), duration(o.claim_p50), duration(o.reply_p50)]
                  for o in shown], [0.32, 0.12, 0.12, 0.22, 0.22])
    top = _pairs(figure, top, "Tin khẩn cấp SOS", [
        ["Số tin SOS", number(sos.count)], ["Cán bộ đã nhận", number(sos.claimed)],
        ["Từ tin nhắn đến khi cán bộ nhận: trung vị / 90 %", f"{duration(sos.claim_p50)} / {duration(sos.claim_p90)}"]])
    top = _pairs(figure, top, "Tin báo tố giác (chỉ số lượng và thời gian, không có nội dung)", [
        ["Tổng số", number(reports.total)],
        ["Theo loại", "; ".join(f"{TIPOFF_KIND_LABELS[k]}: {number(v)}" for k, v in reports.by_kind.items())],
        ["Theo trạng thái", "; ".join(f"{TIPOFF_STATUS_LABELS.get(k, k)}: {number(v)}"
                                      for k, v in reports.by_status.items())],
        ["Đã được xử lý (đổi trạng thái hoặc chuyển cấp trên)", number(reports.acted)],
        ["Thời gian đến xử lý đầu tiên: trung vị / 90 %",
         f"{duration(reports.first_action_p50)} / {duration(reports.first_action_p90)}"]])
    _pairs(figure, top, "Thông báo", [
        ["Thông báo đã đăng", number(announced.published)],
        ["Người dân đã nhận (mọi tin đã gửi)", number(announced.delivered)],
        ["Zalo từ chối hoặc lỗi", number(announced.refused)], ["Đang gửi", number(announced.sending)],
        ["Ngoài thời hạn 7 ngày của Zalo (không gửi)", number(announced.out_of_window)]])
    return figure


def units_page(report: Report) -> Figure:
    figure = _page(A4_LANDSCAPE)
    figure.text(LEFT, 0.94, "So sánh các đơn vị trong kỳ " + report.period.label(), fontsize=14, weight="bold",
                va="top")
    figure.text(LEFT, 0.9, "Số liệu riêng của từng đơn vị (không cộng các đơn vị trực thuộc).", fontsize=9,
                va="top", color="#555")
    rows = [[plots.short_name(r.name), number(r.messages), number(r.citizens), number(r.new_followers),
             number(r.chats), duration(r.claim_p50), number(r.past_target), number(r.timed_out), number(r.sos),
             number(r.tipoffs)] for r in report.units_compared]
    _table(figure, 0.86, "", ["Đơn vị", "Tin nhắn", "Người dân", "Quan tâm mới", "Gặp cán bộ", "Chờ nhận (TV)",
                              "Quá mục tiêu", "Hết giờ chờ", "SOS", "Tin báo"], rows,
           [0.22, 0.08, 0.08, 0.1, 0.09, 0.11, 0.1, 0.08, 0.06, 0.08], row=min(0.03, 0.8 / (len(rows) + 1)))
    return figure


def pages(report: Report) -> List[Figure]:
    found = [title_page(report), details_page(report)]
    if report.units_compared:
        found.append(units_page(report))
    return found + list(plots.all_plots(report).values())


def write(report: Report, out: Union[str, BinaryIO]) -> None:
    # TrueType fonts (not Type 3): readers can search and copy the Vietnamese text
    metadata = {"Title": f"Báo cáo {report.unit_name} {report.period.label()}", "Author": "Trợ lý ảo Công an trên Zalo"}
    with matplotlib.rc_context({"pdf.fonttype": 42}), PdfPages(out, metadata=metadata) as pdf:
        for figure in pages(report):
            pdf.savefig(figure)


def pdf_bytes(report: Report) -> bytes:
    out = io.BytesIO()
    write(report, out)
    return out.getvalue()
