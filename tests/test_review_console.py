"""Issue 17: the console page "Câu hỏi cần xử lý", on the web server on its
own (no model) with a copy of data/ (CONTENT_DIR): editors see it and
nothing else, commanders see it too, officers do not; a group is given to a
procedure over HTTP and, in Chromium, by an editor; the example lands in the
copy's YAML file. Screenshots: tests/artifacts/browser/."""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot.core.audit import AuditLog
from bot.core.units import load_units
from bot.review.grouping import group_key
from bot.review.masking import mask
from bot.review.store import UnservedStore
from tests.conftest import OFFICER_PASSWORD as PASSWORD
from tests.test_console_hardening import FakeRasa, Web

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = Path(__file__).parent / "artifacts" / "browser"
_conversations = itertools.count()


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    state = tmp_path_factory.mktemp("review-console")
    content = state / "data"
    shutil.copytree(ROOT / "data", content)
    rasa = FakeRasa()
    running = Web(state, rasa, env={"CONTENT_DIR": str(content)})
    running.content = content
    accounts = running.accounts
    accounts.add("an.nguyen", PASSWORD, "phuong-tay-thanh", "officer", "Nguyễn Văn An")
    accounts.add("dung.pham", PASSWORD, "quan-mau", "commander", "Phạm Quốc Dũng")
    accounts.add("chi.le", PASSWORD, "phuong-son-ky", "commander", "Lê Minh Chí")
    yield running
    running.stop()


def keep(web, text, unit="phuong-tay-thanh", kind="not_understood", guess=None, conversation=None):
    masked = mask(text)
    conversation = conversation or f"8000000000{next(_conversations):08d}"
    return UnservedStore(web.engine).add(conversation, unit, masked, group_key(masked), kind, guess=guess)


def officers_command(web, *args):
    return subprocess.run([sys.executable, "-m", "bot.console.officers", *args, "--password-stdin"], cwd=ROOT,
                          capture_output=True, text=True, input=f"{PASSWORD}\n", timeout=120,
                          env={**os.environ, "DATABASE_URL": web.database_url})


def test_an_editor_sees_the_review_page_and_nothing_else(web):
    made = officers_command(web, "add", "bien.tap", "--unit", "quan-mau", "--role", "editor", "--name", "Biên Tập")
    assert made.returncode == 0, made.stderr
    keep(web, "xin giấy xác nhận cư trú online được không vậy")
    editor = web.console("bien.tap")
    landing = editor.http.get(f"{editor.base}", timeout=10)  # where a login lands
    assert landing.url.endswith("/console/review") and "Câu hỏi cần xử lý" in landing.text
    assert 'href="/console/review"' in landing.text
    for page in ("/console/tipoffs", "/console/announcements", "/console/qr", "/console/privacy"):
        assert f'href="{page}"' not in landing.text
        assert editor.http.get(web.url(page), timeout=10).url.endswith("/console/review")
    for path in ("queue", "tipoffs", "announcements", "qr/options", "canned"):
        assert editor.get(path).status_code == 403, path
    assert editor.post("chats/1/claim").status_code == 403
    listing = editor.get("review")
    assert listing.status_code == 200
    assert any(g["text"] == "xin giấy xác nhận cư trú online được không vậy" for g in listing.json()["groups"])


def test_officers_do_not_see_it_commanders_do_for_their_units(web):
    keep(web, "đổi biển số xe mất bao lâu ạ", unit="phuong-son-ky")
    keep(web, "đăng ký xe máy điện cần gì ạ", unit="phuong-tay-thanh")
    officer = web.console("an.nguyen")
    assert officer.get("review").status_code == 403
    assert officer.post("review/skip", {"ids": [1]}).status_code == 403
    page = officer.http.get(web.url("/console/review"), timeout=10)
    assert not page.url.endswith("/console/review") and 'href="/console/review"' not in page.text

    district = {g["text"] for g in web.console("dung.pham").get("review").json()["groups"]}
    ward = {g["text"] for g in web.console("chi.le").get("review").json()["groups"]}
    assert {"đổi biển số xe mất bao lâu ạ", "đăng ký xe máy điện cần gì ạ"} <= district
    assert "đổi biển số xe mất bao lâu ạ" in ward and "đăng ký xe máy điện cần gì ạ" not in ward


def test_a_group_shows_its_units_samples_and_the_chat_link_and_is_assigned_once(web):
    from bot.handoff.store import HandoffStore

    conversation = "8999999999000000001"
    chat = HandoffStore(web.engine).request(conversation, "phuong-son-ky", "requested")
    first = keep(web, "Tôi là Trần Văn Ba, gia hạn tạm trú trên VNeID thế nào", unit="phuong-son-ky",
                 kind="complaint", guess="residence.temporary_extension", conversation=conversation)
    second = keep(web, "toi la tran van ba, gia han tam tru tren vneid the nao", kind="low_confidence")
    commander = web.console("dung.pham")
    group = next(g for g in commander.get("review").json()["groups"] if first in g["ids"])
    assert group["count"] == 2 and sorted(group["ids"]) == sorted([first, second])
    assert sorted(group["units"]) == sorted([load_units().get("phuong-son-ky").name,
                                             load_units().get("phuong-tay-thanh").name])
    assert group["guess"] == "residence.temporary_extension"
    sample = next(s for s in group["samples"] if s["id"] == first)
    assert sample["text"] == "Tôi là [tên], gia hạn tạm trú trên VNeID thế nào"
    assert sample["chat_link"] == f"/console#chat-{chat['id']}"
    assert next(s for s in group["samples"] if s["id"] == second)["chat_link"] is None

    done = commander.post("review/assign", {"ids": group["ids"], "procedure": "residence.temporary_extension"})
    assert done.status_code == 200, done.text
    path = web.content / "procedures" / "residence" / "temporary_extension.yml"
    assert yaml.safe_load(path.read_text(encoding="utf-8"))["examples"][-1] == \
        "Tôi là [tên], gia hạn tạm trú trên VNeID thế nào"
    assert AuditLog(web.engine).entries(subject=f"unserved:{second}")[0]["actor"] == "dung.pham"
    assert commander.post("review/assign", {"ids": group["ids"], "procedure": "residence.temporary_extension"}
                          ).status_code == 404  # closed already

    again = keep(web, "TÔI LÀ [tên], gia hạn tạm trú trên VNeID thế nào?")
    refused = commander.post("review/assign", {"ids": [again], "procedure": "residence.temporary_extension"})
    assert refused.status_code == 409 and "đã là câu ví dụ" in refused.json()["error"]
    assert commander.post("review/assign", {"ids": [again], "procedure": "residence.nope"}).status_code == 404
    assert commander.post("review/out-of-scope", {"ids": [again], "agency": ""}).status_code == 400
    assert commander.post("review/skip", {"ids": [again]}, csrf=False).status_code == 403  # no CSRF token
    assert commander.post("review/skip", {"ids": [again]}).json()["closed"] == [again]


def shot(page, name):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_an_editor_assigns_a_group_to_a_procedure_in_chromium(browser, web):
    web.accounts.add("hanh.bt", PASSWORD, "quan-mau", "editor", "Lý Thị Hạnh")
    text = "mất thẻ căn cước khi đi du lịch thì làm lại ở tỉnh khác được không"
    ids = [keep(web, text), keep(web, "mat the can cuoc khi di du lich thi lam lai o tinh khac duoc khong",
                                 unit="phuong-son-ky", kind="low_confidence")]
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(web.url("/console"))
    page.fill("#username", "hanh.bt")
    page.fill("#password", PASSWORD)
    page.click("#login-button")
    page.locator("#officer-name").get_by_text("Lý Thị Hạnh", exact=False).wait_for(timeout=15_000)
    assert page.url.endswith("/console/review")
    assert page.locator(".console-nav a").all_inner_texts() == ["Câu hỏi cần xử lý"]
    group = page.locator(".review-group", has=page.get_by_role("heading", name=f"“{text}”"))
    try:
        group.wait_for(timeout=15_000)
    except Exception:
        raise AssertionError(f"{errors}\n{page.content()[:3000]}")
    assert "2 tin nhắn" in group.locator(".review-meta").inner_text()
    assert group.locator(".review-sample").count() == 2
    shot(page, "review-01-editor-sees-a-group")
    group.locator("select.review-select").first.select_option("id_card.reissue")
    group.get_by_role("button", name="Thuộc thủ tục này").click()
    page.locator("#status-text").get_by_text("Đã thêm", exact=False).wait_for(timeout=60_000)
    group.wait_for(state="detached", timeout=15_000)
    shot(page, "review-02-assigned")
    examples = yaml.safe_load((web.content / "procedures" / "id_card" / "reissue.yml").read_text(encoding="utf-8"))
    assert examples["examples"][-1] == text
    assert {r["status"] for r in UnservedStore(web.engine).rows(status=None) if r["id"] in ids} == {"assigned"}
    assert AuditLog(web.engine).entries(subject=f"unserved:{ids[1]}")[0]["actor"] == "hanh.bt"
