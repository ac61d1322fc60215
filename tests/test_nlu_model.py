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
