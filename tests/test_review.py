"""Issue 17: what the assistant did not serve is kept (masked) for content
staff, grouped, and given to a procedure or another agency as a new example
(written into a copy of data/, comments kept, checked, audited), from the
console page "Câu hỏi cần xử lý" (editors and commanders only) or the
command ``python -m bot.review``. No model: the actions run on trackers
made here; the console is the web server on its own."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot.review import capture
from bot.review.grouping import group_key, groups
from bot.review.masking import mask

ROOT = Path(__file__).resolve().parent.parent


# ---- masking --------------------------------------------------------------------------------------

@pytest.mark.parametrize("message, masked", [
    ("Tôi là Nguyễn Văn An, sđt 0912 345 678, muốn hỏi làm căn cước",
     "Tôi là [tên], sđt [số điện thoại], muốn hỏi làm căn cước"),
    ("toi la nguyen van an sdt 0912345678 can hoi lam cccd",
     "toi la [tên] sdt [số điện thoại] can hoi lam cccd"),
    ("em là sinh viên năm nhất, số cccd 079203001234 bị mất", "em là sinh viên năm nhất, số cccd [số định danh] bị mất"),
    ("cccd 079 203 001 234 het han", "cccd [số định danh] het han"),
    ("CMND 123456789 bị mất rồi", "CMND [số định danh] bị mất rồi"),
    ("xe biển 51F-123.45 bị phạt nguội à", "xe biển [biển số] bị phạt nguội à"),
    ("xe 29A1-12345 mất giấy đăng ký", "xe [biển số] mất giấy đăng ký"),
    ("bien so 59-X3 123.45 sang ten", "bien so [biển số] sang ten"),
    ("sinh năm 1990, gọi 0987.654.321 giúp em", "sinh năm 1990, gọi [số điện thoại] giúp em"),
    ("sinh năm 1990 0912 345 678 gọi lại", "sinh năm 1990 [số điện thoại] gọi lại"),
    ("+84 912 345 678 là số của tôi", "[số điện thoại] là số của tôi"),
    ("tên tôi là lan, ở tổ 6", "tên tôi là [tên], ở tổ 6"),
    ("Tên em là Trần Thị Bích Ngọc ạ", "Tên em là [tên] ạ"),
    ("em la Lan muon hoi tam tru", "em la [tên] muon hoi tam tru"),
])
def test_personal_data_is_masked(message, masked):
    assert mask(message) == masked


@pytest.mark.parametrize("message", [
    "Tôi là chủ nhà trọ có 12 phòng cho công nhân thuê",
    "tôi là hộ kinh doanh cá thể",
    "lệ phí 50.000 đồng, 30 ngày, mất 100.000.000 đồng",
    "đăng ký tạm trú cần giấy tờ gì năm 2024",
    "em là sinh viên",
])
def test_what_is_not_personal_data_stays(message):
    assert mask(message) == message


# ---- grouping -------------------------------------------------------------------------------------

def test_messages_with_the_same_words_are_one_group():
    assert group_key("Làm căn cước ở đâu?") == group_key("lam  can cuoc o dau") == "lam can cuoc o dau"
    assert group_key("gọi [số điện thoại]") == "goi [so dien thoai]"
    rows = [
        {"id": 1, "group_key": group_key("Làm căn cước ở đâu?"), "text": "Làm căn cước ở đâu?", "unit": "a",
         "kind": "not_understood", "created_at": 10.0, "guess": "id_card.first_issue", "agency": None},
        {"id": 2, "group_key": group_key("lam can cuoc o dau"), "text": "lam can cuoc o dau", "unit": "b",
         "kind": "low_confidence", "created_at": 30.0, "guess": "id_card.first_issue", "agency": None},
        {"id": 3, "group_key": group_key("thời tiết"), "text": "thời tiết", "unit": "a", "kind": "out_of_scope",
         "created_at": 20.0, "guess": None, "agency": None},
    ]
    first, second = groups(rows, samples=5)
    assert first["text"] == "Làm căn cước ở đâu?"  # with diacritics, as often written
    assert first["ids"] == [1, 2] and first["count"] == 2 and first["units"] == ["a", "b"]
    assert (first["first_seen"], first["last_seen"]) == (10.0, 30.0)
    assert first["kinds"] == ["low_confidence", "not_understood"] and first["guess"] == "id_card.first_issue"
    assert [s["id"] for s in first["samples"]] == [2, 1]  # newest first
    assert second["ids"] == [3]


# ---- capture, through the actions -----------------------------------------------------------------

@pytest.fixture
def database(tmp_path, monkeypatch):
    from bot.core.db import engine
    from bot.review.store import UnservedStore

    url = f"sqlite:///{tmp_path / 'project.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setattr(capture, "_store", UnservedStore(engine(url)))  # db.engine() keeps its first default
    return engine(url)


def user(text, intent, confidence=0.9, ranking=None):
    ranking = ranking or [{"name": intent, "confidence": confidence}]
    return {"event": "user", "text": text, "parse_data": {"text": text, "intent": {"name": intent, "confidence": confidence},
                                                          "intent_ranking": ranking}}


def run_action(action, events, slots=None):
    """Run a custom action on a tracker with these events (the last user
    event is the latest message); what it sent."""
    from rasa_sdk import Tracker
    from rasa_sdk.executor import CollectingDispatcher

    latest = next(e for e in reversed(events) if e["event"] == "user")
    tracker = Tracker("citizen-1", {"procedure": None, "aspect": None, "clarifying": None, **(slots or {})},
                      {**latest["parse_data"], "metadata": {}}, events, False, None, None, "action_listen")
    dispatcher = CollectingDispatcher()
    asyncio.run(action.run(dispatcher, tracker, {}))
    return dispatcher.messages


def kept(database):
    from bot.review.store import UnservedStore

    return [(r["kind"], r["text"]) for r in UnservedStore(database).rows()]


def test_a_message_not_understood_is_kept_masked(database):
    from actions.procedures import ActionNotUnderstood

    text = "tôi là Nguyễn Văn An sđt 0912345678 xyz qwe"
    run_action(ActionNotUnderstood(), [user(text, "nlu_fallback", 0.2, [
        {"name": "nlu_fallback", "confidence": 0.2}, {"name": "residence.temporary_registration", "confidence": 0.05}])])
    assert kept(database) == [("not_understood", "tôi là [tên] sđt [số điện thoại] xyz qwe")]
    from bot.review.store import UnservedStore

    row = UnservedStore(database).rows()[0]
    assert row["conversation_id"] == "citizen-1" and row["unit"] == "phuong-tay-thanh"
    assert row["guess"] == "residence.temporary_registration" and row["confidence"] == pytest.approx(0.05)


def test_another_agencys_matter_is_kept_with_the_agency(database):
    from actions.procedures import ActionNotUnderstood

    messages = run_action(ActionNotUnderstood(), [user("làm giấy khai sinh cho con ở đâu", "out_of_scope", 0.9)])
    assert "Ủy ban nhân dân" in messages[0]["text"]
    from bot.review.store import UnservedStore

    (row,) = UnservedStore(database).rows()
    assert (row["kind"], row["agency"]) == ("out_of_scope", "civil_status")


def test_an_answer_given_with_low_confidence_is_kept_and_a_sure_one_is_not(database):
    from actions.procedures import ActionAnswerProcedure

    # the classifier is unsure (0.3), the alias "tạm trú" lifts it to an answer
    unsure = [{"name": "residence.temporary_registration", "confidence": 0.3},
              {"name": "vehicle.temporary_registration", "confidence": 0.1}]
    messages = run_action(ActionAnswerProcedure(), [user("tạm trú thì sao", "residence.temporary_registration", 0.3,
                                                         unsure)])
    assert messages[0]["text"].startswith("Đăng ký tạm trú\n")
    assert kept(database) == [("low_confidence", "tạm trú thì sao")]
    run_action(ActionAnswerProcedure(), [user("đăng ký tạm trú cần giấy tờ gì", "residence.temporary_registration",
                                              0.95)])
    assert len(kept(database)) == 1


def test_a_question_back_followed_by_something_else_keeps_the_question(database):
    from actions.procedures import ActionAnswerProcedure, ActionNotUnderstood

    asked = [user("làm căn cước", "topic.id_card", 0.9),
             {"event": "bot", "text": "Bạn cần làm thủ tục căn cước trong trường hợp nào?",
              "data": {"buttons": [{"title": "Lần đầu", "payload": "/id_card.first_issue"},
                                   {"title": "Bị mất", "payload": "/id_card.reissue"}]}},
             {"event": "slot", "name": "clarifying", "value": "id_card"}]
    run_action(ActionAnswerProcedure(), asked + [user("/id_card.reissue", "id_card.reissue", 1.0)],
               {"clarifying": "id_card"})
    assert kept(database) == []  # a choice
    run_action(ActionNotUnderstood(), asked + [user("thời tiết hôm nay thế nào", "out_of_scope", 0.95)],
               {"clarifying": "id_card"})
    assert sorted(kept(database)) == [("clarification_ignored", "làm căn cước"),
                                      ("out_of_scope", "thời tiết hôm nay thế nào")]


ANSWERED = [user("đăng ký tạm trú cần giấy tờ gì", "residence.temporary_registration", 0.95),
            {"event": "bot", "text": "ĐĂNG KÝ TẠM TRÚ ..."},
            {"event": "slot", "name": "procedure", "value": "residence.temporary_registration"}]


def test_a_complaint_after_an_answer_keeps_the_question_not_the_complaint(database):
    from actions.procedures import ActionNotUnderstood

    run_action(ActionNotUnderstood(), ANSWERED + [user("sai rồi", "nlu_fallback", 0.2)])
    from bot.review.store import UnservedStore

    (row,) = UnservedStore(database).rows()
    assert (row["kind"], row["text"], row["guess"]) == ("complaint", "đăng ký tạm trú cần giấy tờ gì",
                                                         "residence.temporary_registration")
    # three turns later it is about something else: nothing more is kept (a complaint is no question)
    later = ANSWERED + [user("cảm ơn", "thank"), user("chào", "greet"), user("khong phai", "nlu_fallback", 0.2)]
    run_action(ActionNotUnderstood(), later)
    assert kept(database) == [("complaint", "đăng ký tạm trú cần giấy tờ gì")]
    # a longer message with the words is a new question, not a complaint
    run_action(ActionNotUnderstood(), ANSWERED + [user("không phải chủ nhà thì đăng ký tạm trú được không",
                                                       "nlu_fallback", 0.2)])
    assert [k for k, _ in kept(database)].count("complaint") == 1


def test_a_request_for_an_officer_after_an_answer_keeps_the_question(database):
    from actions.handoff import ActionRequestHandoff

    run_action(ActionRequestHandoff(), ANSWERED + [user("thôi cho tôi gặp cán bộ", "request_human", 0.9)])
    assert kept(database) == [("officer_after_answer", "đăng ký tạm trú cần giấy tờ gì")]


def test_keeping_never_fails_the_answer(database, monkeypatch, caplog):
    from actions.procedures import ActionNotUnderstood

    class Broken:
        def add(self, *args, **kwargs):
            raise RuntimeError("database down")

    monkeypatch.setattr(capture, "_store", Broken())
    messages = run_action(ActionNotUnderstood(), [user("xyz qwe", "nlu_fallback", 0.2)])
    assert "chưa hiểu" in messages[0]["text"]
    assert "could not keep an unserved message" in caplog.text


def test_the_seam_for_answers_marked_wrong(database):
    assert capture.record("marked_wrong", "citizen-2", "phuong-son-ky", "gia hạn tạm trú online",
                          guess="residence.temporary_extension")
    assert kept(database) == [("marked_wrong", "gia hạn tạm trú online")]
    assert capture.record("marked_wrong", "citizen-2", "phuong-son-ky", "gia hạn tạm trú online") is None  # once


# ---- the queue: content written, checked, audited -------------------------------------------------

@pytest.fixture
def content_copy(tmp_path):
    copy = tmp_path / "data"
    shutil.copytree(ROOT / "data", copy)
    return copy


def queue_with(database, content_copy, *messages):
    from bot.review.queue import ReviewQueue

    queue = ReviewQueue(database, content_copy)
    ids = [capture.record(kind, conversation, unit, text) for kind, conversation, unit, text in messages]
    return queue, ids


def test_assigning_a_group_appends_one_example_keeping_the_file_as_it_was(database, content_copy):
    from bot.core.audit import AuditLog

    path = content_copy / "procedures" / "residence" / "temporary_registration.yml"
    before = path.read_text(encoding="utf-8")
    queue, ids = queue_with(database, content_copy,
                            ("low_confidence", "c1", "phuong-tay-thanh", "Thuê phòng trọ 3 tháng có phải khai báo gì không?"),
                            ("not_understood", "c2", "phuong-son-ky", "thue phong tro 3 thang co phai khai bao gi khong"))
    done = queue.assign(ids, "residence.temporary_registration", "bien.tap")
    assert done["example"] == "Thuê phòng trọ 3 tháng có phải khai báo gì không?"  # the one with diacritics
    assert done["file"] == "data/procedures/residence/temporary_registration.yml"
    after = path.read_text(encoding="utf-8")
    assert after.startswith(before.rstrip("\n")) and after[len(before.rstrip("\n")):].strip() == \
        "- Thuê phòng trọ 3 tháng có phải khai báo gì không?"
    assert yaml.safe_load(after)["examples"][-1] == "Thuê phòng trọ 3 tháng có phải khai báo gì không?"
    assert [r["status"] for r in queue.store.rows(status=None)] == ["assigned", "assigned"]
    entry = AuditLog(database).entries(subject=f"unserved:{ids[1]}")[0]
    assert (entry["actor"], entry["action"], entry["detail"]["procedure"]) == \
        ("bien.tap", "review_assigned", "residence.temporary_registration")


def test_an_example_in_the_middle_of_a_file_keeps_the_comments_and_what_follows(database, content_copy):
    path = content_copy / "procedures" / "residence" / "stay_notice.yml"
    text = path.read_text(encoding="utf-8")
    head, examples = text.split("\nexamples:\n", 1)
    path.write_text(head + "\n# questions as citizens write them\nexamples:\n" + examples.rstrip("\n")
                    + "\n\n# checked against the law on 2026-11-24\nunverified:\n  fee: not confirmed\n", encoding="utf-8")
    queue, ids = queue_with(database, content_copy, ("complaint", "c3", "phuong-tay-thanh", "báo lưu trú cho khách qua đêm"))
    queue.assign(ids, "residence.stay_notice", "bien.tap")
    after = path.read_text(encoding="utf-8")
    assert "# questions as citizens write them\nexamples:\n" in after
    assert after.endswith("  - báo lưu trú cho khách qua đêm\n\n# checked against the law on 2026-11-24\n"
                          "unverified:\n  fee: not confirmed\n")


def test_a_message_already_an_example_anywhere_is_refused(database, content_copy):
    from bot.review.content import ContentError

    queue, ids = queue_with(database, content_copy, ("not_understood", "c4", "phuong-tay-thanh", "Đăng ký tạm trú cần giấy tờ gì?"))
    before = (content_copy / "procedures" / "id_card" / "reissue.yml").read_text(encoding="utf-8")
    with pytest.raises(ContentError, match="đã là câu ví dụ"):
        queue.assign(ids, "id_card.reissue", "bien.tap")
    assert (content_copy / "procedures" / "id_card" / "reissue.yml").read_text(encoding="utf-8") == before
    assert queue.store.get(ids[0])["status"] == "open"
    # an out-of-scope example of data/referrals.yml, too
    _, more = queue_with(database, content_copy, ("not_understood", "c5", "phuong-tay-thanh", "đk kết hôn cần giấy tờ j"))
    with pytest.raises(ContentError, match="referral:civil_status"):
        queue.assign(more, "residence.temporary_registration", "bien.tap")


def test_a_file_that_fails_the_check_is_put_back(database, content_copy, monkeypatch):
    from bot.knowledge.store import Problem
    from bot.review import content
    from bot.review.content import ContentError

    path = content_copy / "procedures" / "vehicle" / "first_registration.yml"
    before = path.read_text(encoding="utf-8")
    monkeypatch.setattr(content, "check", lambda kb, data_dir: [Problem(path, 1, "broken on purpose")])
    queue, ids = queue_with(database, content_copy, ("not_understood", "c6", "phuong-tay-thanh", "dang ky xe moi mua o dau"))
    with pytest.raises(ContentError, match="broken on purpose"):
        queue.assign(ids, "vehicle.first_registration", "bien.tap")
    assert path.read_text(encoding="utf-8") == before
    assert queue.store.get(ids[0])["status"] == "open"


def test_out_of_scope_adds_the_example_to_the_agency_and_skip_closes(database, content_copy):
    from bot.core.audit import AuditLog
    from bot.knowledge.validate import check
    from bot.knowledge.store import load

    queue, ids = queue_with(database, content_copy,
                            ("out_of_scope", "c7", "phuong-tay-thanh", "xin giấy phép xây dựng nhà ở đâu"),
                            ("not_understood", "c8", "phuong-tay-thanh", "hello hello"))
    done = queue.out_of_scope([ids[0]], "land", "bien.tap")
    assert done["file"] == "data/referrals.yml"
    referrals = yaml.safe_load((content_copy / "referrals.yml").read_text(encoding="utf-8"))["referrals"]
    assert next(r for r in referrals if r["id"] == "land")["examples"][-1] == "xin giấy phép xây dựng nhà ở đâu"
    assert '      - "xin giấy phép xây dựng nhà ở đâu"\n' in (content_copy / "referrals.yml").read_text(encoding="utf-8")
    assert not [p for p in check(load(content_copy), content_copy) if p.severity == "error"]
    queue.skip([ids[1]], "bien.tap")
    assert [r["status"] for r in queue.store.rows(status=None)] == ["out_of_scope", "skipped"]
    assert AuditLog(database).entries(subject=f"unserved:{ids[1]}")[0]["action"] == "review_skipped"
    assert AuditLog(database).entries(subject=f"unserved:{ids[0]}")[0]["detail"]["agency"] == "land"


# ---- the command --------------------------------------------------------------------------------

def review_command(database_url, content_dir, *args):
    return subprocess.run([sys.executable, "-m", "bot.review", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, env={**os.environ, "DATABASE_URL": database_url, "CONTENT_DIR": str(content_dir)})


def test_the_command_lists_assigns_refuses_and_skips(database, content_copy, tmp_path):
    url = f"sqlite:///{tmp_path / 'project.db'}"
    _, ids = queue_with(database, content_copy,
                        ("not_understood", "c9", "phuong-tay-thanh", "làm lại giấy phép lái xe bị rách"),
                        ("not_understood", "c10", "phuong-son-ky", "lam lai giay phep lai xe bi rach"),
                        ("out_of_scope", "c11", "phuong-tay-thanh", "đóng bảo hiểm xã hội tự nguyện ở đâu"),
                        ("not_understood", "c12", "phuong-tay-thanh", "alo alo"))
    listed = review_command(url, content_copy, "list")
    assert listed.returncode == 0, listed.stderr
    assert f"[{ids[0]}, {ids[1]}] 2 x" in listed.stdout and "3 groups, 4 messages" in listed.stdout

    unknown = review_command(url, content_copy, "assign", "9999", "driving_licence.reissue")
    assert unknown.returncode == 2 and "no open message 9999" in unknown.stderr
    wrong = review_command(url, content_copy, "assign", str(ids[0]), "driving_licence.nope")
    assert wrong.returncode == 2 and "unknown procedure 'driving_licence.nope'" in wrong.stderr
    assert review_command(url, content_copy, "out-of-scope", str(ids[2]), "nope").returncode == 2

    assigned = review_command(url, content_copy, "assign", str(ids[0]), "driving_licence.reissue", "--group")
    assert assigned.returncode == 0, assigned.stderr
    examples = yaml.safe_load((content_copy / "procedures" / "driving_licence" / "reissue.yml").read_text())["examples"]
    assert examples[-1] == "làm lại giấy phép lái xe bị rách"
    again = review_command(url, content_copy, "assign", str(ids[0]), "driving_licence.reissue")
    assert again.returncode == 2  # closed

    away = review_command(url, content_copy, "out-of-scope", str(ids[2]), "social_insurance")
    assert away.returncode == 0, away.stderr
    assert review_command(url, content_copy, "skip", str(ids[3])).returncode == 0
    from bot.review.store import UnservedStore

    assert [r["status"] for r in UnservedStore(database).rows(status=None)] == \
        ["assigned", "assigned", "out_of_scope", "skipped"]
    assert UnservedStore(database).rows(status=None)[3]["resolved_by"].startswith("operator")


def test_retrain_is_dispatched_or_said_to_be_missing(tmp_path):
    result = review_command(f"sqlite:///{tmp_path / 'p.db'}", ROOT / "data", "retrain", "--help")
    if (ROOT / "bot" / "review" / "retrain.py").exists():
        assert "not available yet" not in result.stderr
    else:
        assert result.returncode == 2 and "not available yet" in result.stderr


# ---- who sees the page ----------------------------------------------------------------------------

def test_editors_see_only_the_review_page_and_commanders_see_it_too():
    from bot.console.access import may_call, may_see

    assert may_see("editor", "/console/review") and may_see("commander", "/console/review")
    assert not may_see("officer", "/console/review")
    for page in ("/console", "/console/tipoffs", "/console/announcements", "/console/qr", "/console/privacy"):
        assert not may_see("editor", page) and may_see("officer", page)
    assert may_call("editor", "/console/api/review/assign") and may_call("editor", "/console/api/me")
    for api in ("/console/api/queue", "/console/api/chats/1", "/console/api/tipoffs", "/console/api/reviewer"):
        assert not may_call("editor", api)
