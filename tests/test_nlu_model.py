"""Real Vietnamese messages reach the right intents through the trained model,
with and without diacritics."""

import pytest


@pytest.mark.parametrize(
    "message, intent",
    [
        ("xin chào", "greet"),
        ("xin chao", "greet"),
        ("chào anh chị ạ", "greet"),
        ("cảm ơn nhiều nhé", "thank"),
        ("cam on nhieu", "thank"),
        ("tạm biệt", "goodbye"),
        ("bạn là người hay máy vậy", "bot_challenge"),
        ("ban lam duoc nhung gi", "ask_capabilities"),
        ("thời tiết ngày mai thế nào", "out_of_scope"),
    ],
)
def test_messages_reach_the_right_intent(parse, message, intent):
    result = parse(message)
    assert result["intent"]["name"] == intent, result["intent_ranking"][:3]


@pytest.mark.parametrize("message", ["😀😀", "!!!", "   ", ""])
def test_messages_without_words_are_not_understood(parse, message):
    assert parse(message)["intent"]["name"] == "nlu_fallback"


@pytest.mark.parametrize("message", ["xyz qwrt", "asdf ghjk zxcv", "lorem ipsum dolor"])
def test_messages_with_no_known_word_are_not_understood(parse, message):
    assert parse(message)["intent"]["name"] == "nlu_fallback"


@pytest.mark.parametrize("message, move", [
    ("làm passport lần đầu", "immigration.passport"),
    ("lam ho chieu lan dau", "immigration.passport"),
    ("hộ chiếu", "ask back"),
    ("đổi bằng lái hết hạn", "driving_licence.renewal"),
    ("doi bang lai sang the pet", "driving_licence.renewal"),
    ("GPLX", "ask back"),
    ("mat gplx", "driving_licence.reissue"),
    ("bằng lái quốc tế", "driving_licence.international"),
    ("giấy xác nhận không tiền án tiền sự", "records.criminal_record"),
    ("giay xac nhan khong tien an tien su", "records.criminal_record"),
    ("lý lịch tư pháp đi xuất khẩu lao động", "records.criminal_record"),
    ("ly lich tu phap di xuat khau lao dong", "records.criminal_record"),
    ("bao mat ho chieu", "immigration.passport_loss_report"),
])
def test_everyday_words_for_the_new_procedures(parse, message, move):
    from bot.knowledge.answers import AnswerConfig
    from bot.knowledge.validate import load_checked
    from devtools.evaluation import first_move

    got = first_move(load_checked(), AnswerConfig.load(), parse(message))
    assert (got.kind == "ask_back" if move == "ask back" else got.procedure == move), str(got)
