"""The Vietnamese tokenizer: verbatim tokens with exact offsets, words as units,
normalised lemmas (no diacritics, abbreviations expanded)."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from bot.nlu.tokenizer import Normaliser, VietnameseTokenizer, read_lexicon

ROOT = Path(__file__).resolve().parent.parent

TRAINING_TEXTS = [
    "tôi muốn đăng ký tạm trú",
    "làm căn cước mất bao lâu",
    "đăng ký thường trú cần giấy tờ gì",
    "phòng cháy chữa cháy cho quán karaoke",
]


def make_tokenizer(normalize: bool = True) -> VietnameseTokenizer:
    config = {**VietnameseTokenizer.get_default_config(), "normalize": normalize}
    normaliser = Normaliser.build(read_lexicon(ROOT / "data" / "lexicon.yml"), TRAINING_TEXTS)
    return VietnameseTokenizer(config, None, None, normaliser)


@pytest.fixture(scope="module")
def tokenizer() -> VietnameseTokenizer:
    return make_tokenizer()


def texts(tokenizer, message):
    return [t.text for t in tokenizer.tokens(message)]


def lemmas(tokenizer, message):
    return [t.lemma for t in tokenizer.tokens(message)]


HARD_INPUTS = [
    "Tôi muốn đăng ký tạm trú, được không???",
    "Xin chào 😀!! số 0912.345.678, hoà hòa",
    "ĐĂNG KÝ TẠM TRÚ ở đâu vậy ạ",
    "dang ky tam tru o dau",
    "đk tt cần j ko",
    "   khoảng   trắng \n\n nhiều    dòng\t\t tab  ",
    "100k lệ phí; 15.000đ? 7.000 đồng!",
    "email: congan@phuong.gov.vn, web https://dichvucong.gov.vn/p/home",
    "😀😀😀",
    "!!!",
    "(cccd) [vneid] {pccc}",
    unicodedata.normalize("NFD", "Đăng ký hoà bình thuý"),  # decomposed, as some keyboards send
    "hoà hòa HOÀ Hoà thuý thúy",
    "a" * 50 + " đăng ký " + "b" * 50,
    ("Tôi muốn hỏi thủ tục đăng ký tạm trú cho người thuê trọ. " * 40)[:2000],
]


@pytest.mark.parametrize("message", HARD_INPUTS)
def test_tokens_are_verbatim_substrings_in_order(tokenizer, message):
    tokens = tokenizer.tokens(message)
    assert tokens, "a non-empty message must yield at least one token"
    previous_end = 0
    for token in tokens:
        assert message[token.start : token.end] == token.text
        assert token.start >= previous_end, "tokens overlap or go backwards"
        assert token.text == token.text.strip(), "tokens never carry surrounding whitespace"
        previous_end = token.end


def test_two_thousand_character_message(tokenizer):
    message = ("Cho em hỏi đăng ký tạm trú cần giấy tờ gì ạ. " * 50)[:2000]
    tokens = tokenizer.tokens(message)
    assert len(message) == 2000
    assert sum(t.text == "đăng ký" for t in tokens) >= 40
    assert all(message[t.start : t.end] == t.text for t in tokens)


@pytest.mark.parametrize("message", ["", " ", "   \n\t "])
def test_empty_and_whitespace_only_give_one_featureless_token(tokenizer, message):
    # Rasa's classifiers need a token to build (empty) features from
    tokens = tokenizer.tokens(message)
    assert len(tokens) == 1
    assert tokens[0].text == message and not tokens[0].lemma.strip()


def test_punctuation_and_emoji_are_not_tokens(tokenizer):
    assert texts(tokenizer, "Xin chào 😀!! số 0912.345.678, hoà hòa") == [
        "Xin", "chào", "số", "0912.345.678", "hoà", "hòa",
    ]


def test_only_emoji_is_kept_as_one_token(tokenizer):
    assert texts(tokenizer, " 😀😀 ") == ["😀😀"]


def test_multi_syllable_words_are_single_tokens(tokenizer):
    assert texts(tokenizer, "Tôi muốn đăng ký tạm trú") == ["Tôi", "muốn", "đăng ký", "tạm trú"]
    assert "căn cước" in texts(tokenizer, "làm căn cước mất bao lâu")
    assert "phòng cháy" in texts(tokenizer, "quy định phòng cháy chữa cháy") or "chữa cháy" in texts(
        tokenizer, "quy định phòng cháy chữa cháy"
    )


def test_words_typed_without_diacritics_stay_units_and_match(tokenizer):
    assert texts(tokenizer, "dang ky tam tru o dau") == ["dang ky", "tam tru", "o", "dau"]
    assert lemmas(tokenizer, "dang ky tam tru") == lemmas(tokenizer, "đăng ký tạm trú") == [
        "dang_ky",
        "tam_tru",
    ]


def test_a_word_split_by_a_line_break_keeps_its_exact_span(tokenizer):
    message = "xin\nđăng\nký"
    tokens = tokenizer.tokens(message)
    assert [(t.text, t.start, t.end) for t in tokens][-1] == ("đăng\nký", 4, 11)


def test_case_and_tone_mark_placement_do_not_change_lemmas(tokenizer):
    variants = ["hoà bình", "hòa bình", "HOÀ BÌNH", unicodedata.normalize("NFD", "hoà bình")]
    assert len({tuple(lemmas(tokenizer, v)) for v in variants}) == 1
    assert lemmas(tokenizer, "thuý") == lemmas(tokenizer, "thúy") == ["thuy"]


def test_decomposed_input_keeps_original_offsets(tokenizer):
    message = unicodedata.normalize("NFD", "Đăng ký tạm trú")
    tokens = tokenizer.tokens(message)
    assert [message[t.start : t.end] for t in tokens] == [t.text for t in tokens]
    assert [t.lemma for t in tokens] == ["dang_ky", "tam_tru"]
    assert tokens[-1].end == len(message)


def test_abbreviations_expand_in_lemmas(tokenizer):
    assert lemmas(tokenizer, "đk") == lemmas(tokenizer, "dk") == lemmas(tokenizer, "ĐK") == ["dang_ky"]
    assert lemmas(tokenizer, "cần j ko") == ["can", "gi", "khong"]
    assert lemmas(tokenizer, "cccd") == ["can_cuoc cong_dan"]
    assert lemmas(tokenizer, "đc") == ["duoc"]
    # an abbreviation with several meanings offers all of them to the model
    assert lemmas(tokenizer, "tt") == ["tam_tru thuong_tru thu_tuc"]
    # the token text itself is never rewritten
    assert texts(tokenizer, "đk tt cần j ko") == ["đk", "tt", "cần", "j", "ko"]


def test_words_typed_run_together_give_the_lemmas_of_their_words(tokenizer):
    # the token stays what was typed; the lemmas are those of the words typed apart
    assert texts(tokenizer, "dangky tamtru o dau") == ["dangky", "tamtru", "o", "dau"]
    assert lemmas(tokenizer, "dangky tamtru") == ["dang_ky", "tam_tru"]
    assert lemmas(tokenizer, "dangkytamtru") == [" ".join(lemmas(tokenizer, "đăng ký tạm trú"))]
    # words of another language, names and long Vietnamese syllables are left as typed
    assert lemmas(tokenizer, "online facebook nguoi truong") == ["online", "facebook", "nguoi", "truong"]


def test_real_words_are_not_mistaken_for_abbreviations(tokenizer):
    # "cá"/"cả" must not fold onto an abbreviation key
    assert lemmas(tokenizer, "cả nhà") == ["ca", "nha"]


def test_without_normalisation_lemmas_are_plain_lower_case_text():
    plain = make_tokenizer(normalize=False)
    assert lemmas(plain, "Đăng ký tạm trú") == ["đăng ký", "tạm trú"]
    assert lemmas(plain, "dang ky") != lemmas(plain, "đăng ký")


def test_lexicon_and_code_changes_change_the_fingerprint(tmp_path):
    lexicon = tmp_path / "lexicon.yml"
    lexicon.write_text("abbreviations:\n  đk: đăng ký\n", encoding="utf-8")
    config = {**VietnameseTokenizer.get_default_config(), "lexicon": str(lexicon)}
    before = VietnameseTokenizer.fingerprint_addon(config)
    lexicon.write_text("abbreviations:\n  đk: đăng ký\n  ko: không\n", encoding="utf-8")
    assert VietnameseTokenizer.fingerprint_addon(config) != before


def test_a_words_remembered_fingerprint_is_rasas_and_follows_changes(tokenizer):
    from rasa.nlu.tokenizers.tokenizer import Token

    word = tokenizer.tokens("đăng ký tạm trú")[1]
    assert word.fingerprint() == Token(word.text, word.start, word.end, lemma=word.lemma).fingerprint()
    before = word.fingerprint()
    word.lemma = "thuong_tru"
    assert word.fingerprint() != before
    assert word.fingerprint() == Token(word.text, word.start, word.end, lemma="thuong_tru").fingerprint()
    word.set("pattern", {"x": 1})
    assert word.fingerprint() == Token(word.text, word.start, word.end, data={"pattern": {"x": 1}},
                                       lemma="thuong_tru").fingerprint()
