"""Confidential tip-offs: the form in the chat (with photos, a shared
location, anonymity, cancellation at any point), the tracking code that only
the reporter can look up, routing to the ward of the place, and what
officers see in the console: attachments, the reporter only when not
anonymous and only in the routed unit, escalation to the district."""

from __future__ import annotations

import re
import uuid

import pytest

from bot.tipoffs.routing import route
from bot.tipoffs.store import find_code
from tests.conftest import OFFICER_PASSWORD, Console, texts, wait_for

CODE = re.compile(r"TG-[0-9A-Z]{6}")


@pytest.fixture(scope="module")
def officers(assistant):
    accounts = assistant.accounts
    accounts.add("tg.sonky", OFFICER_PASSWORD, "phuong-son-ky", "officer", "Cán bộ Sơn Kỳ")
    accounts.add("tg.taythanh", OFFICER_PASSWORD, "phuong-tay-thanh", "officer", "Cán bộ Tây Thạnh")
    accounts.add("tg.quan", OFFICER_PASSWORD, "quan-mau", "commander", "Chỉ huy quận")
    return {name: Console(assistant, name) for name in ("tg.sonky", "tg.taythanh", "tg.quan")}


def user() -> str:
    return "7" + str(uuid.uuid4().int)[:17]


def zalo_turn(zalo, citizen, expected, **event) -> str:
    """Send one Zalo event; the replies it brought, once one of them holds ``expected``."""
    before = len(zalo.messages(user_id=citizen))
    zalo.send(zalo.oa_id, citizen, **event)
    try:
        return wait_for(lambda: "\n".join(texts(zalo.messages(user_id=citizen)[before:])) if expected in
                        "\n".join(texts(zalo.messages(user_id=citizen)[before:])) else None, timeout=20)
    except AssertionError:
        raise AssertionError(f"no reply with {expected!r} to {event}: {texts(zalo.messages(user_id=citizen))}")


def say(assistant, sender, text) -> str:
    return "\n".join(r.get("text", "") for r in assistant.say(sender, text))


def test_codes_are_found_in_messages_and_places_route_to_wards():
    assert find_code("tra cứu tg-7k3m9q giúp tôi") == "TG-7K3M9Q"
    assert find_code("TG 4HX2PA") == "TG-4HX2PA"
    assert find_code("tra cứu tin báo") is None
    assert route("phuong-tay-thanh", "", 10.79, 106.62) == "phuong-son-ky"  # the location wins
    assert route("phuong-tay-thanh", "hẻm 12, phường Sơn Kỳ") == "phuong-son-ky"
    assert route("phuong-tay-thanh", "hem 12 phuong son ky") == "phuong-son-ky"
    assert route("phuong-son-ky", "chợ Bến Thành") == "quan-mau"  # unknown place: the district
    assert route("phuong-son-ky", "", 10.70, 106.62) == "quan-mau"  # outside every ward


def test_anonymous_tipoff_on_zalo_with_photo_and_location(zalo, assistant, officers):
    citizen = user()
    steps = [
        ({"text": "tôi muốn gửi tin báo ngay"}, "mô tả sự việc"),
        ({"text": "Có nhóm người tụ tập mua bán ma túy mỗi tối trong hẻm"}, "ở đâu"),
        ({"event_name": "user_send_location", "latitude": 10.79, "longitude": 106.62}, "khi nào"),
        ({"text": "tối nào cũng có, khoảng 22 giờ"}, "chứng cứ"),
        ({"event_name": "user_send_image", "url": "https://photo.example.vn/bang-chung-1.jpg"}, "Đã nhận 1 tệp"),
        ({"text": "Xong"}, "ẩn danh"),
        ({"text": "Ẩn danh"}, "Mã tin báo"),
    ]
    for event, expected in steps:
        confirmation = zalo_turn(zalo, citizen, expected, **{"event_name": "user_send_text", **event})
    code = CODE.search(confirmation).group(0)
    assert "Công an phường Sơn Kỳ" in confirmation and "ẩn danh" in confirmation

    listing = officers["tg.sonky"].get("tipoffs").json()["tipoffs"]
    assert [t["code"] for t in listing if t["code"] == code] == [code]
    response = officers["tg.sonky"].get(f"tipoffs/{code}")
    detail = response.json()
    assert detail["what"] == "Có nhóm người tụ tập mua bán ma túy mỗi tối trong hẻm"
    assert detail["occurred"] == "tối nào cũng có, khoảng 22 giờ"
    assert detail["map"].startswith("https://www.openstreetmap.org/?mlat=10.79")
    assert [a["url"] for a in detail["attachments"]] == ["https://photo.example.vn/bang-chung-1.jpg"]
    assert "reporter" not in detail and citizen not in response.text  # anonymous: nobody sees who
    assert officers["tg.taythanh"].get(f"tipoffs/{code}").status_code == 404  # another ward
    assert code not in officers["tg.taythanh"].get("tipoffs").text
    assert officers["tg.quan"].get(f"tipoffs/{code}").status_code == 200  # the district commander

    # the reporter, and only the reporter, can follow it up by its code
    status = zalo_turn(zalo, citizen, code, text=f"tra cứu {code.lower()}")
    assert "Đã tiếp nhận" in status
    answer = zalo_turn(zalo, user(), "Không tìm thấy", text=f"tra cứu {code}")
    assert code in answer and "Sơn Kỳ" not in answer

    # the reporter's identity and the report never reach the logs
    assert citizen not in assistant.log
    assert "mua bán ma túy" not in assistant.log


def test_named_tipoff_by_address_status_and_escalation(assistant, officers):
    citizen = user()
    assert "mô tả sự việc" in say(assistant, citizen, "gửi tin báo")
    assert "ở đâu" in say(assistant, citizen, "Xe máy của tôi bị lấy trộm trước cửa nhà")
    assert "khi nào" in say(assistant, citizen, "số 5 đường Mẫu, phường Tây Thạnh")
    assert "chứng cứ" in say(assistant, citizen, "sáng nay lúc 6 giờ")
    assert "ẩn danh" in say(assistant, citizen, "Không có")
    assert "họ tên" in say(assistant, citizen, "Để lại liên hệ")
    confirmation = say(assistant, citizen, "Trần Thị Báo, 0909 555 123")
    code = CODE.search(confirmation).group(0)
    assert "Công an phường Tây Thạnh" in confirmation

    ward = officers["tg.taythanh"]
    detail = ward.get(f"tipoffs/{code}").json()
    assert detail["reporter"] == {"zalo_user_id": citizen, "contact": "Trần Thị Báo, 0909 555 123"}
    assert detail["attachments"] == [] and detail["place"] == "số 5 đường Mẫu, phường Tây Thạnh"
    assert officers["tg.sonky"].get(f"tipoffs/{code}").status_code == 404

    assert ward.post(f"tipoffs/{code}/status", {"status": "verifying"}).status_code == 200
    assert "Đang xác minh" in say(assistant, citizen, f"tình trạng {code}")
    assert ward.post(f"tipoffs/{code}/status", {"status": "verifying"}, csrf=False).status_code == 403

    escalated = ward.post(f"tipoffs/{code}/escalate", {"note": "Cần lực lượng quận phối hợp"})
    assert escalated.status_code == 200 and escalated.json()["unit"] == "quan-mau"
    assert ward.get(f"tipoffs/{code}").status_code == 404  # now the district's
    district = officers["tg.quan"].get(f"tipoffs/{code}").json()
    assert district["unit"] == "quan-mau" and district["reporter"]["contact"] == "Trần Thị Báo, 0909 555 123"
    assert district["escalate_to"] is None
    assert officers["tg.quan"].post(f"tipoffs/{code}/escalate").status_code == 409
    actions = [h["action"] for h in district["history"]]
    assert actions[:1] == ["Tiếp nhận tin báo"] and "Chuyển lên cấp trên" in actions
    assert "Cập nhật trạng thái" in actions and "Xem tin báo" in actions
    assert all(citizen not in str(h) and "0909 555 123" not in str(h) for h in district["history"])

    listing = say(assistant, citizen, "tin báo của tôi thế nào rồi")
    assert code in listing and "Công an quận Mẫu" in listing


@pytest.mark.parametrize("answers", [[], ["Có người lạ cạy khóa cửa nhà hàng xóm"],
                                     ["Có người lạ cạy khóa cửa nhà hàng xóm", "hẻm 3", "hôm qua"]])
def test_the_form_can_be_cancelled_at_any_question(assistant, answers):
    citizen = user()
    say(assistant, citizen, "tôi muốn báo tin ẩn danh")
    for answer in answers:
        say(assistant, citizen, answer)
    assert "Đã hủy" in say(assistant, citizen, "hủy")
    assert "chưa gửi tin báo nào" in say(assistant, citizen, "tin báo của tôi sao rồi")  # nothing was stored
    assert "Đăng ký thường trú" in say(assistant, citizen, "đăng ký thường trú cần giấy tờ gì")  # the bot is back


def test_the_crime_report_answer_offers_the_form_and_the_officer_never_reads_the_report_in_chats(
        assistant, officers):
    citizen = user()
    replies = assistant.say(citizen, "làm sao để tố giác tội phạm")
    buttons = [b["title"] for r in replies for b in r.get("buttons") or []]
    assert buttons[0] == "Gửi tin báo ngay"
    say(assistant, citizen, "/start_tipoff")
    for answer in ["Có người lừa đảo bán hàng online, tôi đã mất 5 triệu", "phường Tây Thạnh", "tuần trước",
                   "không có", "ẩn danh"]:
        say(assistant, citizen, answer)
    say(assistant, citizen, "cho tôi gặp cán bộ")
    chat = officers["tg.taythanh"].chat_for(citizen)
    detail = officers["tg.taythanh"].get(f"chats/{chat['id']}").json()
    citizen_said = [t["text"] for t in detail["transcript"] if t["from"] == "citizen"]
    assert citizen_said[0] == "làm sao để tố giác tội phạm" and citizen_said[-1] == "cho tôi gặp cán bộ"
    assert not any("lừa đảo bán hàng online" in text for text in citizen_said)
    assert citizen_said.count("(Nội dung tin báo tố giác được giữ kín: xem mục Tin báo)") == 5


def test_a_crime_told_in_everyday_words_starts_the_intake_and_stays_confidential(assistant, officers):
    citizen = user()
    report = "nhà tôi bị trộm mất xe máy Wave tối qua ở hẻm 12"
    assert "ở đâu" in say(assistant, citizen, report)  # what happened is already told
    for answer in ["hẻm 12 đường Lũy Bán Bích, phường Tây Thạnh", "tối qua khoảng 23 giờ", "không có", "ẩn danh"]:
        reply = say(assistant, citizen, answer)
    code = CODE.search(reply).group(0)
    detail = officers["tg.taythanh"].get(f"tipoffs/{code}").json()
    assert detail["what"] == report and detail.get("reporter") is None
    say(assistant, citizen, "cho tôi gặp cán bộ")
    chat = officers["tg.taythanh"].chat_for(citizen)
    transcript = officers["tg.taythanh"].get(f"chats/{chat['id']}").json()["transcript"]
    assert not any("xe máy Wave" in t["text"] for t in transcript)
