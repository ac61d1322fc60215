"""The daily rollups of citizens' messages (queries.py: the tables, and how
reports read them), built and kept up to date in the tracker store.

A day (Vietnam time) is rolled up once it is closed: an hour after its
midnight (``CLOSED_AFTER``), so that a message Rasa stamped just before
midnight and stored just after is in it. Today and the hour after midnight
are read from the events. A closed day still gets a message now and then
(a conversation replayed, an event stored late): every refresh looks at the
events stored since the previous one (by id: the table's primary key, no
scan) and drops the rollups of the days they belong to, which are then built
again. Deleting events (the retention purge, a citizen's erasure:
bot/privacy/retention.py) drops the rollups of the days they were on the
same way (``forget``).

``refresh`` is what the web server runs every few minutes (bot/console/
reports.py): every closed day since the first message, built once.
``ensure`` is what a report runs first: the days of its periods not built yet
are built (a fresh database, the command line on a copy); where they cannot
be (a read-only database), the report reads those days from the events, as
exactly, only slower.
"""

from __future__ import annotations

import logging
import math
import time
from typing import Iterable, List, Optional, Sequence, Tuple

from sqlalchemy import bindparam, delete, func, insert, inspect, select, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from bot.reports.queries import (DAY, NOT_MESSAGES, OFFSET, Span, citizen_units, daily_citizens, daily_messages,
                                 day_start, event_day, event_unit, message_query, rollup_days, rollup_metadata,
                                 rollup_state)

logger = logging.getLogger(__name__)

CLOSED_AFTER = 3600.0  # a day is closed an hour after it ended
CHUNK_DAYS = 31  # days built per transaction (SQLite: other writers wait no longer than that)
ROLLUPS = (daily_messages, daily_citizens, rollup_days)


def create_tables(engine_or_connection) -> None:
    """The rollup tables in the tracker store (idempotent)."""
    rollup_metadata.create_all(engine_or_connection, checkfirst=True)


def first_open_day(now: float) -> int:
    """The first day not closed at ``now``: the days before it are rolled up."""
    return math.floor((now - CLOSED_AFTER + OFFSET) / DAY)


def _has_events(engine: Engine) -> bool:
    return inspect(engine).has_table("events")


def check_new_events(c: Connection) -> int:
    """Drop the rollups of the days that got messages since the last refresh; the days dropped."""
    newest = c.execute(text("SELECT MAX(id) FROM events")).scalar() or 0
    checked = c.execute(select(rollup_state.c.checked_event_id).where(rollup_state.c.id == 1)).scalar()
    if checked is not None and checked >= newest:
        return 0
    dropped = 0
    if c.execute(select(func.count()).select_from(rollup_days)).scalar():
        days = [r[0] for r in c.execute(text(
            f"SELECT DISTINCT {event_day(c.dialect.name)} FROM events "
            "WHERE id > :checked AND id <= :newest AND type_name = 'user'"),
            {"checked": checked or 0, "newest": newest})]
        dropped = drop_days(c, days)
    if checked is None:
        c.execute(insert(rollup_state).values(id=1, checked_event_id=newest))
    else:
        c.execute(rollup_state.update().where(rollup_state.c.id == 1).values(checked_event_id=newest))
    return dropped


def drop_days(c: Connection, days: Sequence[int]) -> int:
    """Drop these days' rollups (built again by the next refresh or report); how many were built."""
    dropped = 0
    for i in range(0, len(days), 500):
        some = list(days[i:i + 500])
        dropped += c.execute(delete(rollup_days).where(rollup_days.c.day.in_(some))).rowcount
        for table in (daily_messages, daily_citizens):
            c.execute(delete(table).where(table.c.day.in_(some)))
    return dropped


def forget(c: Connection, senders_sql: str, params: dict) -> int:
    """Before deleting events: drop the rollups of every day these citizens
    wrote on (``senders_sql``: a SELECT of sender ids, with ``params``), so
    no rollup keeps what is deleted; the days dropped."""
    create_tables(c)
    days = [r[0] for r in c.execute(text(
        f"SELECT DISTINCT {event_day(c.dialect.name)} FROM events "
        f"WHERE type_name = 'user' AND sender_id IN ({senders_sql})"), params)]
    c.execute(text(f"DELETE FROM {citizen_units.name} WHERE citizen IN ({senders_sql})"), params)
    return drop_days(c, days)


def _missing(c: Connection, first: int, stop: int) -> List[int]:
    built = {r[0] for r in c.execute(select(rollup_days.c.day).where(
        rollup_days.c.day >= first, rollup_days.c.day < stop))}
    return [d for d in range(first, stop) if d not in built]


def _runs(days: Iterable[int]) -> List[Tuple[int, int]]:
    """Consecutive days as [first, stop) runs of at most CHUNK_DAYS."""
    runs: List[Tuple[int, int]] = []
    for d in days:
        if runs and runs[-1][1] == d and d - runs[-1][0] < CHUNK_DAYS:
            runs[-1] = (runs[-1][0], d + 1)
        else:
            runs.append((d, d + 1))
    return runs


def event_units(c: Connection) -> List[str]:
    """Every unit key citizens' messages name, from the reports' index (one look-up per unit)."""
    unit, found = event_unit(c.dialect.name), []
    following = text(f"SELECT MIN({unit}) FROM events WHERE type_name = 'user' AND {unit} > :after")
    after = c.execute(text(f"SELECT MIN({unit}) FROM events WHERE type_name = 'user'")).scalar()
    while after is not None:
        found.append(after)
        after = c.execute(following, {"after": after}).scalar()
    return found


def build(engine: Engine, first: int, stop: int, now: Optional[float] = None) -> None:
    """Roll up the days [first, stop) from the events (they must be closed), in one transaction, unit by
    unit: the unit is then a look-up in the reports' index, which holds all the rest."""
    dialect = engine.dialect.name
    day = event_day(dialect)
    every = {"live_start": day_start(first), "live_end": day_start(stop), "not_messages": list(NOT_MESSAGES)}
    statements = [
        f"INSERT INTO {daily_messages.name} (day, unit, intent, messages) "
        + message_query(dialect, f"{day}, :unit, COALESCE(intent_name, ''), COUNT(*)", "GROUP BY 1, 3"),
        f"INSERT INTO {daily_citizens.name} (day, unit, citizen) "
        + message_query(dialect, f"DISTINCT {day}, :unit, sender_id"),
        f"INSERT INTO {citizen_units.name} (unit, citizen) "
        + message_query(dialect, "DISTINCT :unit, sender_id", "ON CONFLICT DO NOTHING"),
    ]
    built_at = time.time() if now is None else now
    with engine.begin() as c:
        drop_days(c, list(range(first, stop)))  # what a concurrent refresh may have built meanwhile
        for unit in event_units(c):
            for statement in statements:
                c.execute(text(statement).bindparams(bindparam("units", expanding=True),
                                                     bindparam("not_messages", expanding=True)),
                          {**every, "unit": unit, "units": [unit]})
        c.execute(insert(rollup_days), [{"day": d, "built_at": built_at} for d in range(first, stop)])


def _build_missing(engine: Engine, first: int, stop: int, now: float) -> int:
    """Build the days of [first, stop) not built yet; how many were built."""
    with engine.begin() as c:
        check_new_events(c)
    with engine.connect() as c:
        missing = _missing(c, first, stop)
    for run_first, run_stop in _runs(missing):
        try:
            build(engine, run_first, run_stop, now)
        except IntegrityError:  # another refresh built them at the same time (PostgreSQL)
            logger.info("rollups of days %s–%s were built by another refresh", run_first, run_stop - 1)
    return len(missing)


def refresh(engine: Engine, now: Optional[float] = None) -> int:
    """What the web server runs: every closed day since the first message
    rolled up, and the days that got messages since the last refresh rolled
    up again; how many days were built."""
    now = time.time() if now is None else now
    if not _has_events(engine):
        return 0
    create_tables(engine)
    with engine.connect() as c:  # the oldest message: each unit's, from the reports' index
        unit = event_unit(c.dialect.name)
        oldest = min((c.execute(text(f"SELECT MIN(timestamp) FROM events WHERE type_name = 'user' AND {unit} = :unit"),
                                {"unit": key}).scalar() for key in event_units(c)), default=None)
    if oldest is None:
        return 0
    first = math.floor((oldest + OFFSET) / DAY)
    return _build_missing(engine, first, max(first, first_open_day(now)), now)


def ensure(engine: Engine, first: int, stop: int, now: Optional[float] = None) -> Span:
    """Before a report of the days [first, stop): the closed ones rolled up
    (built now if missing); the Span to read them by. Where they cannot be
    built, every day is read from the events."""
    now = time.time() if now is None else now
    cut = min(max(first, first_open_day(now)), stop)
    if cut == first:
        return Span(first, first, stop)
    try:
        create_tables(engine)
        _build_missing(engine, first, cut, now)
        with engine.connect() as c:
            if _missing(c, first, cut):
                raise RuntimeError("rollups missing after building them")
    except (SQLAlchemyError, RuntimeError):
        logger.exception("reports: rollups of days %s–%s not built; reading the events", first, cut - 1)
        return Span(first, first, stop)
    return Span(first, cut, stop)
