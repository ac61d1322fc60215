"""Answer texts fit Zalo's limits; resolution of procedure and aspect."""

from __future__ import annotations

import pytest

from bot.knowledge.answers import AnswerConfig, render_aspect, render_overview, resolve
from bot.knowledge.store import load
from bot.messages import split_text


@pytest.fixture(scope="module")
def kb():
    return load(strict=True)


@pytest.fixture(scope="module")
def config():
    return AnswerConfig.load()


def test_split_text_keeps_every_word_and_respects_the_limit():
    text = ("Câu thứ nhất khá dài. " * 120) + "\n\n" + "x" * 4500 + "\nCuối."
    pieces = split_text(text)
    assert all(0 < len(p) <= 2000 for p in pieces)
    assert "".join(pieces).split() != [] and "".join("".join(pieces).split()) == "".join(text.split())
    assert pieces[0].endswith(".")  # cut at a sentence boundary, not mid-word
    assert split_text("") == [] and split_text("ngắn") == ["ngắn"]


def test_every_answer_fits_in_zalo_messages_with_at_most_five_buttons(kb, config):
    for procedure in kb.procedures.values():
        replies = render_overview(kb, config, procedure)
        for aspect in config.aspects:
            replies += render_aspect(kb, config, procedure, aspect)
        for reply in replies:
            assert 0 < len(reply.text) <= 2000, procedure.id
            assert len(reply.buttons) <= 5


def rank(*names):
    return [{"name": n, "confidence": c} for n, c in zip(names, [0.6, 0.2, 0.1, 0.05, 0.05])]


def test_a_follow_up_that_names_a_procedure_answers_for_that_one(kb, config):
    decision = resolve(kb, config, "ask_fee", rank("ask_fee"), "lệ phí gia hạn tạm trú bao nhiêu",
                       {"procedure": "id_card.renewal"})
    assert (decision.procedure, decision.aspect) == ("residence.temporary_extension", "fee")


def test_aspect_words_inside_a_procedure_name_are_not_an_aspect(kb, config):
    # "mẫu" in "đăng ký mẫu con dấu" does not ask for the forms
    decision = resolve(kb, config, "security.seal_registration", rank("security.seal_registration"),
                       "thủ tục đăng ký mẫu con dấu", {})
    assert (decision.procedure, decision.aspect) == ("security.seal_registration", None)


def test_phrases_typed_with_diacritics_match_only_with_them(kb, config):
    # "màu" (colour) is not "mẫu" (form)
    decision = resolve(kb, config, "vehicle.certificate_reissue", rank("vehicle.certificate_reissue"),
                       "đổi màu sơn xe thì đổi giấy đăng ký thế nào", {})
    assert decision.aspect is None


def test_open_clarifying_question_restricts_the_choice(kb, config):
    slots = {"clarifying": "id_card"}
    decision = resolve(kb, config, "vehicle.certificate_reissue",
                       [{"name": "vehicle.certificate_reissue", "confidence": 0.3},
                        {"name": "id_card.reissue", "confidence": 0.25}], "bị mất", slots)
    assert decision.procedure == "id_card.reissue"
    # a confident new question is taken as one
    decision = resolve(kb, config, "residence.temporary_registration",
                       rank("residence.temporary_registration"), "đăng ký tạm trú", slots)
    assert decision.procedure == "residence.temporary_registration"


def test_a_follow_up_about_something_else_is_out_of_scope_even_mid_conversation(kb, config):
    ranking = [{"name": "ask_documents", "confidence": 0.44}, {"name": "out_of_scope", "confidence": 0.42}]
    decision = resolve(kb, config, "ask_documents", ranking, "đăng ký kết hôn cần những giấy tờ gì",
                       {"procedure": "residence.temporary_registration"})
    assert decision.out_of_scope and decision.procedure is None
    confident = [{"name": "ask_documents", "confidence": 0.95}, {"name": "out_of_scope", "confidence": 0.01}]
    decision = resolve(kb, config, "ask_documents", confident, "cần mang gì",
                       {"procedure": "residence.temporary_registration"})
    assert (decision.procedure, decision.aspect) == ("residence.temporary_registration", "documents")
