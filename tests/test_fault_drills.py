"""Fault drills for the Zalo webhook path, on the whole stack started by the
run command (tests/conftest.py) and its Zalo simulator:

* 1,000 redelivered webhooks give no duplicate reply;
* the Zalo Open API failing (HTTP 5xx, error -32, timeouts) for a while
  loses and duplicates nothing;
* fuzzed webhooks (random bytes, mutated Zalo events, good and bad
  signatures) never get a 5xx and never crash the channel.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import re
import sqlite3
import threading
import time
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing

import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import texts, wait_for

_ids = itertools.count(1)


def new_user(drill: int) -> str:
    """A fresh numeric Zalo user id (Zalo's ids are 18-19 digit strings)."""
    return f"4{drill}{int(time.time()) % 100000:05d}{next(_ids):010d}"


def now_ms() -> int:
    return int(time.time() * 1000)


class Webhook:
    """Signs and posts webhooks to the assistant as Zalo does (bot/zalo/signature.py)."""

    def __init__(self, assistant):
        dev = json.loads((assistant.state / "zalo_dev.json").read_text())
        self.app_id, self.oa_secret_key, self.oa_id = dev["ZALO_APP_ID"], dev["ZALO_OA_SECRET_KEY"], dev["ZALO_OA_ID"]
        self.url = assistant.webhook_url  # the intake server, where Zalo posts
        self._local = threading.local()

    def mac(self, body: bytes, timestamp, key: str = None) -> str:
        stamp = str(timestamp).encode("utf-8", "surrogatepass")  # a fuzzed timestamp may be any text
        data = self.app_id.encode() + body + stamp + (key or self.oa_secret_key).encode()
        return hashlib.sha256(data).hexdigest()

    def post(self, body: bytes, headers: dict) -> tuple:
        """(HTTP status, JSON answer or None); a requests session per thread."""
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        response = session.post(self.url, data=body, timeout=120,
                                headers={"Content-Type": "application/json", **headers})
        try:
            answer = response.json()
        except ValueError:
            answer = None
        return response.status_code, answer


def text_event(app_id: str, oa_id: str, user_id: str, text: str, msg_id: str, timestamp: str) -> dict:
    """A user_send_text webhook as Zalo sends it."""
    return {"app_id": app_id, "sender": {"id": user_id}, "user_id_by_app": "1" + user_id[-15:],
            "recipient": {"id": oa_id}, "event_name": "user_send_text",
            "message": {"text": text, "msg_id": msg_id}, "timestamp": timestamp}


def query(assistant, sql: str, params=()) -> list:
    """Rows of the project database (bot/zalo/store.py tables)."""
    with closing(sqlite3.connect(f"file:{assistant.state / 'project.db'}?mode=ro", uri=True, timeout=30)) as db:
        db.row_factory = sqlite3.Row
        return [dict(r) for r in db.execute(sql, params)]


def settled(assistant, users) -> bool:
    """Every message of these users handed to Rasa, and every reply out of the outbox."""
    for user in users:
        if query(assistant, "SELECT 1 FROM zalo_inbox WHERE user_id = ? AND status IN ('pending', 'processing')",
                 (user,)):
            return False
        rows = query(assistant, "SELECT status FROM zalo_outbox WHERE user_id = ?", (user,))
        if not rows or any(r["status"] == "pending" for r in rows):
            return False
    return True


def poll(predicate, timeout: float) -> bool:
    """Wait until predicate() holds (or time is up); whether it does. The
    assertions that follow say what is missing."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.3)
    return True


def seen(zalo, user) -> list:
    """What the citizen sees: the bodies of the OA's messages, in order."""
    return [m["body"]["message"] for m in zalo.messages(user_id=user)]


# --------------------------------------------------------------------------- #
# 1. Redeliveries
# --------------------------------------------------------------------------- #

QUESTIONS = [
    "lệ phí đăng ký tạm trú bao nhiêu",
    "dang ky tam tru can giay to gi",
    "đăng ký thường trú cần những gì",
    "làm căn cước lần đầu cần gì",
    "mất căn cước thì làm sao",
    "cccd hết hạn đổi ở đâu",
    "tài khoản vneid định danh mức 2 làm thế nào",
    "làm căn cước cho con 10 tuổi",
    "đăng ký xe máy mới mua cần giấy tờ gì",
    "sang tên xe máy thủ tục thế nào",
    "thông báo lưu trú cho khách thuê trọ",
    "khai báo tạm vắng",
    "xóa đăng ký thường trú",
    "tố giác tội phạm thế nào",
    "bị mất xe máy thì báo ở đâu",
    "đăng ký con dấu cho công ty",
    "trụ sở công an phường ở đâu",
    "xin chào",
    "cảm ơn",
    "đk tạm trú mất bao lâu",
]


def test_a_thousand_redeliveries_give_no_duplicate_reply(assistant, zalo):
    hook = Webhook(assistant)
    # the reply a citizen gets to each question when Zalo delivers it once
    controls = {q: new_user(1) for q in QUESTIONS}
    for question, user in controls.items():
        assert zalo.send(zalo.oa_id, user, text=question)["status"] == 200

    # the drill: one citizen per question; Zalo delivers each message, then redelivers it
    # (same msg_id, same body, same signature) until 1,000 posts reached the channel
    deliveries = []
    for i, question in enumerate(QUESTIONS):
        user = new_user(1)
        body = json.dumps(text_event(hook.app_id, zalo.oa_id, user, question, f"redelivery{i:02d}{user}",
                                     str(now_ms())), ensure_ascii=False, separators=(",", ":"))
        first = zalo.send(zalo.oa_id, user, raw_body=body)  # the simulator signs it and posts it
        assert first["status"] == 200 and json.loads(first["body"]) == {"status": "accepted"}, first
        deliveries.append({"user": user, "question": question, "msg_id": first["msg_id"],
                           "body": body.encode("utf-8"), "headers": {**first["headers"], "num_retry": "1"}})
    assert len({d["msg_id"] for d in deliveries}) == len(QUESTIONS)

    total = 1000
    redeliveries = [deliveries[i % len(deliveries)] for i in range(total - len(deliveries))]
    while_answering, after_answers = redeliveries[:700], redeliveries[700:]

    def redeliver(batch) -> tuple:
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=8) as pool:
            answers = list(pool.map(lambda d: hook.post(d["body"], d["headers"]), batch))
        return answers, time.monotonic() - started

    answers, took = redeliver(while_answering)  # while Rasa is still answering the first deliveries
    users = [d["user"] for d in deliveries]
    assert poll(lambda: settled(assistant, list(controls.values()) + users), timeout=240), "not all answered"
    later, took_later = redeliver(after_answers)  # after the citizens got their answers
    answers += later
    print(f"\n1,000 webhook posts: {len(deliveries)} first deliveries, then {len(answers)} redeliveries "
          f"in {took + took_later:.1f} s ({len(answers) / (took + took_later):.0f}/s, 8 at a time)")

    assert len(deliveries) + len(answers) == total
    assert [a for a in answers if a != (200, {"status": "duplicate"})] == []
    time.sleep(3)  # a duplicate reply, if any, would be on its way now
    poll(lambda: settled(assistant, users), timeout=60)

    for d in deliveries:
        expected = seen(zalo, controls[d["question"]])
        got = seen(zalo, d["user"])
        assert expected, f"no answer to {d['question']!r} even without redeliveries"
        assert got == expected, f"{d['question']!r}: {len(got)} messages after redeliveries, {len(expected)} expected"
        rows = query(assistant, "SELECT status, attempts FROM zalo_outbox WHERE user_id = ?", (d["user"],))
        assert [(r["status"], r["attempts"]) for r in rows] == [("sent", 1)] * len(expected)
    fee = next(d for d in deliveries if d["question"].startswith("lệ phí"))
    assert "Lệ phí" in texts(zalo.messages(user_id=fee["user"]))[0]

    keys = [f"msg:{d['msg_id']}" for d in deliveries]
    inbox = query(assistant, f"SELECT dedup_key, COUNT(*) AS n, MIN(status) AS status FROM zalo_inbox "
                             f"WHERE dedup_key IN ({','.join('?' * len(keys))}) GROUP BY dedup_key", keys)
    assert sorted((r["dedup_key"], r["n"], r["status"]) for r in inbox) == sorted((k, 1, "done") for k in keys)


# --------------------------------------------------------------------------- #
# 2. Zalo Open API outage
# --------------------------------------------------------------------------- #

CONVERSATIONS = [
    ["dang ky tam tru can giay to gi", "lệ phí bao nhiêu", "mất bao lâu"],
    ["làm căn cước lần đầu cần gì", "nộp ở đâu"],
    ["xin chào", "khai báo tạm vắng", "cảm ơn"],
]
# The drill is a one-minute outage; 18 s here keeps the suite short.
# The mechanism is the same: every send fails, the outbox backs off
# (1, 2, 5, 10, 30 s...), and the sweeper (Outbox.sweep_forever, every
# second) resumes each user's delivery when its retry is due. After 18 s of
# failures the longest wait before the next try is 30 s (5 failed tries),
# plus up to 10 s for a try that times out.
OUTAGE_SECONDS = 18
OUTAGE = [("http", 500, None), ("error", -32, None), ("http", 503, None),
          ("timeout", None, 12.0),  # longer than the channel's 10 s client timeout
          ("http", 502, None), ("error", -32, None)]


def test_zalo_api_failing_for_a_while_loses_and_duplicates_nothing(assistant, zalo):
    controls = [new_user(2) for _ in CONVERSATIONS]
    for user, conversation in zip(controls, CONVERSATIONS):
        for text in conversation:
            zalo.send(zalo.oa_id, user, text=text)
    assert poll(lambda: settled(assistant, controls), timeout=120), "the control citizens were not answered"
    expected = [seen(zalo, user) for user in controls]
    assert all(expected)

    citizens = [(new_user(2), conversation, replies)  # two citizens per conversation
                for conversation, replies in zip(CONVERSATIONS, expected) for _ in range(2)]
    users = [user for user, _, _ in citizens]
    started_requests = len(zalo.requests_log())

    # the outage: the simulator serves a fault to every send until the faults are cleared
    for _ in range(60):
        for kind, code, delay in OUTAGE:
            zalo.add_fault("message", kind, code=code, times=1, **({"delay": delay} if delay else {}))
    outage_started = time.monotonic()
    try:
        for turn in range(3):  # citizens keep writing during the outage
            for user, conversation, _ in citizens:
                if turn < len(conversation):
                    result = zalo.send(zalo.oa_id, user, text=conversation[turn])
                    assert result["status"] == 200 and json.loads(result["body"])["status"] == "accepted"
            time.sleep(4)
        time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - outage_started)))
        assert zalo.state()["faults"]["message"], "the outage ended before it was meant to"
        assert [m for u in users for m in zalo.messages(user_id=u)] == [], "a reply got through the outage"
    finally:
        zalo.clear_faults()
    recovered = time.monotonic()

    served = {r["fault"] for r in zalo.requests_log()[started_requests:] if r["path"] == "/v3.0/oa/message/cs"}
    assert {"http", "error", "timeout"} <= served, f"the outage served only {served}"

    def delivered():
        return all(len(zalo.messages(user_id=user)) >= len(replies) for user, _, replies in citizens)

    if poll(delivered, timeout=150):
        print(f"\nreplies delivered {time.monotonic() - recovered:.1f} s after a {OUTAGE_SECONDS} s outage")
    time.sleep(3)  # a duplicate, if any, would be on its way now
    poll(lambda: settled(assistant, users), timeout=60)

    for user, conversation, replies in citizens:
        assert seen(zalo, user) == replies, f"{user} ({conversation}) did not get each reply once, in order"
        rows = query(assistant, "SELECT status, attempts FROM zalo_outbox WHERE user_id = ? ORDER BY id", (user,))
        assert [r["status"] for r in rows] == ["sent"] * len(replies)
        assert rows[0]["attempts"] > 1  # the first reply of each citizen met the outage
    marks = ",".join("?" * len(users))
    assert query(assistant, f"SELECT id, user_id, status, last_error FROM zalo_outbox "
                            f"WHERE user_id IN ({marks}) AND status != 'sent'", users) == []
    assert query(assistant, f"SELECT id, status FROM zalo_inbox WHERE user_id IN ({marks}) "
                            f"AND status != 'done'", users) == []


# --------------------------------------------------------------------------- #
# 3. Fuzzing
# --------------------------------------------------------------------------- #

USER, MSG, NOW = "@user@", "@msg@", "@now@"  # filled in per example (unique ids, a fresh timestamp)
EVENTS = ["user_send_text", "user_send_text", "user_send_image", "user_send_location", "user_send_file",
          "user_send_sticker", "follow", "unfollow", "oa_send_text", "user_seen_message", "user_send_business_card",
          "", "USER_SEND_TEXT", "anonymous_send_text"]
SHORT_TEXTS = ["xin chào", "lệ phí tạm trú", "dang ky xe", "cảm ơn", "1", "hủy", "cứu", "SOS", "làm cccd"]
EDGE_TEXTS = [
    "", " ", "\x00", "xin\x00chào", "\ud800", "xin ch\udfffào", "\ud83d", "👮‍♀️🚓🆘🇻🇳",
    "\u202eقسم التسجيل \u202c", "שלום עולם", unicodedata.normalize("NFD", "Đăng ký tạm trú ở đâu"),
    "\u200b\u200d\ufeff", "\r\n\t", "²", "١", "1²", "9" * 5000, "/", "/greet", "/nlu_fallback",
    '/share_location{"latitude": "abc"}', "/send_media{", '{"a": 1}', "<script>alert(1)</script>",
    "' OR 1=1 --", "%s%n", "\\u0000", "a" * 2001, "đ" * 3000, "cứu " * 400,
]
JUNK = [None, 0, -1, 1.5, 1e308, -1e308, 10 ** 30, True, False, [], {}, [1, "a"], {"id": None}, {"id": []},
        "", "abc", "²", "1" * 5000, "-1", "NaN", "Infinity", "1e999", "10.7,106.6"]
COORDINATES = [None, "", "abc", "nan", "inf", "-inf", "1e999", 1e308, -1e308, 999, -999, 91, 181, 0, "10,76",
               [10.7], {"v": 1}, True, "10.7642473", 10.7642473]
TIMESTAMPS = [NOW] * 16 + ["", "abc", "²", "1²", "9" * 5000, "١٧٠٠٠٠٠٠٠٠٠٠٠", "-1", "0", 1.7e12, None, [], {},
                         "\ud800"]
SIGNING = ["valid"] * 6 + ["bare", "missing", "empty", "forged", "garbage", "wrong key", "stale", "future"]
JSON_SCALARS = (st.none() | st.booleans() | st.integers(-(2 ** 70), 2 ** 70)
                | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20))
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["event_name", "sender", "recipient", "message", "text", "msg_id", "id", "timestamp",
                         "oa_id", "follower", "attachments"]) | st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
SPECIAL_BODIES = [
    b"", b" ", b"null", b"[]", b"{}", b"{", b'{"a":', b"NaN", b'{"timestamp": NaN}', b'{"a": Infinity}',
    b"1" * 5000, b"[" * 100_000, b'{"a":' * 50_000 + b"1" + b"}" * 50_000, b"\xef\xbb\xbf{}", "{}".encode("utf-16"),
    b"\xff\xfe\x00", b'{"x": "\xed\xa0\x80"}', b'{"x": "\xc3\x28"}', b'{"event_name": "user_send_text"}\x00',
]


def _text_values():
    return st.sampled_from(SHORT_TEXTS) | st.sampled_from(EDGE_TEXTS) | st.text(max_size=30)


def base_event(event: str, text: str, latitude, longitude) -> dict:
    """A well-formed event of this name (as devtools/zalo_sim builds them), with placeholders."""
    app = "@app@"
    if event in ("follow", "unfollow"):
        return {"app_id": app, "oa_id": "@oa@", "follower": {"id": USER}, "user_id_by_app": "1" + "0" * 17,
                "event_name": event, "source": "oa_profile", "timestamp": NOW}
    if event == "oa_send_text":
        return {"app_id": app, "sender": {"id": "@oa@"}, "recipient": {"id": USER}, "event_name": event,
                "message": {"text": text, "msg_id": MSG}, "timestamp": NOW}
    message = {"msg_id": MSG, "text": text}
    kind = event[len("user_send_"):] if event.startswith("user_send_") else "image"
    if event == "user_send_location":
        message["attachments"] = [{"type": "location",
                                   "payload": {"coordinates": {"latitude": latitude, "longitude": longitude}}}]
    elif event != "user_send_text":
        message["attachments"] = [{"type": kind, "payload": {
            "url": "https://example.invalid/a.jpg", "thumbnail": "https://example.invalid/t.jpg", "id": "s1",
            "name": "tai-lieu.pdf", "size": "1024", "checksum": "0" * 32, "type": "pdf"}}]
    return {"app_id": app, "sender": {"id": USER}, "user_id_by_app": "1" + "0" * 17, "recipient": {"id": "@oa@"},
            "event_name": event, "message": message, "timestamp": NOW}


def paths(value, prefix=()):
    """Every path to a key or list item inside a JSON value."""
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return
    for key, item in items:
        yield prefix + (key,)
        yield from paths(item, prefix + (key,))


@st.composite
def mutated_events(draw):
    event = draw(st.sampled_from(EVENTS))
    payload = base_event(event, draw(_text_values()), draw(st.sampled_from(COORDINATES)),
                         draw(st.sampled_from(COORDINATES)))
    payload["timestamp"] = draw(st.sampled_from(TIMESTAMPS))
    for _ in range(draw(st.integers(0, 3))):
        path = draw(st.sampled_from(sorted(paths(payload), key=repr)))
        parent = payload
        for key in path[:-1]:
            parent = parent[key]
        operation = draw(st.sampled_from(["delete", "junk", "json", "text"]))
        if operation == "delete":
            del parent[path[-1]]
        elif operation == "junk":
            parent[path[-1]] = copy.deepcopy(draw(st.sampled_from(JUNK)))  # a later mutation must not change JUNK
        elif operation == "json":
            parent[path[-1]] = draw(JSON_VALUES)
        else:
            parent[path[-1]] = draw(_text_values())
    return {"payload": payload, "signing": draw(st.sampled_from(SIGNING)), "ascii": draw(st.booleans())}


@st.composite
def huge_events(draw):
    """Bodies around the 1 MB limit: over it (413), or under it with a field Rasa never reads."""
    size = draw(st.sampled_from([900_000, 999_000, 1_000_001, 1_100_000, 1_200_000]))
    payload = base_event(draw(st.sampled_from(["user_send_text", "user_send_image", "user_seen_message"])),
                         "xin chào", 10.76, 106.65)
    field = "text" if size > 1_000_000 else "padding"  # a huge text only ever goes with a 413
    character = draw(st.sampled_from(["a", "đ", "🚓"]))
    payload["message"][field] = character * (size // len(character.encode()))
    return {"payload": payload, "signing": draw(st.sampled_from(SIGNING)), "ascii": False}


@st.composite
def raw_bodies(draw):
    body = draw(st.binary(max_size=512) | st.sampled_from(SPECIAL_BODIES)
                | JSON_VALUES.map(lambda v: json.dumps(v).encode()))
    return {"raw": body, "signing": draw(st.sampled_from(SIGNING))}


CASES = st.one_of(raw_bodies(), mutated_events(), mutated_events(), mutated_events(), huge_events())


def fill(value, names: dict):
    if isinstance(value, dict):
        return {fill(k, names): fill(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, names) for v in value]
    return names.get(value, value) if isinstance(value, str) else value


def signature_header(hook: Webhook, body: bytes, timestamp, signing: str, rng) -> dict:
    mac = hook.mac(body, timestamp)
    header = {
        "valid": "mac=" + mac, "bare": mac, "missing": None, "empty": "", "forged": "mac=" + "0" * 64,
        "garbage": "mac=" + "".join(chr(rng(33, 255)) for _ in range(rng(0, 80))),  # Latin-1, as HTTP allows
        "wrong key": "mac=" + hook.mac(body, timestamp, key="not-the-oa-secret-key"),
        "stale": "mac=" + mac, "future": "mac=" + mac,
    }[signing]
    return {} if header is None else {"X-ZEvent-Signature": header}


CHANNEL_FILES = re.compile(r"channels/zalo\.py|bot/zalo/|channels\.zalo|bot\.zalo|/webhooks/zalo")
# a log record starts with its time: Rasa's "2026-01-31 10:00:00 ERROR ...", Sanic's "[2026-01-31 10:00:00 +0000] ..."
LOG_RECORD = re.compile(r"^(?=\[?\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)", re.M)


def channel_tracebacks(log: str) -> list:
    """Log records with a traceback that comes from (or is about) the Zalo channel."""
    return [record for record in LOG_RECORD.split(log)
            if "Traceback (most recent call last)" in record and CHANNEL_FILES.search(record)]


def test_fuzzed_webhooks_never_get_a_5xx_or_crash(assistant, zalo):
    hook = Webhook(assistant)
    log_start = len(assistant.log)
    fuzz_started = time.time()
    statuses = []

    @settings(max_examples=300, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                     HealthCheck.large_base_example, HealthCheck.function_scoped_fixture])
    @given(case=CASES, rng=st.randoms(use_true_random=False))
    def post(case, rng):
        user, timestamp = new_user(3), now_ms()
        if case["signing"] == "stale":
            timestamp -= 10 * 60 * 1000
        elif case["signing"] == "future":
            timestamp += 10 * 60 * 1000
        if "raw" in case:
            body = case["raw"]
            try:
                parsed = json.loads(body)
            except (ValueError, RecursionError):
                parsed = None
            signed_timestamp = parsed.get("timestamp") if isinstance(parsed, dict) else timestamp
        else:
            payload = fill(case["payload"], {USER: user, MSG: f"fuzz{user}", NOW: str(timestamp),
                                             "@oa@": zalo.oa_id, "@app@": hook.app_id})
            # ensure_ascii=False writes lone surrogates as they are: invalid UTF-8, on purpose
            body = json.dumps(payload, ensure_ascii=case["ascii"]).encode("utf-8", "surrogatepass")
            signed_timestamp = payload.get("timestamp")
        status, answer = hook.post(body, signature_header(hook, body, signed_timestamp, case["signing"],
                                                          rng.randint))
        statuses.append(status)
        assert status in (200, 400, 401, 413), f"HTTP {status} {answer} for {body[:300]!r}"
        if len(body) > 1_000_000:
            assert status == 413
        if status == 200:
            assert answer in ({"status": "accepted"}, {"status": "duplicate"}), answer

    post()
    counts = {code: statuses.count(code) for code in sorted(set(statuses))}
    print(f"\n{len(statuses)} fuzzed webhooks in {time.time() - fuzz_started:.0f} s: HTTP {counts}")
    assert counts.get(200, 0) >= 30, "too few fuzzed events got past the signature to test the parser and Rasa"

    # everything accepted was handed to Rasa (or ignored), and nothing crashed
    wait_for(lambda: not query(assistant, "SELECT 1 FROM zalo_inbox WHERE status IN ('pending', 'processing') "
                                          "AND received_at >= ?", (fuzz_started,)), timeout=240)
    print(f"the accepted ones processed {time.time() - fuzz_started:.0f} s after the fuzzing started")
    failed = query(assistant, "SELECT dedup_key, event_name, error, substr(payload, 1, 300) AS payload "
                              "FROM zalo_inbox WHERE status = 'failed' AND received_at >= ?", (fuzz_started,))
    assert failed == [], f"{len(failed)} fuzzed deliveries crashed while handled:\n" + "\n".join(map(str, failed))
    processed = query(assistant, "SELECT status, COUNT(*) AS n FROM zalo_inbox WHERE received_at >= ? "
                                 "GROUP BY status", (fuzz_started,))
    print("inbox:", {r["status"]: r["n"] for r in processed})

    # the assistant still answers a citizen as usual
    citizen = new_user(3)
    assert zalo.send(zalo.oa_id, citizen, text="lệ phí đăng ký tạm trú bao nhiêu")["status"] == 200
    answer = texts(zalo.wait_for_messages(citizen, 1, timeout=60))[0]
    assert "Lệ phí" in answer and "tạm trú" in answer, answer

    crashes = channel_tracebacks(assistant.log[log_start:])
    assert crashes == [], f"{len(crashes)} exception(s) from the Zalo channel in the run log:\n" + "\n".join(
        c[:3000] for c in crashes[:3])
