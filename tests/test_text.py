"""Normalisation primitives: NFC with an offset map, tone placement, folding."""

import unicodedata

import pytest

from bot.nlu.text import canonical, compose, find_phrase, fold, is_wordlike, place_tone


@pytest.mark.parametrize(
    "typed, standard",
    [
        ("hoà", "hòa"),
        ("thuý", "thúy"),
        ("khoẻ", "khỏe"),
        ("HOÀ", "HÒA"),
        ("hoàn", "hoàn"),  # final consonant: tone stays on the last vowel
        ("quá", "quá"),  # "qu" is an onset
        ("giữa", "giữa"),  # "gi" onset, ư carries the tone
        ("người", "người"),  # ươ: on ơ
        ("khuỷu", "khuỷu"),  # three vowels: the middle one
        ("nghiã", "nghĩa"),
        ("email", "email"),  # not Vietnamese: unchanged
    ],
)
def test_place_tone(typed, standard):
    assert place_tone(typed) == standard


def test_compose_maps_every_character_back_to_the_original():
    original = unicodedata.normalize("NFD", "Đăng ký hoà")
    composed, spans = compose(original)
    assert composed == "Đăng ký hòa"
    assert len(spans) == len(composed)
    for i, ch in enumerate(composed):
        start, end = spans[i]
        assert fold(unicodedata.normalize("NFC", original[start:end])) == fold(ch)
    # typed composed, as most messages come: each character its own, the tone still put in place
    assert compose("Đăng ký hoà") == ("Đăng ký hòa", [(i, i + 1) for i in range(11)])


def test_fold_removes_diacritics_and_case_and_keeps_length():
    assert fold("Đăng Ký Tạm Trú") == "dang ky tam tru"
    assert fold("ƯỚC") == "uoc"
    text = "Xin chào 😀 0912"
    assert len(fold(text)) == len(text)


def test_canonical():
    assert canonical("  HOÀ   Bình ") == "hòa bình"


def test_is_wordlike():
    assert is_wordlike("a") and is_wordlike("15.000đ") and is_wordlike("ạ")
    assert not is_wordlike("😀!?") and not is_wordlike("   ")


def test_a_phrase_typed_with_a_wrong_mark_on_some_words_is_found():
    assert find_phrase("thủ tục đăng ký xe lần đàu", ["lần đầu"]) is not None
    assert find_phrase("làm lại bằng lái bị thât lạc", ["thất lạc"]) is not None
    assert find_phrase("bằng lái bị mât", ["mất"]) is None  # a phrase of one word: its marks decide
    # no word typed as in the phrase: another phrase with the same letters
    assert find_phrase("nhờ anh giữ bí mật giúp em", ["bị mất"]) is None


def test_a_word_with_another_mark_is_another_word_not_a_slip():
    assert find_phrase("đăng kiểm là mấy tháng một lần", ["mấy thằng"]) is None
    assert find_phrase("có mấy thằng lạ mặt đứng trước nhà", ["mấy thằng"]) is not None
    assert find_phrase("thủ tục đang ký xe", ["đăng ký"]) is not None  # a mark left out
    assert find_phrase("đăng ký biễn tạm cho ô tô", ["biển tạm"]) is not None  # hỏi and ngã swapped


def test_a_wrong_tone_on_one_word_of_a_phrase_is_a_slip():
    from bot.nlu.text import find_phrases
    assert find_phrases("làm hộ chiều cho con", ["hộ chiếu"]) == [(4, 12, "hộ chiếu")]
    # two words changed, or a vowel of another quality, is another phrase
    assert find_phrases("sơ đồ thoát nạn", ["sổ đỏ"]) == []
    assert find_phrases("mấy thằng", ["mấy tháng"]) == []


def test_a_word_of_its_own_one_tone_away_is_no_slip():
    # "con dâu" (daughter-in-law) is a word of its own, not "con dấu" (a seal) typed with a wrong tone
    assert find_phrase("con trai con dâu tui đi làm ăn xa", ["con dấu"]) is None
    assert find_phrase("Nhập khẩu cho con dâu về nhà chồng", ["con dấu"]) is None
    assert find_phrase("làm con dấu cho công ty", ["con dấu"]) is not None


def test_phrases_indexed_by_their_first_word_are_found_as_a_plain_list_finds_them():
    from bot.knowledge.referrals import Referrals
    from bot.nlu.text import Phrases, find_phrases

    phrases = ["?", "bao lâu", "đăng ký tạm trú", "tạm trú", "hộ chiếu", "c08", "cmnd/cccd", "(gấp)", "đổi gplx",
               "đăng kiểm", "thuê ở"]
    texts = ["Đăng kí tạm trú bao lâu?", "dang ky tam tru bao lau", "làm hộ chiều cho con (gấp)", "xin c08 ở đâu",
             "mất CMND/CCCD thì sao", "đổi GPLX ở đâu?", "thuế ở đâu", "cho thue o", "", "???", "Đăng  kiểm xe"]
    indexed = Phrases(phrases)
    for text in texts:
        for exact in (False, True):
            assert find_phrases(text, indexed, exact) == find_phrases(text, phrases, exact), text
    # a knowledge base's long lists: every matter's phrases, on messages that name them
    for referral in Referrals.load().referrals:
        for text in [*referral.examples, *referral.phrases[:40]]:
            assert find_phrases(text, referral.phrases) == find_phrases(text, list(referral.phrases)), text
