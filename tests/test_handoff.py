"""Human handoff end to end: a citizen on Zalo (the simulator) asks for an
officer; officers log in to the console (real HTTP, cookies, CSRF), claim,
reply, transfer and close; cancel and timeout hand the chat back to the bot."""

from __future__ import annotations

import itertools
import json
import sqlite3
import time

import pytest
import requests

from bot.console.auth import Accounts
from bot.core.db import engine
from devtools.zalo_sim import SimClient
from tests.conftest import HANDOFF_TIMEOUT
from tests.conftest import OFFICER_PASSWORD as PASSWORD
from tests.conftest import Console, texts, wait_for

_ids = itertools.count()


@pytest.fixture(scope="module")
def accounts(assistant):
    accounts = assistant.accounts
    accounts.add("an.nguyen", PASSWORD, "phuong-tay-thanh", "officer", "Nguyễn Văn An")
    accounts.add("binh.tran", PASSWORD, "phuong-tay-thanh", "officer", "Trần Thị Bình")
    accounts.add("chi.le", PASSWORD, "phuong-son-ky", "officer", "Lê Minh Chí")
    accounts.add("dung.pham", PASSWORD, "quan-mau", "commander", "Phạm Quốc Dũng")
    return accounts


def ask_for_officer(zalo, text="cho tôi gặp cán bộ"):
    user = f"50000000000{next(_ids):05d}"
    zalo.send(zalo.oa_id, user, text=text)
    assert "kết nối bạn với cán bộ" in texts(zalo.wait_for_messages(user, 1))[0]
    return user


def test_asking_for_an_officer_pauses_the_bot_and_queues_the_chat(zalo, assistant, accounts):
    user = ask_for_officer(zalo, "cho toi gap can bo")
    answer = texts(zalo.messages(user_id=user))[0]
    assert "phút" in answer and "hủy" in answer
    tracker = assistant.tracker(user)
    assert tracker["paused"] is True
    zalo.send(zalo.oa_id, user, text="nhà tôi bị mất trộm xe máy")  # recorded, the bot stays silent
    officer = Console(assistant, "an.nguyen")
    chat = wait_for(lambda: (c := officer.chat_for(user)) and c["message_count"] >= 1 and c)
    assert chat["status"] == "waiting" and chat["reason"] == "requested"
    assert chat["last_message"] == "nhà tôi bị mất trộm xe máy"
    time.sleep(1)
    assert len(zalo.messages(user_id=user)) == 1


def user_detail_calls(zalo, user) -> list:
    return [r for r in zalo.requests_log() if r["path"] == "/v3.0/oa/user/detail" and user in r["query"]]


def test_the_console_names_a_zalo_citizen_by_their_zalo_display_name(zalo, assistant, accounts):
    user = f"50000000000{next(_ids):05d}"
    zalo.register_user(zalo.oa_id, user, display_name="Trần Thị Mai Anh")
    zalo.send(zalo.oa_id, user, text="cho tôi gặp cán bộ")
    assert "kết nối bạn với cán bộ" in texts(zalo.wait_for_messages(user, 1))[0]
    zalo.send(zalo.oa_id, user, text="tôi cần hỏi về hộ khẩu")
    an = Console(assistant, "an.nguyen")
    chat = wait_for(lambda: (c := an.chat_for(user)) and c["citizen"] == "Trần Thị Mai Anh" and c)
    assert an.get(f"chats/{chat['id']}").json()["chat"]["citizen"] == "Trần Thị Mai Anh"  # the chat's header
    calls = user_detail_calls(zalo, user)
    assert len(calls) == 1 and calls[0]["headers"]["access_token"]  # once, not per message


def test_when_zalo_gives_no_profile_the_chat_works_and_shows_the_neutral_label(zalo, assistant, accounts):
    from bot.console import labels

    user = f"50000000000{next(_ids):05d}"
    zalo.register_user(zalo.oa_id, user, display_name="Lê Văn Tám")
    zalo.add_fault("user_detail", "http", times=1, user_id=user)
    zalo.send(zalo.oa_id, user, text="cho tôi gặp cán bộ")
    assert "kết nối bạn với cán bộ" in texts(zalo.wait_for_messages(user, 1))[0]
    zalo.send(zalo.oa_id, user, text="xe tôi bị mất")
    an = Console(assistant, "an.nguyen")
    chat = wait_for(lambda: (c := an.chat_for(user)) and c["message_count"] >= 1 and c)
    assert wait_for(lambda: [r for r in user_detail_calls(zalo, user) if r["fault"]])
    assert [r["status"] for r in user_detail_calls(zalo, user)] == [500]  # not tried again at every message
    time.sleep(1.5)  # the queue's previews are read again every second
    assert an.chat_for(user)["citizen"] == labels.citizen(user) != "Lê Văn Tám"
    assert an.get(f"chats/{chat['id']}").json()["chat"]["citizen"] == labels.citizen(user)
    assert an.post(f"chats/{chat['id']}/claim").status_code == 200
    assert an.post(f"chats/{chat['id']}/reply", {"text": "Chào bạn, tôi là cán bộ An."}).status_code == 200
    assert texts(zalo.wait_for_messages(user, 2))[1] == "Chào bạn, tôi là cán bộ An."


def test_officer_claims_replies_and_closes_then_the_bot_answers_again(zalo, assistant, accounts):
    user = ask_for_officer(zalo)
    an, binh = Console(assistant, "an.nguyen"), Console(assistant, "binh.tran")
    chat = wait_for(lambda: an.chat_for(user))
    assert an.post(f"chats/{chat['id']}/claim").status_code == 200
    taken = binh.post(f"chats/{chat['id']}/claim")
    assert taken.status_code == 409 and "Nguyễn Văn An" in taken.json()["error"]
    assert binh.post(f"chats/{chat['id']}/reply", {"text": "xin chào"}).status_code == 409
    assert binh.chat_for(user)["claimed_by_name"] == "Nguyễn Văn An"

    assert an.post(f"chats/{chat['id']}/reply", {"text": "Chào bạn, tôi là cán bộ An."}).json() == {"ok": True}
    assert texts(zalo.wait_for_messages(user, 2))[1] == "Chào bạn, tôi là cán bộ An."
    detail = an.get(f"chats/{chat['id']}").json()
    assert detail["transcript"][-1] == {**detail["transcript"][-1], "from": "officer", "officer": "Nguyễn Văn An"}
    assert detail["chat"]["first_reply_at"] is not None and detail["can_reply"] is True

    assert an.post(f"chats/{chat['id']}/close").status_code == 200
    assert "kết thúc cuộc trò chuyện" in texts(zalo.wait_for_messages(user, 3))[2]
    assert assistant.tracker(user)["paused"] is False
    zalo.send(zalo.oa_id, user, text="đăng ký tạm trú cần giấy tờ gì")
    assert "Hồ sơ cần chuẩn bị" in texts(zalo.wait_for_messages(user, 4))[3]
    actions = [(e["actor"], e["action"]) for e in audit(assistant, chat["id"])]
    assert actions == [("system", "requested"), ("an.nguyen", "claimed"), ("an.nguyen", "replied"),
                       ("an.nguyen", "closed")]


def audit(assistant, handoff_id):
    with sqlite3.connect(assistant.state / "project.db") as db:
        db.row_factory = sqlite3.Row
        return [dict(r) for r in db.execute("SELECT * FROM audit_log WHERE handoff_id = ? ORDER BY id", (handoff_id,))]


def test_citizen_can_cancel_while_waiting(zalo, assistant, accounts):
    user = ask_for_officer(zalo)
    zalo.send(zalo.oa_id, user, text="hủy")
    assert "Đã hủy yêu cầu gặp cán bộ" in texts(zalo.wait_for_messages(user, 2))[1]
    assert assistant.tracker(user)["paused"] is False
    assert Console(assistant, "an.nguyen").chat_for(user) is None


def test_nobody_takes_the_chat_in_time_so_the_bot_resumes_with_the_duty_phone(zalo, assistant, accounts):
    user = ask_for_officer(zalo)
    messages = zalo.wait_for_messages(user, 2, timeout=HANDOFF_TIMEOUT + 30)
    message = messages[1]["body"]["message"]
    assert "chưa có cán bộ nào trả lời" in message["text"]
    assert message["attachment"]["payload"]["buttons"][0] == {
        "title": "Gọi trực ban", "type": "oa.open.phone", "payload": {"phone_code": "02830000001"}}
    assert assistant.tracker(user)["paused"] is False


def test_two_failures_in_a_row_hand_over_to_an_officer(zalo, assistant, accounts):
    user = f"51000000000{next(_ids):05d}"
    zalo.send(zalo.oa_id, user, text="xyz qwrt")
    zalo.wait_for_messages(user, 1)
    zalo.send(zalo.oa_id, user, text="asdf ghjk")
    answers = texts(zalo.wait_for_messages(user, 3))
    assert "chưa hiểu" in answers[1] and "kết nối bạn với cán bộ" in answers[2]
    chat = wait_for(lambda: Console(assistant, "an.nguyen").chat_for(user))
    assert chat["reason"] == "failures"


def test_officers_see_only_their_unit_and_commanders_the_units_below(zalo, assistant, accounts):
    user = ask_for_officer(zalo)
    an, chi, dung = Console(assistant, "an.nguyen"), Console(assistant, "chi.le"), Console(assistant, "dung.pham")
    chat = wait_for(lambda: an.chat_for(user))
    assert chi.chat_for(user) is None
    assert chi.get(f"chats/{chat['id']}").status_code == 404
    assert chi.post(f"chats/{chat['id']}/claim").status_code == 404
    assert dung.chat_for(user) is not None  # the district commander
    assert an.post(f"chats/{chat['id']}/transfer", {"to": "unit:phuong-son-ky"}).status_code == 200
    assert an.chat_for(user) is None and chi.chat_for(user)["unit"] == "phuong-son-ky"
    assert chi.post(f"chats/{chat['id']}/transfer", {"to": "unit:nowhere"}).status_code == 400


def test_the_citizen_is_told_which_unit_their_chat_was_transferred_to(zalo, assistant, accounts):
    user = ask_for_officer(zalo)
    an, chi = Console(assistant, "an.nguyen"), Console(assistant, "chi.le")
    chat = wait_for(lambda: an.chat_for(user))
    assert an.post(f"chats/{chat['id']}/claim").status_code == 200
    assert an.post(f"chats/{chat['id']}/transfer", {"to": "unit:phuong-son-ky"}).status_code == 200
    told = texts(zalo.wait_for_messages(user, 2))[1]
    assert told == ("Cuộc trò chuyện của bạn đã được chuyển cho Công an phường Sơn Kỳ (dữ liệu mẫu). "
                    "Cán bộ sẽ trả lời bạn sớm.")
    assert chi.post(f"chats/{chat['id']}/transfer", {"to": "officer:an.nguyen"}).status_code == 200  # back
    assert "chuyển cho Công an phường Tây Thạnh" in texts(zalo.wait_for_messages(user, 3))[2]


def test_transfer_to_another_officer_hands_them_the_chat(zalo, assistant, accounts):
    user = ask_for_officer(zalo)
    an, binh = Console(assistant, "an.nguyen"), Console(assistant, "binh.tran")
    chat = wait_for(lambda: an.chat_for(user))
    assert an.post(f"chats/{chat['id']}/claim").status_code == 200
    targets = [t["id"] for t in an.get("transfer-targets").json()]
    assert "officer:binh.tran" in targets and "unit:quan-mau" in targets
    assert an.post(f"chats/{chat['id']}/transfer", {"to": "officer:binh.tran"}).status_code == 200
    assert binh.get(f"chats/{chat['id']}").json()["can_reply"] is True
    assert an.post(f"chats/{chat['id']}/reply", {"text": "x"}).status_code == 409
    assert binh.post(f"chats/{chat['id']}/reply", {"text": "Tôi là cán bộ Bình, tôi tiếp nhận."}).status_code == 200
    assert "cán bộ Bình" in texts(zalo.wait_for_messages(user, 2))[1]


def test_officer_sees_a_reply_zalo_refused(zalo, assistant, accounts):
    user = ask_for_officer(zalo)
    an = Console(assistant, "an.nguyen")
    chat = wait_for(lambda: an.chat_for(user))
    an.post(f"chats/{chat['id']}/claim")
    zalo.add_fault("message", "error", code=-230, times=1, user_id=user)  # the citizen is outside Zalo's window
    an.post(f"chats/{chat['id']}/reply", {"text": "Bạn còn cần hỗ trợ không?"})
    undelivered = wait_for(lambda: an.get(f"chats/{chat['id']}").json()["undelivered"])
    assert undelivered[0]["text"] == "Bạn còn cần hỗ trợ không?" and undelivered[0]["error_code"] == -230


def test_state_changes_need_the_csrf_token(zalo, assistant, accounts):
    user = ask_for_officer(zalo)
    an = Console(assistant, "an.nguyen")
    chat = wait_for(lambda: an.chat_for(user))
    assert an.post(f"chats/{chat['id']}/claim", csrf=False).status_code == 403
    an.csrf = "forged"
    assert an.post(f"chats/{chat['id']}/claim").status_code == 403
    assert an.chat_for(user)["status"] == "waiting"


def test_login_requires_the_login_form_token(assistant, accounts):
    http = requests.Session()
    answer = http.post(f"http://127.0.0.1:{assistant.web_port}/console/login",
                       data={"username": "an.nguyen", "password": PASSWORD, "csrf_token": "x"}, timeout=10)
    assert answer.status_code == 401 and http.get(
        f"http://127.0.0.1:{assistant.web_port}/console/api/me", timeout=10).status_code == 401


def test_wrong_passwords_lock_the_account(assistant, accounts):
    accounts.add("lock.me", PASSWORD, "phuong-tay-thanh", "officer", "Khóa Thử")
    for _ in range(4):
        assert "không đúng" in Console(assistant, "lock.me", "sai-mat-khau").login_response.text
    assert "tạm khóa" in Console(assistant, "lock.me", "sai-mat-khau").login_response.text
    locked = Console(assistant, "lock.me")  # even the right password is refused now
    assert locked.csrf is None and "tạm khóa" in locked.login_response.text


def test_session_cookie_is_http_only_and_strict(assistant, accounts):
    officer = Console(assistant, "an.nguyen")
    cookie = officer.login_response.history[0].headers["Set-Cookie"]
    assert "console_session=" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    stored = sqlite3.connect(assistant.state / "project.db").execute("SELECT token_hash FROM console_sessions").fetchall()
    token = officer.http.cookies.get("console_session")
    assert token and all(token not in row[0] for row in stored)  # only a hash is kept


def test_passwords_are_stored_with_scrypt(assistant, accounts):
    row = sqlite3.connect(assistant.state / "project.db").execute(
        "SELECT password_hash FROM officers WHERE username = 'an.nguyen'").fetchone()
    assert row[0].startswith("scrypt$") and PASSWORD not in row[0]


def test_queue_claim_and_transcript_survive_a_crash(trained_model, tmp_path):
    """Kill every process mid-handoff; after a restart the chat is still
    queued and claimed, its transcript intact, and the officer can go on."""
    from tests.conftest import Assistant

    first = Assistant(["--model", str(trained_model)], tmp_path)
    user = "520000000000000001"
    try:
        dev = json.loads((tmp_path / "zalo_dev.json").read_text())
        sim = SimClient(f"http://127.0.0.1:{first.sim_port}")
        sim.send(dev["ZALO_OA_ID"], user, text="cho tôi gặp cán bộ")
        sim.wait_for_messages(user, 1)
        sim.send(dev["ZALO_OA_ID"], user, text="xe tôi bị lấy trộm")
        Accounts(engine(f"sqlite:///{tmp_path / 'project.db'}")).add(
            "an.nguyen", PASSWORD, "phuong-tay-thanh", "officer", "Nguyễn Văn An")
        an = Console(first, "an.nguyen")
        chat = wait_for(lambda: (c := an.chat_for(user)) and c["message_count"] >= 1 and c)
        assert an.post(f"chats/{chat['id']}/claim").status_code == 200
    finally:
        first.kill()
    second = Assistant(["--model", str(trained_model)], tmp_path)
    try:
        an = Console(second, "an.nguyen")
        chat = an.chat_for(user)
        assert chat["status"] == "active" and chat["claimed_by"] == "an.nguyen"
        detail = an.get(f"chats/{chat['id']}").json()
        assert [t["text"] for t in detail["transcript"] if t["from"] == "citizen"] == [
            "cho tôi gặp cán bộ", "xe tôi bị lấy trộm"]
        assert an.post(f"chats/{chat['id']}/reply", {"text": "Tôi vẫn đang theo dõi vụ việc."}).status_code == 200
        sim = SimClient(f"http://127.0.0.1:{second.sim_port}")
        assert "Tôi vẫn đang theo dõi vụ việc." in texts(sim.wait_for_messages(user, 1))
    finally:
        second.kill()
