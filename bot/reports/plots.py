"""The report's plots (matplotlib, Agg: no display needed): weekly volume,
the procedures asked most, how long chats waited for an officer, and the
units side by side. Each function returns a Figure; ``png`` renders one
for the console page, pdf.py puts them in the PDF."""

from __future__ import annotations

import io
import textwrap
from typing import Dict, List

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure  # noqa: E402  (after choosing the backend)
from matplotlib.ticker import MaxNLocator  # noqa: E402

from bot.reports.figures import Report  # noqa: E402

CURRENT, PREVIOUS, ACCENT = "#1f5fa8", "#a9b8cc", "#c0392b"
SIZE = (8.27, 4.6)  # A4's width


def _figure(title: str, left: float = 0.09, right: float = 0.97, bottom: float = 0.16) -> tuple:
    """A plot's figure and axes, its margins fixed (no layout pass: each costs a drawing)."""
    figure = Figure(figsize=SIZE, dpi=100)
    figure.subplots_adjust(left=left, right=right, top=0.9, bottom=bottom)
    axes = figure.add_subplot(1, 1, 1)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_title(title, fontsize=12, loc="left")
    axes.spines["top"].set_visible(False)
    axes.spines["right"].set_visible(False)
    return figure, axes


def weekly_volume(report: Report) -> Figure:
    """Messages per week, this period and the one before, with citizens per week."""
    figure, axes = _figure("Tin nhắn và người dân mỗi tuần", bottom=0.2)
    now, before = report.current.volume.weekly, report.previous.volume.weekly
    weeks = range(1, len(now) + 1)
    axes.bar([w - 0.2 for w in weeks], [w.messages for w in now], width=0.4, color=CURRENT, label="Tin nhắn (kỳ này)")
    axes.bar([w + 0.2 for w in range(1, len(before) + 1)], [w.messages for w in before], width=0.4,
             color=PREVIOUS, label="Tin nhắn (kỳ trước)")
    axes.plot(list(weeks), [w.citizens for w in now], color=ACCENT, marker="o", label="Người dân (kỳ này)")
    axes.set_xlabel("Tuần")
    axes.set_xticks(list(weeks))
    axes.set_xticklabels([f"{i}\n{w.first_day[8:10]}/{w.first_day[5:7]}" for i, w in enumerate(now, 1)], fontsize=7)
    axes.set_ylim(0, max([w.messages for w in now + before] + [1]) * 1.3)  # room for the legend
    axes.legend(fontsize=7, frameon=False, loc="upper center", ncol=3)
    return figure


def top_procedures(report: Report) -> Figure:
    figure, axes = _figure("Thủ tục được hỏi nhiều nhất", left=0.42, bottom=0.12)
    procedures = list(reversed(report.current.questions.top_procedures))
    if procedures:
        axes.barh(range(len(procedures)), [p.asked for p in procedures], color=CURRENT)
        axes.set_yticks(range(len(procedures)))
        axes.set_yticklabels([textwrap.shorten(p.name, 55, placeholder="…") for p in procedures])
        axes.tick_params(axis="y", labelsize=8)
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_xlabel("Số tin nhắn")
    else:
        _empty(axes)
    return figure


def waiting_times(report: Report) -> Figure:
    """Chats by how long they waited for an officer to take them."""
    figure, axes = _figure("Thời gian chờ cán bộ nhận cuộc trò chuyện", bottom=0.2)
    waits = report.current.chats.waits
    if any(count for _, count in waits):
        colors = [CURRENT] * (len(waits) - 1) + [ACCENT]
        axes.bar(range(len(waits)), [count for _, count in waits], color=colors)
        axes.set_xticks(range(len(waits)))
        axes.set_xticklabels([textwrap.fill(label, 12) for label, _ in waits], fontsize=7)
        axes.set_ylabel("Số cuộc")
        target = report.current.chats.target_seconds
        axes.text(0.99, 0.95, f"Mục tiêu: {int(target)} giây", transform=axes.transAxes, ha="right", fontsize=8)
    else:
        _empty(axes)
    return figure


def units_compared(report: Report) -> Figure:
    """The units below side by side: messages, officer chats, SOS and tip-offs."""
    figure, axes = _figure("So sánh các đơn vị", right=0.9, bottom=0.24)
    rows = report.units_compared
    if rows:
        series = [("Tin nhắn", [r.messages for r in rows], CURRENT)]
        chats = [("Yêu cầu gặp cán bộ", [r.chats for r in rows], "#e67e22"),
                 ("Chờ quá mục tiêu", [r.past_target for r in rows], ACCENT),
                 ("Tin báo", [r.tipoffs for r in rows], "#27ae60")]
        positions = list(range(len(rows)))
        axes.bar(positions, series[0][1], color=series[0][2], label=series[0][0], width=0.5)
        axes.set_ylabel("Tin nhắn")
        other = axes.twinx()
        for offset, (label, values, color) in zip((-0.2, 0.0, 0.2), chats):
            other.plot([p + offset for p in positions], values, "o", color=color, label=label)
        other.set_ylabel("Số cuộc / tin báo")
        other.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_xticks(positions)
        axes.set_xticklabels([short_name(r.name) for r in rows], fontsize=7, rotation=40, ha="right")
        axes.set_ylim(0, max([r.messages for r in rows] + [1]) * 1.3)  # room for the legend
        other.set_ylim(0, max([v for _, values, _ in chats for v in values] + [1]) * 1.3)
        handles = axes.get_legend_handles_labels()
        more = other.get_legend_handles_labels()
        axes.legend(handles[0] + more[0], handles[1] + more[1], fontsize=7, frameon=False, loc="upper center",
                    ncol=4)
    else:
        _empty(axes)
    return figure


def short_name(name: str) -> str:
    """A unit's name as a plot's or a table's narrow column shows it."""
    return name.replace(" (dữ liệu mẫu)", "").replace("Công an ", "CA ")


def _empty(axes) -> None:
    axes.text(0.5, 0.5, "Không có dữ liệu trong kỳ", ha="center", va="center", transform=axes.transAxes)
    axes.set_xticks([])
    axes.set_yticks([])


PLOTS = {"weekly_volume": weekly_volume, "top_procedures": top_procedures, "waiting_times": waiting_times,
         "units_compared": units_compared}


def all_plots(report: Report) -> Dict[str, Figure]:
    """The report's plots by name (no units compared for a unit without units below it)."""
    names: List[str] = [n for n in PLOTS if n != "units_compared" or report.units_compared]
    return {name: PLOTS[name](report) for name in names}


def png(figure: Figure, dpi: int = 80) -> bytes:
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=dpi)
    return out.getvalue()
