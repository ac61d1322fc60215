"""The report as a PDF (matplotlib's PdfPages): a title page with the key
figures of the period beside the previous one, a page of details (officers,
SOS, tip-offs, announcements, what is not collected yet), the units below
side by side for a commander, then one page per plot (plots.py)."""

from __future__ import annotations

import datetime as dt
import io
from typing import BinaryIO, List, Sequence, Union

import matplotlib
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from bot.core.web import VIETNAM
from bot.reports import plots
from bot.reports.figures import (
    NO_DATA,
    TIPOFF_KIND_LABELS,
    TIPOFF_STATUS_LABELS,
    Report,
    duration,
    number,
    percent,
)

A4 = (8.27, 11.69)
HEADER = "#dde6f2"


def _page() -> Figure:
    return Figure(figsize=A4, dpi=100)


def _table(figure: Figure, top: float, height: float, title: str, header: Sequence[str],
           rows: List[Sequence[str]], widths: Sequence[float]) -> None:
    """A titled table in the band [top - height, top] of the page."""
    figure.text(0.07, top, title, fontsize=11, weight="bold", va="top")
    axes = figure.add_axes([0.07, top - height, 0.86, height - 0.025])
    axes.axis("off")
    if not rows:
        axes.text(0, 0.9, "Không có dữ liệu trong kỳ.", fontsize=9, va="top")
        return
    table = axes.table(cellText=[list(map(str, r)) for r in rows], colLabels=list(header), colWidths=list(widths),
                       loc="upper left", cellLoc="left", colLoc="left")
    table.auto_set_font_size(False)
    table.set_fontsize(8)
    table.scale(1, 1.25)
    for (row, _), cell in table.get_celld().items():
        cell.set_edgecolor("#b0b8c4")
        if row == 0:
            cell.set_facecolor(HEADER)
            cell.set_text_props(weight="bold")


def title_page(report: Report) -> Figure:
    figure = _page()
    figure.text(0.07, 0.95, "BÁO CÁO KẾT QUẢ HỖ TRỢ NGƯỜI DÂN QUA ZALO", fontsize=15, weight="bold", va="top")
    figure.text(0.07, 0.915, report.unit_name, fontsize=12, va="top")
    figure.text(0.07, 0.89, f"Kỳ báo cáo: {report.period.label()} ({report.period.days} ngày) — so với kỳ trước: "
                f"{report.previous_period.label()}", fontsize=9, va="top")
    generated = dt.datetime.fromtimestamp(report.generated_at, VIETNAM)
    scope = f"Gồm {len(report.units)} đơn vị (đơn vị và các đơn vị trực thuộc)." if len(report.units) > 1 else ""
    figure.text(0.07, 0.87, f"Lập lúc {generated:%H:%M ngày %d/%m/%Y}. {scope}", fontsize=9, va="top", color="#555")
    rows = [[k.label, k.current, k.previous, k.change] for k in report.key_figures()]
    _table(figure, 0.83, 0.6, "Số liệu chính", ["Chỉ tiêu", "Kỳ này", "Kỳ trước", "Thay đổi"], rows,
           [0.5, 0.15, 0.15, 0.2])
    questions = report.current.questions
    notes = [
        f"Trợ lý ảo tự giải đáp: tỷ lệ người dân nhắn tin trong kỳ mà không cần gặp cán bộ "
        f"({number(questions.citizens_with_officer)} người dân đã gặp cán bộ).",
        f"Tin nhắn chưa hiểu: {number(questions.not_understood)}; ngoài phạm vi: {number(questions.out_of_scope)}.",
        f"Thời gian mục tiêu cho cán bộ nhận cuộc trò chuyện: {duration(report.current.chats.target_seconds)} "
        "(data/handoff.yml).",
        "Nhóm câu hỏi chưa trả lời được: " + (NO_DATA if questions.unanswered_groups is None else
                                             ", ".join(f"{g} ({n})" for g, n in questions.unanswered_groups)) + ".",
        "Đánh giá của người dân (Hữu ích / Chưa đúng): " + (NO_DATA if report.current.feedback is None else
                                                           ", ".join(f"{k}: {v}" for k, v in
                                                                     report.current.feedback.items())) + ".",
    ]
    for i, note in enumerate(notes):
        figure.text(0.07, 0.2 - i * 0.022, "• " + note, fontsize=8, va="top", wrap=True)
    return figure


def details_page(report: Report) -> Figure:
    figure = _page()
    now = report.current
    chats, sos, reports, announced = now.chats, now.sos, now.tipoffs, now.announcements
    figure.text(0.07, 0.95, "Chi tiết kỳ báo cáo", fontsize=14, weight="bold", va="top")
    _table(figure, 0.91, 0.17, "Cuộc trò chuyện với cán bộ",
           ["Yêu cầu", "Đã nhận", "Chờ nhận (trung vị / 90 %)", "Trả lời đầu (trung vị / 90 %)", "Quá mục tiêu",
            "Hết giờ chờ"],
           [[number(chats.requests), number(chats.claimed), f"{duration(chats.claim_p50)} / {duration(chats.claim_p90)}",
             f"{duration(chats.reply_p50)} / {duration(chats.reply_p90)}", number(chats.past_target),
             number(chats.timed_out)]], [0.1, 0.1, 0.24, 0.24, 0.14, 0.14])
    _table(figure, 0.76, 0.27, "Theo cán bộ",
           ["Cán bộ", "Số cuộc", "Đã trả lời", "Chờ nhận (trung vị)", "Trả lời đầu (trung vị)"],
           [[o.officer, number(o.chats), number(o.replied), duration(o.claim_p50), duration(o.reply_p50)]
            for o in chats.officers[:12]], [0.3, 0.12, 0.12, 0.23, 0.23])
    _table(figure, 0.5, 0.1, "Tin khẩn cấp SOS", ["Số tin SOS", "Cán bộ đã nhận", "Đến khi cán bộ nhận (trung vị / 90 %)"],
           [[number(sos.count), number(sos.claimed), f"{duration(sos.claim_p50)} / {duration(sos.claim_p90)}"]],
           [0.2, 0.2, 0.6])
    kinds = [f"{TIPOFF_KIND_LABELS[k]}: {number(v)}" for k, v in reports.by_kind.items()]
    statuses = [f"{TIPOFF_STATUS_LABELS.get(k, k)}: {number(v)}" for k, v in reports.by_status.items()]
    _table(figure, 0.39, 0.12, "Tin báo tố giác (chỉ số lượng và thời gian, không có nội dung)",
           ["Tổng", "Theo loại", "Theo trạng thái", "Đến xử lý đầu tiên (trung vị / 90 %)"],
           [[number(reports.total), "; ".join(kinds), "; ".join(statuses[:2]),
             f"{duration(reports.first_action_p50)} / {duration(reports.first_action_p90)}"],
            ["", "", "; ".join(statuses[2:]), f"đã xử lý: {number(reports.acted)}"]], [0.1, 0.3, 0.3, 0.3])
    _table(figure, 0.26, 0.1, "Thông báo",
           ["Đã đăng", "Đã gửi tới người dân", "Bị từ chối / lỗi", "Đang gửi", "Ngoài thời hạn 7 ngày của Zalo"],
           [[number(announced.published), number(announced.delivered), number(announced.refused),
             number(announced.sending), number(announced.out_of_window)]], [0.14, 0.22, 0.2, 0.14, 0.3])
    alone = percent(now.questions.assistant_alone)
    figure.text(0.07, 0.13, f"Trợ lý ảo tự giải đáp {alone} số người dân nhắn tin; "
                f"{percent(now.questions.not_understood_share)} tin nhắn chưa hiểu hoặc ngoài phạm vi.", fontsize=9)
    return figure


def units_page(report: Report) -> Figure:
    figure = _page()
    figure.text(0.07, 0.95, "So sánh các đơn vị trong kỳ", fontsize=14, weight="bold", va="top")
    figure.text(0.07, 0.925, "Số liệu riêng của từng đơn vị (không cộng các đơn vị trực thuộc).", fontsize=9,
                va="top", color="#555")
    rows = [[plots._short(r.name), number(r.messages), number(r.citizens), number(r.new_followers), number(r.chats),
             duration(r.claim_p50), number(r.past_target), number(r.timed_out), number(r.sos), number(r.tipoffs)]
            for r in report.units_compared]
    _table(figure, 0.9, 0.85, "", ["Đơn vị", "Tin nhắn", "Người dân", "Quan tâm mới", "Gặp cán bộ",
                                   "Chờ nhận (TV)", "Quá mục tiêu", "Hết giờ", "SOS", "Tin báo"], rows,
           [0.22, 0.09, 0.09, 0.09, 0.09, 0.1, 0.09, 0.07, 0.07, 0.08])
    return figure


def pages(report: Report) -> List[Figure]:
    found = [title_page(report), details_page(report)]
    if report.units_compared:
        found.append(units_page(report))
    return found + list(plots.all_plots(report).values())


def write(report: Report, out: Union[str, BinaryIO]) -> None:
    # TrueType fonts (not Type 3): readers can search and copy the Vietnamese text
    with matplotlib.rc_context({"pdf.fonttype": 42}), PdfPages(out, metadata={"Title": f"Báo cáo {report.unit_name} {report.period.label()}",
                                "Author": "Trợ lý ảo Công an trên Zalo"}) as pdf:
        for figure in pages(report):
            pdf.savefig(figure)


def pdf_bytes(report: Report) -> bytes:
    out = io.BytesIO()
    write(report, out)
    return out.getvalue()
