"""The officer console's web server on its own, as an officer and an
operator meet it: `python -m bot.apps.web` on a free port with a temporary
project database and a stand-in Rasa server (no model, no training), driven
over HTTP with the real login form, cookies and CSRF tokens."""

from __future__ import annotations

import io
import itertools
import json
import os
import re
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from PIL import Image

from bot.console.auth import Accounts
from bot.core.audit import AuditLog
from bot.core.db import engine
from bot.handoff.store import HandoffStore
from tests.conftest import OFFICER_PASSWORD as PASSWORD
from tests.conftest import Console, free_port, sign_in, wait_for

ROOT = Path(__file__).resolve().parent.parent
_ids = itertools.count()


class FakeRasa:
    """Rasa's HTTP API as the console uses it (a tracker, appending events),
    on a fixed port; started and stopped to play Rasa being up or down."""

    def __init__(self):
        self.port = free_port()
        self.server = None
        self.trackers = {}  # conversation id -> the tracker it answers (an empty one otherwise)

    def start(self):
        trackers = self.trackers

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, body):
                raw = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def do_GET(self):
                conversation = self.path.split("/")[2] if self.path.startswith("/conversations/") else None
                self._answer(trackers.get(conversation) or {"events": [], "slots": {}, "latest_message": {}})

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                self._answer({})

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


class Web:
    """The console's web server in a process of its own; its log in ``log``."""

    def __init__(self, state: Path, rasa: FakeRasa, env: dict = None):
        self.state, self.rasa, self.port = state, rasa, free_port()
        self.database_url = f"sqlite:///{state / 'project.db'}"
        self.engine = engine(self.database_url)
        self.accounts = Accounts(self.engine)
        self.handoffs = HandoffStore(self.engine)
        self.log_path = state / "web.log"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot.apps.web", "--host", "127.0.0.1", "--port", str(self.port)],
            cwd=ROOT, stdout=self.log_path.open("w"), stderr=subprocess.STDOUT, start_new_session=True,
            env={**os.environ, "DATABASE_URL": self.database_url, "RASA_URL": f"http://127.0.0.1:{rasa.port}",
                 "RASA_AUTH_TOKEN": "token", "HANDOFF_TIMEOUT_SECONDS": "3600", "SANIC_REAL_IP_HEADER": "X-Real-IP",
                 **(env or {})})
        deadline = time.monotonic() + 180
        while True:
            try:
                if requests.get(self.url("/health"), timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail("the web server did not come up:\n" + self.log[-3000:])
            time.sleep(0.5)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def console(self, username: str, password: str = PASSWORD, address: str = "192.0.2.1") -> Console:
        """An officer's browser at ``address`` (the server trusts X-Real-IP, as behind a reverse proxy)."""
        return Console(None, username, password, web_port=self.port, headers={"X-Real-IP": address})

    def chat(self, unit: str = "phuong-tay-thanh", reason: str = "requested"):
        """A new chat waiting for an officer: (its id, its conversation id)."""
        conversation = f"7000000000{next(_ids):08d}"
        return self.handoffs.request(conversation, unit, reason)["id"], conversation

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()


@pytest.fixture(scope="module")
def rasa():
    stand_in = FakeRasa()  # down until a test starts it
    yield stand_in
    stand_in.stop()


@pytest.fixture(scope="module")
def web(tmp_path_factory, rasa):
    running = Web(tmp_path_factory.mktemp("console"), rasa)
    accounts = running.accounts
    accounts.add("an.nguyen", PASSWORD, "phuong-tay-thanh", "officer", "Nguyễn Văn An")
    accounts.add("binh.tran", PASSWORD, "phuong-tay-thanh", "officer", "Trần Thị Bình")
    accounts.add("chi.le", PASSWORD, "phuong-son-ky", "officer", "Lê Minh Chí")
    accounts.add("dung.pham", PASSWORD, "quan-mau", "commander", "Phạm Quốc Dũng")
    yield running
    running.stop()


# ---- chats: claims --------------------------------------------------------------------------------

def test_only_the_officer_who_has_a_chat_or_a_commander_hands_it_on(web):
    chat, conversation = web.chat()
    an, binh, dung = web.console("an.nguyen"), web.console("binh.tran"), web.console("dung.pham")
    assert an.post(f"chats/{chat}/claim").status_code == 200

    for target in ("officer:binh.tran", "unit:phuong-son-ky"):  # a colleague of the ward
        refused = binh.post(f"chats/{chat}/transfer", {"to": target})
        assert refused.status_code == 409
        assert refused.json()["error"] == ("Cuộc trò chuyện đang do cán bộ Nguyễn Văn An xử lý. "
                                           "Chỉ cán bộ đó hoặc chỉ huy đơn vị mới chuyển được.")
    assert binh.post(f"chats/{chat}/reply", {"text": "Tôi xử lý thay."}).status_code == 409
    assert binh.chat_for(conversation)["claimed_by_name"] == "Nguyễn Văn An"

    assert dung.post(f"chats/{chat}/transfer", {"to": "officer:binh.tran"}).status_code == 200  # the district commander
    assert an.chat_for(conversation)["claimed_by_name"] == "Trần Thị Bình"
    assert an.post(f"chats/{chat}/transfer", {"to": "officer:an.nguyen"}).status_code == 409
    moved = binh.post(f"chats/{chat}/transfer", {"to": "unit:phuong-son-ky"})  # its officer
    assert moved.status_code == 200
    assert "người dân chưa được báo" in moved.json()["warning"]  # no assistant here to tell the citizen
    actions = [(e["actor"], e["action"], e["detail"]) for e in AuditLog(web.engine).entries(handoff_id=chat)]
    assert actions[1:] == [("an.nguyen", "claimed", {}),
                           ("dung.pham", "transferred", {"to_officer": "binh.tran", "to_unit": "phuong-tay-thanh"}),
                           ("binh.tran", "transferred", {"to_unit": "phuong-son-ky"})]

    waiting, _ = web.chat()  # nobody has it: anyone of the unit may send it on
    assert binh.post(f"chats/{waiting}/transfer", {"to": "unit:phuong-son-ky"}).status_code == 200


# ---- chats: Rasa down, ids out of range -----------------------------------------------------------

def test_while_the_assistant_is_down_officers_are_told_and_the_log_says_it_once(web, rasa):
    """The stand-in Rasa has been down since the server started; the
    supervisor checks every open chat every second meanwhile."""
    chats = [web.chat()[0] for _ in range(5)]
    an = web.console("an.nguyen")
    for _ in range(10):
        answer = an.get(f"chats/{chats[0]}")
        assert answer.status_code == 503
        assert answer.json() == {"error": "Không kết nối được trợ lý, thử lại sau."}
    time.sleep(3)
    log = web.log
    assert "Traceback" not in log
    assert len([line for line in log.splitlines() if "does not answer" in line]) == 1, log[-3000:]

    rasa.start()
    assert wait_for(lambda: an.get(f"chats/{chats[0]}").status_code == 200)
    assert "answers again" in wait_for(lambda: "answers again" in web.log and web.log)


def test_an_id_too_big_for_the_database_is_not_found(web):
    an = web.console("an.nguyen")
    huge = "99999999999999999999999"
    assert an.get(f"chats/{huge}").status_code == 404
    assert an.post(f"chats/{huge}/claim").status_code == 404
    assert an.get(f"announcements/{huge}").status_code == 404
    assert "OverflowError" not in web.log


def test_an_officer_cannot_transfer_to_himself_or_his_own_unit(web):
    targets = web.console("an.nguyen").get("transfer-targets").json()
    ids, names = [t["id"] for t in targets], [t["name"] for t in targets]
    assert "officer:an.nguyen" not in ids and "unit:phuong-tay-thanh" not in ids
    assert not [n for n in names if "Nguyễn Văn An" in n]
    assert "officer:binh.tran" in ids and "unit:phuong-son-ky" in ids and "unit:quan-mau" in ids


# ---- chats: what the officer reads ----------------------------------------------------------------

def user(text, at, intent, entities=(), metadata=None):
    return {"event": "user", "text": text, "timestamp": at, "metadata": metadata or {},
            "parse_data": {"intent": {"name": intent}, "entities": list(entities)}}


def test_the_officer_reads_what_the_citizen_said_not_the_assistants_ids(web, rasa):
    from bot.safety import sos
    from bot.core.units import load_units

    if rasa.server is None:
        rasa.start()
    chat, conversation = web.chat(reason="sos")
    at = time.time()  # previews count the messages since the chat began
    located = '/share_location{"latitude": 10.7769, "longitude": 106.7009}'
    rasa.trackers[conversation] = {
        "events": [
            user("/ask_fee", at + 1, "ask_fee"),
            user("/id_card.first_issue", at + 2, "id_card.first_issue"),
            user("cứu tôi với", at + 3, "sos", metadata={"sos_text": "cứu tôi với", "unit": "phuong-tay-thanh"}),
            user(located, 1764547200, "share_location",  # 00:00 UTC: 07:00 in Vietnam
                 [{"entity": "latitude", "value": 10.7769}, {"entity": "longitude", "value": 106.7009}]),
        ],
        "slots": {"procedure": "residence.permanent_registration", "aspect": "documents"},
        "latest_message": {"intent": {"name": "nlu_fallback"}},
    }
    an = web.console("an.nguyen")
    detail = wait_for(lambda: (a := an.get(f"chats/{chat}")).status_code == 200 and a.json())
    lines = [(t["from"], t["text"], t.get("link")) for t in detail["transcript"]]
    link = "https://www.openstreetmap.org/?mlat=10.7769&mlon=106.7009#map=18/10.7769/106.7009"
    assert lines == [
        ("citizen", "(bấm nút) Lệ phí", None),
        ("citizen", "(bấm nút) Cấp thẻ căn cước lần đầu (từ đủ 14 tuổi)", None),
        ("citizen", "SOS: cứu tôi với", None),
        ("bot", sos.reply(load_units().get("phuong-tay-thanh"))[0], None),  # sent by the Zalo intake
        ("citizen", "📍 Vị trí (07:00)", link),
    ]
    assert detail["understood"]["rows"] == [["Thủ tục", "Đăng ký thường trú"], ["Ý định", "không hiểu câu hỏi"],
                                            ["Nội dung hỏi", "Hồ sơ"]]
    shown = json.dumps(detail["understood"]["rows"], ensure_ascii=False)
    assert "residence." not in shown and "documents" not in shown and "nlu_fallback" not in shown


def test_the_queue_shows_a_shared_location_with_its_map(web, rasa):
    if rasa.server is None:
        rasa.start()
    chat, conversation = web.chat(reason="sos")
    rasa.trackers[conversation] = {"events": [user(
        '/share_location{"latitude": 10.5, "longitude": 106.25}', 1764547200 + 10**9, "share_location",
        [{"entity": "latitude", "value": 10.5}, {"entity": "longitude", "value": 106.25}])],
        "slots": {}, "latest_message": {}}
    an = web.console("an.nguyen")
    queued = wait_for(lambda: (c := an.chat_for(conversation)) and c["last_message"] and c)
    assert queued["last_message"].startswith("📍 Vị trí (") and "share_location" not in queued["last_message"]
    assert queued["last_link"] == "https://www.openstreetmap.org/?mlat=10.5&mlon=106.25#map=18/10.5/106.25"


def bot(text, at, data=None, metadata=None):
    return {"event": "bot", "text": text, "timestamp": at, "data": data or {}, "metadata": metadata or {}}


def sent(kind, caption=None, **payload):
    """A citizen's image, file or sticker as the Zalo channel hands it to Rasa (channels/zalo.py)."""
    metadata = {"zalo_event": f"user_send_{kind}", "attachments": [{"type": kind, "payload": payload}],
                **({"caption": caption} if caption else {})}
    return '/send_media{"media_type": "%s"}' % kind, metadata


FORM = {"url": "http://localhost:5080/forms/CT01.docx", "name": "CT01.docx", "title": "Tờ khai thay đổi thông tin cư trú"}
PHOTO = {"url": "https://zalo-cdn.example/anh-giay-to.jpg", "thumbnail": "https://zalo-cdn.example/anh-giay-to-nho.jpg"}


def files_and_buttons(at):
    """A chat with a citizen's photo (captioned), sticker and file (a javascript: address), and the
    assistant's form file and buttons."""
    photo, sticker, file = sent("image", "ảnh giấy đăng ký xe", **PHOTO), sent("sticker", id="ab12", url=PHOTO["url"]), \
        sent("file", url="javascript:alert(document.cookie)", name="don-trinh-bao.pdf")
    return [
        user(photo[0], at + 1, "send_media", metadata=photo[1]),
        user(sticker[0], at + 2, "send_media", metadata=sticker[1]),
        user(file[0], at + 3, "send_media", metadata=file[1]),
        bot("", at + 4, {"custom": {"file": FORM}}),
        bot("Mẫu CT01 đã gửi ở trên.", at + 5, {"buttons": [{"title": "Lệ phí", "payload": "/ask_fee"},
                                                             {"title": "Nơi nộp", "payload": "/ask_where"}]}),
    ]


def test_the_officer_sees_the_files_images_stickers_and_buttons_of_a_chat(web, rasa):
    if rasa.server is None:
        rasa.start()
    chat, conversation = web.chat()
    rasa.trackers[conversation] = {"events": files_and_buttons(time.time()), "slots": {}, "latest_message": {}}
    an = web.console("an.nguyen")
    detail = wait_for(lambda: (a := an.get(f"chats/{chat}")).status_code == 200 and a.json())
    lines = [(t["from"], t["text"], [(a["text"], a["url"], a["thumbnail"]) for a in t["attachments"]], t["buttons"])
             for t in detail["transcript"]]
    assert lines == [
        ("citizen", "ảnh giấy đăng ký xe", [("🖼 Ảnh", PHOTO["url"], PHOTO["thumbnail"])], []),
        ("citizen", "", [("(nhãn dán)", None, None)], []),
        ("citizen", "", [("📎 don-trinh-bao.pdf", None, None)], []),  # never a javascript: link
        ("bot", "", [("📎 Tờ khai thay đổi thông tin cư trú", FORM["url"], None)], []),
        ("bot", "Mẫu CT01 đã gửi ở trên.", [], ["Lệ phí", "Nơi nộp"]),
    ]
    queued = wait_for(lambda: (c := an.chat_for(conversation)) and c["message_count"] == 3 and c)
    assert queued["last_message"] == "📎 don-trinh-bao.pdf"
    rasa.trackers[conversation]["events"] = rasa.trackers[conversation]["events"][:1]
    assert wait_for(lambda: an.chat_for(conversation)["last_message"] == "🖼 Ảnh: ảnh giấy đăng ký xe")


def test_what_a_tipoff_hides_stays_hidden_with_its_files_and_buttons(web, rasa):
    from bot.tipoffs.redaction import PLACEHOLDER

    if rasa.server is None:
        rasa.start()
    chat, conversation = web.chat(reason="tipoff")
    at = time.time()
    evidence = sent("image", "ảnh biển số xe của kẻ trộm", **PHOTO)
    rasa.trackers[conversation] = {"events": [
        {"event": "active_loop", "name": "tipoff_form"},
        user(evidence[0], at + 1, "send_media", metadata=evidence[1]),  # an answer of the form: hidden
        {"event": "action", "name": "tipoff_form"},
        bot("Gửi ẩn danh?", at + 2, {"buttons": [{"title": "Ẩn danh", "payload": "/affirm"}],
                                     "custom": {"file": FORM}}, {"confidential": "tipoff"}),
        {"event": "active_loop", "name": None},
        user("/ask_fee", at + 3, "ask_fee"),
    ], "slots": {}, "latest_message": {}}
    an = web.console("an.nguyen")
    detail = wait_for(lambda: (a := an.get(f"chats/{chat}")).status_code == 200 and a.json())
    lines = [(t["from"], t["text"], t["attachments"], t["buttons"], t["link"]) for t in detail["transcript"]]
    assert lines == [("citizen", PLACEHOLDER, [], [], None), ("bot", PLACEHOLDER, [], [], None),
                     ("citizen", "(bấm nút) Lệ phí", [], [], None)]
    shown = json.dumps(detail, ensure_ascii=False)
    assert "zalo-cdn.example" not in shown and "biển số" not in shown and "Ẩn danh" not in shown and "CT01" not in shown


def test_a_citizen_is_named_in_the_queue_and_the_chat_without_their_zalo_id(web, rasa):
    if rasa.server is None:
        rasa.start()
    (first, first_id), (_, second_id), (named, named_id) = web.chat(), web.chat(), web.chat()
    rasa.trackers[named_id] = {"events": [user("xin chào", time.time(), "greet", metadata={"display_name": "Trần Thị Mai"})],
                               "slots": {}, "latest_message": {}}
    an = web.console("an.nguyen")
    labels = {c["conversation_id"]: c["citizen"] for c in an.get("queue").json()["chats"]}
    assert re.fullmatch(r"Công dân [0-9A-F]{4}", labels[first_id]) and re.fullmatch(r"Công dân [0-9A-F]{4}", labels[second_id])
    assert labels[first_id] != labels[second_id]
    assert an.get(f"chats/{first}").json()["chat"]["citizen"] == labels[first_id]  # the same every time
    assert web.console("binh.tran").chat_for(first_id)["citizen"] == labels[first_id]
    assert first_id[-4:] not in labels[first_id] and first_id not in an.get(f"chats/{first}").json()["chat"]["citizen"]
    assert an.get(f"chats/{named}").json()["chat"]["citizen"] == "Trần Thị Mai"
    assert wait_for(lambda: an.chat_for(named_id)["citizen"] == "Trần Thị Mai")


def test_the_chat_page_shows_files_as_links_images_and_buttons_as_chips(web, rasa, browser):
    if rasa.server is None:
        rasa.start()
    chat, conversation = web.chat()
    rasa.trackers[conversation] = {"events": files_and_buttons(time.time()), "slots": {}, "latest_message": {}}
    citizen = web.console("an.nguyen").chat_for(conversation)["citizen"]

    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    blocked = []  # what the Content-Security-Policy refused: nothing of the console's own
    page.on("console", lambda message: "Content Security Policy" in message.text and blocked.append(message.text))
    thumbnail = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(thumbnail, "PNG")
    page.route("https://zalo-cdn.example/**", lambda route: route.fulfill(  # Zalo's CDN, offline
        status=200, content_type="image/png", body=thumbnail.getvalue()))
    sign_in(page, web.url(""), "an.nguyen", PASSWORD)
    item = page.locator(f'.queue-item[data-chat-id="{chat}"]')
    item.locator(".qi-citizen", has_text=citizen).wait_for(timeout=15_000)
    item.click()
    transcript = page.locator("#transcript")
    transcript.get_by_text("ảnh giấy đăng ký xe").wait_for(timeout=15_000)
    assert page.locator("#chat-citizen").text_content() == citizen
    assert wait_for(lambda: page.eval_on_selector("#transcript img", "img => img.naturalWidth") == 40, 10)
    links = page.eval_on_selector_all("#transcript .msg-attachment a", """links => links.map(a =>
        [a.textContent, a.getAttribute("href"), a.target, a.rel, (a.querySelector("img") || {}).src || null])""")
    assert links == [["🖼 Ảnh", PHOTO["url"], "_blank", "noopener noreferrer", PHOTO["thumbnail"]],
                     ["📎 Tờ khai thay đổi thông tin cư trú", FORM["url"], "_blank", "noopener noreferrer", None]]
    assert transcript.locator(".msg-attachment", has_text="(nhãn dán)").locator("a").count() == 0
    assert transcript.locator(".msg-attachment", has_text="📎 don-trinh-bao.pdf").locator("a").count() == 0
    chips = page.eval_on_selector_all("#transcript .msg-bot .msg-buttons .chip", "cs => cs.map(c => c.textContent)")
    assert chips == ["Lệ phí", "Nơi nộp"]
    page.screenshot(path=str(ROOT / "tests" / "artifacts" / "browser" / "console-files-and-buttons.png"))
    assert not blocked, blocked


# ---- security headers, attachments ----------------------------------------------------------------

def test_every_answer_carries_the_security_headers_and_the_apis_are_not_cached(web):
    an = web.console("an.nguyen")
    for path in ("/console/login", "/console", "/console/tipoffs", "/console/api/tipoffs", "/console/api/queue",
                 "/console/static/console_core.js", "/health", "/forms", "/hoi/residence.temporary_registration",
                 "/console/api/chats/99999999999999999999999"):
        answer = an.http.get(web.url(path), allow_redirects=False, timeout=10)
        csp = answer.headers.get("Content-Security-Policy", "")
        assert "default-src 'self'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp, path
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, path
        assert answer.headers.get("X-Frame-Options") == "DENY", path
        assert answer.headers.get("X-Content-Type-Options") == "nosniff", path
        assert answer.headers.get("Referrer-Policy") in ("same-origin", "no-referrer"), path
    for path in ("/console/api/tipoffs", "/console/api/queue", "/console/api/me", "/console"):
        assert an.http.get(web.url(path), timeout=10).headers.get("Cache-Control") == "no-store", path


def test_the_pages_have_an_icon(web):
    an = web.console("an.nguyen")
    for path in ("/console", "/console/login"):
        assert '<link rel="icon" href="/console/static/favicon.svg"' in an.http.get(web.url(path), timeout=10).text
    for path in ("/console/static/favicon.svg", "/favicon.ico"):  # /favicon.ico: pages without the link
        icon = an.http.get(web.url(path), timeout=10)
        assert icon.status_code == 200 and icon.headers["Content-Type"].startswith("image/svg+xml"), path
        assert icon.text.startswith("<svg") and "<script" not in icon.text, path


def test_a_tipoff_attachment_opens_only_https_addresses(web, browser):
    from bot.tipoffs.store import TipoffStore

    tipoff = TipoffStore(web.engine).create("800000000000000001", "phuong-tay-thanh", "Có người bán ma túy", attachments=[
        {"type": "file", "url": "javascript:alert(document.cookie)", "name": "bang-chung.pdf"},
        {"type": "image", "url": "http://example.org/anh.jpg", "name": ""},
        {"type": "file", "url": " JavaScript:alert(1)", "name": "ghi-am.mp3"},
        {"type": "file", "url": "https://zalo.example/files/video.mp4", "name": "video.mp4"},
    ])
    detail = web.console("an.nguyen").get(f"tipoffs/{tipoff['code']}").json()
    assert [a["url"] for a in detail["attachments"]] == [None, None, None, "https://zalo.example/files/video.mp4"]

    page = browser.new_context().new_page()
    blocked = []  # what the Content-Security-Policy refused: nothing of the console's own
    page.on("console", lambda message: "Content Security Policy" in message.text and blocked.append(message.text))
    sign_in(page, web.url(""), "an.nguyen", PASSWORD, "Nguyễn Văn An")
    page.goto(web.url("/console/tipoffs"))
    page.locator(".queue-item", has_text=tipoff["code"]).click()
    files = page.locator("#d-attachments")
    files.get_by_text("bang-chung.pdf (địa chỉ không an toàn, không mở)").wait_for(timeout=15_000)
    assert page.eval_on_selector_all("#d-attachments a", "links => links.map(a => a.href)") == [
        "https://zalo.example/files/video.mp4"]
    assert files.get_by_text("ghi-am.mp3", exact=False).count() == 1
    assert not blocked, blocked


# ---- logins ---------------------------------------------------------------------------------------

# how long the slowest of the pages asked for during ``seconds`` took, measured in a process of its own
PROBE = """
import sys, time, urllib.request
url, seconds, slowest = sys.argv[1], float(sys.argv[2]), 0.0
end = time.monotonic() + seconds
while time.monotonic() < end:
    started = time.monotonic()
    urllib.request.urlopen(url, timeout=30).read()
    slowest = max(slowest, time.monotonic() - started)
    time.sleep(0.02)
print(slowest)
"""


def test_failed_logins_do_not_hold_up_the_pages(web):
    """16 logins at once with names that have no account (the dearest case:
    a password check against a stand-in hash), from 16 addresses."""
    probe = subprocess.Popen([sys.executable, "-c", PROBE, web.url("/health"), "4"], stdout=subprocess.PIPE, text=True)
    time.sleep(0.5)
    with ThreadPoolExecutor(16) as pool:
        logins = list(pool.map(lambda i: web.console(f"khong.co.{i}", "sai-mat-khau", f"198.51.100.{i}"), range(16)))
    slowest = float(probe.communicate(timeout=60)[0])
    assert all(login.csrf is None for login in logins)
    assert slowest < 0.3, f"a page waited {slowest:.2f} s for password checks"


def shown(console: Console):
    """What a login attempt shows: its status and page, without the page's own form token."""
    answer = console.login_response
    return answer.status_code, re.sub(r'name="csrf_token" value="[^"]*"', "", answer.text)


def test_names_without_an_account_answer_exactly_like_wrong_passwords(web):
    known = [web.console("an.nguyen", "sai-mat-khau", "203.0.113.20") for _ in range(6)]
    unknown = [web.console("khong.ton.tai", "sai-mat-khau", "203.0.113.21") for _ in range(6)]
    assert [shown(c) for c in known] == [shown(c) for c in unknown]
    assert "Tên đăng nhập hoặc mật khẩu không đúng." in shown(known[0])[1]
    assert "Tài khoản tạm khóa do nhập sai mật khẩu nhiều lần. Thử lại sau 15 phút." in shown(known[4])[1]


def test_a_name_without_an_account_costs_one_password_check_like_a_wrong_password(tmp_path, monkeypatch):
    import hashlib

    accounts = Accounts(engine(f"sqlite:///{tmp_path / 'project.db'}"))
    for i in range(7):
        accounts.add(f"can.bo.{i}", PASSWORD, "phuong-tay-thanh", "officer", f"Cán bộ {i}")
    scrypt, checks = hashlib.scrypt, []
    monkeypatch.setattr(hashlib, "scrypt", lambda *a, **k: checks.append(1) or scrypt(*a, **k))

    def attempt(username):
        started = time.perf_counter()
        with pytest.raises(Exception, match="không đúng"):
            accounts.login(username, "sai-mat-khau")
        return time.perf_counter() - started

    attempt("khong.ton.tai")  # the stand-in hash is made once per process
    known, unknown = [], []
    for i in range(7):
        checks.clear()
        known.append(attempt(f"can.bo.{i}"))
        assert len(checks) == 1
        unknown.append(attempt(f"khong.ton.tai.{i}"))
        assert len(checks) == 2
    assert sorted(unknown)[3] < 1.5 * sorted(known)[3], (known, unknown)


def test_a_flood_from_one_address_never_locks_the_officer_out_at_their_own_computer(web):
    web.accounts.add("giang.ho", PASSWORD, "phuong-tay-thanh", "officer", "Hồ Thu Giang")
    attacker, office = "203.0.113.66", "192.0.2.50"
    answers = [shown(web.console("giang.ho", f"doan-mo-{i}", attacker))[1] for i in range(8)]
    assert all("không đúng" in a for a in answers[:4]) and all("tạm khóa" in a for a in answers[4:])
    assert web.console("giang.ho", PASSWORD, attacker).csrf is None  # from there, even the right password waits
    assert web.console("giang.ho", PASSWORD, office).csrf  # the officer at the office logs in

    for i in range(15):  # 20 wrong logins from one address, whatever the names: that address waits
        web.console(f"ten.doan.{i}", "sai-mat-khau", attacker)
    refused = web.console("an.nguyen", PASSWORD, attacker)
    assert refused.csrf is None
    assert "Có quá nhiều lần đăng nhập sai từ máy này. Thử lại sau 15 phút." in shown(refused)[1]
    assert web.console("an.nguyen", PASSWORD, office).csrf
    assert web.console("giang.ho", PASSWORD, office).csrf


def test_guessing_one_name_from_many_addresses_locks_it_briefly_and_backs_off(tmp_path):
    from bot.console.throttle import WINDOW, LoginThrottle

    throttle, now, office = LoginThrottle(engine(f"sqlite:///{tmp_path / 'project.db'}")), 1_000_000.0, "192.0.2.9"
    for i in range(10):
        throttle.failed("an.nguyen", f"198.51.100.{i}", now)
    assert "Thử lại sau 1 phút" in throttle.refusal("an.nguyen", office, now + 1)  # from everywhere: 30 s
    assert throttle.refusal("an.nguyen", office, now + 31) is None
    assert throttle.refusal("binh.tran", office, now + 1) is None
    now += 31
    for i, lock in enumerate((60, 120, 240, 300)):  # each further failure doubles the lock, up to 5 minutes
        throttle.failed("An.Nguyen ", f"198.51.100.{10 + i}", now)  # names compare without case and spaces
        assert "tạm khóa" in throttle.refusal("an.nguyen", office, now + lock - 1)
        assert throttle.refusal("an.nguyen", office, now + lock + 1) is None
        now += lock + 1
    assert throttle.refusal("an.nguyen", office, now + WINDOW) is None  # forgotten after 15 minutes



# ---- sessions, officer accounts -------------------------------------------------------------------

NEW_PASSWORD = "mật-khẩu-mới-đủ-dài-2"


def officers_command(web, *args, password=None):
    """The operators' command line (python -m bot.console.officers) on the web server's database."""
    return subprocess.run([sys.executable, "-m", "bot.console.officers", *args], cwd=ROOT, capture_output=True,
                          text=True, input=f"{password}\n" if password else None, timeout=120,
                          env={**os.environ, "DATABASE_URL": web.database_url})


def test_a_password_reset_or_disabling_ends_the_officers_sessions(web):
    web.accounts.add("hai.do", PASSWORD, "phuong-tay-thanh", "officer", "Đỗ Văn Hải")
    hai, an = web.console("hai.do"), web.console("an.nguyen")
    assert hai.get("queue").status_code == 200

    reset = officers_command(web, "add", "hai.do", "--unit", "phuong-tay-thanh", "--name", "Đỗ Văn Hải",
                             "--password-stdin", password=NEW_PASSWORD)
    assert reset.returncode == 0, reset.stderr
    assert hai.get("queue").status_code == 401  # the session of before the reset has ended
    hai = web.console("hai.do", NEW_PASSWORD)
    assert officers_command(web, "password", "hai.do", "--password-stdin", password=PASSWORD).returncode == 0
    assert hai.get("queue").status_code == 401
    hai = web.console("hai.do", PASSWORD)
    assert hai.get("queue").status_code == 200

    assert officers_command(web, "disable", "hai.do").returncode == 0
    assert hai.get("queue").status_code == 401
    refused = web.console("hai.do", PASSWORD)
    assert refused.csrf is None and "Tài khoản đã bị vô hiệu hóa" in refused.login_response.text
    assert "officer:hai.do" not in [t["id"] for t in an.get("transfer-targets").json()]
    assert "hai.do\tphuong-tay-thanh\tofficer\tĐỗ Văn Hải\t(disabled)" in officers_command(web, "list").stdout
    assert officers_command(web, "enable", "hai.do").returncode == 0
    hai = web.console("hai.do", PASSWORD)
    assert hai.get("queue").status_code == 200

    assert officers_command(web, "remove", "hai.do").returncode == 0
    assert hai.get("queue").status_code == 401
    assert "không đúng" in web.console("hai.do", PASSWORD).login_response.text
    missing = officers_command(web, "disable", "khong.co.ai")
    assert missing.returncode == 2 and "no officer 'khong.co.ai'" in missing.stderr

    entries = AuditLog(web.engine).entries(subject="officer:hai.do")
    assert [e["action"] for e in entries] == ["officer_created", "officer_updated", "officer_password_reset",
                                              "officer_disabled", "officer_enabled", "officer_removed"]
    assert all(e["actor"].startswith("operator") for e in entries)


def test_a_session_ends_after_the_idle_time_however_long_the_page_polls(tmp_path_factory, rasa):
    web = Web(tmp_path_factory.mktemp("idle"), rasa, env={"CONSOLE_IDLE_MINUTES": "0.05"})  # 3 seconds
    try:
        web.accounts.add("an.nguyen", PASSWORD, "phuong-tay-thanh", "officer", "Nguyễn Văn An")
        an = web.console("an.nguyen")
        for _ in range(5):  # the officer works: the session lasts beyond the idle time
            time.sleep(1)
            assert an.get("queue").status_code == 200
        polls = []
        for _ in range(10):  # the page polls on its own: it does not count
            time.sleep(0.5)
            polls.append(an.http.get(f"{an.base}/api/queue", headers={"X-Console-Background": "1"},
                                     timeout=10).status_code)
        assert polls[0] == 200 and polls[-1] == 401, polls
        assert an.http.get(f"{an.base}", timeout=10).url.endswith("/console/login")
    finally:
        web.stop()
