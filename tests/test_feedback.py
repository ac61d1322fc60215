"""Issue 17, part 2: the citizen's feedback under a procedure's first answer,
through the running assistant (REST channel): "Hữu ích" is thanked and
counted; "Chưa đúng" is counted, keeps the question for content staff, asks
what the citizen wanted (offering an officer) and keeps that too; none of it
is written into the content files."""

from __future__ import annotations

import hashlib
import uuid

from tests.conftest import ROOT, rest_id

FEEDBACK = [{"title": "Hữu ích", "payload": "/feedback_helpful"}, {"title": "Chưa đúng", "payload": "/feedback_wrong"}]


def content_digest() -> str:
    digest = hashlib.sha256()
    for path in sorted((ROOT / "data").rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def stores(assistant):
    from bot.core.db import engine
    from bot.review.feedback import FeedbackStore
    from bot.review.store import UnservedStore

    db = engine(assistant.database_url)
    return FeedbackStore(db), UnservedStore(db)


def test_a_first_answer_offers_feedback_within_zalos_five_buttons(assistant):
    replies = assistant.say(f"fb-{uuid.uuid4().hex[:8]}", "cho hỏi thủ tục đăng ký thường trú")
    buttons = replies[-1]["buttons"]
    assert len(buttons) == 5 and buttons[-2:] == FEEDBACK, buttons
    assert buttons[0] == {"title": "Hồ sơ", "payload": "/ask_documents"}


def test_helpful_is_thanked_and_counted_and_never_written_into_the_content(assistant):
    feedback, _ = stores(assistant)
    before, digest = feedback.counts(), content_digest()
    sender = f"fb-{uuid.uuid4().hex[:8]}"
    assistant.say(sender, "thủ tục đăng ký tạm trú")
    thanks = assistant.say(sender, "/feedback_helpful")
    assert thanks[0]["text"].startswith("Cảm ơn bạn đã phản hồi")
    assert feedback.counts() == {**before, "helpful": before["helpful"] + 1}
    assert content_digest() == digest


def test_wrong_keeps_the_question_asks_what_was_wanted_and_offers_an_officer(assistant):
    feedback, unserved = stores(assistant)
    before, digest = feedback.counts(), content_digest()
    sender = f"fb-{uuid.uuid4().hex[:8]}"
    question = "tôi là Nguyễn Văn Bình muốn nhập khẩu cho vợ thì cần gì, sđt 0912345678"
    assistant.say(sender, question)
    asked = assistant.say(sender, "/feedback_wrong")
    assert asked[0]["text"].startswith("Xin lỗi bạn. Bạn muốn hỏi điều gì?")
    assert asked[0]["buttons"] == [{"title": "Gặp cán bộ", "payload": "/request_human"}]
    wanted = "tôi muốn hỏi tách hộ khẩu ra riêng"
    answer = assistant.say(sender, wanted)
    assert answer and answer[0]["text"]  # the new question is answered as any other

    assert feedback.counts() == {**before, "wrong": before["wrong"] + 1}
    kept = [r for r in unserved.rows() if r["conversation_id"] == rest_id(sender) and r["kind"] == "marked_wrong"]
    assert [(r["kind"], r["text"]) for r in kept] == [
        ("marked_wrong", "tôi là [tên] muốn nhập khẩu cho vợ thì cần gì, sđt [số điện thoại]"),
        ("marked_wrong", wanted)]
    assert kept[0]["guess"] == kept[1]["guess"] == "residence.permanent_registration"
    assert content_digest() == digest  # reviewed first: nothing reaches data/ on its own
