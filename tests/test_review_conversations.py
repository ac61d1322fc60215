"""Issue 17, through the running assistant (REST channel, the session's
model): what it did not serve is kept in the project database, masked, with
its conversation and unit."""

from __future__ import annotations

import uuid

from bot.core.db import engine
from bot.review.store import UnservedStore
from tests.conftest import rest_id, wait_for


def kept(assistant, conversation):
    return [(r["kind"], r["text"], r["unit"]) for r in UnservedStore(engine(assistant.database_url)).rows()
            if r["conversation_id"] == conversation]


def test_what_was_not_served_is_kept_masked_for_content_staff(assistant):
    sender = f"review-{uuid.uuid4().hex[:8]}"
    conversation = rest_id(sender)
    assistant.say(sender, "em là Trần Thị Bích, số 0912345678, xyz qwrt asdf ghjk")
    rows = wait_for(lambda: kept(assistant, conversation), timeout=30)
    assert len(rows) == 1 and rows[0][0] in ("not_understood", "out_of_scope")  # not served, either way
    assert rows[0][1:] == ("em là [tên], số [số điện thoại], xyz qwrt asdf ghjk", "phuong-tay-thanh")

    assistant.say(sender, "làm giấy khai sinh cho con ở đâu")
    assistant.say(sender, "đăng ký tạm trú cần giấy tờ gì")
    assistant.say(sender, "sai rồi")
    rows = kept(assistant, conversation)
    assert ("out_of_scope", "làm giấy khai sinh cho con ở đâu", "phuong-tay-thanh") in rows
    assert ("complaint", "đăng ký tạm trú cần giấy tờ gì", "phuong-tay-thanh") in rows
    assert not [r for r in rows if r[1] == "sai rồi"]
