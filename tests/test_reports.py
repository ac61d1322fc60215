"""Commanders' review reports (bot/reports): known activity in a period and
the one before it, every figure checked, on SQLite and PostgreSQL; the PDF
and CSV files; the command line's refusals; the follow events the intake
now keeps for them."""

from __future__ import annotations

import csv
import datetime as dt
import json
import subprocess
import sys

import pytest
from pypdf import PdfReader
from rasa.core.tracker_store import SQLTrackerStore
from sqlalchemy import bindparam, create_engine, insert, text

from bot.announcements.store import announcements, deliveries
from bot.core import db
from bot.core.audit import audit
from bot.core.units import load_units
from bot.core.web import VIETNAM
from bot.handoff.store import handoffs
from bot.reports import pdf
from bot.reports.figures import Sources, collect, parse_period
from bot.reports.queries import REPORT_INDEX
from bot.review.feedback import feedback
from bot.review.store import unserved
from bot.tipoffs.store import tipoffs
from bot.zalo.store import follows, outbox
from tests.conftest import ROOT

EVENTS = SQLTrackerStore.SQLEvent.__table__
# two weeks from a Monday eight weeks back: recent enough that the retention
# purge (data/privacy.yml) the web server runs at start never touches them
_TODAY = dt.datetime.now(VIETNAM).date()
FIRST = _TODAY - dt.timedelta(days=_TODAY.weekday(), weeks=8)
LAST, WEEK2 = FIRST + dt.timedelta(days=13), FIRST + dt.timedelta(days=7)
PERIOD = parse_period(str(FIRST), str(LAST))
LABEL = f"{FIRST:%d/%m/%Y} – {LAST:%d/%m/%Y}"
S, P = PERIOD.start, PERIOD.previous().start  # the period's first second, and the previous one's
H = 3600.0
D = 86400.0
P1, P2 = "residence.permanent_registration", "residence.temporary_registration"
TT, SK = "phuong-tay-thanh", "phuong-son-ky"


def user_event(sender, at, intent, unit=None):
    data = {"event": "user", "timestamp": at, "text": "…", "input_channel": "zalo",
            "parse_data": {"intent": {"name": intent, "confidence": 0.9}, "entities": []},
            "metadata": {"unit": unit} if unit is not None else {}}
    return dict(sender_id=sender, type_name="user", timestamp=at, intent_name=intent, action_name=None,
                data=json.dumps(data))


def activity(project, tracker) -> None:
    """The known activity the figures below are counted from."""
    EVENTS.create(tracker, checkfirst=True)
    events = [
        user_event("A", S + D, P1, TT), user_event("A", S + D + 10, P1, TT),
        user_event("A", S + 2 * D, "nlu_fallback", TT),
        user_event("A", S + 2 * D + 5, "follow", TT),  # following the OA: not a message
        user_event("F", S + 3 * D, P2, SK),
        user_event("B", S + 8 * D, P2, SK), user_event("B", S + 8 * D + 5, "out_of_scope", SK),
        user_event("C", S + 9 * D, P1),  # no unit: the default unit's (Tây Thạnh)
        user_event("D", P + D, P2, TT),  # the previous period
        user_event("E", S + 14 * D + 1, P1, TT), user_event("E", P - 1, P1, TT),  # after it, before both
        dict(sender_id="A", type_name="bot", timestamp=S + D + 1, intent_name=None, action_name=None,
             data=json.dumps({"event": "bot", "text": "…"})),
    ]
    with tracker.begin() as c:
        c.execute(insert(EVENTS), events)
    rows = {
        feedback: [  # the period: 2 helpful, 1 wrong (and one of another district); the previous: 1 helpful
            dict(unit=TT, procedure=P1, helpful=True, created_at=S + D),
            dict(unit=SK, procedure=P2, helpful=True, created_at=S + 2 * D),
            dict(unit=TT, procedure=P1, helpful=False, created_at=S + 3 * D),
            dict(unit="quan-khac", procedure=P1, helpful=True, created_at=S + 3 * D),  # another district
            dict(unit=TT, procedure=P1, helpful=True, created_at=P + D),
        ],
        unserved: [  # review queue: a group of 2 (with and without diacritics), one of 1; one in the previous period
            dict(conversation_id="A", unit=TT, text="đăng ký xe điện ở đâu", group_key="dang ky xe dien o dau",
                 kind="not_understood", created_at=S + D, status="open"),
            dict(conversation_id="B", unit=SK, text="dang ky xe dien o dau", group_key="dang ky xe dien o dau",
                 kind="low_confidence", created_at=S + 2 * D, status="assigned"),
            dict(conversation_id="C", unit=TT, text="làm sổ đỏ", group_key="lam so do", kind="out_of_scope",
                 created_at=S + 3 * D, status="open"),
            dict(conversation_id="D", unit=TT, text="hello", group_key="hello", kind="not_understood",
                 created_at=P + D, status="skipped"),
        ],
        handoffs: [
            dict(conversation_id="A", unit=TT, reason="requested", priority=1, status="closed", created_at=S + D,
                 claimed_by="an.nguyen", claimed_at=S + D + 20, first_reply_at=S + D + 50, ended_at=S + D + 900),
            dict(conversation_id="C", unit=TT, reason="sos", priority=3, status="closed", created_at=S + 9 * D,
                 claimed_by="an.nguyen", claimed_at=S + 9 * D + 200, first_reply_at=S + 9 * D + 260),
            dict(conversation_id="B", unit=SK, reason="requested", priority=1, status="timed_out",
                 created_at=S + 8 * D, ended_at=S + 8 * D + 600),
            dict(conversation_id="B", unit=SK, reason="failures", priority=1, status="closed",
                 created_at=S + 8 * D + H, claimed_by="chi.le", claimed_at=S + 8 * D + H + 90),
            dict(conversation_id="D", unit=TT, reason="requested", priority=1, status="closed", created_at=P + D,
                 claimed_by="an.nguyen", claimed_at=P + D + 40, first_reply_at=P + D + 45),
        ],
        follows: [dict(oa_id=oa, unit=unit, event=event, at=at) for oa, unit, event, at in [
            ("oa-tt", TT, "follow", S + H), ("oa-tt", TT, "follow", S + D), ("oa-tt", TT, "unfollow", S + 2 * D),
            ("oa-sk", SK, "follow", S + H), ("oa", "", "follow", S + 5 * D), ("oa-tt", TT, "follow", P + H)]],
        tipoffs: [
            dict(code="TG-AAAAAA", reporter_id="", anonymous=True, what="x", unit=TT, status="received",
                 created_at=S + D, updated_at=S + D),
            dict(code="TG-BBBBBB", reporter_id="R", anonymous=False, what="x", unit=SK, status="verifying",
                 created_at=S + 2 * D, updated_at=S + 2 * D),
            dict(code="TG-CCCCCC", reporter_id="", anonymous=True, what="x", unit=TT, status="resolved",
                 created_at=S + 3 * D, updated_at=S + 3 * D),
        ],
        audit: [
            dict(time=S + 2 * D + H, actor="chi.le", action="tipoff_status", subject="tipoff:TG-BBBBBB"),
            dict(time=S + 3 * D + 60, actor="an.nguyen", action="tipoff_viewed", subject="tipoff:TG-CCCCCC"),
            dict(time=S + 3 * D + 600, actor="an.nguyen", action="tipoff_status", subject="tipoff:TG-CCCCCC"),
            dict(time=S + 3 * D + 7200, actor="an.nguyen", action="tipoff_escalated", subject="tipoff:TG-CCCCCC"),
        ],
        announcements: [
            dict(id=1, title="t", body="b", target_units=json.dumps([TT]), status="published", author="a",
                 created_at=S, published_at=S + D),
            dict(id=2, title="t", body="b", target_units=json.dumps([SK]), status="published", author="a",
                 created_at=S, published_at=S + 2 * D),
            dict(id=3, title="t", body="b", target_units=json.dumps([TT]), status="pending", author="a", created_at=S),
            dict(id=4, title="t", body="b", target_units=json.dumps([TT]), status="published", author="a",
                 created_at=P, published_at=P + D),
        ],
        outbox: [dict(id=i, oa_id="oa", user_id="u", body="{}", status=status, attempts=1, next_attempt_at=S,
                      created_at=S) for i, status in
                 [(1, "sent"), (2, "sent"), (3, "failed"), (4, "sent"), (5, "pending"), (6, "sent")]],
        deliveries: [
            dict(announcement_id=1, user_id="u1", oa_id="oa", outbox_ids="[1, 2]", created_at=S + D),  # delivered
            dict(announcement_id=1, user_id="u2", oa_id="oa", outbox_ids="[3]", created_at=S + D),  # refused
            dict(announcement_id=1, user_id="u3", oa_id="oa", outbox_ids=None, note="7 ngày", created_at=S + D),
            dict(announcement_id=1, user_id="u4", oa_id="oa", outbox_ids="[4, 5]", created_at=S + D),  # sending
            dict(announcement_id=2, user_id="u1", oa_id="oa", outbox_ids="[6]", created_at=S + 2 * D),  # delivered
        ],
    }
    db.create_tables(project, *db.all_tables())
    with project.begin() as c:
        for table, values in rows.items():
            columns = {k for v in values for k in v}  # one statement for many rows: the same keys in each
            c.execute(insert(table), [{k: v.get(k) for k in columns} for v in values])


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def sources(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp(f"reports-{request.param}")
    if request.param == "sqlite":
        project, tracker = (db.engine(f"sqlite:///{folder / name}") for name in ("project.db", "tracker.db"))
        activity(project, tracker)
        yield Sources.open(project, tracker)
        return
    from tests.services import postgres

    with postgres(folder, ["project", "tracker"]) as url:
        project, tracker = create_engine(f"{url}/project", future=True), create_engine(f"{url}/tracker", future=True)
        activity(project, tracker)
        yield Sources.open(project, tracker)
        project.dispose()
        tracker.dispose()


def indexes(engine):
    catalog = ("SELECT indexname FROM pg_indexes WHERE tablename = 'events'" if engine.dialect.name == "postgresql"
               else "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events'")
    with engine.connect() as c:
        return {r[0] for r in c.execute(text(catalog))}


def test_messages_are_read_from_the_reports_index(sources):
    """A report reads its units' messages of the days it reads live, and the
    rollups a unit's messages of the days they build, from the index alone,
    not every event's JSON."""
    if sources.tracker.dialect.name != "sqlite":
        pytest.skip("the plan is SQLite's (PostgreSQL picks by its statistics)")
    from bot.reports.queries import NOT_MESSAGES, event_day, message_query

    for select_sql, tail in (("COUNT(*)", ""), (f"{event_day('sqlite')}, COALESCE(intent_name, ''), COUNT(*)",
                                                "GROUP BY 1, 2"), ("DISTINCT sender_id", "")):
        query = text("EXPLAIN QUERY PLAN " + message_query("sqlite", select_sql, tail)).bindparams(
            bindparam("units", expanding=True), bindparam("not_messages", expanding=True))
        with sources.tracker.connect() as c:
            plan = c.execute(query, {"units": [TT], "live_start": S, "live_end": S + D,
                                     "not_messages": list(NOT_MESSAGES)}).all()
        assert any(REPORT_INDEX in str(row) for row in plan), plan


def test_every_figure_of_a_district_and_its_previous_period(sources):
    report = collect(sources, load_units(), "quan-mau", PERIOD, now=S + 30 * D)
    now, before = report.current, report.previous
    assert (str(report.previous_period.first), str(report.previous_period.last)) == (str(FIRST - dt.timedelta(days=14)), str(FIRST - dt.timedelta(days=1)))
    assert REPORT_INDEX in indexes(sources.tracker)

    assert (now.volume.messages, now.volume.citizens) == (7, 4)
    assert [(w.first_day, w.messages, w.citizens) for w in now.volume.weekly] == [
        (str(FIRST), 4, 2), (str(WEEK2), 3, 2)]
    assert (now.volume.new_followers, now.volume.unfollows) == (4, 1)
    assert (before.volume.messages, before.volume.citizens, before.volume.new_followers) == (1, 1, 1)
    assert [(w.messages, w.citizens) for w in before.volume.weekly] == [(1, None), (0, None)]  # messages only

    q = now.questions
    assert q.procedure_messages == 5
    assert [(p.id, p.name, p.asked) for p in q.top_procedures] == [
        (P1, "Đăng ký thường trú", 3), (P2, "Đăng ký tạm trú", 2)]
    assert (q.not_understood, q.out_of_scope, q.not_understood_share) == (1, 1, pytest.approx(2 / 7))
    assert (q.citizens_with_officer, q.assistant_alone) == (3, pytest.approx(1 / 4))
    assert q.unanswered_groups == [("dang ky xe dien o dau", 2), ("làm sổ đỏ", 1)]
    assert now.feedback == {"Hữu ích": 2, "Chưa đúng": 1}
    assert before.feedback == {"Hữu ích": 1, "Chưa đúng": 0} and before.questions.unanswered_groups == [("hello", 1)]

    chats = now.chats
    assert (chats.requests, chats.claimed, chats.past_target, chats.timed_out) == (4, 3, 2, 1)
    assert (chats.claim_p50, chats.claim_p90) == (90, 200)  # claims after 20, 90 and 200 s
    assert (chats.reply_p50, chats.reply_p90) == (50, 260)
    assert [(o.officer, o.chats, o.replied, o.claim_p50, o.reply_p50) for o in chats.officers] == [
        ("an.nguyen", 2, 2, 20, 50), ("chi.le", 1, 0, 90, None)]
    assert dict(chats.waits) == {"< 30 giây": 1, "30 giây – 1 phút": 0, "1 – 2 phút": 1, "2 – 5 phút": 1,
                                 "5 – 10 phút": 0, "> 10 phút": 0, "Không có cán bộ nhận": 1}
    assert (before.chats.requests, before.chats.claim_p50, before.chats.past_target) == (1, 40, 0)

    assert (now.sos.count, now.sos.claimed, now.sos.claim_p50, now.sos.claim_p90) == (1, 1, 200, 200)
    assert (before.sos.count, before.sos.claim_p50) == (0, None)

    t = now.tipoffs
    assert (t.total, t.by_kind, t.acted) == (3, {"anonymous": 2, "named": 1}, 2)
    assert t.by_status == {"received": 1, "verifying": 1, "transferred": 0, "resolved": 1}
    assert (t.first_action_p50, t.first_action_p90) == (600, 3600)  # reading it is not acting on it

    a = now.announcements
    assert (a.published, a.delivered, a.refused, a.sending, a.out_of_window) == (2, 2, 1, 1, 1)
    assert (before.announcements.published, before.announcements.delivered) == (1, 0)

    key = {k.label: (k.current, k.previous, k.change) for k in report.key_figures()}
    assert key["Tin nhắn"] == ("7", "1", "+6 (+600,0 %)")
    assert key["Người quan tâm mới"] == ("4", "1", "+3 (+300,0 %)")
    assert key["Yêu cầu gặp cán bộ"] == ("4", "1", "+3 (+300,0 %)")
    assert key["Thời gian chờ cán bộ nhận (trung vị)"] == ("1 phút 30 giây", "40 giây", "+50 giây")
    assert key["Trợ lý ảo tự giải đáp (không cần cán bộ)"] == ("25,0 %", "0,0 %", "+25,0 điểm %")
    assert key["Tin khẩn cấp SOS"] == ("1", "0", "+1")
    assert key["Tin báo: thời gian đến xử lý đầu tiên (trung vị)"] == ("10 phút", "–", "–")

    rows = {r.unit: r for r in report.units_compared}
    assert [r.unit for r in report.units_compared][0] == "quan-mau" and set(rows) == set(load_units().below("quan-mau"))
    tt, sk = rows[TT], rows[SK]
    assert (tt.messages, tt.citizens, tt.new_followers, tt.chats, tt.claim_p50, tt.past_target, tt.timed_out,
            tt.sos, tt.tipoffs) == (4, 2, 3, 2, 20, 1, 0, 1, 2)
    assert (sk.messages, sk.citizens, sk.new_followers, sk.chats, sk.claim_p50, sk.past_target, sk.timed_out,
            sk.sos, sk.tipoffs) == (3, 2, 1, 2, 90, 1, 1, 0, 1)
    assert (rows["quan-mau"].messages, rows["doi-csgt"].chats) == (0, 0)


def test_a_ward_sees_its_own_figures_only(sources):
    report = collect(sources, load_units(), SK, PERIOD, now=S + 30 * D)
    now = report.current
    assert report.units == [SK] and report.units_compared == []
    assert (now.volume.messages, now.volume.citizens, now.volume.new_followers) == (3, 2, 1)
    assert (now.chats.requests, now.chats.timed_out, now.sos.count, now.tipoffs.total) == (2, 1, 0, 1)
    assert (now.announcements.published, now.announcements.delivered, now.announcements.refused) == (1, 1, 0)
    default = collect(sources, load_units(), TT, PERIOD, now=S + 30 * D).current  # the default unit: C's message too
    assert (default.volume.messages, default.volume.citizens, default.volume.new_followers) == (4, 2, 3)


def test_the_pdf_has_its_pages_and_opens(sources, tmp_path):
    report = collect(sources, load_units(), "quan-mau", PERIOD, now=S + 30 * D)
    path = tmp_path / "report.pdf"
    pdf.write(report, str(path))
    reader = PdfReader(str(path))
    # title, details, units compared, then four plots
    assert len(reader.pages) == 7
    first = reader.pages[0].extract_text()
    assert "BÁO CÁO" in first and "Công an quận Mẫu" in first and LABEL in first
    assert "Tin nhắn" in first and "+6 (+600,0 %)" in first
    assert "So sánh các đơn vị" in reader.pages[2].extract_text()
    assert "Thủ tục được hỏi nhiều nhất" in reader.pages[4].extract_text()
    ward = collect(sources, load_units(), SK, PERIOD, now=S + 30 * D)
    assert len(PdfReader(__import__("io").BytesIO(pdf.pdf_bytes(ward))).pages) == 5  # no units to compare


# ---- the command line

def run_cli(folder, *args):
    env = {**__import__("os").environ, "DATABASE_URL": f"sqlite:///{folder / 'project.db'}"}
    env.pop("TRACKER_STORE_URL", None)  # the tracker store beside the project database
    return subprocess.run([sys.executable, "-m", "bot.reports", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)


def test_the_command_line_writes_the_pdf_and_the_tables_and_refuses_what_it_cannot_report(tmp_path):
    project, tracker = (db.engine(f"sqlite:///{tmp_path / name}") for name in ("project.db", "tracker.db"))
    activity(project, tracker)
    out = tmp_path / "bao-cao.pdf"
    done = run_cli(tmp_path, "--unit", "quan-mau", "--from", str(FIRST), "--to", str(LAST), "--out", str(out),
                   "--csv", str(tmp_path / "tables"))
    assert done.returncode == 0, done.stderr
    assert len(PdfReader(str(out)).pages) == 7
    with (tmp_path / "tables" / "key_figures.csv").open(encoding="utf-8-sig") as file:
        key = {row[0]: row[1:] for row in csv.reader(file)}
    assert key["Tin nhắn"] == ["7", "1", "+6 (+600,0 %)"]
    with (tmp_path / "tables" / "units_compared.csv").open(encoding="utf-8-sig") as file:
        units = {row["unit"]: row for row in csv.DictReader(file)}
    assert (units[TT]["messages"], units[SK]["timed_out"], units[SK]["claim_p50_seconds"]) == ("4", "1", "90.0")
    with (tmp_path / "tables" / "weekly_volume.csv").open(encoding="utf-8-sig") as file:
        assert list(csv.reader(file))[1:3] == [["current", str(FIRST), "4", "2"], ["current", str(WEEK2), "3", "2"]]

    refusals = {
        ("--unit", "phuong-khong-co", "--from", "2026-06-01", "--to", "2026-06-14"): "unknown unit 'phuong-khong-co'",
        ("--unit", "quan-mau", "--from", "2026-13-01", "--to", "2026-06-14"): "Ngày không hợp lệ: '2026-13-01'",
        ("--unit", "quan-mau", "--from", "01/06/2026", "--to", "2026-06-14"): "cần dạng YYYY-MM-DD",
        ("--unit", "quan-mau", "--from", "2026-06-14", "--to", "2026-06-01"): "Ngày bắt đầu phải trước ngày kết thúc",
    }
    for args, message in refusals.items():
        refused = run_cli(tmp_path, *args, "--out", str(tmp_path / "no.pdf"))
        assert refused.returncode == 2 and message in refused.stderr, (args, refused.stderr)
    assert not (tmp_path / "no.pdf").exists()


# ---- follow events, kept for the reports

def test_the_intake_keeps_each_follow_and_unfollow_with_its_unit_not_who(tmp_path):
    import time

    from sqlalchemy import select

    from bot.zalo import signature
    from bot.zalo.accounts import Registry
    from bot.zalo.intake import Intake
    from bot.zalo.store import ZaloStore

    store = ZaloStore(db.engine(f"sqlite:///{tmp_path / 'project.db'}"))
    registry = Registry.from_env({"ZALO_APP_ID": "app", "ZALO_APP_SECRET": "s", "ZALO_OA_SECRET_KEY": "key",
                                  "ZALO_ACCESS_TOKEN": "t", "ZALO_REFRESH_TOKEN": "r", "ZALO_OA_ID": "OA",
                                  "ZALO_UNIT": SK})
    intake = Intake(registry, store, outbox=None, on_pending=lambda user_id: None)

    def deliver(event, user, stamp):
        body = json.dumps({"event_name": event, "oa_id": "OA", "follower": {"id": user}, "timestamp": stamp}).encode()
        return intake.receive(body, "mac=" + signature.mac("app", body, stamp, "key"))

    stamp = str(int(time.time() * 1000))
    assert deliver("follow", "U1", stamp) == (200, {"status": "accepted"})
    assert deliver("follow", "U1", stamp) == (200, {"status": "duplicate"})  # a redelivery counts once
    assert deliver("unfollow", "U1", str(int(stamp) + 1))[0] == 200
    assert deliver("follow", "U2", stamp)[0] == 200
    with store.engine.connect() as c:
        rows = c.execute(select(follows).order_by(follows.c.id)).all()
    assert [(r.oa_id, r.unit, r.event) for r in rows] == [
        ("OA", SK, "follow"), ("OA", SK, "unfollow"), ("OA", SK, "follow")]
    assert all(abs(r.at - time.time()) < 60 for r in rows) and "user" not in follows.c  # when and where, not who


# ---- the console page

def test_the_reports_page_shows_a_commander_every_unit_below_and_an_officer_only_their_own(browser, tmp_path_factory):
    from tests.conftest import OFFICER_PASSWORD
    from tests.test_console_hardening import FakeRasa, Web

    rasa = FakeRasa()
    web = Web(tmp_path_factory.mktemp("reports-console"), rasa)
    try:
        activity(web.engine, db.engine(f"sqlite:///{web.state / 'tracker.db'}"))
        web.accounts.add("dung.pham", OFFICER_PASSWORD, "quan-mau", "commander", "Phạm Quốc Dũng")
        web.accounts.add("chi.le", OFFICER_PASSWORD, SK, "officer", "Lê Minh Chí")
        base = web.url("")
        # bypass_csp: the checks below are evaluated strings, which the console's policy (rightly) forbids
        context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
        page = context.new_page()

        def sign_in(username):
            page.goto(f"{base}/console/login")
            page.fill("#username", username)
            page.fill("#password", OFFICER_PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(f"{base}/console")
            page.click("a[href='/console/reports']")
            page.wait_for_selector("#report:not([hidden])", timeout=60_000)  # the last 13 weeks, at once
            page.fill("#report-from", str(FIRST))
            page.fill("#report-to", str(LAST))
            page.click("button[type=submit]")
            page.wait_for_function("document.getElementById('report-period').textContent"
                                   f".startsWith('Kỳ này: {LABEL}')", timeout=60_000)

        def key_figure(label):
            row = page.locator("#key-figures tbody tr", has=page.locator("th", has_text=label)).first
            return row.locator("td").all_text_contents()

        sign_in("dung.pham")
        assert page.locator("#report-unit option").all_text_contents()[0] == "Công an quận Mẫu (dữ liệu mẫu)"
        assert page.locator("#report-unit option").count() == 4 and page.is_enabled("#report-unit")
        assert key_figure("Tin nhắn") == ["7", "1", "+6 (+600,0 %)"]
        compared = page.locator("#units-compared tbody th").all_text_contents()
        assert sorted(compared) == sorted(u.name for u in load_units().all())
        page.wait_for_function("[...document.querySelectorAll('#plots img')].length === 4 && "
                               "[...document.querySelectorAll('#plots img')].every(i => i.naturalWidth > 600)")
        assert "Ẩn danh: 2" in page.text_content("#details")
        pdf_link = page.get_attribute("#report-pdf", "href")
        assert "unit=quan-mau" in pdf_link and f"from={FIRST}" in pdf_link
        downloaded = context.request.get(base + pdf_link)
        assert downloaded.headers["content-type"] == "application/pdf"
        assert len(PdfReader(__import__("io").BytesIO(downloaded.body())).pages) == 7
        page.select_option("#report-unit", SK)  # a ward below: its figures alone
        page.click("button[type=submit]")
        page.wait_for_function("document.getElementById('report-title').textContent.includes('Sơn Kỳ')")
        assert key_figure("Tin nhắn") == ["3", "0", "+3"]
        page.screenshot(path=str(tmp_path_factory.getbasetemp() / "reports-commander.png"), full_page=True)
        page.click("#logout-button")
        page.wait_for_url(f"{base}/console/login")  # signed out, before the next officer signs in

        sign_in("chi.le")
        assert page.locator("#report-unit option").all_text_contents() == ["Công an phường Sơn Kỳ (dữ liệu mẫu)"]
        assert page.is_disabled("#report-unit") and page.is_hidden("#units-section")
        assert key_figure("Tin nhắn") == ["3", "0", "+3"] and key_figure("Tin báo tố giác")[0] == "1"
        assert page.locator("#officers tbody th").all_text_contents() == ["chi.le"]
        for unit in (TT, "quan-mau"):  # nor any other unit, asked for directly
            answer = context.request.get(f"{base}/console/api/reports?unit={unit}&from={FIRST}&to={LAST}")
            assert answer.status == 403 and "không có quyền" in answer.json()["error"]
            assert context.request.get(f"{base}/console/api/reports/pdf?unit={unit}").status == 403
        bad = context.request.get(f"{base}/console/api/reports?from=2026-06-31&to=2026-06-14")
        assert bad.status == 400 and "Ngày không hợp lệ" in bad.json()["error"]
        context.close()
        assert requests_get(web.url("/console/api/reports")).status_code == 401
    finally:
        web.stop()
        rasa.stop()


def requests_get(url):
    import requests

    return requests.get(url, timeout=10)


# ---- the daily rollups

def test_figures_from_the_rollups_equal_those_counted_from_the_events(sources, monkeypatch):
    """Every figure (both periods, units compared) from the rollups and from
    the events alone; a closed day that gets a message after its rollup was
    made; today and the hour after midnight read live; an erased citizen
    gone from the rollups too."""
    from bot.privacy.retention import Retention
    from bot.reports import rollups
    from bot.reports.queries import day_number, rollup_days

    units = load_units()

    def figures(now):
        """(from the rollups, from the events alone): the reports' data, its time of making left out."""
        made = []
        for rolled in (True, False):
            with monkeypatch.context() as m:
                if not rolled:
                    m.setattr(Sources, "rolled_up_before", lambda self, first, last, now: 0)
                data = collect(sources, units, "quan-mau", PERIOD, now=now).as_json()
            data.pop("generated_at")
            made.append(data)
        assert made[0] == made[1]
        return made[0]

    def built():
        with sources.tracker.connect() as c:
            return {r[0] for r in c.execute(rollup_days.select())}

    first, last = day_number(PERIOD.previous().first), day_number(PERIOD.last)
    data = figures(S + 30 * D)
    assert set(range(first, last + 1)) <= built()  # both periods from the rollups
    assert sources.rolled_up_before(PERIOD.previous(), PERIOD, S + 30 * D) == last + 1
    assert (data["current"]["volume"]["messages"], data["current"]["volume"]["citizens"]) == (7, 4)
    assert rollups.refresh(sources.tracker, S + 30 * D) > 0  # the web server's job: every closed day since the first
    assert rollups.refresh(sources.tracker, S + 30 * D) == 0 and last + 15 in built() and last + 16 not in built()

    # closed days rolled up already get messages: G writes on day 3 (also to another district), on day 4 to
    # another unit of the district (G counts once), and on the previous period's second day
    late = [user_event("G", S + 3 * D + 60, P2, SK), user_event("G", S + 3 * D + 90, P1, "quan-khac"),
            user_event("G", S + 4 * D, P1, TT), user_event("G", P + D + 5, P1, TT)]
    try:
        with sources.tracker.begin() as c:
            c.execute(insert(EVENTS), late)
        data = figures(S + 30 * D)
        volume, before = data["current"]["volume"], data["previous"]["volume"]
        assert (volume["messages"], volume["citizens"], before["messages"], before["citizens"]) == (9, 5, 2, 2)
        assert [(w["messages"], w["citizens"]) for w in volume["weekly"]] == [(6, 3), (3, 2)]
        compared = {r["unit"]: r["citizens"] for r in data["units_compared"]}
        assert (compared[SK], compared[TT]) == (3, 3)  # F, B, G; A, G and C (no unit: the default unit's)
        assert data["key_figures"][1]["change"] == "+7 (+350,0 %)"  # messages: 9 against 2

        # today (day 9), read from the events: C's message and one G writes now
        with sources.tracker.begin() as c:
            c.execute(insert(EVENTS), [user_event("G", S + 9 * D + H, P2, TT)])
        today = figures(S + 9 * D + 2 * H)
        assert sources.rolled_up_before(PERIOD.previous(), PERIOD, S + 9 * D + 2 * H) == day_number(PERIOD.first) + 9
        assert [(w["messages"], w["citizens"]) for w in today["current"]["volume"]["weekly"]] == [(6, 3), (4, 3)]
        assert today["current"]["volume"]["citizens"] == 5
        # in the hour after midnight, yesterday is not closed yet: read from the events too
        assert sources.rolled_up_before(PERIOD.previous(), PERIOD, S + 9 * D + H / 2) == day_number(PERIOD.first) + 8
        figures(S + 9 * D + H / 2)
    finally:  # G's data erased: the rollups of G's days are dropped with the events, then built again without them
        Retention(sources.project, sources.tracker).erase("G", "test")
    assert not {day_number(PERIOD.first) + 3, first + 1} & built()
    data = figures(S + 30 * D)
    assert (data["current"]["volume"]["messages"], data["previous"]["volume"]["messages"]) == (7, 1)
