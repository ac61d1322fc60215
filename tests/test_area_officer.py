"""The citizen's own area police officer ("gặp riêng") and office hours:
a citizen on Zalo (the simulator) asks to talk to their cảnh sát khu vực, is
asked for their residential group once, and the chat goes straight to that
officer's console; unclaimed in time, it goes to the ward's queue. Outside
office hours (a fixed clock, ASSISTANT_NOW) a request for an officer says
when officers answer, with the duty phone as a call button, and still
queues; an SOS is answered as always."""

from __future__ import annotations

import itertools
import time
from datetime import datetime

import pytest

from bot.core.units import load_units
from bot.core.web import VIETNAM
from bot.handoff import hours
from bot.safety import sos
from tests.conftest import AREA_OFFICER_TIMEOUT, HANDOFF_TIMEOUT, Assistant, Console, texts, wait_for
from tests.conftest import OFFICER_PASSWORD as PASSWORD

_ids = itertools.count()
SAU = "Đã chuyển cho cảnh sát khu vực tổ 6 – Đại úy Phạm Thị Sáu (dữ liệu mẫu)."
DUTY_BUTTON = {"title": "Gọi trực ban", "type": "oa.open.phone", "payload": {"phone_code": "02830000001"}}


def citizen() -> str:
    return f"53000000000{next(_ids):05d}"


def add_officers(accounts):
    accounts.add("sau.pham", PASSWORD, "phuong-tay-thanh", "officer", "Phạm Thị Sáu")
    accounts.add("an.nguyen", PASSWORD, "phuong-tay-thanh", "officer", "Nguyễn Văn An")


@pytest.fixture(scope="module")
def officers(assistant):
    add_officers(assistant.accounts)


def buttons(message):
    return message["body"]["message"].get("attachment", {}).get("payload", {}).get("buttons", [])


@pytest.mark.parametrize("text", ["cho tôi gặp cảnh sát khu vực", "muốn nói chuyện với công an khu vực tổ 6",
                                  "gap cskv", "cho em gặp công an khu vực với"])
def test_talking_to_the_area_officer_is_its_own_request(parse, text):
    assert parse(text)["intent"]["name"] == "request_area_officer"


@pytest.mark.parametrize("text", ["cho xin số của công an khu vực tổ dân phố 6", "cảnh sát khu vực tổ 6 là ai"])
def test_asking_for_the_area_officers_number_stays_a_directory_question(parse, text):
    assert parse(text)["intent"]["name"] == "ask_directory"


def test_asks_the_group_once_remembers_it_and_reaches_that_officer(zalo, assistant, officers):
    user = citizen()
    zalo.send(zalo.oa_id, user, text="cho tôi gặp cảnh sát khu vực")
    question = zalo.wait_for_messages(user, 1)[0]
    assert "tổ dân phố số mấy" in texts([question])[0]
    assert [b["title"] for b in buttons(question)] == ["Tổ 1", "Tổ 6", "Không rõ tổ"]
    zalo.send(zalo.oa_id, user, text="số 6")  # a bare number answers the question
    told = texts(zalo.wait_for_messages(user, 2))[1]
    assert told.startswith(SAU) and "hủy" in told
    assert assistant.tracker(user)["paused"] is True

    sau, an = Console(assistant, "sau.pham"), Console(assistant, "an.nguyen")
    chat = wait_for(lambda: sau.chat_for(user))
    assert chat["reason_label"] == "Gặp riêng" and chat["personal_for"] == "sau.pham" and chat["status"] == "waiting"
    assert an.post(f"chats/{chat['id']}/claim").status_code == 409  # it is hers
    assert sau.post(f"chats/{chat['id']}/claim").status_code == 200
    assert sau.post(f"chats/{chat['id']}/reply", {"text": "Chào bạn, tôi là Sáu, CSKV tổ 6."}).status_code == 200
    assert texts(zalo.wait_for_messages(user, 3))[2] == "Chào bạn, tôi là Sáu, CSKV tổ 6."
    assert sau.post(f"chats/{chat['id']}/close").status_code == 200
    zalo.wait_for_messages(user, 4)

    zalo.send(zalo.oa_id, user, text="/session_start")  # a new session (as after an hour away)
    wait_for(lambda: sum(e["event"] == "session_started" for e in assistant.tracker(user)["events"]) >= 2)
    zalo.send(zalo.oa_id, user, text="gap cskv")  # the group is remembered: not asked again
    assert texts(zalo.wait_for_messages(user, 5))[4].startswith(SAU)
    assert wait_for(lambda: sau.chat_for(user))["personal_for"] == "sau.pham"


def test_unclaimed_in_time_it_goes_to_the_wards_queue(zalo, assistant, officers):
    user = citizen()
    zalo.send(zalo.oa_id, user, text="muốn nói chuyện với công an khu vực tổ 6")
    assert texts(zalo.wait_for_messages(user, 1))[0].startswith(SAU)
    an = Console(assistant, "an.nguyen")
    assert wait_for(lambda: an.chat_for(user))["personal_for"] == "sau.pham"
    told = texts(zalo.wait_for_messages(user, 2, timeout=AREA_OFFICER_TIMEOUT + 30))[1]
    assert told == ("Cảnh sát khu vực hiện chưa trả lời được. Cuộc trò chuyện đã được chuyển cho cán bộ trực "
                    "của Công an phường Tây Thạnh (dữ liệu mẫu); cán bộ sẽ trả lời bạn sớm.")
    chat = an.chat_for(user)
    assert chat["reason"] == "requested" and chat["personal_for"] is None and chat["status"] == "waiting"
    assert an.post(f"chats/{chat['id']}/claim").status_code == 200  # any officer of the ward now
    assert assistant.tracker(user)["paused"] is True


def test_unknown_group_says_which_groups_exist_and_queues_for_the_ward(zalo, assistant, officers):
    user = citizen()
    zalo.send(zalo.oa_id, user, text="gặp cskv tổ 9")
    said = texts(zalo.wait_for_messages(user, 2))
    assert "chưa có thông tin cảnh sát khu vực của tổ 9 (các tổ có thông tin: 1, 6)" in said[0]
    assert "kết nối bạn với cán bộ" in said[1]
    assert wait_for(lambda: Console(assistant, "an.nguyen").chat_for(user))["reason"] == "requested"


FALLBACK = ("Cảnh sát khu vực hiện chưa trả lời được. Cuộc trò chuyện đã được chuyển cho cán bộ trực "
            "của Công an phường Tây Thạnh (dữ liệu mẫu); cán bộ sẽ trả lời bạn sớm.")


def test_an_area_officer_without_an_account_sends_the_chat_to_the_wards_queue_at_once(zalo, assistant, officers):
    user = citizen()  # group 1's officer, mot.le, has no console account here
    zalo.send(zalo.oa_id, user, text="gặp cskv tổ 1")
    asked = time.monotonic()
    assert texts(zalo.wait_for_messages(user, 1))[0] == FALLBACK
    chat = wait_for(lambda: Console(assistant, "an.nguyen").chat_for(user))
    assert time.monotonic() - asked < AREA_OFFICER_TIMEOUT  # not after the area officer's timeout
    assert chat["reason"] == "requested" and chat["personal_for"] is None and chat["status"] == "waiting"
    assert assistant.tracker(user)["paused"] is True


def test_start_up_warns_about_area_officers_without_an_account(assistant):
    warnings = [line for line in assistant.log.splitlines() if "WARNING bot.handoff.area_officers" in line]
    assert any("group 1 of unit phuong-tay-thanh" in line and "'mot.le' has no officer console account" in line
               for line in warnings), assistant.log[-3000:]
    assert any("group 2 of unit phuong-son-ky" in line and "'hai.do'" in line for line in warnings)


def test_accounts_that_cannot_take_an_area_officers_chats(tmp_path):
    from bot.console.auth import Accounts
    from bot.core.db import engine
    from bot.handoff.area_officers import unusable

    accounts = Accounts(engine(f"sqlite:///{tmp_path / 'accounts.db'}"))
    accounts.add("mot.le", PASSWORD, "phuong-tay-thanh", "officer", "Lê Văn Một")
    accounts.add("sau.pham", PASSWORD, "phuong-son-ky", "officer", "Phạm Thị Sáu")  # another unit
    accounts.add("hai.do", PASSWORD, "phuong-son-ky", "editor", "Đỗ Văn Hai")  # sees no chats
    lines = unusable(load_units(), accounts)
    assert len(lines) == 2, lines
    assert "group 6 of unit phuong-tay-thanh" in lines[0] and "belongs to unit phuong-son-ky" in lines[0]
    assert "group 2 of unit phuong-son-ky" in lines[1] and "editor" in lines[1]
    accounts.set_disabled("mot.le", True)
    assert "'mot.le' is disabled" in unusable(load_units(), accounts)[0]


@pytest.mark.parametrize("text", ["6", "số 6", "12"])
def test_a_lone_number_is_no_request(parse, text):
    assert parse(text)["intent"]["name"] == "nlu_fallback"


def test_a_lone_number_as_a_first_message_starts_no_handoff(zalo, assistant, officers):
    user = citizen()
    zalo.send(zalo.oa_id, user, text="6")
    said = texts(zalo.wait_for_messages(user, 1))[0]
    assert "tổ dân phố số mấy" not in said and not said.startswith(SAU)
    time.sleep(2)
    assert len(zalo.messages(user_id=user)) == 1
    assert assistant.tracker(user)["paused"] is False
    assert Console(assistant, "an.nguyen").chat_for(user) is None
    assert Console(assistant, "sau.pham").chat_for(user) is None


def test_the_officers_console_shows_gap_rieng_first(browser, zalo, assistant, officers):
    other = citizen()
    zalo.send(zalo.oa_id, other, text="cho tôi gặp cán bộ")
    zalo.wait_for_messages(other, 1)
    user = citizen()
    zalo.send(zalo.oa_id, user, text="cho tôi gặp cskv tổ 6")
    zalo.wait_for_messages(user, 1)
    wait_for(lambda: Console(assistant, "sau.pham").chat_for(user))

    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    page.goto(f"http://127.0.0.1:{assistant.web_port}/console")
    page.fill("#username", "sau.pham")
    page.fill("#password", PASSWORD)
    page.click("#login-button")
    first = page.locator(".queue-item").first
    first.locator(".qi-reason", has_text="Gặp riêng").wait_for(timeout=30_000)
    assert "Chờ cảnh sát khu vực: Phạm Thị Sáu" in first.inner_text()
    assert page.locator(".queue-item").count() >= 2  # the ward's other chat is there, below


# ---- office hours

SATURDAY_NIGHT = "2026-12-05T20:00:00+07:00"


def at(text):
    return datetime.fromisoformat(text).astimezone(VIETNAM)


def test_next_opening_in_vietnamese():
    ward = load_units().get("phuong-tay-thanh")
    assert not hours.is_open(ward, at(SATURDAY_NIGHT))
    assert hours.spoken(hours.next_opening(ward, at(SATURDAY_NIGHT)), at(SATURDAY_NIGHT)) == "7 giờ 30 sáng thứ Hai"
    early = at("2026-12-01T06:00:00+07:00")
    assert hours.spoken(hours.next_opening(ward, early), early) == "7 giờ 30 sáng nay"
    evening = at("2026-12-01T17:00:00+07:00")  # closing time: closed
    assert hours.spoken(hours.next_opening(ward, evening), evening) == "7 giờ 30 sáng mai"
    assert hours.is_open(ward, at("2026-12-01T07:30:00+07:00"))
    assert hours.opened_at(ward, at(SATURDAY_NIGHT)) == at("2026-12-04T07:30:00+07:00").timestamp()  # Friday


@pytest.fixture(scope="module")
def after_hours(trained_model, tmp_path_factory):
    """The assistant on a Saturday night (ASSISTANT_NOW)."""
    running = Assistant(["--model", str(trained_model)], tmp_path_factory.mktemp("after-hours"),
                        env={"ASSISTANT_NOW": SATURDAY_NIGHT})
    add_officers(running.accounts)
    yield running
    running.stop()


def test_outside_office_hours_the_citizen_is_told_when_and_given_the_duty_phone(after_hours):
    zalo = after_hours.simulator()
    user = first = citizen()
    zalo.send(zalo.oa_id, user, text="cho tôi gặp cán bộ")
    asked = time.monotonic()
    messages = zalo.wait_for_messages(user, 2)
    assert texts(messages)[0].startswith("Tôi đã chuyển yêu cầu của bạn cho cán bộ Công an phường Tây Thạnh")
    assert "phút" not in texts(messages)[0]  # no wait is promised at night
    assert texts(messages)[1] == ("Hiện đang ngoài giờ làm việc của Công an phường Tây Thạnh (dữ liệu mẫu). Cán bộ "
                                  "trả lời từ 7 giờ 30 sáng thứ Hai. Nếu cần gấp, bạn gọi số trực ban: 0283 000 0001.")
    assert buttons(messages[1]) == [DUTY_BUTTON]
    assert wait_for(lambda: Console(after_hours, "an.nguyen").chat_for(user))["status"] == "waiting"  # still queued

    user = citizen()
    zalo.send(zalo.oa_id, user, text="gặp cskv tổ 6")  # the area officer too
    messages = zalo.wait_for_messages(user, 2)
    assert texts(messages)[0].startswith(SAU) and "7 giờ 30 sáng thứ Hai" in texts(messages)[1]
    assert buttons(messages[1]) == [DUTY_BUTTON]
    assert wait_for(lambda: Console(after_hours, "sau.pham").chat_for(user))["reason_label"] == "Gặp riêng"

    # queued at night, the chat waits for the morning: the usual timeout does not hand it back to the bot
    time.sleep(max(0.0, HANDOFF_TIMEOUT + 5 - (time.monotonic() - asked)))
    assert Console(after_hours, "an.nguyen").chat_for(first)["status"] == "waiting"
    assert len(zalo.messages(user_id=first)) == 2


def test_sos_outside_office_hours_is_answered_as_always(after_hours):
    zalo = after_hours.simulator()
    user = citizen()
    zalo.send(zalo.oa_id, user, text="cứu tôi với")
    messages = zalo.wait_for_messages(user, 1)
    assert texts(messages)[0] == sos.reply(load_units().get("phuong-tay-thanh"))[0]
    assert [b["payload"]["phone_code"] for b in buttons(messages[0])] == ["02830000001", "113", "114", "115"]
    time.sleep(2)
    assert len(zalo.messages(user_id=user)) == 1  # nothing about office hours follows
    assert wait_for(lambda: Console(after_hours, "an.nguyen").chat_for(user))["reason"] == "sos"
