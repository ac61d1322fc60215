"""Personal data has a lifecycle (docs/privacy.md): each class is deleted
after its retention (data/privacy.yml), one citizen's data can be exported
and erased, all of it audited without the citizen's id, and citizens are
told what is kept."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import insert, select

from bot.core import db
from bot.core.audit import AuditLog, audit
from bot.handoff.store import handoffs
from bot.privacy.notice import notice, settings
from bot.privacy.retention import Retention, pseudonym
from bot.review.store import unserved
from bot.tipoffs.store import TipoffStore, tipoffs
from bot.zalo.store import inbox, outbox, rejected, users
from tests.conftest import ROOT

DAY = 86400
NOW = time.time()


@pytest.fixture()
def stores(tmp_path, monkeypatch):
    """A project database and a Rasa SQL tracker store, as the assistant keeps them."""
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'project.db'}")
    monkeypatch.delenv("TRACKER_STORE_URL", raising=False)
    engine = db.engine(f"sqlite:///{tmp_path / 'project.db'}")
    db.create_tables(engine, *db.all_tables())
    tracker_store = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(tmp_path / "tracker.db"))
    return engine, tracker_store


def say(tracker_store, sender: str, text: str, at: float) -> None:
    tracker = DialogueStateTracker.from_events(sender, [
        UserUttered(text, timestamp=at), BotUttered("Dạ, tôi trả lời bạn.", timestamp=at + 1)])
    asyncio.new_event_loop().run_until_complete(tracker_store.save(tracker))


def add(engine, table, **values) -> None:
    with engine.begin() as c:
        c.execute(insert(table).values(**values))


def count(engine, table, **where) -> int:
    query = select(table)
    for column, value in where.items():
        query = query.where(table.c[column] == value)
    with engine.connect() as c:
        return len(c.execute(query).fetchall())


def citizen_data(engine, tracker_store, user: str, at: float) -> None:
    """A citizen who wrote on Zalo, got answers and talked to an officer at ``at``."""
    say(tracker_store, user, f"tin nhắn của {user}", at)
    add(engine, inbox, dedup_key=f"{user}-{at}", oa_id="oa", user_id=user, event_name="user_send_text",
        payload=json.dumps({"message": {"text": f"tin nhắn của {user}"}}), status="done", received_at=at)
    add(engine, outbox, oa_id="oa", user_id=user, body="{}", status="sent", attempts=1, next_attempt_at=at,
        created_at=at)
    add(engine, users, user_id=user, oa_id="oa", follower=False, last_interaction_at=at)
    add(engine, handoffs, conversation_id=user, unit="phuong-tay-thanh", reason="requested", priority=1,
        status="closed", created_at=at, ended_at=at + 60)
    add(engine, unserved, conversation_id=user, unit="phuong-tay-thanh", text="xyz", group_key="xyz",
        kind="not_understood", created_at=at, status="open")


def test_purge_deletes_each_class_after_its_retention_and_keeps_the_rest(stores):
    engine, tracker_store = stores
    days = settings()["retention_days"]
    old = NOW - (max(days["conversations"], days["officer_chats"], days["zalo_messages"],
                     days["unserved_questions"]) + 1) * DAY
    citizen_data(engine, tracker_store, "old-citizen", old)
    citizen_data(engine, tracker_store, "new-citizen", NOW - DAY)
    add(engine, users, user_id="old-follower", oa_id="oa", follower=True, last_interaction_at=old)
    add(engine, rejected, reason="bad signature", body="x", received_at=NOW - (days["rejected_deliveries"] + 1) * DAY)
    add(engine, inbox, dedup_key="pending-old", oa_id="oa", user_id="slow", event_name="user_send_text",
        payload="{}", status="pending", received_at=old)  # not handled yet: never purged

    deleted = Retention(engine, db.engine(f"sqlite:///{tracker_store.engine.url.database}")).purge(now=NOW)

    assert deleted["conversations"] == 2 and deleted["officer_chats"] == 1 and deleted["rejected_deliveries"] == 1
    assert deleted["zalo_messages"] == 2 and deleted["inactive_users"] == 1 and deleted["unserved_questions"] == 1
    assert asyncio.new_event_loop().run_until_complete(tracker_store.retrieve("old-citizen")) is None
    assert asyncio.new_event_loop().run_until_complete(tracker_store.retrieve("new-citizen")) is not None
    for table, column in ((inbox, "user_id"), (outbox, "user_id"), (users, "user_id"), (handoffs, "conversation_id"),
                          (unserved, "conversation_id")):
        assert count(engine, table, **{column: "old-citizen"}) == 0, table.name
        assert count(engine, table, **{column: "new-citizen"}) == 1, table.name
    assert count(engine, users, user_id="old-follower") == 1  # followers still get announcements
    assert count(engine, inbox, user_id="slow") == 1
    assert count(engine, audit, action="privacy_purge") == 1


def test_one_citizens_data_is_exported_then_erased_and_only_theirs(stores):
    engine, tracker_store = stores
    retention = Retention(engine, db.engine(f"sqlite:///{tracker_store.engine.url.database}"))
    citizen_data(engine, tracker_store, "8001", NOW - DAY)
    citizen_data(engine, tracker_store, "8002", NOW - DAY)
    reports = TipoffStore(engine)
    anonymous = reports.create("8001", "phuong-tay-thanh", "Có người bán ma túy ở hẻm 5")["code"]
    named = reports.create("8001", "phuong-tay-thanh", "Trộm xe máy", anonymous=False,
                           contact="Nguyễn Văn A, 0901234567")["code"]

    exported = retention.export("8001", actor="an.nguyen")
    assert [m["text"] for m in exported["conversation"]] == ["tin nhắn của 8001", "Dạ, tôi trả lời bạn."]
    assert len(exported["zalo_inbox"]) == 1 and len(exported["officer_chats"]) == 1
    assert [r["text"] for r in exported["unserved_questions"]] == ["xyz"]
    assert {link["code"] for link in exported["tipoff_links"]} == {anonymous, named}
    assert [t["code"] for t in exported["tipoffs"]] == [named]  # the report under their name
    assert "8002" not in json.dumps(exported)

    erased = retention.erase("8001", actor="an.nguyen")
    assert erased["conversation"] == 2 and erased["zalo_inbox"] == 1 and erased["officer_chats"] == 1
    assert erased["unserved_questions"] == 1 and count(engine, unserved, conversation_id="8002") == 1
    after = retention.export("8001", actor="an.nguyen")
    assert after["conversation"] == [] and after["tipoff_links"] == [] and after["tipoffs"] == []
    with engine.connect() as c:
        kept = {r.code: r for r in c.execute(select(tipoffs))}
    assert set(kept) == {anonymous, named}  # evidence in a case: kept, unlinked
    assert kept[named].contact is None and kept[named].reporter_id == ""
    assert count(engine, inbox, user_id="8002") == 1
    assert asyncio.new_event_loop().run_until_complete(tracker_store.retrieve("8002")) is not None

    with engine.connect() as c:
        entries = c.execute(select(audit).where(audit.c.action.in_(("privacy_export", "privacy_erase")))).fetchall()
    assert [e.actor for e in entries] == ["an.nguyen"] * 3
    assert {e.subject for e in entries} == {pseudonym("8001")}
    assert not [e for e in entries if "8001" in (e.detail or "") + (e.subject or "")]


def test_the_command_line_writes_a_private_export_and_refuses_bad_use(stores, tmp_path):
    engine, tracker_store = stores
    citizen_data(engine, tracker_store, "8003", NOW - DAY)
    out = tmp_path / "export.json"
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'project.db'}", "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-m", "bot.privacy", "export", "8003", "--by", "an.nguyen",
                           "--out", str(out)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert out.stat().st_mode & 0o777 == 0o600
    assert json.loads(out.read_text())["conversation"][0]["text"] == "tin nhắn của 8003"
    missing = subprocess.run([sys.executable, "-m", "bot.privacy", "erase", "8003"], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=120)
    assert missing.returncode == 2 and "--by" in missing.stderr  # who asks is required, for the audit log


def test_the_notice_names_the_retention_it_enforces():
    days = settings()["retention_days"]["conversations"]
    assert f"{days} ngày" in notice() and "{" not in notice()


@pytest.mark.parametrize("question", ["dữ liệu của tôi", "du lieu cua toi luu bao lau", "/ask_privacy"])
def test_citizens_asking_what_is_kept_get_the_notice(assistant, question):
    replies = assistant.say(f"privacy-{abs(hash(question)) % 10000}", question)
    assert notice() in [r.get("text") for r in replies]


def test_the_welcome_points_to_the_notice(assistant):
    replies = assistant.say("privacy-follow", "/follow")
    assert "/ask_privacy" in [b["payload"] for b in replies[0]["buttons"]]


def test_tip_off_contents_are_encrypted_at_rest_with_a_key_outside_the_database(tmp_path, monkeypatch):
    from cryptography.fernet import Fernet

    from bot.core import cipher as ciphers

    engine = db.engine(f"sqlite:///{tmp_path / 'project.db'}")
    reports = TipoffStore(engine)
    code = reports.create("8004", "phuong-tay-thanh", "Có người bán ma túy ở hẻm 5", place="hẻm 5 Tân Kỳ",
                          occurred="tối qua", anonymous=False, contact="Trần Thị B, 0907654321",
                          attachments=[{"type": "image", "url": "https://example.org/a.jpg"}])["code"]
    raw = b"".join(path.read_bytes() for path in tmp_path.glob("project.db*"))  # with SQLite's WAL file
    assert b"phuong-tay-thanh" in raw  # the routing stays readable
    for clear in ("ma túy", "hẻm 5", "0907654321", "example.org"):
        assert clear.encode() not in raw, clear
    report = reports.get(code)
    assert report["what"] == "Có người bán ma túy ở hẻm 5" and report["contact"] == "Trần Thị B, 0907654321"
    assert report["attachments"] == [{"type": "image", "url": "https://example.org/a.jpg"}]

    monkeypatch.setenv("TIPOFF_KEY", Fernet.generate_key().decode())  # the wrong key: unreadable, not a crash
    assert reports.get(code)["what"] == ciphers.UNREADABLE and reports.get(code)["attachments"] == []

    monkeypatch.delenv("TIPOFF_KEY")
    monkeypatch.setenv("TIPOFF_KEY_FILE", str(tmp_path / "keys" / "tipoff.key"))
    reports.create("8005", "phuong-tay-thanh", "Trộm xe")
    assert (tmp_path / "keys" / "tipoff.key").stat().st_mode & 0o777 == 0o600  # made, private, outside the database


def test_the_console_exports_and_erases_for_the_top_commander_only(tmp_path_factory):
    from tests.conftest import OFFICER_PASSWORD
    from tests.test_console_hardening import FakeRasa, Web

    rasa = FakeRasa()
    web = Web(tmp_path_factory.mktemp("privacy"), rasa)
    try:
        tracker_store = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(web.state / "tracker.db"))
        citizen_data(web.engine, tracker_store, "8006", NOW - DAY)
        web.accounts.add("chi.huy.quan", OFFICER_PASSWORD, "quan-mau", "commander", "Chỉ huy quận")
        web.accounts.add("chi.huy.phuong", OFFICER_PASSWORD, "phuong-tay-thanh", "commander", "Chỉ huy phường")
        district, ward = web.console("chi.huy.quan"), web.console("chi.huy.phuong")
        assert district.http.get(web.url("/console/privacy"), timeout=10).status_code == 200

        refused = ward.post("privacy/export", {"conversation_id": "8006"})
        assert refused.status_code == 403 and "chỉ huy" in refused.json()["error"].lower()
        assert district.post("privacy/export", {"conversation_id": "8006"}, csrf=False).status_code == 403

        exported = district.post("privacy/export", {"conversation_id": "8006"})
        assert exported.status_code == 200 and exported.headers["Cache-Control"] == "no-store"
        assert exported.json()["conversation"][0]["text"] == "tin nhắn của 8006"

        unconfirmed = district.post("privacy/erase", {"conversation_id": "8006", "confirm": "8007"})
        assert unconfirmed.status_code == 400 and count(web.engine, inbox, user_id="8006") == 1
        erased = district.post("privacy/erase", {"conversation_id": "8006", "confirm": "8006"})
        assert erased.status_code == 200 and erased.json()["deleted"]["conversation"] == 2
        assert count(web.engine, inbox, user_id="8006") == 0
        actors = [(e["actor"], e["action"]) for e in AuditLog(web.engine).entries(subject=pseudonym("8006"))]
        assert ("chi.huy.quan", "privacy_export") in actors and ("chi.huy.quan", "privacy_erase") in actors
    finally:
        web.stop()
        rasa.stop()
