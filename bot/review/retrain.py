"""Retrain the model from the content as it is now, and put it live when it
is no worse: the last step of the review loop (README, "Câu hỏi cần xử lý").

1. Train a candidate (``rasa train``, in a child process) into the state
   folder's ``candidates/``, never into the models folder: a refused model
   must not be the one a restarted server loads.
2. Evaluate the live model (while the candidate trains) and the candidate
   on the held-out sets (devtools/evaluation.py: the project's set and the
   dev sets; the final sets stay unseen).
3. Refuse the candidate when any set's share of right answers drops, or its
   share of wrong answers rises, by more than one point and more than one
   message (on a set of 69, one message is 1.4 points: one answer changing is
   no trend), saying which set and by how much.
4. Otherwise move it into the models folder and load it into every Rasa
   replica, one at a time (bot/review/swap.py).

One retrain runs at a time (a lock row in the project database, given up
after ``STALE_AFTER`` if its process died). Each is recorded in ``retrains``
with who asked, the step it reached, the figures before and after and the
time of each step, and in the audit log.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional

from sqlalchemy import Column, Float, Integer, String, Table, Text, delete, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from bot.core.audit import AuditLog
from bot.core.db import create_tables
from bot.core.db import engine as default_engine
from bot.core.db import metadata
from bot.core.paths import DATA, ROOT
from bot.review import swap

logger = logging.getLogger(__name__)

MAX_DROP = 0.01  # one point
MAX_MESSAGES = 1  # ...and one message of the set
STALE_AFTER = 2 * 3600.0  # seconds after which a retrain's lock is taken to be left by a dead process
WATCHED = {"right": -1, "wrong": +1}  # how a share gets worse: right answers down, wrong answers up

retrains = Table(
    "retrains", metadata,
    Column("id", Integer, primary_key=True),
    Column("requested_by", String(64), nullable=False),
    Column("status", String(16), nullable=False),  # training, evaluating, swapping, live, refused, failed
    Column("started_at", Float, nullable=False),
    Column("finished_at", Float),
    Column("model", String(255)),
    Column("before", Text),  # JSON: set -> shares (devtools.evaluation.shares)
    Column("after", Text),
    Column("seconds", Text),  # JSON: step -> seconds
    Column("reason", Text),  # why it was refused or failed, in Vietnamese for the console
)
retrain_lock = Table(
    "retrain_lock", metadata,
    Column("name", String(16), primary_key=True),
    Column("retrain_id", Integer, nullable=False),
    Column("since", Float, nullable=False),
)


class Busy(RuntimeError):
    """Another retrain is under way."""


class Failed(RuntimeError):
    """A step could not be done (training or evaluation crashed, a replica refused the model)."""


@dataclass
class Outcome:
    id: int
    status: str  # live, refused, failed
    reason: str = ""
    before: Dict[str, Dict[str, float]] = field(default_factory=dict)
    after: Dict[str, Dict[str, float]] = field(default_factory=dict)
    seconds: Dict[str, Any] = field(default_factory=dict)
    model: Optional[str] = None


def models_dir() -> Path:
    return Path(os.environ.get("MODELS_DIR") or ROOT / "models")


def candidates_dir() -> Path:
    return swap.state_dir() / "candidates"


def regressions(before: Dict[str, Dict[str, float]], after: Dict[str, Dict[str, float]],
                max_drop: float = MAX_DROP, max_messages: float = MAX_MESSAGES) -> List[str]:
    """Each set whose right answers dropped (or wrong answers rose) by more
    than ``max_drop`` and more than ``max_messages`` of its messages, said as
    an editor reads it."""
    found = []
    for label, old in before.items():
        new = after.get(label)
        if new is None:
            found.append(f"{label}: không đánh giá được trên mô hình mới")
            continue
        for category, direction in WATCHED.items():
            worse_by = (new[category] - old[category]) * direction
            # the shares are rounded to 4 places: the messages are counted back to a whole number
            if worse_by > max_drop + 1e-9 and round(worse_by * old.get("n", 0)) > max_messages:
                what = "trả lời đúng" if category == "right" else "trả lời sai"
                found.append(f"{label}: tỉ lệ {what} {old[category]:.1%} → {new[category]:.1%} "
                             f"({(new[category] - old[category]) * 100:+.1f} điểm)")
    return found


class Retrainer:
    def __init__(self, engine: Optional[Engine] = None, audit: Optional[AuditLog] = None,
                 max_drop: float = MAX_DROP, max_messages: float = MAX_MESSAGES):
        self.engine = engine or default_engine()
        create_tables(self.engine, retrains, retrain_lock)
        self.audit = audit or AuditLog(self.engine)
        self.max_drop, self.max_messages = max_drop, max_messages

    # -- one at a time -------------------------------------------------------------------------------

    def begin(self, by: str) -> int:
        """Record a new retrain and take the lock, or raise Busy."""
        now = time.time()
        with self.engine.begin() as c:
            c.execute(delete(retrain_lock).where(retrain_lock.c.since < now - STALE_AFTER))
        with self.engine.begin() as c:
            retrain_id = c.execute(insert(retrains).values(requested_by=by, status="training", started_at=now)
                                   ).inserted_primary_key[0]
        try:
            with self.engine.begin() as c:
                c.execute(insert(retrain_lock).values(name="retrain", retrain_id=retrain_id, since=now))
        except IntegrityError:
            with self.engine.begin() as c:
                c.execute(delete(retrains).where(retrains.c.id == retrain_id))
            raise Busy("Đang có một lần huấn luyện lại chưa xong; hãy đợi nó kết thúc.") from None
        return retrain_id

    def _set(self, retrain_id: int, **values: Any) -> None:
        for key in ("before", "after", "seconds"):
            if key in values and not isinstance(values[key], str):
                values[key] = json.dumps(values[key], ensure_ascii=False)
        with self.engine.begin() as c:
            c.execute(update(retrains).where(retrains.c.id == retrain_id).values(**values))

    def _end(self, outcome: Outcome, by: str) -> Outcome:
        self._set(outcome.id, status=outcome.status, finished_at=time.time(), reason=outcome.reason,
                  model=outcome.model, before=outcome.before, after=outcome.after, seconds=outcome.seconds)
        with self.engine.begin() as c:
            c.execute(delete(retrain_lock).where(retrain_lock.c.retrain_id == outcome.id))
        self.audit.log(by, f"retrain_{outcome.status}", detail={
            "retrain": outcome.id, "model": outcome.model, "reason": outcome.reason,
            "before": outcome.before, "after": outcome.after, "seconds": outcome.seconds})
        return outcome

    def history(self, limit: int = 10) -> List[Dict[str, Any]]:
        with self.engine.connect() as c:
            rows = c.execute(select(retrains).order_by(retrains.c.id.desc()).limit(limit)).mappings().all()
        return [{**row, **{k: json.loads(row[k]) if row[k] else {} for k in ("before", "after", "seconds")}}
                for row in rows]

    # -- the steps -------------------------------------------------------------------------------------

    def run(self, by: str, retrain_id: Optional[int] = None) -> Outcome:
        """Train, evaluate, and put live or refuse (``begin`` first unless given its id)."""
        retrain_id = retrain_id or self.begin(by)
        outcome = Outcome(retrain_id, "failed")
        try:
            targets = swap.replicas()
            started = time.monotonic()
            with ThreadPoolExecutor(1) as pool:  # the live model is evaluated while the candidate trains
                live_figures = pool.submit(evaluate, live_model(targets), "live")
                candidate = train_candidate()
                outcome.seconds["train"] = round(time.monotonic() - started, 1)
                self._set(retrain_id, status="evaluating", seconds=outcome.seconds)
                started = time.monotonic()
                outcome.after = evaluate(candidate, "candidate")
                outcome.before = live_figures.result()
            outcome.seconds["evaluate"] = round(time.monotonic() - started, 1)
            problems = regressions(outcome.before, outcome.after, self.max_drop, self.max_messages)
            if problems:
                outcome.status, outcome.reason = "refused", "Mô hình mới kém hơn: " + "; ".join(problems)
                candidate.unlink(missing_ok=True)
                return self._end(outcome, by)

            self._set(retrain_id, status="swapping", before=outcome.before, after=outcome.after,
                      seconds=outcome.seconds)
            models_dir().mkdir(parents=True, exist_ok=True)
            model = models_dir() / candidate.name
            shutil.move(str(candidate), model)  # the newest model: what a restarted server loads
            outcome.model = model.name
            started = time.monotonic()
            try:
                outcome.seconds["replicas"] = swap.swap(model, targets)
            except swap.SwapError:
                model.unlink(missing_ok=True)  # the replicas went back to the old one; so does a restart
                raise
            outcome.seconds["swap"] = round(time.monotonic() - started, 1)
            outcome.status = "live"
            return self._end(outcome, by)
        except Exception as error:  # noqa: BLE001 -- recorded, the lock released, and said to the editor
            logger.exception("retrain %s failed", retrain_id)
            outcome.status, outcome.reason = "failed", f"Lỗi: {error}"
            return self._end(outcome, by)

    def start(self, by: str) -> int:
        """Begin a retrain and run it in a background thread (the console's button); its id."""
        retrain_id = self.begin(by)
        threading.Thread(target=self.run, args=(by, retrain_id), name=f"retrain-{retrain_id}", daemon=True).start()
        return retrain_id


def _child(command: List[str], log_name: str) -> None:
    """Run a step in a child process (training and evaluation load TensorFlow: not in the web server)."""
    log = swap.state_dir() / log_name
    with open(log, "w", encoding="utf-8") as out:
        done = subprocess.run(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                              env={**os.environ, "PYTHONWARNINGS": "ignore"})
    if done.returncode != 0:
        tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-5:]
        raise Failed(f"{' '.join(command[1:4])} exited with {done.returncode}: " + " | ".join(tail))


def train_candidate() -> Path:
    out = candidates_dir()
    out.mkdir(parents=True, exist_ok=True)
    name = f"candidate-{time.strftime('%Y%m%d-%H%M%S')}"
    _child([sys.executable, "-m", "rasa", "train", "--data", str(DATA), "--config", str(ROOT / "config.yml"),
            "--domain", str(ROOT / "domain.yml"), "--out", str(out), "--fixed-model-name", name], "retrain.log")
    return out / f"{name}.tar.gz"


def live_model(targets: List[swap.Replica]) -> Path:
    """The model the first replica answers with (the others have the same):
    Rasa gives its file name, kept in the models folder."""
    name = Path(targets[0].model()).name
    path = models_dir() / name
    if not path.exists():
        raise Failed(f"the live model {name} is not in the models folder {models_dir()}")
    return path


def evaluate(model: Path, which: str = "model") -> Dict[str, Dict[str, float]]:
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "shares.json"
        _child([sys.executable, "-m", "devtools.evaluation", "--model", str(model), "--no-plots", "--json", str(out)],
               f"evaluation-{which}.log")
        return json.loads(out.read_text(encoding="utf-8"))


def print_outcome(outcome: Outcome, out=sys.stdout) -> None:
    print(f"retrain {outcome.id}: {outcome.status}" + (f" — {outcome.reason}" if outcome.reason else ""), file=out)
    if outcome.before:
        print(f"  {'set':34s} {'right before':>12s} {'after':>7s} {'wrong before':>13s} {'after':>7s}", file=out)
        for label, old in outcome.before.items():
            new = outcome.after.get(label, {})
            print(f"  {label:34s} {old['right']:12.1%} {new.get('right', 0):7.1%} "
                  f"{old['wrong']:13.1%} {new.get('wrong', 0):7.1%}", file=out)
    if outcome.seconds:
        print(f"  seconds: {json.dumps(outcome.seconds)}", file=out)


def main(argv: Optional[List[str]] = None) -> int:
    """``python -m bot.review retrain [--by NAME]``: exit 0 when the new model
    is live, 1 when it was refused or failed, 2 when another retrain runs."""
    import argparse
    import getpass

    parser = argparse.ArgumentParser(prog="python -m bot.review retrain", description=__doc__.split("\n")[0])
    parser.add_argument("--by", default=getpass.getuser(), help="who asks (recorded and audited)")
    args = parser.parse_args(argv)
    try:
        outcome = Retrainer().run(args.by)
    except Busy as busy:
        print(f"error: {busy}", file=sys.stderr)
        return 2
    print_outcome(outcome)
    return 0 if outcome.status == "live" else 1
