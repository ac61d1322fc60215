"""``rasa <args>``, optionally profiled, for bench/load.py.

bench/load.py starts the launcher with its Rasa server command
(``python -m bot.server``) replaced by this script (see stack.Ours), which
applies the same server settings, so only the profiling changes.

BENCH_PROFILE_OUT=<prefix>: pyinstrument ready; SIGUSR1 starts sampling,
SIGUSR2 stops it and writes <prefix>.html (pyinstrument's page), <prefix>.txt
(call tree, Rasa's frames shown) and <prefix>.json (where the main thread's
time went, by part of the stack, and the top functions by own time). Wall
clock sampling of the main thread, async_mode disabled: Rasa runs NLU,
policies, tracker store and channel code on the server's event loop, so the
profile says what the loop was busy with, and how long it sat idle waiting
for I/O. BENCH_PROFILE_SESSION=1 also saves the raw session (large).
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
    ("bot/server/tracker_store.py", "tracker store (SQL reads/writes)"),
    ("bot/dialogue/", "policies"),
    ("rasa/shared/core/trackers.py", "tracker (de)serialisation / event replay"),
    ("rasa/shared/core/events.py", "tracker (de)serialisation / event replay"),
    ("rasa/shared/core/domain.py", "domain (state featurisation)"),
    ("rasa/core/actions/", "actions: call to the action server"),
    ("rasa/core/lock_store.py", "lock store"),
    ("bot/zalo/store.py", "Zalo channel DB (inbox/outbox/users)"),
    ("bot/zalo/outbox.py", "Zalo outbox delivery"),
    ("bot/zalo/api.py", "Zalo Open API client"),
    ("channels/zalo.py", "Zalo channel"),
    ("bot/zalo/intake.py", "Zalo channel"),
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


if __name__ == "__main__":
    if os.environ.get("BENCH_PROFILE_OUT"):
        setup_profiler(Path(os.environ["BENCH_PROFILE_OUT"]))
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from bot.server import settings  # as `python -m bot.server` does

    settings.configure()
    from rasa.__main__ import main

    sys.argv = ["rasa", *settings.rasa_arguments(sys.argv[1:])]
    main()
