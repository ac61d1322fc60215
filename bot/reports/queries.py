"""The reports' SQL: every figure is an aggregation the database computes
(COUNT, SUM, window functions for percentiles), on SQLite and PostgreSQL
alike. Two databases are read: the project database (handoffs, tip-offs,
announcements, follows) and Rasa's tracker store (its ``events`` table:
what citizens wrote); they may be different servers, so nothing joins
across them.

A citizen's message belongs to the unit whose OA it came through: the
Zalo channel puts that unit in the user event's metadata
(``data -> metadata -> unit``); messages without one (other channels, an OA
that names no unit) belong to the default unit, as in actions/citizen.py.
The one expression that reads it (``event_unit``) is indexed together with
the event type and time (``create_tracker_indexes``), so a unit's messages
of a period are read from the index alone.

Messages are counted from daily rollups kept in the tracker store beside
the events (the tables below; rollups.py builds and refreshes them): per
day (Vietnam time) and unit, the messages per intent and the citizens who
wrote. Distinct citizens do not add up across days, so the rollup keeps who
wrote to each unit on each day: a period's citizens are counted over those
rows (``COUNT(DISTINCT)``), unit by unit, and those of several units are
their sum less the citizens counted twice: only those who wrote to several
units (``citizen_units``) are looked at. Exact, as counting the messages;
cheaper as citizens write more messages a day. A report
reads the rollups for the days they cover (``Span``: [first, cut)) and the
events for the rest (today, or every day when rollups could not be built),
in the same statements.

Each function takes a connection, the unit keys (``unit_keys``) and a
period: [start, end) in Unix seconds, or a ``Span`` of days."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from sqlalchemy import (Column, Float, Index, Integer, MetaData, String, Table, and_, bindparam, case, func, literal,
                        or_, select, text)
from sqlalchemy.engine import Connection, Engine

from bot.announcements.store import announcements, deliveries
from bot.core.audit import audit
from bot.core.units import Units
from bot.core.web import VIETNAM
from bot.handoff.store import handoffs
from bot.review.feedback import feedback
from bot.review.store import unserved
from bot.tipoffs.store import tipoffs
from bot.zalo.store import follows

DAY = 86400
OFFSET = int(VIETNAM.utcoffset(None).total_seconds())  # a day number is a day in Vietnam's time
REPORT_INDEX = "ix_events_report"  # events: (type_name, the message's unit, timestamp, intent_name, sender_id)
NOT_UNDERSTOOD = "nlu_fallback"
OUT_OF_SCOPE = "out_of_scope"
NOT_MESSAGES = ("follow",)  # user events a channel sends for what is not a message (following the OA)
FIRST_ACTIONS = ("tipoff_status", "tipoff_escalated")  # what an officer does with a tip-off (not reading it)
# the waiting-time distribution: (upper bound in seconds, label); chats never claimed come last
WAIT_BUCKETS = ((30, "< 30 giây"), (60, "30 giây – 1 phút"), (120, "1 – 2 phút"), (300, "2 – 5 phút"),
                (600, "5 – 10 phút"), (None, "> 10 phút"))
NEVER_CLAIMED = "Không có cán bộ nhận"

# ---- the daily rollups, in the tracker store (their own metadata: not the project database's tables)

rollup_metadata = MetaData()
daily_messages = Table(  # a closed day's messages per unit and intent ('' : none)
    "report_daily_messages", rollup_metadata,
    Column("unit", String(255), primary_key=True), Column("day", Integer, primary_key=True, autoincrement=False),
    Column("intent", String(255), primary_key=True), Column("messages", Integer, nullable=False),
    sqlite_with_rowid=False)
daily_citizens = Table(  # who wrote to a unit on a closed day (personal data: purged and erased with the events)
    "report_daily_citizens", rollup_metadata,
    Column("unit", String(255), primary_key=True), Column("citizen", String(255), primary_key=True),  # sender_id
    Column("day", Integer, primary_key=True, autoincrement=False),
    Index("ix_report_daily_citizens_day", "unit", "day", "citizen"),  # a period's rows, week by week
    sqlite_with_rowid=False)
citizen_units = Table(  # every unit a citizen wrote to on a day rolled up (kept until erased or purged)
    "report_citizen_units", rollup_metadata,
    Column("unit", String(255), primary_key=True), Column("citizen", String(255), primary_key=True),
    sqlite_with_rowid=False)
rollup_days = Table(  # the days whose rollups are built (a day without messages has no other row)
    "report_rollup_days", rollup_metadata,
    Column("day", Integer, primary_key=True, autoincrement=False), Column("built_at", Float, nullable=False))
rollup_state = Table(  # the newest event looked at: days of newer events are checked at the next refresh
    "report_rollup_state", rollup_metadata,
    Column("id", Integer, primary_key=True, autoincrement=False), Column("checked_event_id", Integer, nullable=False))


def unit_keys(units: Units, unit_ids: Iterable[str]) -> List[str]:
    """What the unit columns hold for these units: their ids, and '' (no
    unit named) when the default unit is one of them."""
    ids = sorted(set(unit_ids))
    return ids + [""] if units.default_unit in ids else ids


def event_unit(dialect: str) -> str:
    """The unit of a tracker event (its Zalo metadata), '' when none: the indexed expression."""
    if dialect == "postgresql":
        return "COALESCE((CAST(data AS json) #>> '{metadata,unit}'), '')"
    return "COALESCE(json_extract(data, '$.metadata.unit'), '')"


def event_day(dialect: str) -> str:
    """The day number (``day_number``) of a tracker event."""
    if dialect == "postgresql":
        return f"CAST(FLOOR((timestamp + {OFFSET}) / {DAY}) AS INTEGER)"
    return f"CAST((timestamp + {OFFSET}) / {DAY} AS INTEGER)"


def day_number(date: dt.date) -> int:
    """A day of Vietnam's calendar as the rollups number it: days since 1970-01-01."""
    return (date - dt.date(1970, 1, 1)).days


def day_start(day: int) -> float:
    """The first second (Unix time) of a day number."""
    return float(day * DAY - OFFSET)


@dataclass(frozen=True)
class Span:
    """Days [first, stop) of a period: [first, cut) read from the rollups, [cut, stop) from the events."""

    first: int
    cut: int
    stop: int

    def params(self) -> Dict[str, Any]:
        return {"first_day": self.first, "cut": self.cut, "live_start": day_start(self.cut),
                "live_end": day_start(self.stop)}


def create_tracker_indexes(engine: Engine) -> None:
    """The index the reports read citizens' messages by (idempotent): it
    holds every column they read, so the events' rows are never visited."""
    expression = event_unit(engine.dialect.name)
    with engine.begin() as c:
        c.execute(text(f"CREATE INDEX IF NOT EXISTS {REPORT_INDEX} ON events "
                       f"(type_name, ({expression}), timestamp, intent_name, sender_id)"))


# ---- the tracker store: what citizens wrote

def message_query(dialect: str, select_sql: str, tail: str = "") -> str:
    """``SELECT <select_sql> FROM events`` over the citizens' messages to the
    units :units in [:live_start, :live_end); ``tail``: GROUP BY… and more."""
    return (f"SELECT {select_sql} FROM events WHERE type_name = 'user' AND {event_unit(dialect)} IN :units "
            f"AND timestamp >= :live_start AND timestamp < :live_end "
            f"AND (intent_name IS NULL OR intent_name NOT IN :not_messages) {tail}")


def message_rows(dialect: str, span: Span, by_unit: bool = False) -> str:
    """(day, unit, intent, messages) rows of a Span: the rollups', then the
    events' (one row a message; their unit only ``by_unit``: it is read
    from the event's JSON; '' otherwise). Only the part the Span has."""
    day, unit = event_day(dialect), event_unit(dialect) if by_unit else "''"
    rolled = (f"SELECT day, unit, intent, messages FROM {daily_messages.name} "
              f"WHERE day >= :first_day AND day < :cut AND unit IN :units")
    live = message_query(dialect, f"{day} AS day, {unit} AS unit, COALESCE(intent_name, '') AS intent, "
                                  "1 AS messages")
    return _parts(span, rolled, live)


def citizen_rows(dialect: str, span: Span, by_unit: bool = False) -> str:
    """(day, unit, citizen) rows of a Span: who wrote, from the rollups, then from the events (as above)."""
    day, unit = event_day(dialect), event_unit(dialect) if by_unit else "''"
    rolled = (f"SELECT day, unit, citizen FROM {daily_citizens.name} "
              f"WHERE day >= :first_day AND day < :cut AND unit IN :units")
    return _parts(span, rolled, message_query(dialect, f"{day} AS day, {unit} AS unit, sender_id AS citizen"))


def _parts(span: Span, rolled: str, live: str) -> str:
    if span.cut == span.stop:
        return rolled
    return live if span.cut == span.first else f"{rolled} UNION ALL {live}"


def _run(c: Connection, sql: str, keys: Sequence[str], span: Span) -> List[Any]:
    lists = {"units": list(keys), "not_messages": list(NOT_MESSAGES)}
    query = text(sql).bindparams(*[bindparam(name, expanding=True) for name in lists if f":{name}" in sql])
    return c.execute(query, {**lists, **span.params()}).all()


def _over(c: Connection, rows: str, select_sql: str, keys: Sequence[str], span: Span, tail: str = "",
          by_unit: bool = False) -> List[Any]:
    """``SELECT <select_sql>`` over a Span's rows (``message_rows`` or ``citizen_rows``)."""
    source = (message_rows if rows == "messages" else citizen_rows)(c.dialect.name, span, by_unit)
    return _run(c, f"SELECT {select_sql} FROM ({source}) AS r {tail}", keys, span)


def intent_counts(c: Connection, keys: Sequence[str], span: Span) -> Dict[Optional[str], int]:
    """Messages per intent (None: no intent): every message count of the
    report (all, not understood, out of scope, per procedure) from one pass."""
    return {(r[0] or None): int(r[1]) for r in _over(c, "messages", "intent, SUM(messages)", keys, span,
                                                     "GROUP BY intent")}


def citizens_by_unit(c: Connection, keys: Sequence[str], span: Span) -> Dict[str, int]:
    """Unit key -> its citizens: the rollups' in (unit, citizen) order, and
    those who wrote on the days read live and not on the others."""
    dialect = c.dialect.name
    if span.cut == span.first:
        return {r[0]: int(r[1]) for r in _over(c, "citizens", "unit, COUNT(DISTINCT citizen)", keys, span,
                                                "GROUP BY unit", by_unit=True)}
    unit = event_unit(dialect)
    rolled = _run(c, f"SELECT unit, COUNT(DISTINCT citizen) FROM {daily_citizens.name} "
                     "WHERE unit IN :units AND day >= :first_day AND day < :cut GROUP BY unit", keys, span)
    live = _run(c, message_query(dialect, f"{unit}, COUNT(DISTINCT sender_id)",
                                 f"AND NOT EXISTS (SELECT 1 FROM {daily_citizens.name} d WHERE d.unit = {unit} "
                                 "AND d.citizen = sender_id AND d.day >= :first_day AND d.day < :cut) "
                                 f"GROUP BY {unit}"), keys, span)
    counts: Dict[str, int] = {}
    for key, n in [*rolled, *live]:
        counts[key] = counts.get(key, 0) + int(n)
    return counts


def citizens(c: Connection, keys: Sequence[str], span: Span) -> int:
    """Citizens who wrote in the period: each unit's, less those counted for
    several units (only who wrote to several units, or on the days read
    live, can be). Without rollups, counted from the events at once."""
    if span.cut == span.first:
        return _over(c, "citizens", "COUNT(DISTINCT citizen)", keys, span)[0][0]
    dialect = c.dialect.name
    several = (f"SELECT citizen FROM {citizen_units.name} WHERE unit IN :units GROUP BY citizen HAVING COUNT(*) > 1 "
               "UNION "
               + message_query(dialect, "sender_id"))
    pairs = (f"SELECT unit, citizen FROM {daily_citizens.name} WHERE citizen IN ({several}) AND unit IN :units "
             f"AND day >= :first_day AND day < :cut UNION "
             + message_query(dialect, f"{event_unit(dialect)}, sender_id"))
    twice = _run(c, f"SELECT COUNT(*) - COUNT(DISTINCT citizen) FROM ({pairs}) AS pairs", keys, span)
    return sum(citizens_by_unit(c, keys, span).values()) - int(twice[0][0] or 0)


def weekly_messages(c: Connection, keys: Sequence[str], span: Span,
                    with_citizens: bool = True) -> Dict[int, Tuple[int, Optional[int]]]:
    """Week of the period (7 days from its first) -> (messages, citizens; None without ``with_citizens``)."""
    week = "(day - :first_day) / 7"
    messages = {int(r[0]): int(r[1]) for r in _over(c, "messages", f"{week}, SUM(messages)", keys, span,
                                                    "GROUP BY 1")}
    writers = ({int(r[0]): r[1] for r in _over(c, "citizens", f"{week}, COUNT(DISTINCT citizen)", keys, span,
                                               "GROUP BY 1")} if with_citizens else {})
    return {w: (n, writers.get(w, 0) if with_citizens else None) for w, n in messages.items()}


def messages_by_unit(c: Connection, keys: Sequence[str], span: Span) -> Dict[str, Tuple[int, int]]:
    """Unit key -> (messages, citizens)."""
    messages = dict(_over(c, "messages", "unit, SUM(messages)", keys, span, "GROUP BY unit", by_unit=True))
    writers = citizens_by_unit(c, keys, span)
    return {unit: (int(n), writers.get(unit, 0)) for unit, n in messages.items()}


# ---- the project database

def percentiles(c: Connection, value, where, group=None, ps: Sequence[int] = (50, 90)) -> Dict[Any, Tuple]:
    """Group (None without ``group``) -> the ``ps`` percentiles of ``value``
    over the rows ``where`` selects (nearest rank: the smallest value with at
    least p % of the values at or below it); rows without a value are left out."""
    key = group if group is not None else literal(0)
    ranked = select(key.label("g"), value.label("v"),
                    func.row_number().over(partition_by=group, order_by=value).label("rn"),
                    func.count().over(partition_by=group).label("n")).where(and_(where, value.isnot(None))).subquery()
    rows = c.execute(select(ranked.c.g, *[func.min(case((ranked.c.rn * 100 >= p * ranked.c.n, ranked.c.v)))
                                         for p in ps]).group_by(ranked.c.g)).all()
    return {(r[0] if group is not None else None): tuple(r[1:]) for r in rows}


def _in_period(table, column, keys: Sequence[str], start: float, end: float):
    return and_(table.c.unit.in_(list(keys)), column >= start, column < end)


CLAIM_WAIT = handoffs.c.claimed_at - handoffs.c.created_at
FIRST_REPLY = handoffs.c.first_reply_at - handoffs.c.created_at


def _waited(now: float):
    """How long a chat waited for an officer: until claimed, else until it ended, else until now."""
    return case((handoffs.c.claimed_at.isnot(None), handoffs.c.claimed_at),
                (handoffs.c.ended_at.isnot(None), handoffs.c.ended_at), else_=literal(now)) - handoffs.c.created_at


def chat_totals(c: Connection, keys: Sequence[str], start: float, end: float, target: float,
                now: float) -> Dict[str, Any]:
    """Officer chats queued in the period: counts, claim and first-reply percentiles, the citizens they were for."""
    where = _in_period(handoffs, handoffs.c.created_at, keys, start, end)
    one = lambda condition: func.sum(case((condition, 1), else_=0))  # noqa: E731
    row = c.execute(select(
        func.count(), one(handoffs.c.claimed_at.isnot(None)), one(_waited(now) > target),
        one(handoffs.c.status == "timed_out"), func.count(handoffs.c.conversation_id.distinct()),
        one(handoffs.c.reason == "sos"), one(and_(handoffs.c.reason == "sos", handoffs.c.claimed_at.isnot(None))),
    ).where(where)).one()
    claim = percentiles(c, CLAIM_WAIT, where).get(None, (None, None))
    reply = percentiles(c, FIRST_REPLY, where).get(None, (None, None))
    sos = percentiles(c, CLAIM_WAIT, and_(where, handoffs.c.reason == "sos")).get(None, (None, None))
    return {"requests": row[0], "claimed": int(row[1] or 0), "past_target": int(row[2] or 0),
            "timed_out": int(row[3] or 0), "citizens": row[4], "claim": claim, "reply": reply,
            "sos": int(row[5] or 0), "sos_claimed": int(row[6] or 0), "sos_claim": sos}


def chats_by_officer(c: Connection, keys: Sequence[str], start: float, end: float) -> List[Dict[str, Any]]:
    """Per officer who holds chats of the period: how many, median time to claim and to first reply."""
    where = and_(_in_period(handoffs, handoffs.c.created_at, keys, start, end), handoffs.c.claimed_by.isnot(None))
    counts = c.execute(select(handoffs.c.claimed_by, func.count(), func.count(handoffs.c.first_reply_at))
                       .where(where).group_by(handoffs.c.claimed_by)).all()
    claim = percentiles(c, CLAIM_WAIT, where, handoffs.c.claimed_by, (50,))
    reply = percentiles(c, FIRST_REPLY, where, handoffs.c.claimed_by, (50,))
    return sorted(({"officer": r[0], "chats": r[1], "replied": r[2], "claim_p50": claim.get(r[0], (None,))[0],
                    "reply_p50": reply.get(r[0], (None,))[0]} for r in counts),
                  key=lambda o: (-o["chats"], o["officer"]))


def wait_distribution(c: Connection, keys: Sequence[str], start: float, end: float) -> List[Tuple[str, int]]:
    """How long chats waited to be claimed, in WAIT_BUCKETS, and those never claimed."""
    bucket = case(*[(CLAIM_WAIT < bound, index) for index, (bound, _) in enumerate(WAIT_BUCKETS) if bound],
                  (handoffs.c.claimed_at.isnot(None), len(WAIT_BUCKETS) - 1), else_=len(WAIT_BUCKETS))
    rows = dict(c.execute(select(bucket, func.count()).where(
        _in_period(handoffs, handoffs.c.created_at, keys, start, end)).group_by(bucket)).all())
    labels = [label for _, label in WAIT_BUCKETS] + [NEVER_CLAIMED]
    return [(label, int(rows.get(index, 0))) for index, label in enumerate(labels)]


def chats_by_unit(c: Connection, keys: Sequence[str], start: float, end: float, target: float,
                  now: float) -> Dict[str, Dict[str, Any]]:
    where = _in_period(handoffs, handoffs.c.created_at, keys, start, end)
    one = lambda condition: func.sum(case((condition, 1), else_=0))  # noqa: E731
    rows = c.execute(select(handoffs.c.unit, func.count(), one(_waited(now) > target),
                            one(handoffs.c.status == "timed_out"), one(handoffs.c.reason == "sos"))
                     .where(where).group_by(handoffs.c.unit)).all()
    claim = percentiles(c, CLAIM_WAIT, where, handoffs.c.unit, (50,))
    return {r[0]: {"chats": r[1], "past_target": int(r[2] or 0), "timed_out": int(r[3] or 0), "sos": int(r[4] or 0),
                   "claim_p50": claim.get(r[0], (None,))[0]} for r in rows}


def _first_action():
    """When an officer first acted on a tip-off (a status change or an escalation), from the audit log."""
    return (select(func.min(audit.c.time)).where(and_(
        audit.c.subject == literal("tipoff:") + tipoffs.c.code, audit.c.action.in_(FIRST_ACTIONS)))
        .scalar_subquery())


def tipoff_counts(c: Connection, keys: Sequence[str], start: float, end: float) -> Dict[str, Any]:
    """Tip-offs received in the period: by kind (anonymous or named) and
    status, and the time to the first action. Counts and times only: never
    what a tip-off says."""
    where = _in_period(tipoffs, tipoffs.c.created_at, keys, start, end)
    rows = c.execute(select(tipoffs.c.anonymous, tipoffs.c.status, func.count())
                     .where(where).group_by(tipoffs.c.anonymous, tipoffs.c.status)).all()
    delay = _first_action() - tipoffs.c.created_at
    acted = c.execute(select(func.count()).where(and_(where, _first_action().isnot(None)))).scalar()
    return {"rows": [(bool(r[0]), r[1], r[2]) for r in rows], "acted": acted,
            "first_action": percentiles(c, delay, where).get(None, (None, None))}


def tipoffs_by_unit(c: Connection, keys: Sequence[str], start: float, end: float) -> Dict[str, int]:
    return dict(c.execute(select(tipoffs.c.unit, func.count()).where(
        _in_period(tipoffs, tipoffs.c.created_at, keys, start, end)).group_by(tipoffs.c.unit)).all())


def follow_counts(c: Connection, keys: Sequence[str], start: float, end: float) -> Dict[str, Tuple[int, int]]:
    """Unit key -> (follows, unfollows) of its OA in the period."""
    rows = c.execute(select(follows.c.unit, func.sum(case((follows.c.event == "follow", 1), else_=0)),
                            func.sum(case((follows.c.event == "unfollow", 1), else_=0)))
                     .where(_in_period(follows, follows.c.at, keys, start, end)).group_by(follows.c.unit)).all()
    return {r[0]: (int(r[1] or 0), int(r[2] or 0)) for r in rows}


def feedback_counts(c: Connection, unit_ids: Sequence[str], start: float, end: float) -> Dict[str, int]:
    """The citizens' "Hữu ích" / "Chưa đúng" under first answers in the period (bot/review/feedback.py)."""
    rows = dict(c.execute(select(feedback.c.helpful, func.count()).where(and_(
        feedback.c.unit.in_(list(unit_ids)), feedback.c.created_at >= start, feedback.c.created_at < end))
        .group_by(feedback.c.helpful)).all())
    return {"Hữu ích": int(rows.get(True, 0)), "Chưa đúng": int(rows.get(False, 0))}


def unanswered_groups(c: Connection, unit_ids: Sequence[str], start: float, end: float,
                      limit: int = 5) -> List[Tuple[str, int]]:
    """The largest groups of questions kept for review in the period (bot/review/):
    (a masked sample, how many)."""
    count = func.count().label("n")
    rows = c.execute(select(func.min(unserved.c.text), count).where(and_(
        unserved.c.unit.in_(list(unit_ids)), unserved.c.created_at >= start, unserved.c.created_at < end))
        .group_by(unserved.c.group_key).order_by(count.desc(), func.min(unserved.c.text)).limit(limit)).all()
    return [(r[0], int(r[1])) for r in rows]


def announcement_counts(c: Connection, unit_ids: Sequence[str], start: float, end: float) -> Dict[str, int]:
    """Announcements published in the period to any of these units, and what
    became of their messages per citizen: delivered (every message sent),
    refused (Zalo refused or failed one; an outbox row gone counts so, as in
    the console), still sending, and citizens outside Zalo's 7-day window
    (nothing sent). Citizens an OA's broadcast carried are in none of these
    (Zalo does not tell who received a broadcast)."""
    ids = [r[0] for r in c.execute(select(announcements.c.id).where(and_(
        announcements.c.status == "published", announcements.c.published_at >= start,
        announcements.c.published_at < end,
        or_(*[announcements.c.target_units.like(f'%"{unit}"%') for unit in unit_ids]))))]
    if not ids:
        return {"published": 0, "delivered": 0, "refused": 0, "sending": 0, "out_of_window": 0}
    out_of_window = c.execute(select(func.count()).select_from(deliveries).where(and_(
        deliveries.c.announcement_id.in_(ids), deliveries.c.outbox_ids.is_(None),
        deliveries.c.channel.is_(None)))).scalar()
    if c.dialect.name == "postgresql":
        elements = ("CROSS JOIN LATERAL json_array_elements_text(CAST(d.outbox_ids AS json)) AS e(value) "
                    "LEFT JOIN zalo_outbox o ON o.id = CAST(e.value AS INTEGER)")
    else:
        elements = "CROSS JOIN json_each(d.outbox_ids) AS e LEFT JOIN zalo_outbox o ON o.id = e.value"
    states = c.execute(text(
        "SELECT SUM(CASE WHEN bad > 0 THEN 1 ELSE 0 END), SUM(CASE WHEN bad = 0 AND sent = total THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN bad = 0 AND sent < total THEN 1 ELSE 0 END) FROM ("
        "SELECT d.id, COUNT(*) AS total, "
        "SUM(CASE WHEN o.id IS NULL OR o.status IN ('undeliverable', 'failed') THEN 1 ELSE 0 END) AS bad, "
        "SUM(CASE WHEN o.status = 'sent' THEN 1 ELSE 0 END) AS sent "
        f"FROM announcement_deliveries d {elements} "
        "WHERE d.outbox_ids IS NOT NULL AND d.announcement_id IN :ids GROUP BY d.id) per_citizen"
    ).bindparams(bindparam("ids", expanding=True)), {"ids": ids}).one()
    return {"published": len(ids), "delivered": int(states[1] or 0), "refused": int(states[0] or 0),
            "sending": int(states[2] or 0), "out_of_window": out_of_window}
