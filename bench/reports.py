"""Commanders' reports at scale: a year of synthetic activity, the report's and the console page's time.

    .venv/bin/python bench/reports.py [--messages 1000000] [--units 20] [--keep DIR]

Generates into a temporary SQLite project database and tracker store (as
the assistant keeps them: Rasa's events table, a user event, a bot event
and an action per message): a year of citizens' messages spread over
``--units`` units (a district and its wards), officer chats for 5 % of
them, SOS, tip-offs with their audit entries, follows, announcements and
their deliveries. Then builds the daily rollups of the messages as the web
server's job does at its first start (bot/reports/rollups.py: every closed
day), and times a refresh with nothing new and one with a day to build
again. Then times, for the district (every unit) and for one ward, over
the last 3 and 6 months: the report (figures + PDF, what `python -m
bot.reports` does), the console page's API (figures + PNG plots + JSON),
and the figures counted from the events alone (no rollups, as before them),
which must equal the report's. Targets: a report in ≤ 10 s, the console
page in ≤ 2 s. Wall and CPU time are printed: on a shared machine the CPU
time is the work the report costs, the wall time what the commander waited.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.console.reports import report_json  # noqa: E402
from bot.core import db  # noqa: E402
from bot.core.units import Unit, Units  # noqa: E402
from bot.core.web import VIETNAM  # noqa: E402
from bot.reports import pdf, rollups  # noqa: E402
from bot.reports.figures import Sources, catalogue, collect, parse_period  # noqa: E402
from bot.reports.queries import day_number, rollup_days  # noqa: E402

YEAR_END = dt.date(2026, 11, 30)
DAY = 86400.0
ACTION = json.dumps({"event": "action", "name": "action_answer"})


def insert(connection: sqlite3.Connection, table: str, columns: str, rows: list) -> None:
    marks = ", ".join("?" * len(columns.split(",")))
    connection.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)


def make_units(count: int) -> Units:
    district = Unit("quan-bench", "Công an quận Thử nghiệm", "district", None, "", "", "")
    units = {district.id: district}
    for i in range(1, count):
        units[f"phuong-{i:02d}"] = Unit(f"phuong-{i:02d}", f"Công an phường {i:02d}", "ward", district.id, "", "", "")
    return Units(units=units, default_unit="phuong-01")


def generate(folder: Path, messages: int, units: Units, seed: int) -> None:
    from rasa.core.tracker_store import SQLTrackerStore

    rng = random.Random(seed)
    project_url, tracker_url = f"sqlite:///{folder / 'project.db'}", f"sqlite:///{folder / 'tracker.db'}"
    db.create_tables(db.engine(project_url), *db.all_tables())
    SQLTrackerStore.SQLEvent.__table__.create(db.engine(tracker_url), checkfirst=True)
    start = dt.datetime.combine(YEAR_END - dt.timedelta(days=364), dt.time(), VIETNAM).timestamp()
    unit_ids = list(units.units)
    procedures = sorted(catalogue())
    intents = procedures * 3 + ["nlu_fallback", "out_of_scope", "greet", "ask_fee", "ask_documents", "thank"]
    citizens = max(messages // 10, 1)
    home = [rng.choice(unit_ids) for _ in range(citizens)]

    tracker = sqlite3.connect(folder / "tracker.db")
    tracker.execute("PRAGMA synchronous=OFF")
    project = sqlite3.connect(folder / "project.db")
    project.execute("PRAGMA synchronous=OFF")
    handoff_rows, tipoff_rows, audit_rows, follow_rows = [], [], [], []
    batch = []
    for n in range(messages):
        citizen = rng.randrange(citizens)
        sender, unit, at = f"{8_000_000_000 + citizen}", home[citizen], start + rng.random() * 365 * DAY
        intent = rng.choice(intents)
        data = {"event": "user", "timestamp": at, "text": "xin hỏi thủ tục đăng ký thường trú cần giấy tờ gì ạ",
                "parse_data": {"intent": {"name": intent, "confidence": 0.91}, "entities": [],
                               "text": "xin hoi thu tuc", "message_id": f"m{n}", "metadata": {}},
                "input_channel": "zalo", "message_id": f"m{n}",
                "metadata": {"oa_id": "4000", "unit": unit, "zalo_event": "user_send_text", "msg_id": f"m{n}",
                             "attachments": []}}
        batch.append((sender, "user", at, intent, None, json.dumps(data, ensure_ascii=False)))
        batch.append((sender, "action", at + 0.2, None, "action_answer", ACTION))
        batch.append((sender, "bot", at + 0.3, None, None, json.dumps({"event": "bot", "text": "Hồ sơ gồm …"})))
        if rng.random() < 0.05:  # a chat with an officer
            reason = "sos" if rng.random() < 0.05 else rng.choice(("requested", "failures"))
            claimed = rng.random() < 0.9
            wait = rng.expovariate(1 / 90)
            handoff_rows.append((sender, unit, reason, 1, "closed" if claimed else "timed_out", at,
                                 f"can.bo.{unit}.{rng.randrange(5)}" if claimed else None,
                                 at + wait if claimed else None,
                                 at + wait + rng.expovariate(1 / 40) if claimed else None, at + 900))
        if rng.random() < 0.002:
            code = f"TG-{n:08d}"
            status = rng.choice(("received", "verifying", "transferred", "resolved"))
            tipoff_rows.append((code, "", True, "x", unit, status, at, at))
            if rng.random() < 0.7:
                audit_rows.append((at + rng.expovariate(1 / 7200), "can.bo", "tipoff_status", f"tipoff:{code}"))
        if rng.random() < 0.03:
            follow_rows.append(("4000", unit, "follow" if rng.random() < 0.9 else "unfollow", at))
        if len(batch) >= 30_000:
            tracker.executemany("INSERT INTO events (sender_id, type_name, timestamp, intent_name, action_name, data) "
                                "VALUES (?, ?, ?, ?, ?, ?)", batch)
            batch = []
    tracker.executemany("INSERT INTO events (sender_id, type_name, timestamp, intent_name, action_name, data) "
                        "VALUES (?, ?, ?, ?, ?, ?)", batch)
    tracker.commit()
    insert(project, "handoffs", "conversation_id, unit, reason, priority, status, created_at, claimed_by, claimed_at, "
           "first_reply_at, ended_at", handoff_rows)
    insert(project, "tipoffs", "code, reporter_id, anonymous, what, unit, status, created_at, updated_at", tipoff_rows)
    project.executemany("INSERT INTO audit_log (time, actor, action, subject) VALUES (?, ?, ?, ?)", audit_rows)
    project.executemany("INSERT INTO zalo_follows (oa_id, unit, event, at) VALUES (?, ?, ?, ?)", follow_rows)
    outbox_id = 0
    for a in range(1, 53):  # an announcement a week, to one unit, its audience ~ a tenth of its citizens
        at, unit = start + (a - 0.5) * 7 * DAY, unit_ids[a % len(unit_ids)]
        insert(project, "announcements", "id, title, body, target_units, status, author, created_at, published_at",
               [(a, "t", "b", json.dumps([unit]), "published", "chi.huy", at, at)])
        outbox, deliveries = [], []
        for citizen in range(a, citizens, 10 * len(unit_ids)):
            if rng.random() < 0.3:
                deliveries.append((a, str(citizen), "4000", None, at))
                continue
            outbox_id += 1
            status = rng.choice(("sent",) * 8 + ("failed", "pending"))
            outbox.append((outbox_id, "4000", str(citizen), "{}", status, 1, at, at))
            deliveries.append((a, str(citizen), "4000", json.dumps([outbox_id]), at))
        insert(project, "zalo_outbox", "id, oa_id, user_id, body, status, attempts, next_attempt_at, created_at",
               outbox)
        insert(project, "announcement_deliveries", "announcement_id, user_id, oa_id, outbox_ids, created_at",
               deliveries)
    project.commit()
    print(f"generated: {messages:,} messages ({3 * messages:,} events) of {citizens:,} citizens, "
          f"{len(handoff_rows):,} officer chats, {len(tipoff_rows):,} tip-offs, {len(follow_rows):,} follows, "
          f"52 announcements ({outbox_id:,} messages sent)")


def timed(call):
    """(the result, wall seconds, CPU seconds of the process: every thread's)."""
    began, cpu = time.perf_counter(), time.process_time()
    result = call()
    return result, time.perf_counter() - began, time.process_time() - cpu


class EventsOnly(Sources):
    """The figures counted from the events alone, as before the rollups."""

    def rolled_up_before(self, first, last, now) -> int:
        return 0


def figures_json(report) -> dict:
    data = report.as_json()
    data.pop("generated_at")
    return data


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--units", type=int, default=20)
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--keep", type=Path, help="generate into (or reuse) this folder instead of a temporary one")
    args = parser.parse_args()
    units = make_units(args.units)
    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench-reports-"))
    folder.mkdir(parents=True, exist_ok=True)
    if not (folder / "tracker.db").exists():
        _, seconds, _ = timed(lambda: generate(folder, args.messages, units, args.seed))
        print(f"generation: {seconds:.0f} s")
    sources, seconds, _ = timed(lambda: Sources.open(db.engine(f"sqlite:///{folder / 'project.db'}"),
                                                  db.engine(f"sqlite:///{folder / 'tracker.db'}")))
    print(f"opening (the reports' index made once, if missing): {seconds:.1f} s")
    with sources.tracker.begin() as c:  # the web server's first start, every time
        rollups.drop_days(c, [r[0] for r in c.execute(rollup_days.select())])
    built, seconds, cpu = timed(lambda: rollups.refresh(sources.tracker))
    print(f"rollups, the web server's job at its first start: {built} days built in {seconds:.1f} s (CPU {cpu:.1f} s)")
    built, seconds, _ = timed(lambda: rollups.refresh(sources.tracker))
    print(f"rollups, the job every 15 minutes with nothing new: {built} days built in {seconds * 1000:.0f} ms")
    with sources.tracker.begin() as c:
        rollups.drop_days(c, [day_number(YEAR_END)])
    built, seconds, _ = timed(lambda: rollups.refresh(sources.tracker))
    print(f"rollups, the job after a day ended: {built} day built in {seconds * 1000:.0f} ms")
    events_only = EventsOnly(sources.project, sources.tracker)
    for label, days in (("3 months", 91), ("6 months", 182)):
        first = YEAR_END - dt.timedelta(days=days - 1)
        period = parse_period(str(first), str(YEAR_END))
        for unit in ("quan-bench", "phuong-01"):
            report, collect_s, collect_cpu = timed(lambda: collect(sources, units, unit, period))
            _, pdf_s, pdf_cpu = timed(lambda: pdf.pdf_bytes(report))
            data, api_s, api_cpu = timed(
                lambda: json.dumps(report_json(sources, units, unit, period, units.below(unit))))
            direct, direct_s, direct_cpu = timed(lambda: collect(events_only, units, unit, period))
            same = figures_json(direct) == figures_json(report)
            print(f"{label}, {unit} ({len(report.units)} units, {report.current.volume.messages:,} messages in the "
                  f"period): report {collect_s + pdf_s:.2f} s (figures {collect_s:.2f} s + PDF {pdf_s:.2f} s; "
                  f"CPU {collect_cpu + pdf_cpu:.2f} s); console API {api_s:.2f} s (CPU {api_cpu:.2f} s, "
                  f"{len(data) // 1024} KB); figures from the events alone {direct_s:.2f} s (CPU {direct_cpu:.2f} s), "
                  f"{'equal' if same else 'DIFFERENT'}")
            if not same:
                return 1
    print(f"load average (1, 5, 15 min): {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"data in {folder}" if args.keep else "")
    return 0


if __name__ == "__main__":
    sys.exit(main())
