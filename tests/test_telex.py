"""Messages typed in Telex with the Vietnamese keyboard off are read as meant
(bot/nlu/telex.py), on every channel; other messages are left alone."""

import pytest

from bot.nlu.telex import untelex
from bot.safety.sos import is_emergency


@pytest.mark.parametrize("typed, meant", [
    ("ddawng kys tamj trus owr ddaau", "đăng ký tạm trú ở đâu"),
    ("laf sao ddeer xin giaays xacs nhaanj cuw trus", "là sao để xin giấy xác nhận cư trú"),
    ("ddawng kys tamj truss", "đăng ký tạm truss"),  # a word that decodes to no syllable stays as typed
    ("CUWUS TOOI", "CỨU TÔI"),
    ("Gia hanj tamj trus", "Gia hạn tạm trú"),
])
def test_telex_keystrokes_are_decoded(typed, meant):
    assert untelex(typed) == meant


@pytest.mark.parametrize("text", [
    "làm căn cước ở đâu",        # typed with diacritics: the keyboard was on
    "lam can cuoc o dau",        # without diacritics: Vietnamese as typed
    "SOS", "sos sos",            # the emergency word, not "số"
    "hix mat cccd roi",          # one stray word ending in x
    "dep wa",                    # teencode "w" for "qu"
    "noi xoong bi mat",          # a real word spelt with "oo"
    "ok thanks ad", "help",
])
def test_other_messages_are_left_alone(text):
    assert untelex(text) == text


def test_a_cry_for_help_typed_in_telex_is_an_emergency():
    assert is_emergency("cuwus toi voi")
    assert is_emergency("cos nguowif ddang ddaam nhau")
    assert not is_emergency("thur tucj ddawng kys xe")


@pytest.mark.parametrize("typed, procedure", [
    ("maats cawn cuowcs thif lamf laij owr ddaau", "id_card.reissue"),
    ("gia hanj tamj trus cos phair leen phuwowngf khoong", "residence.temporary_extension"),
    ("xoas ddawng kys thuowngf trus cho nguowif ddax maats", "residence.deregistration"),
])
def test_a_question_typed_in_telex_is_answered(parse, typed, procedure):
    from bot.knowledge.answers import AnswerConfig
    from bot.knowledge.validate import load_checked
    from devtools.evaluation import first_move

    parsed = parse(typed)
    assert parsed["text"] != typed  # what the answers read is the decoded text
    assert first_move(load_checked(), AnswerConfig.load(), parsed).procedure == procedure


@pytest.mark.parametrize("typed, meant", [
    # one word with a mark key left in, the rest typed plainly: read, and the message stays without diacritics
    ("cho em hoi dang ky thuowng tru cho con can nhung giay to gi", "cho em hoi dang ky thuong tru cho con can nhung giay to gi"),
    # a tone key left at the end of a word typed with the keyboard on, next to the word it completes
    ("gia hạn tạm trus cần những gì", "gia hạn tạm trú cần những gì"),
])
def test_a_stray_telex_key_in_one_word_is_read(typed, meant):
    assert untelex(typed) == meant


@pytest.mark.parametrize("text", [
    "bình gas mini để trong quán có cần giấy phép không",  # "gas" makes no word with "bình" once read as "gá"
    "quán bar cần giấy antt gì",                          # "r" ends words of other languages
    "How long does the temporary residence card take",   # English "how" is no "hơ"
    "New Zealand yêu cầu lý lịch tư pháp",                 # a name in capitals
])
def test_words_of_other_languages_are_no_stray_keys(text):
    assert untelex(text) == text
