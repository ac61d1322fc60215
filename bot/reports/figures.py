"""The figures of a report, each period's and their comparison.

``collect`` asks the databases (queries.py) for the period and for the
period of the same length just before it, and for each unit below the
report's unit side by side; ``Report.key_figures`` pairs the two periods'
headline figures, formatted the way officers read them (Vietnamese).

From the review loop (bot/review/): ``Questions.unanswered_groups``, the
largest groups of questions kept for content staff, and
``Figures.feedback``, the citizens' "Hữu ích" / "Chưa đúng" under answers.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Set, Tuple

from sqlalchemy import inspect
from sqlalchemy.engine import Engine

from bot.core import db
from bot.core.content import read
from bot.core.units import Units
from bot.core.web import VIETNAM
from bot.handoff.texts import settings
from bot.privacy.retention import tracker_database_url
from bot.reports import queries, rollups

TIPOFF_STATUS_LABELS = {"received": "Mới tiếp nhận", "verifying": "Đang xác minh", "transferred": "Đã chuyển",
                        "resolved": "Đã xử lý"}
TIPOFF_KIND_LABELS = {"anonymous": "Ẩn danh", "named": "Có thông tin liên hệ"}
TOP_PROCEDURES = 10


# ---- the period

@dataclass(frozen=True)
class Period:
    """From ``first`` to ``last`` (both included), days in Vietnam's time."""

    first: dt.date
    last: dt.date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def start(self) -> float:
        return dt.datetime.combine(self.first, dt.time(), VIETNAM).timestamp()

    @property
    def end(self) -> float:
        return dt.datetime.combine(self.last + dt.timedelta(days=1), dt.time(), VIETNAM).timestamp()

    def previous(self) -> "Period":
        """The period of the same length just before."""
        return Period(self.first - dt.timedelta(days=self.days), self.first - dt.timedelta(days=1))

    def weeks(self) -> List[dt.date]:
        """The first day of each week (7 days from ``first``; the last one may be shorter)."""
        return [self.first + dt.timedelta(days=7 * i) for i in range(math.ceil(self.days / 7))]

    def label(self) -> str:
        return f"{self.first:%d/%m/%Y} – {self.last:%d/%m/%Y}"

    def days_span(self, cut: int) -> queries.Span:
        """Its days as the rollups number them, those before ``cut`` read from the rollups."""
        first, stop = queries.day_number(self.first), queries.day_number(self.last) + 1
        return queries.Span(first, min(max(cut, first), stop), stop)


def parse_period(first: str, last: str) -> Period:
    """The period between two YYYY-MM-DD dates; ValueError (its message in
    Vietnamese, for officers) if a date is not one or they are in the wrong order."""
    dates = []
    for value in (first, last):
        try:
            dates.append(dt.date.fromisoformat(str(value)))
        except ValueError:
            raise ValueError(f"Ngày không hợp lệ: {value!r} (cần dạng YYYY-MM-DD).") from None
    if dates[1] < dates[0]:
        raise ValueError("Ngày bắt đầu phải trước ngày kết thúc.")
    if dates[1] - dates[0] > dt.timedelta(days=731):
        raise ValueError("Kỳ báo cáo dài nhất là 2 năm.")
    return Period(*dates)


# ---- the figures

@dataclass
class Week:
    first_day: str  # YYYY-MM-DD
    messages: int
    citizens: Optional[int]  # None: not counted (the previous period's weeks)


@dataclass
class Volume:
    messages: int
    citizens: int
    new_followers: int
    unfollows: int
    weekly: List[Week]


@dataclass
class Procedure:
    id: str
    name: str
    asked: int


@dataclass
class Questions:
    procedure_messages: int  # messages the assistant took for a question about a procedure
    top_procedures: List[Procedure]
    citizens_with_officer: int  # citizens whose conversation went to an officer in the period
    assistant_alone: Optional[float]  # share of citizens helped by the assistant alone (no officer chat)
    not_understood: int  # messages the assistant did not understand (nlu_fallback)
    out_of_scope: int  # messages outside what it answers (out_of_scope)
    not_understood_share: Optional[float]  # (not understood + out of scope) / messages
    unanswered_groups: List[Tuple[str, int]] = field(default_factory=list)  # (a masked sample, how many): bot/review/


@dataclass
class Officer:
    officer: str
    chats: int
    replied: int
    claim_p50: Optional[float]
    reply_p50: Optional[float]


@dataclass
class Chats:
    requests: int
    claimed: int
    claim_p50: Optional[float]
    claim_p90: Optional[float]
    reply_p50: Optional[float]
    reply_p90: Optional[float]
    past_target: int
    timed_out: int
    target_seconds: float
    officers: List[Officer]
    waits: List[Tuple[str, int]]  # the waiting-time distribution (queries.WAIT_BUCKETS)


@dataclass
class Sos:
    count: int
    claimed: int
    claim_p50: Optional[float]
    claim_p90: Optional[float]


@dataclass
class Tipoffs:
    total: int
    by_kind: Dict[str, int]
    by_status: Dict[str, int]
    acted: int  # with a first action (a status change or an escalation)
    first_action_p50: Optional[float]
    first_action_p90: Optional[float]


@dataclass
class Announcements:
    published: int
    delivered: int
    refused: int
    sending: int
    out_of_window: int


@dataclass
class Figures:
    volume: Volume
    questions: Questions
    chats: Chats
    sos: Sos
    tipoffs: Tipoffs
    announcements: Announcements
    feedback: Dict[str, int] = field(default_factory=dict)  # {"Hữu ích": n, "Chưa đúng": n}: bot/review/feedback.py


@dataclass
class UnitRow:
    """One unit's own figures (not those of the units below it), side by side with the others."""

    unit: str
    name: str
    messages: int
    citizens: int
    new_followers: int
    chats: int
    claim_p50: Optional[float]
    past_target: int
    timed_out: int
    sos: int
    tipoffs: int


@dataclass
class KeyFigure:
    label: str
    current: str
    previous: str
    change: str


@dataclass
class Report:
    unit: str
    unit_name: str
    units: List[str]  # the unit and every unit below it
    period: Period
    previous_period: Period
    current: Figures
    previous: Figures
    units_compared: List[UnitRow]  # for a unit with units below it; [] otherwise
    generated_at: float = field(default_factory=time.time)

    def key_figures(self) -> List[KeyFigure]:
        """The headline figures of both periods and how they changed."""
        rows = []
        for label, kind, read_figure in KEY_FIGURES:
            now, before = read_figure(self.current), read_figure(self.previous)
            rows.append(KeyFigure(label, show(now, kind), show(before, kind), change(now, before, kind)))
        return rows

    def as_json(self) -> Dict[str, Any]:
        data = asdict(self)
        data["period"] = {"first": str(self.period.first), "last": str(self.period.last), "label": self.period.label()}
        data["previous_period"] = {"first": str(self.previous_period.first), "last": str(self.previous_period.last),
                                   "label": self.previous_period.label()}
        data["key_figures"] = [asdict(k) for k in self.key_figures()]
        return data


# (label, kind, how to read it): count, share (0–1) or seconds
KEY_FIGURES = [
    ("Người dân nhắn tin", "count", lambda f: f.volume.citizens),
    ("Tin nhắn", "count", lambda f: f.volume.messages),
    ("Người quan tâm mới", "count", lambda f: f.volume.new_followers),
    ("Câu hỏi về thủ tục", "count", lambda f: f.questions.procedure_messages),
    ("Trợ lý ảo tự giải đáp (không cần cán bộ)", "share", lambda f: f.questions.assistant_alone),
    ("Tin nhắn chưa hiểu hoặc ngoài phạm vi", "share", lambda f: f.questions.not_understood_share),
    ("Yêu cầu gặp cán bộ", "count", lambda f: f.chats.requests),
    ("Thời gian chờ cán bộ nhận (trung vị)", "seconds", lambda f: f.chats.claim_p50),
    ("Thời gian chờ cán bộ nhận (90 %)", "seconds", lambda f: f.chats.claim_p90),
    ("Thời gian đến câu trả lời đầu tiên (trung vị)", "seconds", lambda f: f.chats.reply_p50),
    ("Cuộc chờ quá thời gian mục tiêu", "count", lambda f: f.chats.past_target),
    ("Cuộc hết thời gian chờ", "count", lambda f: f.chats.timed_out),
    ("Tin khẩn cấp SOS", "count", lambda f: f.sos.count),
    ("SOS: thời gian đến khi cán bộ nhận (trung vị)", "seconds", lambda f: f.sos.claim_p50),
    ("Tin báo tố giác", "count", lambda f: f.tipoffs.total),
    ("Tin báo: thời gian đến xử lý đầu tiên (trung vị)", "seconds", lambda f: f.tipoffs.first_action_p50),
    ("Thông báo đã đăng", "count", lambda f: f.announcements.published),
    ("Lượt thông báo đã gửi tới người dân", "count", lambda f: f.announcements.delivered),
]


# ---- how officers read them

def number(value: float) -> str:
    """1234567 -> '1.234.567' (Vietnamese thousands separator)."""
    return f"{int(round(value)):,}".replace(",", ".")


def duration(seconds: Optional[float]) -> str:
    if seconds is None:
        return "–"
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} giây"
    if seconds < 3600:
        minutes, rest = divmod(seconds, 60)
        return f"{minutes} phút {rest} giây" if rest else f"{minutes} phút"
    hours, rest = divmod(seconds, 3600)
    return f"{hours} giờ {rest // 60} phút" if rest // 60 else f"{hours} giờ"


def percent(share: Optional[float]) -> str:
    return "–" if share is None else f"{share * 100:.1f} %".replace(".", ",")


def show(value: Optional[float], kind: str) -> str:
    if kind == "share":
        return percent(value)
    if kind == "seconds":
        return duration(value)
    return number(value or 0)


def change(now: Optional[float], before: Optional[float], kind: str) -> str:
    """How a figure changed from the previous period: +12 (+8,5 %), −3,2 điểm %, +45 giây…"""
    if now is None or before is None:
        return "–"
    difference = now - before
    sign = "+" if difference > 0 else ("−" if difference < 0 else "±")
    if kind == "share":
        return f"{sign}{abs(difference) * 100:.1f} điểm %".replace(".", ",")
    if kind == "seconds":
        return f"{sign}{duration(abs(difference))}"
    relative = f" ({sign}{abs(difference) / before * 100:.1f} %)".replace(".", ",") if before else ""
    return f"{sign}{number(abs(difference))}{relative}"


# ---- collecting them

@dataclass
class Sources:
    """The project database and Rasa's tracker store (``tracker`` None: no conversations stored yet)."""

    project: Engine
    tracker: Optional[Engine]

    @classmethod
    def open(cls, project: Engine, tracker: Engine) -> "Sources":
        """The two databases, their tables and the reports' indexes and rollup tables made if missing."""
        db.create_tables(project, *db.all_tables())
        if not inspect(tracker).has_table("events"):
            return cls(project, None)
        queries.create_tracker_indexes(tracker)
        rollups.create_tables(tracker)
        return cls(project, tracker)

    def rolled_up_before(self, first: "Period", last: "Period", now: float) -> int:
        """The closed days from ``first`` to ``last`` rolled up (built if
        missing, rollups.ensure): the day from which the events are read."""
        if self.tracker is None:
            return 0
        span = rollups.ensure(self.tracker, queries.day_number(first.first), queries.day_number(last.last) + 1, now)
        return span.cut

    @classmethod
    def from_env(cls) -> "Sources":
        """DATABASE_URL and TRACKER_STORE_URL, as for the assistant."""
        return cls.open(db.engine(), db.engine(tracker_database_url()))


def catalogue() -> Dict[str, str]:
    """Procedure id -> its name (data/procedure_catalogue.yml)."""
    return {p["id"]: p["name"] for p in read("procedure_catalogue.yml")["procedures"]}


def collect(sources: Sources, units: Units, unit_id: str, period: Period, now: Optional[float] = None,
            covered: Optional[Set[str]] = None) -> Report:
    """The report of ``unit_id`` and every unit below it, or of the units
    ``covered`` (an officer's report: their own unit only)."""
    now = time.time() if now is None else now
    covered = units.below(unit_id) if covered is None else covered
    below = sorted(covered, key=lambda u: (u != unit_id, units.units[u].name))
    names = catalogue()
    target = float(settings()["target_wait_seconds"])
    cut = sources.rolled_up_before(period.previous(), period, now)  # both periods' closed days, before reading
    keys = queries.unit_keys(units, below)
    # independent sets of statements, on connections of their own (the databases work in parallel)
    with ThreadPoolExecutor(5) as pool:
        counted = pool.submit(message_figures, sources, keys, period.days_span(cut))
        counted_before = pool.submit(message_figures, sources, keys, period.previous().days_span(cut), False)
        current = pool.submit(period_figures, sources, units, below, period, names, target, now, counted)
        previous = pool.submit(period_figures, sources, units, below, period.previous(), names, target, now,
                               counted_before)
        compared = (pool.submit(compare_units, sources, units, below, period, target, now, cut) if len(below) > 1
                    else None)
        current, previous, compared = current.result(), previous.result(), compared.result() if compared else []
    return Report(unit_id, units.units[unit_id].name, below, period, period.previous(), current, previous, compared)


def message_figures(sources: Sources, keys: Sequence[str], span: queries.Span, weekly_citizens: bool = True
                    ) -> Tuple[Dict[Optional[str], int], int, Dict[int, Tuple[int, Optional[int]]], bool]:
    """A period's messages per intent, citizens, and messages (and citizens,
    with ``weekly_citizens``: the previous period's plot shows its messages
    only, one pass less) per week, from the tracker store."""
    if sources.tracker is None:
        return {}, 0, {}, weekly_citizens
    with sources.tracker.connect() as c:
        return (queries.intent_counts(c, keys, span), queries.citizens(c, keys, span),
                queries.weekly_messages(c, keys, span, with_citizens=weekly_citizens), weekly_citizens)


def period_figures(sources: Sources, units: Units, unit_ids: Sequence[str], period: Period,
                   names: Dict[str, str], target: float, now: float, counted: "Future") -> Figures:
    """One period's figures, with its ``message_figures`` (computed meanwhile)."""
    keys, start, end = queries.unit_keys(units, unit_ids), period.start, period.end
    with sources.project.connect() as c:
        followed = queries.follow_counts(c, keys, start, end)
        chats = queries.chat_totals(c, keys, start, end, target, now)
        officers = queries.chats_by_officer(c, keys, start, end)
        waits = queries.wait_distribution(c, keys, start, end)
        reports = queries.tipoff_counts(c, keys, start, end)
        announced = queries.announcement_counts(c, unit_ids, start, end)
        rated = queries.feedback_counts(c, unit_ids, start, end)
        unanswered = queries.unanswered_groups(c, unit_ids, start, end)
    intents, citizens, weekly, weekly_citizens = counted.result()
    messages = sum(intents.values())
    asked = {p: n for p, n in intents.items() if p in names}
    top = sorted(asked.items(), key=lambda item: (-item[1], item[0]))[:TOP_PROCEDURES]
    not_understood, out_of_scope = intents.get(queries.NOT_UNDERSTOOD, 0), intents.get(queries.OUT_OF_SCOPE, 0)
    volume = Volume(messages, citizens, sum(f for f, _ in followed.values()), sum(u for _, u in followed.values()),
                    [Week(str(day), *weekly.get(i, (0, 0 if weekly_citizens else None)))
                     for i, day in enumerate(period.weeks())])
    questions = Questions(
        procedure_messages=sum(asked.values()), top_procedures=[Procedure(p, names[p], n) for p, n in top],
        citizens_with_officer=chats["citizens"],
        assistant_alone=max(citizens - chats["citizens"], 0) / citizens if citizens else None,
        not_understood=not_understood, out_of_scope=out_of_scope,
        not_understood_share=(not_understood + out_of_scope) / messages if messages else None,
        unanswered_groups=unanswered,
    )
    by_kind = {"anonymous": 0, "named": 0}
    by_status = {status: 0 for status in TIPOFF_STATUS_LABELS}
    for anonymous, status, count in reports["rows"]:
        by_kind["anonymous" if anonymous else "named"] += count
        by_status[status] = by_status.get(status, 0) + count
    return Figures(
        volume=volume, questions=questions,
        chats=Chats(chats["requests"], chats["claimed"], *chats["claim"], *chats["reply"], chats["past_target"],
                    chats["timed_out"], target, [Officer(**o) for o in officers], waits),
        sos=Sos(chats["sos"], chats["sos_claimed"], *chats["sos_claim"]),
        tipoffs=Tipoffs(sum(by_kind.values()), by_kind, by_status, reports["acted"], *reports["first_action"]),
        announcements=Announcements(**announced),
        feedback=rated,
    )


def compare_units(sources: Sources, units: Units, unit_ids: Sequence[str], period: Period, target: float,
                  now: float, cut: int) -> List[UnitRow]:
    """Each unit's own figures in the period (its days before ``cut`` from the rollups), grouped statements."""
    keys, start, end = queries.unit_keys(units, unit_ids), period.start, period.end
    own = lambda key: key if key else units.default_unit  # noqa: E731  ('' is the default unit's)
    messages: Dict[str, List[int]] = {u: [0, 0] for u in unit_ids}
    if sources.tracker is not None:
        with sources.tracker.connect() as c:
            for key, (count, citizens) in queries.messages_by_unit(c, keys, period.days_span(cut)).items():
                if own(key) in messages:
                    messages[own(key)][0] += count
                    messages[own(key)][1] += citizens  # a citizen of the default unit with and without one: rare
    with sources.project.connect() as c:
        followed: Dict[str, int] = {}
        for key, (count, _) in queries.follow_counts(c, keys, start, end).items():
            followed[own(key)] = followed.get(own(key), 0) + count
        chats = queries.chats_by_unit(c, keys, start, end, target, now)
        reports = queries.tipoffs_by_unit(c, keys, start, end)
    rows = []
    for unit in unit_ids:
        chat = chats.get(unit, {})
        rows.append(UnitRow(unit, units.units[unit].name, messages[unit][0], messages[unit][1], followed.get(unit, 0),
                            chat.get("chats", 0), chat.get("claim_p50"), chat.get("past_target", 0),
                            chat.get("timed_out", 0), chat.get("sos", 0), reports.get(unit, 0)))
    return rows


def tables(report: Report) -> Dict[str, Tuple[List[str], List[List[Any]]]]:
    """The report's tables (name -> header, rows): what ``--csv`` writes. Times in seconds."""
    now, before = report.current, report.previous
    result = {
        "key_figures": (["figure", "current", "previous", "change"],
                        [[k.label, k.current, k.previous, k.change] for k in report.key_figures()]),
        "weekly_volume": (["period", "week_first_day", "messages", "citizens"],
                          [[name, w.first_day, w.messages, w.citizens]
                           for name, f in (("current", now), ("previous", before)) for w in f.volume.weekly]),
        "top_procedures": (["procedure", "name", "messages"],
                           [[p.id, p.name, p.asked] for p in now.questions.top_procedures]),
        "officers": (["officer", "chats", "replied", "claim_p50_seconds", "first_reply_p50_seconds"],
                     [[o.officer, o.chats, o.replied, o.claim_p50, o.reply_p50] for o in now.chats.officers]),
        "waiting_times": (["waited", "chats"], [list(w) for w in now.chats.waits]),
        "tipoffs": (["kind_or_status", "count"],
                    [[f"kind:{k}", v] for k, v in now.tipoffs.by_kind.items()]
                    + [[f"status:{k}", v] for k, v in now.tipoffs.by_status.items()]),
        "announcements": (["figure", "current", "previous"],
                          [[k, getattr(now.announcements, k), getattr(before.announcements, k)]
                           for k in ("published", "delivered", "refused", "sending", "out_of_window")]),
    }
    if report.units_compared:
        result["units_compared"] = (
            ["unit", "name", "messages", "citizens", "new_followers", "officer_chats", "claim_p50_seconds",
             "past_target", "timed_out", "sos", "tipoffs"],
            [[r.unit, r.name, r.messages, r.citizens, r.new_followers, r.chats, r.claim_p50, r.past_target,
              r.timed_out, r.sos, r.tipoffs] for r in report.units_compared])
    return result

