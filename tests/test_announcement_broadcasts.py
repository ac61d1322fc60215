"""Publishing an announcement both ways, against the Zalo simulator (its
CLI, as in test_zalo_simulator.py) and a project database: the OA's
broadcast of an Article for its followers, consultation messages for the
others inside the 7-day window, never both to one citizen; the monthly
broadcast quota (ours and Zalo's -211); a failed Article; a send time.
The full stack (console, web server job, Rasa's outbox) is in
test_announcements.py."""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlalchemy import update

from bot.announcements.broadcast import Broadcaster
from bot.announcements.publish import BROADCAST_FAILED_NOTE, QUOTA_NOTE, UNREACHABLE_NOTE, Publisher
from bot.announcements.store import AnnouncementStore, InvalidAnnouncement
from bot.core.db import engine
from bot.core.units import load_units
from bot.zalo.accounts import Account, Registry
from bot.zalo.store import ZaloStore, users
from tests.test_zalo_simulator import APP_ID, APP_SECRET, OA, OA_KEY, REFRESH, TOKEN, receiver, sim  # noqa: F401

UNIT = "phuong-tay-thanh"
EIGHT_DAYS = 8 * 24 * 3600


class Setup:
    def __init__(self, sim, tmp_path, limit=4):
        sim.reset()
        self.sim = sim
        self.engine = engine(f"sqlite:///{tmp_path / 'project.db'}")
        tokens = sim.state()
        account = Account(OA, UNIT, "Công an phường Tây Thạnh", APP_ID, APP_SECRET, OA_KEY,
                          tokens["access_tokens"][OA], tokens["refresh_tokens"][OA], broadcasts_per_month=limit)
        self.registry = Registry({OA: account}, sim.base_url, sim.base_url)
        self.store = AnnouncementStore(self.engine)
        self.zalo = ZaloStore(self.engine)
        self.publisher = Publisher(self.engine, registry=self.registry, units=load_units())
        self.citizens = {}

    def citizen(self, name, follows_in_store, follows_on_zalo, days_ago=0):
        """A citizen as our store knows them (follower True, or None: wrote without a follow event)
        and as Zalo knows them."""
        user_id = f"{name}-{time.monotonic_ns()}"
        self.zalo.touch_user(user_id, OA, follower=follows_in_store)
        with self.engine.begin() as c:
            c.execute(update(users).where(users.c.user_id == user_id)
                      .values(last_interaction_at=time.time() - days_ago * 24 * 3600))
        self.sim.register_user(OA, user_id, follower=follows_on_zalo)
        self.citizens[name] = user_id
        return user_id

    def approved(self, title="Cảnh báo lừa đảo qua điện thoại", send_at=None):
        announcement_id = self.store.create("hoa.vo", title, "Không cung cấp mã OTP cho bất kỳ ai.\n\nGọi 113.",
                                            [UNIT], send_at=send_at)
        assert self.store.review(announcement_id, "mau.nguyen", True)
        return announcement_id

    def broadcast(self):
        async def run():
            broadcaster = Broadcaster(self.engine, self.registry)
            try:
                return await broadcaster.run_due()
            finally:
                await broadcaster.api.close()
        return asyncio.run(run())

    def deliveries(self, announcement_id):
        return {d["user_id"]: d for d in self.store.deliveries(announcement_id)}

    def queued(self, user_id):
        return self.zalo.outbox_rows(user_id)


def test_followers_get_the_broadcast_the_others_in_the_window_a_message_never_both(sim, tmp_path):
    s = Setup(sim, tmp_path)
    s.citizen("follower", True, True)
    s.citizen("stale_follower", True, True, days_ago=8)
    s.citizen("writer", None, False)  # wrote without following: Zalo says so when asked
    s.citizen("writer_following", None, True)  # wrote, and follows (no follow event seen)
    s.citizen("stale_writer", None, False, days_ago=8)
    announcement_id = s.approved()

    counts = s.publisher.publish(announcement_id)
    assert counts["broadcast"] == 2 and counts["undecided"] == 3 and counts["queued"] == 0
    assert s.publisher.quota([UNIT])[0]["label"] == "Còn 3/4 lượt gửi tin truyền thông tháng này"
    assert s.broadcast() == 1

    [sent] = sim.broadcasts(OA)
    reached = set(sent["recipients"])
    c = s.citizens
    assert {c["follower"], c["stale_follower"], c["writer_following"]} <= reached
    rows = s.deliveries(announcement_id)
    for name, user_id in c.items():  # never both channels to one citizen
        assert not (user_id in reached and s.queued(user_id)), name
    assert [row["channel"] for row in map(rows.get, (c["follower"], c["stale_follower"], c["writer_following"]))] \
        == ["broadcast"] * 3
    assert rows[c["writer"]]["channel"] == "consultation" and len(s.queued(c["writer"])) == 1
    assert s.queued(c["writer"])[0]["body"].startswith('{"type": "message"')
    assert rows[c["stale_writer"]]["channel"] is None and rows[c["stale_writer"]]["note"] == UNREACHABLE_NOTE
    assert not s.queued(c["stale_writer"]) and c["stale_writer"] not in reached
    [row] = s.store.broadcasts(announcement_id)
    assert row["status"] == "sent" and row["followers"] == 2 and row["article_id"] and row["message_id"]
    assert ZaloStore(s.engine).user(c["writer_following"])["follower"] is True  # learnt from Zalo

    article = next(r["json"] for r in sim.requests_log() if r["path"] == "/v2.0/article/create")
    assert article["type"] == "normal" and article["title"] == "Cảnh báo lừa đảo qua điện thoại"
    assert [p["content"] for p in article["body"]] == ["Không cung cấp mã OTP cho bất kỳ ai.", "Gọi 113."]
    counts = s.store.delivery_counts([announcement_id])[announcement_id]
    assert counts["broadcast"] == 3 and counts["sending"] == 1 and counts["out_of_window"] == 1


def test_when_our_monthly_count_is_spent_followers_outside_the_window_are_noted(sim, tmp_path):
    s = Setup(sim, tmp_path, limit=1)
    follower, stale = s.citizen("follower", True, True), s.citizen("stale_follower", True, True, days_ago=8)
    first = s.approved("Thông báo thứ nhất")
    s.publisher.publish(first)
    s.broadcast()
    assert s.publisher.quota([UNIT])[0]["label"] == "Còn 0/1 lượt gửi tin truyền thông tháng này"

    second = s.approved("Thông báo thứ hai")
    counts = s.publisher.publish(second)
    assert counts["queued"] == 1 and counts["not_reached"] == 1 and counts["broadcast"] == 0
    assert s.broadcast() == 0 and len(sim.broadcasts(OA)) == 1  # Zalo was not asked
    rows = s.deliveries(second)
    assert rows[follower]["channel"] == "consultation" and len(s.queued(follower)) == 1
    assert rows[stale]["note"] == QUOTA_NOTE == "không gửi được: OA đã hết lượt gửi tin truyền thông tháng này"
    [row] = s.store.broadcasts(second)
    assert row["status"] == "quota" and row["note"] == QUOTA_NOTE
    assert s.store.delivery_counts([second])[second]["not_reached"] == 1


def test_zalo_out_of_quota_falls_back_to_consultation_messages_inside_the_window(sim, tmp_path):
    s = Setup(sim, tmp_path)
    follower, stale = s.citizen("follower", True, True), s.citizen("stale_follower", True, True, days_ago=8)
    sim.set_broadcast_limit(OA, 0)  # Zalo's count differs from ours (broadcasts sent from oa.zalo.me)
    announcement_id = s.approved()
    s.publisher.publish(announcement_id)
    assert not s.queued(follower)  # planned for the broadcast
    s.broadcast()

    assert sim.broadcasts(OA) == []
    [row] = s.store.broadcasts(announcement_id)
    assert row["status"] == "quota" and "-211" in row["error"]
    rows = s.deliveries(announcement_id)
    assert rows[follower]["channel"] == "consultation" and len(s.queued(follower)) == 1
    assert rows[stale]["channel"] is None and rows[stale]["note"] == QUOTA_NOTE and not s.queued(stale)
    assert s.publisher.quota([UNIT])[0]["remaining"] == 4  # a refused broadcast spends nothing


def test_article_creation_failure_is_handled(sim, tmp_path):
    s = Setup(sim, tmp_path)
    follower, stale = s.citizen("follower", True, True), s.citizen("stale_follower", True, True, days_ago=8)
    sim.add_fault("article", "error", -100)  # retried
    sim.add_fault("article", "error", -201)  # given up
    announcement_id = s.approved()
    s.publisher.publish(announcement_id)
    s.broadcast()
    [row] = s.store.broadcasts(announcement_id)
    assert row["status"] == "pending" and row["attempts"] == 1 and "-100" in row["error"]
    with s.engine.begin() as c:  # its backoff has passed
        from bot.announcements.store import broadcasts
        c.execute(update(broadcasts).values(next_attempt_at=time.time()))
    s.broadcast()

    [row] = s.store.broadcasts(announcement_id)
    assert row["status"] == "failed" and row["note"] == BROADCAST_FAILED_NOTE and sim.broadcasts(OA) == []
    rows = s.deliveries(announcement_id)
    assert rows[follower]["channel"] == "consultation" and len(s.queued(follower)) == 1
    assert rows[stale]["note"] == BROADCAST_FAILED_NOTE


def test_a_send_time_holds_publishing_until_it_comes(sim, tmp_path):
    s = Setup(sim, tmp_path)
    with pytest.raises(InvalidAnnouncement, match="tương lai"):
        s.approved(send_at=time.time() - 60)
    announcement_id = s.approved(send_at=time.time() + 1.5)
    assert s.publisher.publish(announcement_id) is None
    s.publisher.publish_approved()
    assert s.store.get(announcement_id)["status"] == "approved" and s.store.broadcasts(announcement_id) == []
    time.sleep(1.6)
    s.publisher.publish_approved()
    assert s.store.get(announcement_id)["status"] == "published"
    assert [b["status"] for b in s.store.broadcasts(announcement_id)] == ["pending"]


def test_a_broadcast_interrupted_after_its_article_resumes_without_a_second_article(sim, tmp_path):
    from bot.announcements.store import broadcasts

    s = Setup(sim, tmp_path)
    follower = s.citizen("follower", True, True)
    sim.add_fault("broadcast", "http", 502)  # Zalo down when broadcasting: retried later
    announcement_id = s.approved()
    s.publisher.publish(announcement_id)
    s.broadcast()
    [row] = s.store.broadcasts(announcement_id)
    assert row["status"] == "pending" and row["article_id"] and row["attempts"] == 1
    with s.engine.begin() as c:  # its backoff has passed; a new process (a restart) takes it up
        c.execute(update(broadcasts).values(next_attempt_at=time.time()))
    s.broadcast()

    [row] = s.store.broadcasts(announcement_id)
    assert row["status"] == "sent" and [b["recipients"].count(follower) for b in sim.broadcasts(OA)] == [1]
    assert [r["path"] for r in sim.requests_log()].count("/v2.0/article/create") == 1
    assert not s.queued(follower)
