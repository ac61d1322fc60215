"""Two people in real Chromium (Debian's, driven by Playwright): a citizen in
the Zalo simulator's chat page asks for an officer; an officer logs in to the
console, sees the chat appear, claims it and replies; the citizen receives
the reply through Zalo's protocol; the officer closes; the citizen's next
question is answered by the bot again. Screenshots: tests/artifacts/browser/."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

from devtools.zalo_sim import SimClient

ARTIFACTS = Path(__file__).parent / "artifacts" / "browser"
PASSWORD = "mật-khẩu-trình-duyệt-1"


def shot(page, name):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_citizen_reaches_an_officer_and_back_to_the_bot(browser, assistant):
    assistant.accounts.add(
        "hoa.vo", PASSWORD, "phuong-tay-thanh", "officer", "Võ Thị Hòa")
    citizen_id = "4" + uuid.uuid4().int.__str__()[:17]

    citizen = browser.new_context(viewport={"width": 480, "height": 900}).new_page()
    citizen.goto(f"http://127.0.0.1:{assistant.sim_port}/")
    citizen.fill("#uid", citizen_id)

    def citizen_says(text):
        citizen.fill("#text", text)
        citizen.press("#text", "Enter")

    citizen_says("cho tôi gặp cán bộ")
    citizen.locator("#chat").get_by_text("kết nối bạn với cán bộ", exact=False).wait_for(timeout=30_000)
    citizen_says("nhà tôi bị mất trộm xe máy tối qua")
    shot(citizen, "01-citizen-asks-for-an-officer")

    officer = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    officer.goto(f"http://127.0.0.1:{assistant.web_port}/console")
    assert officer.url.endswith("/console/login")
    officer.fill("#username", "hoa.vo")
    officer.fill("#password", PASSWORD)
    officer.click("#login-button")
    officer.locator("#officer-name").get_by_text("Võ Thị Hòa", exact=False).wait_for(timeout=15_000)
    item = officer.locator(".queue-item", has_text="nhà tôi bị mất trộm xe máy")
    item.wait_for(timeout=30_000)  # appears without reloading the page
    shot(officer, "02-console-queue")
    item.click()
    officer.locator("#transcript").get_by_text("nhà tôi bị mất trộm xe máy tối qua").wait_for(timeout=15_000)
    officer.click("#claim-button")
    officer.locator("#reply-text").wait_for(state="visible", timeout=15_000)
    officer.fill("#reply-text", "Chào bạn, tôi là cán bộ Hòa. Bạn mất xe lúc mấy giờ, ở đâu?")
    officer.click("#reply-button")
    officer.locator("#transcript").get_by_text("tôi là cán bộ Hòa", exact=False).wait_for(timeout=15_000)
    shot(officer, "03-console-reply")

    citizen.locator("#chat").get_by_text("tôi là cán bộ Hòa", exact=False).wait_for(timeout=30_000)
    sim = SimClient(f"http://127.0.0.1:{assistant.sim_port}")
    delivered = [m["body"]["message"].get("text", "") for m in sim.messages(user_id=citizen_id)]
    assert "Chào bạn, tôi là cán bộ Hòa. Bạn mất xe lúc mấy giờ, ở đâu?" in delivered
    shot(citizen, "04-citizen-gets-the-reply")

    officer.once("dialog", lambda dialog: dialog.accept())  # "Kết thúc cuộc trò chuyện …?"
    officer.click("#close-button")
    citizen.locator("#chat").get_by_text("kết thúc cuộc trò chuyện", exact=False).wait_for(timeout=30_000)
    citizen_says("đăng ký tạm trú cần giấy tờ gì")
    citizen.locator("#chat").get_by_text("Hồ sơ cần chuẩn bị", exact=False).wait_for(timeout=30_000)
    shot(citizen, "05-bot-answers-again")
    officer.locator(".queue-item", has_text="nhà tôi bị mất trộm xe máy").wait_for(state="detached", timeout=15_000)
    shot(officer, "06-console-after-close")


def test_the_console_asks_before_acting_keeps_the_newest_message_in_view_and_has_an_icon(browser, assistant, zalo):
    import time

    import requests

    from bot.core.units import load_units
    from tests.conftest import Console, rasa_headers, sign_in, wait_for

    assistant.accounts.add("lan.ngo", PASSWORD, "phuong-tay-thanh", "officer", "Ngô Thị Lan")
    user = "5" + uuid.uuid4().int.__str__()[:17]
    zalo.send(zalo.oa_id, user, text="cho tôi gặp cán bộ")
    zalo.wait_for_messages(user, 1)

    def bot_lines(*texts):  # a long conversation, told to Rasa as it stores it
        answer = requests.post(f"{assistant.url}/conversations/{user}/tracker/events", headers=rasa_headers(),
                               json=[{"event": "bot", "text": t, "timestamp": time.time()} for t in texts], timeout=30)
        assert answer.status_code == 200, answer.text

    bot_lines(*[f"Tin nhắn thử số {i}" for i in range(1, 41)])
    chat = wait_for(lambda: Console(assistant, "lan.ngo", PASSWORD).chat_for(user))
    item = f'.queue-item[data-chat-id="{chat["id"]}"]'

    officer = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    missing = []  # every address the pages asked for and did not get (the icon was one)
    officer.on("response", lambda r: r.status == 404 and missing.append(r.url))
    sign_in(officer, f"http://127.0.0.1:{assistant.web_port}", "lan.ngo", PASSWORD, "Ngô Thị Lan")
    officer.locator(item).click()
    officer.locator("#transcript").get_by_text("Tin nhắn thử số 40", exact=True).wait_for(timeout=15_000)
    officer.click("#claim-button")
    officer.locator("#reply-text").wait_for(state="visible", timeout=15_000)

    # the newest message is in view, above the reply box
    newest_in_view = """() => {
        const box = document.getElementById("transcript"), last = box.lastElementChild;
        const b = box.getBoundingClientRect(), l = last.getBoundingClientRect();
        const composer = document.getElementById("composer").getBoundingClientRect();
        return l.bottom <= b.bottom + 1 && l.top >= b.top - 1 && b.bottom <= composer.top + 1;
    }"""
    officer.wait_for_function(newest_in_view, timeout=5_000)
    shot(officer, "07-console-newest-message-in-view")
    officer.eval_on_selector("#transcript", "box => { box.scrollTop = 0; }")  # the officer reads back
    bot_lines("Tin nhắn thử số 41")
    officer.locator("#transcript").get_by_text("Tin nhắn thử số 41", exact=True).wait_for(timeout=15_000)
    assert officer.eval_on_selector("#transcript", "box => box.scrollTop") < 50  # left where he was reading

    # no transfer to himself or his own unit; transferring and ending ask first, naming what
    options = officer.eval_on_selector_all("#transfer-unit option", "os => os.map(o => o.textContent)")
    assert not [o for o in options if "Ngô Thị Lan" in o or o == "Đơn vị: " + load_units().get("phuong-tay-thanh").name]
    target = "Đơn vị: " + load_units().get("phuong-son-ky").name
    officer.select_option("#transfer-unit", label=target)
    asked = []

    def answer(accept):
        def on_dialog(dialog):
            asked.append(dialog.message)
            dialog.accept() if accept else dialog.dismiss()
        officer.once("dialog", on_dialog)

    answer(False)
    officer.click("#transfer-button")
    answer(False)
    officer.click("#close-button")
    assert asked == [f"Chuyển cuộc trò chuyện này đến {target}?",
                     f"Kết thúc cuộc trò chuyện “{chat['reason_label']} · {chat['unit_name']}” "
                     "và trả công dân về trợ lý ảo?"]
    time.sleep(2.5)  # a poll of the page: nothing was done
    assert officer.locator("#reply-text").is_visible()
    assert officer.locator("#chat-state").text_content() == "Đang xử lý: Ngô Thị Lan"
    answer(True)
    officer.click("#close-button")
    officer.locator(item).wait_for(state="detached", timeout=15_000)
    zalo.wait_for_messages(user, 2)

    assert officer.eval_on_selector("link[rel=icon]", "l => l.href").endswith("/console/static/favicon.svg")
    assert not missing, missing


def test_an_sos_chat_shows_the_citizen_the_answer_the_location_and_a_photo(browser, assistant, zalo):
    """A citizen cries for help in the simulator, shares a location, then sends a photo (with a caption)
    and a sticker; the ward's officer finds the chat under the citizen's label, claims it, reads it all."""
    import io

    from PIL import Image

    from bot.console import labels
    from tests.conftest import Console, sign_in, wait_for

    assistant.accounts.add("kim.do", PASSWORD, "phuong-son-ky", "officer", "Đỗ Thị Kim")
    citizen_id = "6" + uuid.uuid4().int.__str__()[:17]
    citizen = browser.new_context(viewport={"width": 480, "height": 900}).new_page()
    citizen.goto(f"http://127.0.0.1:{assistant.sim_port}/")
    citizen.fill("#uid", citizen_id)
    citizen.fill("#text", "cứu")
    citizen.press("#text", "Enter")
    citizen.locator("#chat").get_by_text("113", exact=False).first.wait_for(timeout=30_000)
    citizen.fill("#lat", "10.79")
    citizen.fill("#lng", "106.62")
    citizen.click("#location")
    citizen.locator("#chat").get_by_text("Công an phường Sơn Kỳ", exact=False).first.wait_for(timeout=30_000)
    photo = "https://zalo-cdn.example/sos/anh-hien-truong.jpg"
    zalo.send(zalo.oa_id, citizen_id, "user_send_image", text="trước cửa nhà tôi", url=photo, thumbnail=photo)
    zalo.send(zalo.oa_id, citizen_id, "user_send_sticker")
    shot(citizen, "08-citizen-sos-location-photo")

    kim = Console(assistant, "kim.do", PASSWORD)
    # the citizen by their Zalo display name (fetched from user/detail in the background), never by id
    name = zalo.state()["users"][zalo.oa_id][citizen_id]["display_name"]
    chat = wait_for(lambda: (c := kim.chat_for(citizen_id)) and c["last_message"] == "(nhãn dán)"
                    and c["citizen"] == name and c)
    assert name != labels.citizen(citizen_id) and citizen_id not in chat["citizen"]

    officer = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    picture = io.BytesIO()
    Image.new("RGB", (320, 240), (90, 110, 140)).save(picture, "PNG")
    officer.route("https://zalo-cdn.example/**", lambda route: route.fulfill(  # Zalo's CDN, offline
        status=200, content_type="image/png", body=picture.getvalue()))
    sign_in(officer, f"http://127.0.0.1:{assistant.web_port}", "kim.do", PASSWORD)
    item = officer.locator(f'.queue-item[data-chat-id="{chat["id"]}"]')
    item.locator(".qi-citizen", has_text=chat["citizen"]).wait_for(timeout=15_000)
    item.click()
    officer.click("#claim-button")
    officer.locator("#reply-text").wait_for(state="visible", timeout=15_000)
    transcript = officer.locator("#transcript")
    transcript.get_by_text("trước cửa nhà tôi", exact=True).wait_for(timeout=15_000)
    assert officer.locator("#chat-citizen").text_content() == chat["citizen"]
    assert transcript.get_by_text("SOS: cứu", exact=True).count() == 1
    assert transcript.locator(".msg-citizen .map-link").get_attribute("href").startswith(
        "https://www.openstreetmap.org/?mlat=10.79&mlon=106.62")
    assert transcript.locator(".msg-attachment a", has_text="Ảnh").get_attribute("href") == photo
    assert transcript.locator(".msg-attachment", has_text="(nhãn dán)").count() == 1
    chips = officer.eval_on_selector_all("#transcript .msg-bot .msg-buttons", "rows => rows.map(r => r.textContent)")
    assert chips[0] == "Gọi trực banGọi 113Gọi 114Gọi 115"  # the emergency answer's call buttons
    assert wait_for(lambda: officer.eval_on_selector("#transcript img", "img => img.naturalWidth") == 320, 10)
    shot(officer, "09-console-sos-chat-newest")
    officer.click("#status-dismiss")
    officer.eval_on_selector("#transcript", "box => { box.scrollTop = 0; }")  # the cry for help and its answer
    shot(officer, "10-console-sos-chat-from-the-start")


def test_announcements_show_the_broadcast_quota_before_approval_and_the_reach_per_channel(browser, assistant, zalo):
    """A commander sees, before approving, how many broadcasts the OA has left
    this month; once published, everyone sees the reach per channel."""
    from tests.conftest import Console, sign_in, wait_for

    assistant.accounts.add("my.dang", PASSWORD, "phuong-tay-thanh", "officer", "Đặng Thị My")
    assistant.accounts.add("tri.ha", PASSWORD, "phuong-tay-thanh", "commander", "Hà Minh Trí")
    follower, writer = "5" + uuid.uuid4().int.__str__()[:17], "6" + uuid.uuid4().int.__str__()[:17]
    zalo.send(zalo.oa_id, follower, event_name="follow")
    zalo.send(zalo.oa_id, writer, text="xin chào", follower=False)
    zalo.wait_for_messages(writer, 1)
    my, tri = Console(assistant, "my.dang", PASSWORD), Console(assistant, "tri.ha", PASSWORD)
    title = "Cảnh báo giả danh công an gọi điện"
    created = my.post("announcements", {"title": title, "body": "Công an không gọi điện yêu cầu chuyển tiền.",
                                        "units": ["phuong-tay-thanh"]}).json()["announcement"]

    commander = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(commander, f"http://127.0.0.1:{assistant.web_port}", "tri.ha", PASSWORD, "Hà Minh Trí")
    commander.goto(f"http://127.0.0.1:{assistant.web_port}/console/announcements")
    item = commander.locator(".ann-item", has_text=title)
    quota = item.locator(".ann-quota")
    quota.get_by_text("lượt gửi tin truyền thông tháng này", exact=False).wait_for(timeout=15_000)
    assert re.fullmatch(r"Công an phường \(mô phỏng\): Còn [1-4]/4 lượt gửi tin truyền thông tháng này",
                        quota.inner_text().strip())
    shot(commander, "07-announcement-quota-before-approval")

    assert tri.post(f"announcements/{created['id']}/approve").json()["announcement"]["status"] == "published"
    wait_for(lambda: any(b["title"] == title and follower in b["recipients"] for b in zalo.broadcasts(zalo.oa_id)))
    zalo.wait_for_messages(writer, 2)
    officer = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(officer, f"http://127.0.0.1:{assistant.web_port}", "my.dang", PASSWORD, "Đặng Thị My")
    officer.goto(f"http://127.0.0.1:{assistant.web_port}/console/announcements")
    item = officer.locator(".ann-item", has_text=title)
    item.locator(".ann-broadcasts").get_by_text("Đã gửi", exact=False).wait_for(timeout=30_000)
    line = item.locator(".ann-broadcasts li").inner_text()
    assert re.fullmatch(r"Tin truyền thông – Công an phường \(mô phỏng\): Đã gửi · \d+ người quan tâm đã biết", line)

    def consultation_sent():  # the page refreshes every 15 s; sooner here
        text = item.locator(".ann-deliveries").inner_text()
        if re.search(r"Đã gửi: [1-9]", text):
            return text
        officer.reload()
        return None

    deliveries = wait_for(consultation_sent, timeout=40)
    assert deliveries.startswith("Người nhận: ") and re.search(r"Qua tin truyền thông: [1-9]", deliveries)
    assert item.locator(".ann-quota").count() == 0  # published: the reach, not the quota
    shot(officer, "08-announcement-reach")
