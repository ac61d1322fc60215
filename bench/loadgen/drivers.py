"""Clients that play citizens' turns, and the closed-loop scenario runner.

ZaloDriver (our stack): posts a signed ``user_send_text`` webhook, exactly as
Zalo does, to the intake server's /webhooks/zalo/webhook and times the 200
(the acknowledgement). The turn latency is (time the simulator accepted the
first Open API send to that user) - (time the webhook was posted); both
clocks are time.time() on this machine. The reply times arrive on the
simulator's /_bench/stream (bench/loadgen/sim.py), so nothing is polled.

A turn may produce several messages (text, then a form file…), delivered
one after the other by the outbox. To know when the last one has gone (so
the next turn's first reply is not a late message of this one), the driver
reads the project database, read-only, the way an operator would: the
delivery's inbox row is final (``done``: Rasa finished the turn, every
answer is in the outbox), the user has no outbox row still to send, and as
many messages came on the stream as the outbox marked sent to that user. It
looks when no reply came for a while: 10 ms after a reply, then 30 and every
100 ms; every 250 ms while none has come. That is a few indexed SQLite reads
per turn (db_checks_per_turn in the results). A turn that completes with no
message at all ("unanswered") ends that conversation.

RestDriver (stock Rasa): POST /webhooks/rest/webhook; the turn latency is
the round trip (REST answers with every reply of the turn).
"""

from __future__ import annotations

import asyncio
import json
import random
import secrets
import sqlite3
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

import aiohttp

from bench.loadgen.corpus import Conversation, Corpus, conversation_length
from bot.zalo.signature import mac

TURN_TIMEOUT = 30.0


@dataclass
class Turn:
    conversation: str
    index: int  # 1-based turn number in its conversation
    text: str
    posted: float  # time.time()
    ack_ms: Optional[float] = None
    latency_ms: Optional[float] = None  # first reply
    last_ms: Optional[float] = None  # last reply (the turn complete)
    finished: Optional[float] = None
    replies: int = 0
    buttons: List[str] = field(default_factory=list)
    error: Optional[str] = None


class ReplyStream:
    """Reads the simulator's /_bench/stream; one queue of replies per user."""

    def __init__(self, session: aiohttp.ClientSession, url: str):
        self.session, self.url = session, url
        self.queues: Dict[str, asyncio.Queue] = {}
        self.task: Optional[asyncio.Task] = None

    async def start(self) -> None:
        ready = asyncio.get_running_loop().create_future()
        self.task = asyncio.create_task(self._read(ready))
        await asyncio.wait_for(ready, 10)

    async def _read(self, ready: asyncio.Future) -> None:
        async with self.session.get(self.url, timeout=aiohttp.ClientTimeout(total=None)) as response:
            while True:
                line = await response.content.readline()
                if not line:
                    return
                item = json.loads(line)
                if "hello" in item:
                    ready.set_result(True)
                    continue
                self.queue(item["u"]).put_nowait(item)

    def queue(self, user: str) -> asyncio.Queue:
        if user not in self.queues:
            self.queues[user] = asyncio.Queue()
        return self.queues[user]

    def forget(self, user: str) -> None:
        self.queues.pop(user, None)

    async def close(self) -> None:
        if self.task:
            self.task.cancel()


class ProjectDb:
    """Read-only look at the Zalo inbox/outbox in the project database (SQLite, WAL)."""

    INBOX_FINAL = ("done", "failed", "ignored")  # anything else (pending, processing…) is in progress
    OUTBOX_FINAL = ("sent", "undeliverable", "failed")

    def __init__(self, path: Path):
        self.connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5, check_same_thread=False)
        self.checks = 0

    def turn_done(self, msg_id: str, user: str) -> Optional[tuple]:
        """None while the turn is in progress, else (the inbox status: done,
        failed…; how many messages were sent to the user so far, all turns)."""
        self.checks += 1
        row = self.connection.execute("SELECT status FROM zalo_inbox WHERE dedup_key = ?", (f"msg:{msg_id}",)).fetchone()
        if row is None or row[0] not in self.INBOX_FINAL:
            return None
        pending, sent = self.connection.execute(
            "SELECT COALESCE(SUM(status NOT IN (?, ?, ?)), 0), COALESCE(SUM(status = 'sent'), 0) "
            "FROM zalo_outbox WHERE user_id = ?", (*self.OUTBOX_FINAL, user)).fetchone()
        return None if pending else (row[0], sent)

    def totals(self) -> Dict[str, Dict[str, int]]:
        def counts(table: str) -> Dict[str, int]:
            return dict(self.connection.execute(f"SELECT status, COUNT(*) FROM {table} GROUP BY status").fetchall())

        retried = self.connection.execute("SELECT COUNT(*) FROM zalo_outbox WHERE attempts > 1").fetchone()[0]
        return {"inbox": counts("zalo_inbox"), "outbox": counts("zalo_outbox"), "outbox_retried": {"n": retried}}


class ZaloDriver:
    name = "zalo"

    def __init__(self, session: aiohttp.ClientSession, webhook: str, stream: ReplyStream, db: ProjectDb,
                 app_id: str, oa_id: str, oa_secret: str):
        self.session, self.webhook, self.stream, self.db = session, webhook, stream, db
        self.app_id, self.oa_id, self.oa_secret = app_id, oa_id, oa_secret
        self.count = 0  # turns played
        self.received: Dict[str, int] = {}  # messages the simulator accepted, per user

    def forget(self, user: str) -> None:
        self.stream.forget(user)
        self.received.pop(user, None)

    def new_user(self, serial: int, tag: str) -> str:
        return f"8{zlib.crc32(tag.encode()) % 1000:03d}{serial:012d}"  # Zalo ids are digits

    async def turn(self, turn: Turn, user: str) -> None:
        self.count += 1
        queue = self.stream.queue(user)
        while not queue.empty():  # late messages of an earlier (timed-out) turn
            queue.get_nowait()
            self.received[user] = self.received.get(user, 0) + 1
        msg_id = secrets.token_hex(16)
        timestamp = str(int(time.time() * 1000))
        body = json.dumps({
            "app_id": self.app_id, "sender": {"id": user}, "user_id_by_app": "1", "recipient": {"id": self.oa_id},
            "event_name": "user_send_text", "message": {"text": turn.text, "msg_id": msg_id}, "timestamp": timestamp,
        }, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json",
                   "X-ZEvent-Signature": "mac=" + mac(self.app_id, body, timestamp, self.oa_secret)}
        turn.posted = time.time()
        try:
            async with self.session.post(self.webhook, data=body, headers=headers) as response:
                await response.read()
                status = response.status
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            turn.error = f"webhook: {type(error).__name__}"
            return
        turn.ack_ms = (time.time() - turn.posted) * 1000
        if status != 200:
            turn.error = f"webhook HTTP {status}"
            return
        first = last = None
        wait = 0.25  # no reply yet: look at the database now and then (a turn may have no reply)
        while True:
            try:
                item = await asyncio.wait_for(queue.get(), wait)
                self.received[user] = self.received.get(user, 0) + 1
                first = first or item["t"]
                last = item["t"]
                turn.replies += 1
                if item["b"]:
                    turn.buttons = item["b"]
                wait = 0.01  # the outbox marks it sent just after the simulator's answer
                continue
            except asyncio.TimeoutError:
                pass
            done = self.db.turn_done(msg_id, user)
            if done is not None and self.received.get(user, 0) >= done[1]:
                if done[0] != "done":
                    turn.error = f"inbox {done[0]}"
                break
            if done is not None:  # sent, but not yet read from the stream
                wait = 0.005
            if time.time() - turn.posted > TURN_TIMEOUT:
                turn.error = "timeout"
                break
            if done is None:
                wait = min(wait * 3, 0.1) if first else 0.25
        turn.finished = time.time()
        if first is not None:
            turn.latency_ms = (first - turn.posted) * 1000
            turn.last_ms = (last - turn.posted) * 1000
        elif turn.error is None:
            turn.error = "unanswered"


class RestDriver:
    name = "rest"

    def __init__(self, session: aiohttp.ClientSession, url: str):
        self.session, self.url = session, url

    def new_user(self, serial: int, tag: str) -> str:
        return f"{tag}-{serial}"

    async def turn(self, turn: Turn, user: str) -> None:
        turn.posted = time.time()
        try:
            async with self.session.post(self.url, json={"sender": user, "message": turn.text},
                                         timeout=aiohttp.ClientTimeout(total=TURN_TIMEOUT)) as response:
                status = response.status
                replies = await response.json() if status == 200 else []
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
            turn.error = f"rest: {type(error).__name__}"
            return
        turn.finished = time.time()
        turn.latency_ms = turn.last_ms = (turn.finished - turn.posted) * 1000  # no separate acknowledgement
        if status != 200:
            turn.error = f"HTTP {status}"
            return
        turn.replies = len(replies)
        with_buttons = [r["buttons"] for r in replies if r.get("buttons")]
        if with_buttons and len(with_buttons[-1]) <= 5:  # as on Zalo: more are a numbered list, not buttons
            turn.buttons = [b.get("payload", "") for b in with_buttons[-1]]
        if not replies:
            turn.error = "unanswered"


async def closed_loop(driver, corpus: Corpus, users: int, tag: str, seed: int, *, turns: Optional[int] = None,
                      duration: Optional[float] = None, replay: int = 0, think: float = 0.0) -> List[Turn]:
    """``users`` citizens, each sending its next message as soon as the
    previous turn is complete (closed loop). With ``turns``: one
    conversation of that many turns each. With ``duration`` (seconds):
    conversations of 1-300 turns, a new citizen after each, until time is up.
    With ``replay`` (and ``turns``): the last ``replay`` turns repeat the
    messages of the first ones, so first and last can be compared like for like.
    ``think``: seconds a citizen waits after a reply before writing again."""
    results: List[Turn] = []
    stop_at = time.time() + duration if duration else None
    serial = iter(range(10 ** 9))

    async def citizen(number: int) -> None:
        rng = random.Random(f"{seed}-{tag}-{number}")
        while stop_at is None or time.time() < stop_at:
            user = driver.new_user(next(serial), tag)
            conversation = Conversation(corpus, rng, replay_at=turns - replay + 1 if replay and turns else None)
            length = turns or conversation_length(rng)
            buttons: List[str] = []
            for index in range(1, length + 1):
                if stop_at is not None and time.time() >= stop_at:
                    return
                turn = Turn(user, index, conversation.next_message(buttons), time.time())
                await driver.turn(turn, user)
                turn.finished = turn.finished or time.time()
                results.append(turn)
                if turn.error:
                    break  # a new conversation (the bot may have paused this one)
                buttons = turn.buttons
                if think:
                    await asyncio.sleep(think)
            if isinstance(driver, ZaloDriver):
                driver.forget(user)
            if turns:
                return

    await asyncio.gather(*(citizen(n) for n in range(users)))
    return results


def percentile(values: List[float], p: float) -> Optional[float]:
    """Nearest-rank percentile (p in 0..100); None without values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[int(rank) - 1]


def summary(turns: List[Turn], window: Optional[tuple] = None) -> dict:
    """Latency and throughput figures of the turns finished in ``window`` (start, end)."""
    if window:
        turns = [t for t in turns if t.finished and window[0] <= t.finished <= window[1]]
    answered = [t for t in turns if t.latency_ms is not None]
    latencies = [t.latency_ms for t in answered]
    acks = [t.ack_ms for t in turns if t.ack_ms is not None]
    span = (window[1] - window[0]) if window else (
        (max(t.finished for t in turns if t.finished) - min(t.posted for t in turns)) if answered else 0)
    errors: Dict[str, int] = {}
    for t in turns:
        if t.error:
            errors[t.error] = errors.get(t.error, 0) + 1
    return {
        "turns": len(turns), "answered": len(answered), "errors": errors, "error_count": sum(errors.values()),
        "seconds": span, "throughput": len(answered) / span if span else None,
        "p50": percentile(latencies, 50), "p95": percentile(latencies, 95), "p99": percentile(latencies, 99),
        "max": max(latencies) if latencies else None,
        "complete_p95": percentile([t.last_ms for t in answered], 95),
        "ack_p50": percentile(acks, 50), "ack_p99": percentile(acks, 99), "ack_max": max(acks) if acks else None,
        "replies_per_turn": sum(t.replies for t in answered) / len(answered) if answered else None,
        "error_samples": [[t.conversation, t.index, t.text, t.error] for t in turns if t.error][:10],
    }
