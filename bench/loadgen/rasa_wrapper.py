"""``rasa <args>``, optionally profiled and/or with candidate fixes, for bench/load.py.

bench/load.py starts the launcher with its ``rasa`` executable replaced by
this script (see stack.Ours), so only the Rasa server process changes.

BENCH_PROFILE_OUT=<prefix>: pyinstrument ready; SIGUSR1 starts sampling,
SIGUSR2 stops it and writes <prefix>.html (pyinstrument's page), <prefix>.txt
(call tree, Rasa's frames shown) and <prefix>.json (where the main thread's
time went, by part of the stack, and the top functions by own time). Wall
clock sampling of the main thread, async_mode disabled: Rasa runs NLU,
policies, tracker store and channel code on the server's event loop, so the
profile says what the loop was busy with, and how long it sat idle waiting
for I/O. BENCH_PROFILE_SESSION=1 also saves the raw session (large).

BENCH_PATCHES=all (or a comma-separated list of the names below): candidate
fixes for the biggest hotspots the profile shows, applied in this process
only, to measure what they would gain before anyone changes the project
(the project's code is not touched). The two fixes this list began with,
Rasa's action-answer validation and event-type lookups, are now in
bot/rasa_speedups.py and always on:
  pool       SQLAlchemy 1.4 gives file SQLite databases a NullPool: every
             ``with engine.begin()`` opens a new sqlite3 connection; here
             Rasa's tracker store gets a QueuePool too (bot/db.py already
             gives the project database one);
  wal        the tracker store's SQLite file in WAL mode with
             synchronous=NORMAL, as bot/db.py does for the project database
             (each tracker save commits, with an fsync in the default mode);
  trackercache
             SQLTrackerStore reads and JSON-decodes every event of the
             conversation session on every message; here the decoded events
             of the last 2000 conversations are kept and only rows with a
             higher id are read (a newer session_started drops the older
             events, as Rasa's query does). The tracker is still rebuilt
             (deserialised and replayed) from them each time. A sketch: with
             several replicas it relies on ids growing per conversation,
             which Rasa's lock store makes true for one conversation.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

# Which part of the stack a sample belongs to. A "strong" part is set by the
# deepest frame that matches (the tracker store's event replay counts as
# replay, not as tracker store); a "weak" one only when no strong part is set
# above it (SQL under the tracker store stays tracker store; the SOS
# detector's text helpers stay SOS detection).
STRONG = [
    ("logging/__init__.py", "logging"),
    ("jsonschema/", "actions: jsonschema validation of the action server's answer"),
    ("bot/nlu/tokenizer", "NLU: Vietnamese tokenizer (underthesea)"),
    ("bot/nlu/fallback", "NLU: project fallback classifier"),
    ("rasa/nlu/featurizers", "NLU: featurisers"),
    ("rasa/nlu/classifiers", "NLU: classifiers"),
    ("rasa/nlu/", "NLU: other"),
    ("rasa/core/featurizers", "policies: featurisation"),
    ("rasa/core/policies", "policies"),
    ("rasa/core/tracker_store.py", "tracker store (SQL reads/writes)"),
    ("rasa/shared/core/trackers.py", "tracker (de)serialisation / event replay"),
    ("rasa/shared/core/events.py", "tracker (de)serialisation / event replay"),
    ("rasa/shared/core/domain.py", "domain (state featurisation)"),
    ("rasa/core/actions/", "actions: call to the action server"),
    ("rasa/core/lock_store.py", "lock store"),
    ("bot/zalo/store.py", "Zalo channel DB (inbox/outbox/users)"),
    ("bot/zalo/outbox.py", "Zalo outbox delivery"),
    ("bot/zalo/api.py", "Zalo Open API client"),
    ("channels/zalo.py", "Zalo channel"),
    ("bot/handoff/", "handoff checks"),
    ("bot/safety/", "SOS detection"),
]
WEAK = [
    ("bot/nlu/", "NLU: project text helpers"),
    ("rasa/core/processor.py", "Rasa processor (other)"),
    ("rasa/engine/", "Rasa graph runner"),
    ("rasa/core/channels/", "Rasa channels"),
    ("sanic/", "HTTP server (Sanic)"),
    ("aiohttp/", "HTTP client (aiohttp)"),
    ("sqlalchemy/", "SQLAlchemy (other)"),
]
DEFAULT = "other (asyncio, libraries)"
IDLE = "idle: event loop waiting for I/O"


def part_of(path: str, current: str) -> str:
    path = (path or "").replace("\\", "/")
    if "selectors.py" in path:
        return IDLE
    strong = next((name for pattern, name in STRONG if pattern in path), None)
    if strong:
        return strong
    if current == DEFAULT or current in {name for _, name in WEAK}:
        return next((name for pattern, name in WEAK if pattern in path), current)
    return current


def summarise(root) -> dict:
    parts: dict = {}
    functions: dict = {}

    def walk(frame, current: str) -> None:
        own = part_of(frame.file_path, current)
        children = list(frame.children)
        self_time = max(0.0, frame.time - sum(child.time for child in children))
        if self_time:
            parts[own] = parts.get(own, 0.0) + self_time
            # "[self]" frames: the time of their parent function itself
            named = frame.parent if frame.is_synthetic and frame.parent is not None else frame
            key = f"{named.function} ({named.file_path_short}:{named.line_no})"
            if named.file_path == "<built-in>" and named.parent is not None:
                key = f"{named.function} (called from {named.parent.function}, {named.parent.file_path_short})"
            functions[key] = functions.get(key, 0.0) + self_time
        for child in children:
            walk(child, own)

    walk(root, DEFAULT)
    total = root.time or 1.0
    return {
        "total_s": root.time,
        "parts": sorted(([name, s, s / total] for name, s in parts.items()), key=lambda r: -r[1]),
        "functions": sorted(([name, s, s / total] for name, s in functions.items()), key=lambda r: -r[1])[:25],
    }


def setup_profiler(out: Path) -> None:
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.005, async_mode="disabled")

    def start(signum, frame) -> None:  # noqa: ARG001
        if not profiler.is_running:
            profiler.start()

    def stop(signum, frame) -> None:  # noqa: ARG001
        if not profiler.is_running:
            return
        session = profiler.stop()
        out.parent.mkdir(parents=True, exist_ok=True)
        out.with_suffix(".html").write_text(profiler.output_html(), encoding="utf-8")
        # Rasa's, the SDK's and Sanic's frames shown (pyinstrument hides site-packages by default)
        out.with_suffix(".txt").write_text(profiler.output_text(processor_options={
            "show_regex": r".*site-packages/(rasa|rasa_sdk|sanic)/.*", "filter_threshold": 0.005,
        }), encoding="utf-8")
        if os.environ.get("BENCH_PROFILE_SESSION"):
            session.save(str(out.with_suffix(".pyisession")))
        out.with_suffix(".json").write_text(json.dumps(summarise(session.root_frame())), encoding="utf-8")

    signal.signal(signal.SIGUSR1, start)
    signal.signal(signal.SIGUSR2, stop)


def patch_sqlite_engines(pool: bool, wal: bool) -> None:
    """Before bot.db or Rasa's tracker store import create_engine."""
    import sqlalchemy
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import QueuePool

    original = sqlalchemy.create_engine

    def create_engine(url, *args, **kwargs):
        parsed = make_url(url)
        if not (parsed.drivername.startswith("sqlite") and parsed.database not in (None, "", ":memory:")):
            return original(url, *args, **kwargs)
        if pool:
            kwargs.setdefault("poolclass", QueuePool)
            kwargs["connect_args"] = {"check_same_thread": False, **(kwargs.get("connect_args") or {})}
        created = original(url, *args, **kwargs)
        if wal:
            def pragmas(connection, _record) -> None:
                cursor = connection.cursor()
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
                cursor.close()

            sqlalchemy.event.listen(created, "connect", pragmas)
        return created

    sqlalchemy.create_engine = create_engine


def patch_tracker_cache(limit: int = 2000) -> None:
    from collections import OrderedDict

    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.events import SessionStarted
    from rasa.shared.core.trackers import DialogueStateTracker

    original = SQLTrackerStore._retrieve
    cache: OrderedDict = OrderedDict()  # (store, sender) -> [last row id, event dicts of the latest session]

    async def _retrieve(self, sender_id, fetch_events_from_all_sessions):
        if fetch_events_from_all_sessions or not self.domain:
            return await original(self, sender_id, fetch_events_from_all_sessions)
        table, key = self.SQLEvent, (id(self), sender_id)
        entry = cache.get(key)
        with self.session_scope() as session:
            if entry is None:
                entry = [0, []]
                rows = self._event_query(session, sender_id, False).with_entities(
                    table.id, table.type_name, table.data).all()
            else:
                rows = (session.query(table.id, table.type_name, table.data)
                        .filter(table.sender_id == sender_id, table.id > entry[0]).order_by(table.id).all())
        for row_id, type_name, data in rows:
            event = json.loads(data)
            if type_name == SessionStarted.type_name:
                start = event.get("timestamp") or 0
                entry[1] = [e for e in entry[1] if (e.get("timestamp") or 0) >= start]
            entry[1].append(event)
            entry[0] = row_id
        if not entry[1]:
            return None
        cache[key] = entry
        cache.move_to_end(key)
        while len(cache) > limit:
            cache.popitem(last=False)
        tracker = DialogueStateTracker.from_dict(sender_id, list(entry[1]), self.domain.slots)
        if check:  # BENCH_TRACKERCACHE_CHECK=1: compare with Rasa's own reading
            expected = await original(self, sender_id, False)
            same = [e.as_dict() for e in expected.events] == [e.as_dict() for e in tracker.events]
            print(f"bench: trackercache {'same' if same else 'DIFFERENT'} {sender_id} {len(tracker.events)}",
                  file=sys.stderr, flush=True)
        return tracker

    check = bool(os.environ.get("BENCH_TRACKERCACHE_CHECK"))
    SQLTrackerStore._retrieve = _retrieve


PATCHES = ("pool", "wal", "trackercache")


def apply_patches(names: str) -> None:
    chosen = set(PATCHES) if names.strip() in ("1", "all") else {n.strip() for n in names.split(",") if n.strip()}
    unknown = chosen - set(PATCHES)
    if unknown:
        raise SystemExit(f"unknown BENCH_PATCHES {sorted(unknown)}; known: {', '.join(PATCHES)}")
    if chosen & {"pool", "wal"}:
        patch_sqlite_engines(pool="pool" in chosen, wal="wal" in chosen)
    if "trackercache" in chosen:
        patch_tracker_cache()
    print(f"bench: patches applied in this Rasa server: {', '.join(sorted(chosen))}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    if os.environ.get("BENCH_PATCHES"):
        apply_patches(os.environ["BENCH_PATCHES"])
    if os.environ.get("BENCH_PROFILE_OUT"):
        setup_profiler(Path(os.environ["BENCH_PROFILE_OUT"]))
    from rasa.__main__ import main

    sys.argv = ["rasa", *sys.argv[1:]]
    main()
