"""Zalo connector pieces that need no server: signature, event parsing, and
the mapping of answers to Zalo message bodies."""

from __future__ import annotations

import hashlib
import json
import time

import pytest

from bot.zalo import messages, signature
from bot.zalo.accounts import ConfigurationError, Registry
from bot.zalo.events import dedup_key, event_parties, rasa_text

APP, KEY = "360846524940903967", "oa-secret-key"
NOW = 1_700_000_000_000


def signed(body: bytes, timestamp: str) -> str:
    return "mac=" + hashlib.sha256(APP.encode() + body + timestamp.encode() + KEY.encode()).hexdigest()


def test_signature_formula_is_plain_sha256_of_the_concatenation():
    body = b'{"timestamp":"1700000000000"}'
    assert signature.mac(APP, body, "1700000000000", KEY) == signed(body, "1700000000000")[4:]


@pytest.mark.parametrize(
    "header, timestamp, expected",
    [
        (None, str(NOW), "missing signature"),
        ("mac=" + "0" * 64, str(NOW), "bad signature"),
        ("valid", str(NOW - 6 * 60 * 1000), "stale timestamp"),
        ("valid", str(NOW + 6 * 60 * 1000), "stale timestamp"),
        ("valid", None, "missing timestamp"),
        ("valid", str(NOW), None),
        ("bare-hex", str(NOW), None),  # GO's implementation sends the hex without "mac="
    ],
)
def test_signature_check(header, timestamp, expected):
    body = json.dumps({"timestamp": timestamp}).encode()
    if header == "valid":
        header = signed(body, str(timestamp))
    elif header == "bare-hex":
        header = signed(body, str(timestamp))[4:]
    assert signature.check(header, APP, body, timestamp, KEY, now_ms=NOW) == expected


def test_a_changed_byte_breaks_the_signature():
    body = b'{"event_name":"user_send_text","timestamp":"1700000000000"}'
    header = signed(body, str(NOW))
    assert signature.check(header, APP, body.replace(b"text", b"texT"), str(NOW), KEY, now_ms=NOW) == "bad signature"


def test_parties_of_each_event_shape():
    user_event = {"event_name": "user_send_text", "sender": {"id": "U"}, "recipient": {"id": "OA"}}
    echo = {"event_name": "oa_send_text", "sender": {"id": "OA"}, "recipient": {"id": "U"}}
    follow = {"event_name": "follow", "oa_id": "OA", "follower": {"id": "U"}}
    assert event_parties(user_event) == event_parties(echo) == event_parties(follow) == ("OA", "U")


def test_dedup_key_is_the_message_id_or_the_event_itself():
    assert dedup_key({"message": {"msg_id": "abc"}}, "U") == "msg:abc"
    assert dedup_key({"event_name": "follow", "timestamp": "1"}, "U") == "follow:U:1"


def test_what_rasa_receives_for_each_event():
    assert rasa_text("user_send_text", {"text": "xin chào"}) == "xin chào"
    assert rasa_text("user_send_text", {"text": "/ask_fee"}) == "/ask_fee"  # a button payload
    location = {"attachments": [{"type": "location", "payload": {"coordinates": {"latitude": "10.7642473", "longitude": "106.6564314"}}}]}
    assert rasa_text("user_send_location", location) == '/share_location{"latitude": 10.7642473, "longitude": 106.6564314}'
    assert rasa_text("user_send_sticker", {}) == '/send_media{"media_type": "sticker"}'
    assert rasa_text("user_send_image", {}) == '/send_media{"media_type": "image"}'
    assert rasa_text("follow", {}) == "/follow"
    assert rasa_text("user_seen_message", {}) is None


def test_long_text_is_split_into_zalo_sized_messages():
    items = messages.text_items("Câu hỏi thủ tục. " * 300)
    assert len(items) > 1 and all(len(i["message"]["text"]) <= 2000 for i in items)


def test_buttons_become_zalo_buttons_on_the_last_message():
    items, menu = messages.button_items("Chọn:", [
        {"title": "Lệ phí", "payload": "/ask_fee"},
        {"title": "Gọi trực ban", "payload": "tel:0283 123 4567"},
        {"title": "Cổng dịch vụ công", "payload": "https://dichvucong.gov.vn"},
    ])
    assert menu is None and len(items) == 1
    message = items[0]["message"]
    assert message["text"] == "Chọn:"
    assert message["attachment"]["payload"]["buttons"] == [
        {"title": "Lệ phí", "type": "oa.query.hide", "payload": "/ask_fee"},
        {"title": "Gọi trực ban", "type": "oa.open.phone", "payload": {"phone_code": "02831234567"}},
        {"title": "Cổng dịch vụ công", "type": "oa.open.url", "payload": {"url": "https://dichvucong.gov.vn"}},
    ]


def test_more_than_five_buttons_become_a_numbered_list():
    buttons = [{"title": f"Mục {i}", "payload": f"/p{i}"} for i in range(1, 8)]
    items, menu = messages.button_items("Chọn thủ tục:", buttons)
    text = items[0]["message"]["text"]
    assert "1. Mục 1" in text and "7. Mục 7" in text and "attachment" not in items[0]["message"]
    assert menu == [f"/p{i}" for i in range(1, 8)]


def test_single_oa_configuration_from_the_environment():
    env = {"ZALO_APP_ID": "a", "ZALO_APP_SECRET": "s", "ZALO_OA_SECRET_KEY": "k",
           "ZALO_ACCESS_TOKEN": "t", "ZALO_REFRESH_TOKEN": "r"}
    registry = Registry.from_env(env)
    assert registry.api_base == "https://openapi.zalo.me" and registry.oauth_base == "https://oauth.zaloapp.com"
    assert registry.for_oa("any-oa").oa_secret_key == "k"
    with pytest.raises(ConfigurationError, match="ZALO_OA_SECRET_KEY"):
        Registry.from_env({k: v for k, v in env.items() if k != "ZALO_OA_SECRET_KEY"})


def test_many_oas_each_with_its_unit_and_secrets(tmp_path):
    accounts = tmp_path / "accounts.yml"
    accounts.write_text(
        "accounts:\n"
        "  - {oa_id: '111', unit: quan-tan-phu, name: Công an quận, env_prefix: ZALO_DISTRICT}\n"
        "  - {oa_id: '222', unit: phuong-tay-thanh, name: Công an phường Tây Thạnh, env_prefix: ZALO_TAY_THANH}\n",
        encoding="utf-8",
    )
    env = {"ZALO_ACCOUNTS_FILE": str(accounts), "ZALO_APP_ID": "app", "ZALO_APP_SECRET": "secret"}
    for prefix, n in (("ZALO_DISTRICT", 1), ("ZALO_TAY_THANH", 2)):
        env.update({f"{prefix}_OA_SECRET_KEY": f"k{n}", f"{prefix}_ACCESS_TOKEN": f"t{n}", f"{prefix}_REFRESH_TOKEN": f"r{n}"})
    registry = Registry.from_env(env)
    assert registry.for_oa("222").unit == "phuong-tay-thanh" and registry.for_oa("222").oa_secret_key == "k2"
    assert registry.for_oa("111").app_id == "app"
    assert registry.for_oa("999") is None  # an OA not served here


def test_a_restarted_worker_releases_its_own_claims_and_no_one_else_s(tmp_path):
    """Each process claims under its worker id (the launcher's ZALO_WORKER_ID);
    coming back under the same id, it frees what it held before, at once."""
    from bot.core.db import engine
    from bot.zalo.store import ZaloStore

    database = engine(f"sqlite:///{tmp_path / 'project.db'}")
    rasa, intake = ZaloStore(database, "rasa-0"), ZaloStore(database, "intake")
    for n, user in enumerate(("citizen-a", "citizen-b")):
        rasa.accept(f"msg:{n}", "oa", user, "user_send_text", "{}")
    rasa.enqueue("oa", "citizen-a", [{"type": "message", "message": {"text": "trả lời"}}])
    intake.enqueue("oa", "citizen-b", [{"type": "message", "message": {"text": "khẩn cấp"}}])
    assert rasa.claim_inbound("citizen-a") and rasa.claim_outgoing("citizen-a")
    assert intake.claim_outgoing("citizen-b")

    ZaloStore(database, "rasa-0").release_claims()  # rasa-0 started again
    assert sorted(rasa.users_with_pending_inbound()) == ["citizen-a", "citizen-b"]
    assert rasa.users_with_due_messages() == ["citizen-a"]  # the intake's send is still its own
    assert intake.claim_outgoing("citizen-b") is None  # (and still claimed)


def test_the_intake_spreads_citizens_over_the_replicas_and_keeps_each_with_one():
    from bot.zalo.intake import Replicas

    replicas = Replicas(["http://rasa-0/", "http://rasa-1"])
    first = {user: replicas.for_user(user, now=100.0)[0] for user in ("a", "b", "c", "d")}
    assert sorted(first.values()) == ["http://rasa-0", "http://rasa-0", "http://rasa-1", "http://rasa-1"]
    assert replicas.for_user("a", now=200.0) == [first["a"], *(u for u in replicas.urls if u != first["a"])]
    replicas.moved("a", "http://rasa-1")  # its replica did not answer; the other took it
    assert replicas.for_user("a", now=201.0)[0] == "http://rasa-1"
    # quiet for longer than ACTIVE_SECONDS: no longer counted, and may move
    later = 201.0 + Replicas.ACTIVE_SECONDS + 1
    assert [replicas.for_user(user, now=later)[0] for user in ("e", "f")] == ["http://rasa-0", "http://rasa-1"]


def test_junk_deliveries_are_refused_as_before_and_only_a_small_sample_is_kept(tmp_path):
    from sqlalchemy import select

    from bot.core.db import engine
    from bot.zalo.intake import Intake
    from bot.zalo.rejected import RejectedSample
    from bot.zalo.store import ZaloStore, rejected

    store = ZaloStore(engine(f"sqlite:///{tmp_path / 'project.db'}"))
    registry = Registry.from_env({"ZALO_APP_ID": APP, "ZALO_APP_SECRET": "s", "ZALO_OA_SECRET_KEY": KEY,
                                  "ZALO_ACCESS_TOKEN": "t", "ZALO_REFRESH_TOKEN": "r"})
    intake = Intake(registry, store, outbox=None, on_pending=lambda user_id: None)
    junk = json.dumps({"event_name": "user_send_text", "timestamp": str(NOW), "sender": {"id": "U"},
                       "recipient": {"id": "OA"}, "message": {"text": "x" * 65_000}}).encode()
    answers = [intake.receive(junk, None) for _ in range(100)]  # unsigned, 64 KB each
    assert answers == [(401, {"error": "missing signature"})] * 100
    assert intake.receive(b"{" + b"x" * 65_000, None) == (400, {"error": "malformed JSON"})
    assert intake.receive(b"x" * 1_000_001, None) == (413, {"error": "body too large"})

    def kept():
        with store.engine.connect() as c:
            return c.execute(select(rejected.c.id, rejected.c.reason, rejected.c.body).order_by(rejected.c.id)).all()

    assert len(kept()) == 10 and all(len(row.body) <= 4096 for row in kept())
    assert kept()[0].reason == "missing signature" and kept()[0].body.startswith('{"event_name": "user_send_text"')

    clock = [0.0]  # later minutes keep a few more each, and the newest MAX_KEPT stay
    sample = RejectedSample(store, per_minute=10, keep=25, clock=lambda: clock[0])
    for minute in range(5):
        clock[0] = minute * 60.0
        for _ in range(30):
            sample.record(f"bad signature {minute}", junk)
    rows = kept()
    assert len(rows) == 25 and {r.reason for r in rows} >= {"bad signature 4", "bad signature 2"}
    assert "bad signature 0" not in {r.reason for r in rows}


def test_stopping_finishes_or_cancels_the_name_fetches_under_way(tmp_path):
    """At shutdown (the channel's before_server_stop) a fetch of a citizen's Zalo
    name that answers in time is kept; a slower one is cancelled, awaited and
    writes nothing; none is left pending and no new one starts."""
    import asyncio

    from bot.core.db import engine
    from bot.zalo.profiles import Profiles
    from bot.zalo.store import ZaloStore

    store = ZaloStore(engine(f"sqlite:///{tmp_path / 'project.db'}"))
    for user in ("quick", "slow", "late"):
        store.touch_user(user, "oa", follower=True)
    delays = {"quick": 0.05, "slow": 30.0}

    class Api:
        async def user_detail(self, token, user_id):
            await asyncio.sleep(delays[user_id])
            return {"display_name": f"Tên {user_id}"}

    class Outbox:
        api = Api()

        async def with_token(self, account, call):
            return await call("token")

    class Registry:
        def for_oa(self, oa_id):
            return object()

    async def scenario():
        profiles = Profiles(store, Registry(), Outbox())
        profiles.refresh_soon("quick", "oa")
        profiles.refresh_soon("slow", "oa")
        tasks = set(profiles._tasks)
        await asyncio.sleep(0)
        started = time.monotonic()
        await profiles.close(grace=0.5)
        assert time.monotonic() - started < 5
        assert all(task.done() for task in tasks) and not profiles._tasks
        profiles.refresh_soon("late", "oa")  # stopped: nothing new starts
        assert not profiles._tasks

    asyncio.run(scenario())
    assert store.display_name("quick") == "Tên quick"
    assert store.user("slow")["profile_tried_at"] is None  # cancelled: no write after the stop
    assert store.user("late")["profile_tried_at"] is None
