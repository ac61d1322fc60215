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


@pytest.mark.parametrize("question", [
    "trang zalo của công an phường tây thạnh", "cho xin zalo công an quận nhé", "doi csgt co zalo khong",
    "link trang zalo cong an phuong son ky",
])
def test_questions_about_the_units_zalo_pages_reach_the_pages(parse, question):
    assert parse(question)["intent"]["name"] == "ask_unit_pages"


def test_without_other_official_accounts_the_units_are_listed_with_their_phones(zalo):
    """The development OA speaks for no unit of data/units.yml: no page to open, every unit by its phone
    (the buttons opening other OAs: tests/test_zalo_many_oas.py)."""
    user = "58000000000000002"
    zalo.send(zalo.oa_id, user, text="các trang zalo của công an quận")
    message = zalo.wait_for_messages(user, 1)[0]["body"]["message"]
    assert "attachment" not in message
    assert "Công an quận Mẫu (dữ liệu mẫu) chưa có trang Zalo; bạn gọi số trực ban 0283 000 0000." in message["text"]
    for line in ("- Công an phường Tây Thạnh (dữ liệu mẫu): 0283 000 0001",
                 "- Đội Cảnh sát giao thông (dữ liệu mẫu): 0283 000 0003"):
        assert line in message["text"]
