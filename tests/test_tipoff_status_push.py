"""A tip-off's new status is pushed back to the reporter on Zalo (issue 19,
point 2): the code and the status label only, inside Zalo's consultation
window (free within 48 h; the billed band 48 h to 7 days only when the
operator pays), else held back and delivered, once, the next time the
citizen writes. Everything is audited, never the reporter.

Elapsed time is simulated by setting ``zalo_users.last_interaction_at``
back in the project database, not by waiting."""

from __future__ import annotations

import json
import sqlite3
import time

import pytest
from sqlalchemy import create_engine, select

from bot.core.db import engine as database_engine
from bot.tipoffs.push import StatusPush, held
from bot.tipoffs.store import TipoffStore
from bot.zalo import window
from bot.zalo.store import REDACTED, ZaloStore, users
from tests.conftest import OFFICER_PASSWORD, Console, texts, wait_for
from tests.test_tipoffs import CODE, file_anonymous_report, user, zalo_turn

DAY = 24 * 3600
LABELS = {"verifying": "Đang xác minh", "transferred": "Đã chuyển Cơ quan điều tra có thẩm quyền",
          "resolved": "Đã giải quyết xong"}
REPORT = [("nhà tôi bị trộm mất xe máy Wave tối qua ở hẻm 12", "ở đâu"),
          ("hẻm 12 đường Lũy Bán Bích, phường Tây Thạnh", "khi nào"),
          ("tối qua khoảng 23 giờ", "chứng cứ"), ("không có", "ẩn danh"), ("ẩn danh", "Mã tin báo")]
SECRETS = ("Wave", "Lũy Bán Bích", "23 giờ", "Tây Thạnh", "Cán bộ", "phuong-tay-thanh")


def update(code: str, status: str) -> str:
    return (f'Tin báo {code} của bạn có cập nhật mới: {LABELS[status]}. '
            f'Nhắn "tra cứu {code}" để xem chi tiết.')


def test_the_window_bands():
    now = 1_000_000_000.0
    assert window.band(now - 47 * 3600, now) == window.FREE
    assert window.band(now - 49 * 3600, now) == window.BILLED
    assert window.band(now - 6.9 * DAY, now) == window.BILLED
    assert window.band(now - 7 * DAY, now) == window.CLOSED
    assert window.band(None, now) == window.CLOSED


def test_held_updates_keep_the_latest_status_and_are_taken_once(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'push.db'}", future=True)
    store, zalo = TipoffStore(engine), ZaloStore(engine)
    zalo.touch_user("u1", "oa1")
    code = store.create("u1", "phuong-tay-thanh", "Có người bán ma túy ở hẻm 3")["code"]
    push = StatusPush(engine, pay_billed=False)
    with engine.begin() as c:
        c.execute(users.update().values(last_interaction_at=time.time() - 3 * DAY))
    assert store.set_status(code, "verifying", "can.bo", then=push.within)
    assert store.set_status(code, "transferred", "can.bo", then=push.within)
    assert zalo.outbox_rows("u1") == []  # the billed band, not paid: nothing sent
    with engine.connect() as c:
        assert [tuple(r) for r in c.execute(select(held.c.code, held.c.status))] == [(code, "transferred")]
    assert push.deliver_on_zalo("oa1", "u1") == 1
    assert push.deliver_on_zalo("oa1", "u1") == 0  # once
    assert [json.loads(r["body"])["message"]["text"] for r in zalo.outbox_rows("u1")] == [update(code, "transferred")]
    assert push.deliver_in_answer("u1") == []
    # paid: the billed band is sent at once
    assert store.set_status(code, "resolved", "can.bo", then=StatusPush(engine, pay_billed=True).within)
    assert json.loads(zalo.outbox_rows("u1")[-1]["body"])["message"]["text"] == update(code, "resolved")
    assert all(row["confidential"] for row in zalo.outbox_rows("u1"))
    actions = [(e["actor"], e["action"], e["detail"]) for e in store.history(code) if e["actor"] == "system"]
    assert actions == [
        ("system", "tipoff_status_held", {"status": "verifying", "reason": "billed_band"}),
        ("system", "tipoff_status_held", {"status": "transferred", "reason": "billed_band"}),
        ("system", "tipoff_status_delivered", {"status": "transferred", "channel": "zalo"}),
        ("system", "tipoff_status_pushed", {"status": "resolved", "band": "billed"}),
    ]
    assert "u1" not in json.dumps(store.history(code))


def test_erasing_a_citizen_drops_their_held_updates(tmp_path):
    from bot.core import db
    from bot.privacy.retention import Retention

    engine = create_engine(f"sqlite:///{tmp_path / 'erase.db'}", future=True)
    db.create_tables(engine, *db.all_tables())
    store = TipoffStore(engine)
    kept = store.create("u2", "phuong-tay-thanh", "Có người đánh bạc ở quán nước")["code"]
    gone = store.create("u1", "phuong-tay-thanh", "Có người bán ma túy ở hẻm 3")["code"]
    for code in (kept, gone):  # u1 and u2 never wrote on Zalo: held
        assert store.set_status(code, "verifying", "can.bo", then=StatusPush(engine).within)
    assert Retention(engine).erase("u1", "van.hanh")["tipoff_updates_held"] == 1
    with engine.connect() as c:
        assert [r.code for r in c.execute(select(held))] == [kept]


# ---- through the running assistant: the console, the Zalo simulator and the REST channel

@pytest.fixture(scope="module")
def officer(assistant):
    assistant.accounts.add("push.taythanh", OFFICER_PASSWORD, "phuong-tay-thanh", "officer", "Cán bộ Tây Thạnh")
    return Console(assistant, "push.taythanh")


def database(assistant, query, *args):
    with sqlite3.connect(assistant.state / "project.db") as db:
        return [tuple(row) for row in db.execute(query, args)]


def interacted(assistant, citizen, ago: float) -> None:
    """The citizen's last interaction with the OA was ``ago`` seconds ago."""
    with sqlite3.connect(assistant.state / "project.db") as db:
        db.execute("UPDATE zalo_users SET last_interaction_at = ? WHERE user_id = ?", (time.time() - ago, citizen))


def system_entries(assistant, code):
    return [(action, json.loads(detail)) for action, detail in database(
        assistant, "SELECT action, detail FROM audit_log WHERE subject = ? AND actor = 'system' ORDER BY id",
        f"tipoff:{code}")]


def report_on_zalo(zalo, citizen) -> str:
    for text, expected in REPORT:
        confirmation = zalo_turn(zalo, citizen, expected, text=text)
    return CODE.search(confirmation).group(0)


def received_since(zalo, citizen, before):
    return texts(zalo.messages(user_id=citizen))[before:]


def test_a_new_status_reaches_the_reporter_within_48_hours(zalo, assistant, officer):
    citizen = user()
    code = report_on_zalo(zalo, citizen)
    before = len(zalo.messages(user_id=citizen))
    assert officer.post(f"tipoffs/{code}/status", {"status": "verifying"}).status_code == 200
    pushed = wait_for(lambda: received_since(zalo, citizen, before))
    assert pushed == [update(code, "verifying")]
    assert not any(secret in pushed[0] for secret in SECRETS)
    assert system_entries(assistant, code) == [("tipoff_status_pushed", {"status": "verifying", "band": "free"})]
    assert not database(assistant, "SELECT id FROM audit_log WHERE detail LIKE ?", f"%{citizen}%")
    # the outbox keeps no copy once sent; the console's history shows the officer's change, not the push
    wait_for(lambda: database(assistant, "SELECT body, status FROM zalo_outbox WHERE user_id = ? ORDER BY id DESC "
                                         "LIMIT 1", citizen) == [(REDACTED, "sent")])
    detail = officer.get(f"tipoffs/{code}")
    history = [h["action"] for h in detail.json()["history"]]
    assert history == ["Tiếp nhận tin báo", "Cập nhật trạng thái", "Xem tin báo"]
    assert citizen not in detail.text


def test_the_billed_band_is_held_unless_the_operator_pays(zalo, assistant, officer):
    citizen = user()
    code = report_on_zalo(zalo, citizen)
    interacted(assistant, citizen, 3 * DAY)
    before = len(zalo.messages(user_id=citizen))
    assert officer.post(f"tipoffs/{code}/status", {"status": "verifying"}).status_code == 200
    wait_for(lambda: system_entries(assistant, code))
    time.sleep(3)  # the outbox sweeper runs every second: it would have sent it
    assert received_since(zalo, citizen, before) == []
    assert system_entries(assistant, code) == [("tipoff_status_held", {"status": "verifying",
                                                                       "reason": "billed_band"})]

    # an operator who pays (TIPOFF_PUSH_BILLED=1): the same change is sent in the billed band
    engine = database_engine(assistant.database_url)
    assert TipoffStore(engine).set_status(code, "transferred", "push.taythanh",
                                          then=StatusPush(engine, pay_billed=True).within)
    assert wait_for(lambda: received_since(zalo, citizen, before)) == [update(code, "transferred")]
    assert system_entries(assistant, code)[-1] == ("tipoff_status_pushed",
                                                    {"status": "transferred", "band": "billed"})
    # the held update was superseded: writing again brings only the answer
    reply = zalo_turn(zalo, citizen, "Đăng ký thường trú", text="đăng ký thường trú cần giấy tờ gì")
    assert code not in reply and len(received_since(zalo, citizen, before)) >= 2
    assert [a for a, _ in system_entries(assistant, code)].count("tipoff_status_delivered") == 0


def test_outside_7_days_the_latest_status_waits_until_the_citizen_writes(zalo, assistant, officer):
    citizen = user()
    code = report_on_zalo(zalo, citizen)
    interacted(assistant, citizen, 8 * DAY)
    before = len(zalo.messages(user_id=citizen))
    for status in ("verifying", "transferred"):
        assert officer.post(f"tipoffs/{code}/status", {"status": status}).status_code == 200
    wait_for(lambda: len(system_entries(assistant, code)) == 2)
    time.sleep(3)
    assert received_since(zalo, citizen, before) == []
    assert system_entries(assistant, code) == [
        ("tipoff_status_held", {"status": "verifying", "reason": "window_closed"}),
        ("tipoff_status_held", {"status": "transferred", "reason": "window_closed"})]

    zalo_turn(zalo, citizen, "Đăng ký thường trú", text="đăng ký thường trú cần giấy tờ gì")
    got = received_since(zalo, citizen, before)
    assert got[0] == update(code, "transferred")  # before the answer, the latest status only
    assert not any(LABELS["verifying"] in text for text in got)
    assert system_entries(assistant, code)[-1] == ("tipoff_status_delivered",
                                                    {"status": "transferred", "channel": "zalo"})

    before = len(zalo.messages(user_id=citizen))
    zalo_turn(zalo, citizen, "Đăng ký tạm trú", text="đăng ký tạm trú cần giấy tờ gì")
    assert not any(code in text for text in received_since(zalo, citizen, before))  # exactly once
    assert [a for a, _ in system_entries(assistant, code)].count("tipoff_status_delivered") == 1
    assert not database(assistant, "SELECT code FROM tipoff_status_held WHERE code = ?", code)


def test_a_rest_reporter_gets_the_update_with_the_next_answer(assistant, officer):
    citizen = user()
    code = CODE.search(file_anonymous_report(assistant, citizen)).group(0)
    assert officer.post(f"tipoffs/{code}/status", {"status": "resolved"}).status_code == 200
    assert wait_for(lambda: system_entries(assistant, code)) == [
        ("tipoff_status_held", {"status": "resolved", "reason": "not_on_zalo"})]
    replies = assistant.say(citizen, "đăng ký thường trú cần giấy tờ gì")
    assert replies[0]["text"] == update(code, "resolved") and "Đăng ký thường trú" in replies[1]["text"]
    assert not any(code in r.get("text", "") for r in assistant.say(citizen, "đăng ký tạm trú cần giấy tờ gì"))
    assert system_entries(assistant, code)[-1] == ("tipoff_status_delivered",
                                                    {"status": "resolved", "channel": "rest"})
