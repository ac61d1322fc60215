"""Announcements end to end: officers draft them in the console (real HTTP,
cookies, CSRF), commanders approve or reject them (seeing the OA's broadcasts
left this month), approved ones go to citizens through the Zalo simulator
(followers by the OA's broadcast of an Article, others inside Zalo's 7-day
window by consultation messages, never both), at their send time if they
have one, and citizens asking "tin mới" in chat get the published ones
only. The broadcast rules in detail: test_announcement_broadcasts.py."""

from __future__ import annotations

import base64
import itertools
import json
import sqlite3
import re
import time
from datetime import datetime

import pytest
import requests

from bot.announcements.publish import UNREACHABLE_NOTE, Publisher
from bot.core.db import engine
from bot.core.web import VIETNAM
from bot.zalo.accounts import Registry
from tests.conftest import OFFICER_PASSWORD, Console, rest_id, texts, wait_for

_ids = itertools.count()
# a real 1x1 PNG
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")
APPROVED_TITLE = "Cảnh báo lừa đảo qua điện thoại"
APPROVED_BODY = "Không cung cấp mã OTP cho bất kỳ ai, kể cả người tự xưng là công an. Gọi 113 khi nghi ngờ."
REJECTED_TITLE = "Thông báo nháp có sai sót"


@pytest.fixture(scope="module")
def accounts(assistant):
    accounts = assistant.accounts
    accounts.add("hoa.vo", OFFICER_PASSWORD, "phuong-tay-thanh", "officer", "Võ Thị Hoa")
    accounts.add("khanh.do", OFFICER_PASSWORD, "phuong-son-ky", "officer", "Đỗ Minh Khánh")
    accounts.add("thanh.tran", OFFICER_PASSWORD, "phuong-tay-thanh", "commander", "Trần Văn Thạnh")
    accounts.add("ky.vo", OFFICER_PASSWORD, "phuong-son-ky", "commander", "Võ Văn Kỳ")
    accounts.add("mau.nguyen", OFFICER_PASSWORD, "quan-mau", "commander", "Nguyễn Văn Mẫu")
    return accounts


def db(assistant):
    connection = sqlite3.connect(assistant.state / "project.db")
    connection.row_factory = sqlite3.Row
    return connection


def new_user():
    return f"71000000000{next(_ids):05d}"


def create(console, title, units, body="Nội dung thông báo.", image=None, **fields):
    payload = {"title": title, "body": body, "units": units, **fields}
    if image:
        payload["image"] = base64.b64encode(image).decode()
    return console.post("announcements", payload)


def audit_actions(console, announcement_id):
    return [(e["actor"], e["action"]) for e in console.get(f"announcements/{announcement_id}/audit").json()["entries"]]


def public_image(assistant, announcement_id):
    return requests.get(f"http://127.0.0.1:{assistant.web_port}/announcements/{announcement_id}/image", timeout=10)


def test_officers_create_for_their_units_only_and_cannot_approve(assistant, accounts):
    hoa, khanh = Console(assistant, "hoa.vo"), Console(assistant, "khanh.do")
    other_ward = create(hoa, "Thông báo cho phường khác", ["phuong-son-ky"])
    assert other_ward.status_code == 404 and "Không tìm thấy đơn vị" in other_ward.json()["error"]
    assert create(hoa, "", ["phuong-tay-thanh"]).json()["error"] == "Vui lòng nhập tiêu đề."
    assert create(hoa, "Không có đơn vị nhận", []).status_code == 400
    not_an_image = create(hoa, "Ảnh sai định dạng", ["phuong-tay-thanh"], image=b"GIF89a" + bytes(100))
    assert not_an_image.status_code == 400 and "JPG hoặc PNG" in not_an_image.json()["error"]
    too_big = create(hoa, "Ảnh quá lớn", ["phuong-tay-thanh"], image=PNG + bytes(1024 * 1024))
    assert too_big.status_code == 400 and "1 MB" in too_big.json()["error"]
    assert hoa.post("announcements", {"title": "x", "body": "y", "units": ["phuong-tay-thanh"]},
                    csrf=False).status_code == 403

    created = create(hoa, "Lịch tiếp dân tháng này", ["phuong-tay-thanh"])
    assert created.status_code == 201
    announcement = created.json()["announcement"]
    assert announcement["status"] == "pending" and announcement["status_label"] == "Chờ duyệt"
    assert announcement["can_review"] is False

    refused = hoa.post(f"announcements/{announcement['id']}/approve")
    assert refused.status_code == 403 and "chỉ huy" in refused.json()["error"]
    assert khanh.get(f"announcements/{announcement['id']}").status_code == 404  # another ward's officer
    assert all(a["id"] != announcement["id"] for a in khanh.get("announcements").json()["announcements"])
    assert hoa.get(f"announcements/{announcement['id']}").json()["announcement"]["status"] == "pending"


def test_commanders_review_only_within_their_command_and_never_their_own(assistant, accounts):
    hoa, thanh, ky, mau = (Console(assistant, u) for u in ("hoa.vo", "thanh.tran", "ky.vo", "mau.nguyen"))
    ward = create(hoa, "Thông báo của phường Tây Thạnh", ["phuong-tay-thanh"]).json()["announcement"]
    other_branch = ky.post(f"announcements/{ward['id']}/approve")
    assert other_branch.status_code == 404  # the other ward's commander does not even see it
    assert ky.post(f"announcements/{ward['id']}/reject", {"comment": "không"}).status_code == 404

    own = create(thanh, "Chỉ huy tự soạn", ["phuong-tay-thanh"]).json()["announcement"]
    refused = thanh.post(f"announcements/{own['id']}/approve")
    assert refused.status_code == 403 and "tự duyệt" in refused.json()["error"]

    both = create(mau, "Thông báo toàn quận", ["phuong-son-ky", "phuong-tay-thanh"]).json()["announcement"]
    listed = {a["id"]: a for a in thanh.get("announcements").json()["announcements"]}
    assert listed[both["id"]]["can_review"] is False and listed[ward["id"]]["can_review"] is True
    partial = thanh.post(f"announcements/{both['id']}/approve")
    assert partial.status_code == 403 and "Sơn Kỳ" in partial.json()["error"]
    for announcement in (ward, own, both):  # nothing changed
        assert hoa.get(f"announcements/{announcement['id']}").json()["announcement"]["status"] == "pending"


def test_rejection_needs_a_comment_the_author_reads_and_sends_nothing(assistant, accounts, zalo):
    follower = new_user()
    zalo.send(zalo.oa_id, follower, event_name="follow")
    zalo.wait_for_messages(follower, 1)
    hoa, thanh = Console(assistant, "hoa.vo"), Console(assistant, "thanh.tran")
    draft = create(hoa, REJECTED_TITLE, ["phuong-tay-thanh"], body="Nội dung cần sửa lại.", image=PNG)
    announcement = draft.json()["announcement"]
    assert announcement["image_url"] and hoa.http.get(
        f"http://127.0.0.1:{assistant.web_port}{announcement['image_url']}", timeout=10).content == PNG

    no_comment = thanh.post(f"announcements/{announcement['id']}/reject", {"comment": "  "})
    assert no_comment.status_code == 400 and "lý do" in no_comment.json()["error"]
    rejected = thanh.post(f"announcements/{announcement['id']}/reject", {"comment": "Sai số điện thoại, sửa lại."})
    assert rejected.status_code == 200 and rejected.json()["announcement"]["status"] == "rejected"

    seen = hoa.get(f"announcements/{announcement['id']}").json()["announcement"]
    assert seen["status_label"] == "Bị từ chối" and seen["review_comment"] == "Sai số điện thoại, sửa lại."
    assert seen["reviewer_name"] == "Trần Văn Thạnh" and seen["deliveries"] is None
    assert thanh.post(f"announcements/{announcement['id']}/approve").status_code == 409
    assert audit_actions(hoa, announcement["id"]) == [("hoa.vo", "created"), ("thanh.tran", "rejected")]
    assert public_image(assistant, announcement["id"]).status_code == 404  # never published

    time.sleep(2)
    assert len(zalo.messages(user_id=follower)) == 1  # the welcome only
    with db(assistant) as c:
        assert c.execute("SELECT COUNT(*) FROM announcement_deliveries WHERE announcement_id = ?",
                         (announcement["id"],)).fetchone()[0] == 0


@pytest.fixture(scope="module")
def citizens(assistant, accounts, zalo):
    """Citizens of the simulator's OA (the default unit, phuong-tay-thanh)
    before the announcement is published, and the messages each had then."""
    people = {name: new_user() for name in ("follower", "writer", "stale", "gone")}
    zalo.send(zalo.oa_id, people["follower"], event_name="follow")
    # wrote without following the OA (our store cannot tell: Zalo says so when asked)
    zalo.send(zalo.oa_id, people["writer"], text="xin chào", follower=False)
    zalo.send(zalo.oa_id, people["stale"], text="xin chào", follower=False)
    zalo.send(zalo.oa_id, people["gone"], event_name="follow")
    for user in people.values():
        zalo.wait_for_messages(user, 1)
    zalo.send(zalo.oa_id, people["gone"], event_name="unfollow")
    wait_for(lambda: db(assistant).execute(
        "SELECT follower FROM zalo_users WHERE user_id = ?", (people["gone"],)).fetchone()[0] == 0)
    with db(assistant) as c:  # last wrote 8 days ago: outside Zalo's window (the simulator would still accept)
        c.execute("UPDATE zalo_users SET last_interaction_at = ? WHERE user_id = ?",
                  (time.time() - 8 * 24 * 3600, people["stale"]))
    return {name: (user, len(zalo.messages(user_id=user))) for name, user in people.items()}


@pytest.fixture(scope="module")
def published(assistant, accounts, citizens):
    hoa, mau = Console(assistant, "hoa.vo"), Console(assistant, "mau.nguyen")
    # a multipart form, as the console page sends it
    created = hoa.http.post(f"{hoa.base}/api/announcements", headers={"X-CSRF-Token": hoa.csrf}, data={
        "title": APPROVED_TITLE, "body": APPROVED_BODY, "units": ["phuong-tay-thanh"],
    }, files={"image": ("canh-bao.png", PNG, "image/png")}, timeout=30)
    assert created.status_code == 201, created.text
    announcement_id = created.json()["announcement"]["id"]
    approved = mau.post(f"announcements/{announcement_id}/approve", {"comment": "Đồng ý đăng."})
    assert approved.status_code == 200, approved.text
    assert approved.json()["announcement"]["status"] == "published"
    return announcement_id


def broadcast_of(zalo, title):
    return wait_for(lambda: next((b for b in zalo.broadcasts(zalo.oa_id) if b["title"] == title), None))


def test_followers_get_the_broadcast_and_the_others_in_the_window_a_message_never_both(
        assistant, zalo, citizens, published):
    user, before = citizens["writer"]
    messages = zalo.wait_for_messages(user, before + 2)[before:]
    assert texts(messages)[0] == f"{APPROVED_TITLE}\n\n{APPROVED_BODY}"
    image = messages[1]["body"]["message"]["attachment"]["payload"]["elements"][0]
    assert image["media_type"] == "image" and image["url"].endswith(f"/announcements/{published}/image")

    broadcast = broadcast_of(zalo, APPROVED_TITLE)  # the OA's Article, to its followers
    assert citizens["follower"][0] in broadcast["recipients"]
    assert citizens["writer"][0] not in broadcast["recipients"] and citizens["gone"][0] not in broadcast["recipients"]
    time.sleep(2)
    follower, before = citizens["follower"]
    assert len(zalo.messages(user_id=follower)) == before  # no consultation message on top
    article = next(r["json"] for r in zalo.requests_log() if r["path"] == "/v2.0/article/create"
                   and r["json"]["title"] == APPROVED_TITLE)
    assert article["cover"]["photo_url"].endswith(f"/announcements/{published}/image")
    answer = public_image(assistant, published)
    assert answer.status_code == 200 and answer.content == PNG and answer.headers["content-type"] == "image/png"


def test_citizens_outside_the_window_are_recorded_and_get_nothing(assistant, zalo, citizens, published):
    zalo.wait_for_messages(citizens["writer"][0], citizens["writer"][1] + 2)
    broadcast = broadcast_of(zalo, APPROVED_TITLE)
    assert citizens["stale"][0] not in broadcast["recipients"]
    time.sleep(2)
    for name in ("stale", "gone"):
        user, before = citizens[name]
        assert len(zalo.messages(user_id=user)) == before, name
    with db(assistant) as c:
        rows = {r["user_id"]: dict(r) for r in c.execute(
            "SELECT * FROM announcement_deliveries WHERE announcement_id = ?", (published,))}
    assert rows[citizens["stale"][0]]["note"] == UNREACHABLE_NOTE == "không liên hệ được: quá 7 ngày không tương tác"
    assert rows[citizens["stale"][0]]["outbox_ids"] is None
    assert citizens["gone"][0] not in rows  # unfollowed: not an audience at all
    follower, writer = rows[citizens["follower"][0]], rows[citizens["writer"][0]]
    assert follower["channel"] == "broadcast" and follower["outbox_ids"] is None
    assert writer["channel"] == "consultation" and len(json.loads(writer["outbox_ids"])) == 2


def test_console_shows_delivery_counts_and_the_audit_trail(assistant, zalo, citizens, published):
    hoa = Console(assistant, "hoa.vo")
    counts = wait_for(lambda: (d := hoa.get(f"announcements/{published}").json()["announcement"]["deliveries"])
                      and d["sent"] >= 1 and d)
    assert counts["out_of_window"] >= 1 and counts["failed"] == 0 and counts["sending"] == 0
    assert counts["broadcast"] >= 1 and counts["not_reached"] == 0
    shown = wait_for(lambda: (a := hoa.get(f"announcements/{published}").json()["announcement"])
                     and a["broadcasts"][0]["status"] == "sent" and a)
    assert shown["broadcasts"][0]["oa_name"] == "Công an phường (mô phỏng)" and shown["broadcasts"][0]["followers"] >= 1
    assert shown["broadcasts"][0]["status_label"] == "Đã gửi" and shown["broadcast_quota"] is None
    listed = next(a for a in hoa.get("announcements").json()["announcements"] if a["id"] == published)
    assert listed["status_label"] == "Đã đăng" and listed["reviewer_name"] == "Nguyễn Văn Mẫu"
    entries = hoa.get(f"announcements/{published}/audit").json()["entries"]
    assert [(e["actor"], e["action"]) for e in entries] == [
        ("hoa.vo", "created"), ("mau.nguyen", "approved"), ("mau.nguyen", "published")]
    assert entries[1]["detail"]["comment"] == "Đồng ý đăng."
    # when published: the follower with the broadcast, the two who only wrote to be asked of Zalo
    assert entries[2]["detail"]["broadcast"] >= 1 and entries[2]["detail"]["undecided"] >= 2
    assert entries[2]["detail"]["broadcasts"] == 1
    page = hoa.http.get(f"{hoa.base}/announcements", timeout=10)
    assert page.status_code == 200 and 'aria-current="page">Thông báo' in page.text


def test_publishing_is_never_repeated(assistant, zalo, citizens, published):
    user, before = citizens["writer"]
    zalo.wait_for_messages(user, before + 2)
    again = Console(assistant, "thanh.tran").post(f"announcements/{published}/approve")
    assert again.status_code == 409
    dev = json.loads((assistant.state / "zalo_dev.json").read_text())
    publisher = Publisher(engine(assistant.database_url), registry=Registry.from_env(dev))
    assert publisher.publish(published) is None
    publisher.publish_approved()
    time.sleep(2)
    assert len(zalo.messages(user_id=user)) == before + 2
    assert len([b for b in zalo.broadcasts(zalo.oa_id) if b["title"] == APPROVED_TITLE]) == 1
    with db(assistant) as c:
        assert c.execute("SELECT COUNT(*) FROM announcement_deliveries WHERE announcement_id = ? AND user_id = ?",
                         (published, user)).fetchone()[0] == 1
    actions = audit_actions(Console(assistant, "hoa.vo"), published)
    assert actions.count(("mau.nguyen", "published")) == 1 and len(actions) == 3


@pytest.mark.parametrize("question", ["có thông báo gì mới không", "tin moi"])
def test_citizens_asking_get_the_published_announcement_only(assistant, published, question):
    sender = f"citizen-announcements-{next(_ids)}"
    answers = assistant.say(sender, question)
    assert assistant.tracker(rest_id(sender))["latest_message"]["intent"]["name"] == "ask_announcements"
    said = "\n".join(a.get("text") or "" for a in answers)
    assert APPROVED_TITLE in said and APPROVED_BODY in said
    assert REJECTED_TITLE not in said and "Lịch tiếp dân" not in said and "Thông báo toàn quận" not in said
    assert any((a.get("image") or "").endswith(f"/announcements/{published}/image") for a in answers)


def test_citizen_on_zalo_asks_for_news(zalo, citizens, published):
    user, _ = citizens["writer"]
    before = len(zalo.wait_for_messages(user, citizens["writer"][1] + 2))
    zalo.send(zalo.oa_id, user, text="thông báo mới nhất")
    answers = texts(zalo.wait_for_messages(user, before + 2)[before:])
    assert any(APPROVED_TITLE in t and APPROVED_BODY in t for t in answers)


def broadcasts_used(assistant, zalo):
    with db(assistant) as c:
        return c.execute("SELECT COUNT(*) FROM announcement_broadcasts WHERE oa_id = ? AND status IN ('pending', 'sent')",
                         (zalo.oa_id,)).fetchone()[0]


def test_a_scheduled_announcement_waits_for_its_send_time(assistant, accounts, zalo):
    writer = new_user()
    zalo.send(zalo.oa_id, writer, text="xin chào", follower=False)
    before = len(zalo.wait_for_messages(writer, 1))
    hoa, mau = Console(assistant, "hoa.vo"), Console(assistant, "mau.nguyen")
    assert create(hoa, "Giờ đã qua", ["phuong-tay-thanh"], send_at="2020-01-01T08:00").json()["error"] \
        == "Thời điểm gửi phải ở tương lai."
    assert create(hoa, "Giờ sai", ["phuong-tay-thanh"], send_at="ngày mai").json()["error"] == "Thời điểm gửi không hợp lệ."
    send_at = datetime.fromtimestamp(time.time() + 12, VIETNAM)
    created = create(hoa, "Giờ tiếp công dân dịp lễ", ["phuong-tay-thanh"], body="Tiếp dân từ 7 giờ 30.",
                     send_at=send_at.strftime("%Y-%m-%dT%H:%M:%S")).json()["announcement"]
    assert created["send_at_label"] == send_at.strftime("%H:%M %d/%m/%Y")

    used = broadcasts_used(assistant, zalo)
    quota = mau.get(f"announcements/{created['id']}").json()["announcement"]["broadcast_quota"]
    assert [q["label"] for q in quota] == [f"Còn {4 - used}/4 lượt gửi tin truyền thông tháng này"]
    approved = mau.post(f"announcements/{created['id']}/approve").json()["announcement"]
    assert approved["status"] == "approved"  # not yet: it waits for its send time
    time.sleep(max(send_at.timestamp() - time.time() - 2, 0))
    assert hoa.get(f"announcements/{created['id']}").json()["announcement"]["status"] == "approved"
    assert len(zalo.messages(user_id=writer)) == before

    published = wait_for(lambda: (a := hoa.get(f"announcements/{created['id']}").json()["announcement"])
                         and a["status"] == "published" and a, timeout=40)
    assert published["published_at"] >= send_at.timestamp()
    assert texts(zalo.wait_for_messages(writer, before + 1)[before:])[0] == "Giờ tiếp công dân dịp lễ\n\nTiếp dân từ 7 giờ 30."
    broadcast = broadcast_of(zalo, "Giờ tiếp công dân dịp lễ")
    assert writer not in broadcast["recipients"]
    assert re.fullmatch(r"Còn \d/4 lượt gửi tin truyền thông tháng này", quota[0]["label"])
    assert broadcasts_used(assistant, zalo) == used + 1
