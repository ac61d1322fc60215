"""Questions about the police units: phone, address, hours, commander and the
area police officer of a residential group (sample data in data/units.yml)."""

from __future__ import annotations

import pytest

from bot.knowledge.units import answer


@pytest.mark.parametrize("question", [
    "số điện thoại công an phường Tây Thạnh", "cảnh sát khu vực tổ 6 là ai",
    "trụ sở công an phường ở đâu, mấy giờ làm việc", "so dien thoai cong an phuong son ky",
])
def test_directory_questions_reach_the_directory(parse, question):
    assert parse(question)["intent"]["name"] == "ask_directory"


def test_phone_of_a_named_ward():
    text, buttons = answer("sđt công an phường Sơn Kỳ", "phuong-tay-thanh")
    assert "Công an phường Sơn Kỳ" in text and "0283 000 0002" in text
    assert buttons == [{"title": "Gọi trực ban", "payload": "tel:0283 000 0002"}]


def test_area_officer_of_a_residential_group_and_an_unknown_group():
    text, _ = answer("cảnh sát khu vực tổ 6 là ai", "phuong-tay-thanh")
    assert "Cảnh sát khu vực tổ 6: Đại úy Phạm Thị Sáu" in text and "0900 000 106" in text
    text, _ = answer("cskv to 9 la ai", "phuong-tay-thanh")
    assert "Chưa có thông tin cảnh sát khu vực của tổ 9" in text and "0283 000 0001" in text


def test_address_and_hours_of_the_citizens_own_ward():
    text, _ = answer("trụ sở công an phường ở đâu, mấy giờ làm việc", "phuong-tay-thanh")
    assert "Trụ sở: 10 Đường Mẫu" in text and "Giờ làm việc: Thứ Hai" in text
    assert "Số điện thoại" not in text  # only what was asked


def test_directory_answer_on_zalo_with_a_call_button(zalo):
    user = "58000000000000001"
    zalo.send(zalo.oa_id, user, text="số điện thoại công an phường tây thạnh")
    message = zalo.wait_for_messages(user, 1)[0]["body"]["message"]
    assert "0283 000 0001" in message["text"]
    assert message["attachment"]["payload"]["buttons"][0]["type"] == "oa.open.phone"
    assert message["text"].startswith("Công an phường Tây Thạnh")
