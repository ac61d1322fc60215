"""Conversations through the real Rasa server and action server (REST channel):
procedure answers, follow-ups, ellipsis, clarification and out-of-scope. The
tracker slot `procedure` always holds the catalogue id answered about."""

from __future__ import annotations

import io
import itertools
import urllib.request

import docx
import pytest

from bot.knowledge.store import load

_ids = itertools.count()


@pytest.fixture
def chat(assistant):
    """A fresh citizen: chat(text) -> the bot's replies."""
    sender = f"citizen-{next(_ids)}"

    def _chat(text):
        replies = assistant.say(sender, text)
        assert replies, f"no reply to {text!r}"
        for reply in replies:
            assert len(reply.get("text", "")) <= 2000
        return replies

    _chat.slot = lambda name: assistant.tracker(sender)["slots"].get(name)
    return _chat


@pytest.fixture(scope="module")
def kb():
    return load(strict=True)


def text_of(replies) -> str:
    return "\n".join(r.get("text", "") for r in replies)


def payloads(replies):
    return [b["payload"] for r in replies for b in r.get("buttons", [])]


def test_procedure_question_gets_the_full_answer_with_follow_up_buttons(chat, kb):
    replies = chat("cho em hỏi thủ tục đăng ký tạm trú với ạ")
    answer = text_of(replies)
    procedure = kb.procedures["residence.temporary_registration"]
    assert procedure.name.upper() in answer
    assert procedure.documents[0]["item"] in answer
    assert "CT01" in answer and procedure.processing_time in answer
    assert "Luật Cư trú" in answer
    assert "/ask_fee" in payloads(replies) and len(replies[-1]["buttons"]) <= 5
    assert chat.slot("procedure") == "residence.temporary_registration"


def test_follow_ups_answer_for_the_current_procedure(chat, kb):
    procedure = kb.procedures["residence.temporary_registration"]
    chat("dang ky tam tru")
    assert "15.000 đồng" in text_of(chat("lệ phí bao nhiêu?"))
    assert procedure.processing_time in text_of(chat("mất bao lâu?"))
    assert procedure.where["office"] in text_of(chat("nộp ở đâu?"))
    assert procedure.documents[0]["item"] in text_of(chat("cần mang gì?"))
    assert chat.slot("procedure") == "residence.temporary_registration"


def test_form_request_links_and_attaches_a_real_file(chat, assistant):
    chat("thủ tục đăng ký thường trú")
    replies = chat("cho tôi mẫu tờ khai")
    assert "CT01" in text_of(replies)
    files = [r["custom"]["file"] for r in replies if r.get("custom", {}).get("file")]
    assert files and files[0]["name"] == "CT01.docx"
    url = files[0]["url"].replace("localhost", "127.0.0.1")
    assert url == f"http://127.0.0.1:{assistant.web_port}/forms/CT01.docx"
    with urllib.request.urlopen(url, timeout=30) as response:
        document = docx.Document(io.BytesIO(response.read()))
    assert "TỜ KHAI THAY ĐỔI THÔNG TIN CƯ TRÚ" in [p.text for p in document.paragraphs]


def test_ellipsis_switches_procedure_and_keeps_the_question(chat):
    assert "15.000 đồng" in text_of(chat("lệ phí đăng ký tạm trú bao nhiêu"))
    assert chat.slot("procedure") == "residence.temporary_registration"
    answer = text_of(chat("còn thường trú thì sao?"))
    assert "20.000 đồng" in answer and "Lệ phí" in answer
    assert chat.slot("procedure") == "residence.permanent_registration"


def test_ambiguous_question_is_answered_with_a_question_and_buttons(chat, kb):
    replies = chat("làm căn cước")
    assert "trường hợp nào" in text_of(replies)
    assert payloads(replies) == [f"/{o.procedure}" for o in kb.topics["id_card"].options]
    assert chat.slot("procedure") is None
    answer = text_of(chat("/id_card.reissue"))  # the citizen taps "Bị mất thẻ"
    assert kb.procedures["id_card.reissue"].name.upper() in answer
    assert chat.slot("procedure") == "id_card.reissue"


def test_typed_reply_to_the_clarifying_question_picks_the_procedure(chat):
    replies = chat("đăng ký xe")
    assert "/vehicle.ownership_transfer" in payloads(replies)
    chat("mua lại xe cũ của người quen")
    assert chat.slot("procedure") == "vehicle.ownership_transfer"


def test_follow_up_naming_a_topic_asks_the_case_then_answers_that_aspect(chat, kb):
    assert "trường hợp nào" in text_of(chat("làm cccd cần giấy tờ gì"))
    answer = text_of(chat("/id_card.renewal"))
    assert answer.startswith("Hồ sơ cần chuẩn bị")
    assert kb.procedures["id_card.renewal"].documents[0]["item"] in answer
    assert chat.slot("procedure") == "id_card.renewal"


def test_follow_up_before_any_procedure_asks_which_then_answers_it(chat):
    assert "thủ tục nào" in text_of(chat("lệ phí bao nhiêu"))
    answer = text_of(chat("đăng ký thường trú"))
    assert "20.000 đồng" in answer
    assert chat.slot("procedure") == "residence.permanent_registration"


@pytest.mark.parametrize(
    "message",
    ["đăng ký kết hôn cần những giấy tờ gì", "thoi tiet ngay mai the nao", "làm sổ đỏ ở đâu"],
)
def test_out_of_scope_is_told_honestly_with_no_procedure(chat, message):
    answer = text_of(chat(message))
    assert "không thuộc" in answer or "chưa hiểu" in answer
    assert "cán bộ" in answer and "cư trú" in answer
    assert chat.slot("procedure") is None
