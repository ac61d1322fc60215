"""Printable QR sheets: what the printed code opens (decoded from the PNG and
from the image inside the PDF), the command, the public procedure page the
procedure sheets lead to, and the officer console's QR page and API (who may
print which unit's sheet). A procedure sheet whose code would open localhost
(PUBLIC_URL unset) is refused unless asked for, and the console's page says
why in a banner."""

from __future__ import annotations

import html
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
import zxingcpp
from PIL import Image
from pypdf import PdfReader

from bot.core.units import load_units
from bot.knowledge.validate import load_checked
from bot.qr import sheets as qr
from tests.conftest import OFFICER_PASSWORD, ROOT, Console

OA_ID = "2000000000000000002"
ZALO_ENV = {
    "ZALO_APP_ID": "1000000000000000001", "ZALO_APP_SECRET": "app-secret", "ZALO_OA_SECRET_KEY": "oa-secret",
    "ZALO_ACCESS_TOKEN": "access", "ZALO_REFRESH_TOKEN": "refresh", "ZALO_OA_ID": OA_ID,
    "ZALO_UNIT": "phuong-tay-thanh",
}
PROCEDURE = "residence.temporary_registration"
# the residence procedures in a Vietnamese dictionary's order (đ after d, before g; "tách" before "thông")
RESIDENCE_IN_ORDER = [
    "Đăng ký tạm trú", "Đăng ký thường trú", "Điều chỉnh thông tin về cư trú trong Cơ sở dữ liệu về cư trú",
    "Gia hạn tạm trú", "Khai báo tạm vắng", "Tách hộ", "Thông báo lưu trú", "Xác nhận thông tin về cư trú",
    "Xóa đăng ký thường trú, xóa đăng ký tạm trú",
]
A4_AT_150_DPI = (1240, 1754)


def decoded(image: Image.Image) -> list:
    return [result.text for result in zxingcpp.read_barcodes(image)]


def pdf_image(content: bytes) -> Image.Image:
    images = PdfReader(io.BytesIO(content)).pages[0].images
    assert len(images) == 1
    return images[0].image


def clean_env(**extra) -> dict:
    """This process's environment without any Zalo or public-URL setting, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZALO_") and k != "PUBLIC_URL"}
    return {**env, **extra}


@pytest.fixture
def zalo_env(monkeypatch):
    for name in list(os.environ):
        if name.startswith("ZALO_") or name == "PUBLIC_URL":
            monkeypatch.delenv(name)
    for name, value in ZALO_ENV.items():
        monkeypatch.setenv(name, value)


@pytest.fixture(scope="module")
def kb():
    return load_checked()


# ---------------------------------------------------------------- bot/qr/sheets.py


def test_unit_sheet_is_a4_and_its_code_opens_the_units_oa_chat(zalo_env):
    image = qr.sheet("phuong-tay-thanh")
    assert image.size == A4_AT_150_DPI
    assert decoded(image) == [f"https://zalo.me/{OA_ID}"]
    png = Image.open(io.BytesIO(qr.sheet_png("phuong-tay-thanh")))
    assert png.size == A4_AT_150_DPI and round(png.info["dpi"][0]) == 150
    assert decoded(png) == [f"https://zalo.me/{OA_ID}"]
    assert qr.link_for("phuong-tay-thanh") == f"https://zalo.me/{OA_ID}"


def test_procedure_sheet_pdf_opens_the_procedures_public_page(zalo_env, monkeypatch, kb):
    monkeypatch.setenv("PUBLIC_URL", "https://tro-ly.cong-an.example.vn/")
    content = qr.sheet_pdf("phuong-son-ky", PROCEDURE, kb=kb)
    reader = PdfReader(io.BytesIO(content))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert abs(float(box.width) - 595.3) < 1.5 and abs(float(box.height) - 841.9) < 1.5  # A4 in points
    assert "Công an phường Sơn Kỳ" in reader.metadata.title
    assert kb.procedures[PROCEDURE].name in reader.metadata.title
    image = pdf_image(content)
    assert image.size == A4_AT_150_DPI
    assert decoded(image) == [f"https://tro-ly.cong-an.example.vn/hoi/{PROCEDURE}?u=phuong-son-ky"]


def test_a_ward_without_its_own_oa_gets_its_districts_and_a_ward_with_one_its_own(monkeypatch, tmp_path):
    for name in list(os.environ):
        if name.startswith("ZALO_"):
            monkeypatch.delenv(name)
    accounts = tmp_path / "accounts.yml"
    accounts.write_text(yaml.safe_dump({"accounts": [
        {"oa_id": "31", "unit": "quan-mau", "name": "Quận", "env_prefix": "ZALO_QUAN"},
        {"oa_id": "32", "unit": "phuong-son-ky", "name": "Sơn Kỳ", "env_prefix": "ZALO_SON_KY"},
    ]}, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("ZALO_ACCOUNTS_FILE", str(accounts))
    monkeypatch.setenv("ZALO_APP_ID", "1")
    monkeypatch.setenv("ZALO_APP_SECRET", "s")
    for prefix in ("ZALO_QUAN", "ZALO_SON_KY"):
        for suffix in ("OA_SECRET_KEY", "ACCESS_TOKEN", "REFRESH_TOKEN"):
            monkeypatch.setenv(f"{prefix}_{suffix}", "x")
    assert decoded(qr.sheet("phuong-son-ky")) == ["https://zalo.me/32"]
    assert decoded(qr.sheet("phuong-tay-thanh")) == ["https://zalo.me/31"]  # nearest ancestor: the district
    assert qr.link_for("doi-csgt") == "https://zalo.me/31"

    # no OA anywhere up the tree: the first OA
    accounts.write_text(yaml.safe_dump({"accounts": [
        {"oa_id": "32", "unit": "phuong-son-ky", "name": "Sơn Kỳ", "env_prefix": "ZALO_SON_KY"}]}), encoding="utf-8")
    assert qr.link_for("phuong-tay-thanh") == "https://zalo.me/32"


@pytest.mark.parametrize("public_url", [None, "http://127.0.0.1:5080", "http://[::1]:5080"])
def test_procedure_sheet_linking_to_localhost_is_refused_unless_allowed(zalo_env, monkeypatch, kb, public_url):
    if public_url:
        monkeypatch.setenv("PUBLIC_URL", public_url)
    with pytest.raises(qr.LocalhostLink, match="citizens' phones cannot reach: set PUBLIC_URL=https://"):
        qr.sheet_pdf("phuong-tay-thanh", PROCEDURE, kb=kb)
    image = qr.sheet("phuong-tay-thanh", PROCEDURE, kb=kb, allow_localhost=True)
    assert decoded(image) == [f"{public_url or 'http://localhost:5080'}/hoi/{PROCEDURE}?u=phuong-tay-thanh"]
    # a unit's sheet opens zalo.me, not our server: printed whatever PUBLIC_URL is
    assert decoded(qr.sheet("phuong-tay-thanh")) == [f"https://zalo.me/{OA_ID}"]


def test_unknown_unit_or_procedure_is_a_clear_error(zalo_env):
    with pytest.raises(ValueError, match="unknown unit 'phuong-khong-co'"):
        qr.sheet("phuong-khong-co")
    with pytest.raises(ValueError, match="unknown procedure 'residence.nope'"):
        qr.sheet_pdf("phuong-tay-thanh", "residence.nope")


def test_no_official_account_is_a_clear_error(zalo_env, monkeypatch):
    monkeypatch.delenv("ZALO_OA_ID")  # secrets but no OA id: nothing to link to
    with pytest.raises(qr.NoOfficialAccount, match="ZALO_OA_ID"):
        qr.sheet("phuong-tay-thanh")
    for name in ZALO_ENV:
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(qr.NoOfficialAccount, match="no Zalo Official Account is configured"):
        qr.link_for("phuong-tay-thanh")


def test_long_text_is_wrapped_without_losing_anything():
    font = qr._font(qr.MONO, 30)
    url = "https://tro-ly-ao.conganphuongtaythanh.example.gov.vn/hoi/residence.temporary_registration"
    lines = qr.wrap(url, font, 600)
    assert len(lines) > 1 and "".join(lines) == url
    assert all(font.getlength(line) <= 600 for line in lines)
    text = "Quét mã để xem hướng dẫn thủ tục Xóa đăng ký thường trú, xóa đăng ký tạm trú và hỏi tiếp trên Zalo"
    lines = qr.wrap(text, qr._font(qr.BOLD, 40), 700)
    assert len(lines) > 1 and " ".join(lines) == text


def test_a_very_long_unit_name_and_address_still_fit_with_a_readable_code(zalo_env, monkeypatch):
    import dataclasses

    units = load_units()
    long = dataclasses.replace(units.units["phuong-son-ky"], name="Công an phường Sơn Kỳ, quận Mẫu, " * 6,
                               address="Số 20 Đường Mẫu, khu phố 3, phường Sơn Kỳ, quận Mẫu, " * 5)
    monkeypatch.setitem(units.units, "phuong-son-ky", long)
    image = qr.sheet("phuong-son-ky", PROCEDURE, allow_localhost=True)
    assert decoded(image) == [f"http://localhost:5080/hoi/{PROCEDURE}?u=phuong-son-ky"]
    # the bottom red band is intact: no text ran into it, nothing below the page's edge
    bottom_band = image.crop((0, image.height - 20, image.width, image.height))
    assert set(bottom_band.getdata()) == {qr.RED}
    above_band = image.crop((0, image.height - 60, image.width, image.height - 23))
    assert set(above_band.getdata()) == {(255, 255, 255)}


# ---------------------------------------------------------------- command


def run_qr(*args, env=None, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "bot.qr.sheets", *args], cwd=cwd, capture_output=True, text=True,
                          env=env if env is not None else clean_env(**ZALO_ENV), timeout=120)


def test_command_writes_png_and_pdf_and_prints_the_link(tmp_path):
    png, pdf = tmp_path / "to-dan-pho.png", tmp_path / "tam-tru.pdf"
    done = run_qr("--unit", "phuong-tay-thanh", "--out", str(png))
    assert done.returncode == 0, done.stderr
    assert str(png) in done.stdout and f"https://zalo.me/{OA_ID}" in done.stdout
    assert decoded(Image.open(png)) == [f"https://zalo.me/{OA_ID}"]

    env = clean_env(**ZALO_ENV, PUBLIC_URL="https://cong-an.example.vn")
    done = run_qr("--unit", "phuong-tay-thanh", "--procedure", PROCEDURE, "--out", str(pdf), env=env)
    assert done.returncode == 0, done.stderr
    assert decoded(pdf_image(pdf.read_bytes())) == [f"https://cong-an.example.vn/hoi/{PROCEDURE}?u=phuong-tay-thanh"]


def test_command_default_file_name_and_all_units(tmp_path):
    done = run_qr("--unit", "phuong-son-ky", "--procedure", PROCEDURE, "--format", "png",
                  env={**clean_env(**ZALO_ENV, PUBLIC_URL="https://cong-an.example.vn"), "PYTHONPATH": str(ROOT)},
                  cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / f"qr-phuong-son-ky-{PROCEDURE}.png").is_file()

    done = run_qr("--all", "--out-dir", str(tmp_path / "sheets"))
    assert done.returncode == 0, done.stderr
    written = sorted(p.name for p in (tmp_path / "sheets").iterdir())
    assert written == sorted(f"qr-{u}.pdf" for u in load_units().units)
    assert decoded(pdf_image((tmp_path / "sheets" / "qr-doi-csgt.pdf").read_bytes())) == [f"https://zalo.me/{OA_ID}"]


def test_command_rejects_an_unknown_unit_or_procedure_with_the_valid_ids(tmp_path):
    done = run_qr("--unit", "phuong-khong-co", "--out", str(tmp_path / "x.pdf"))
    assert done.returncode == 2
    assert "unknown unit 'phuong-khong-co'" in done.stderr
    assert all(unit in done.stderr for unit in load_units().units)
    done = run_qr("--unit", "phuong-tay-thanh", "--procedure", "nope", "--out", str(tmp_path / "x.pdf"))
    assert done.returncode == 2 and "unknown procedure 'nope'" in done.stderr and PROCEDURE in done.stderr
    assert not (tmp_path / "x.pdf").exists()


def test_command_refuses_a_procedure_sheet_linking_to_localhost_unless_allowed(tmp_path):
    out = tmp_path / "tam-tru.pdf"
    done = run_qr("--unit", "phuong-tay-thanh", "--procedure", PROCEDURE, "--out", str(out))  # no PUBLIC_URL
    assert done.returncode == 2
    link = f"http://localhost:5080/hoi/{PROCEDURE}?u=phuong-tay-thanh"
    assert done.stderr.startswith(f"error: not printed: the code would open {link}, on this machine")
    assert "set PUBLIC_URL=https://" in done.stderr and "pass --allow-localhost" in done.stderr
    assert not out.exists() and done.stdout == ""

    done = run_qr("--unit", "phuong-tay-thanh", "--procedure", PROCEDURE, "--out", str(out), "--allow-localhost")
    assert done.returncode == 0, done.stderr
    assert decoded(pdf_image(out.read_bytes())) == [link]
    assert "only to try things out, do not post it" in done.stderr


def test_command_without_any_official_account_exits_2(tmp_path):
    done = run_qr("--unit", "phuong-tay-thanh", "--out", str(tmp_path / "x.pdf"), env=clean_env())
    assert done.returncode == 2
    assert "no Zalo Official Account is configured" in done.stderr
    assert not (tmp_path / "x.pdf").exists()


# ---------------------------------------------------------------- through the running assistant


@pytest.fixture(scope="module")
def officers(assistant):
    accounts = assistant.accounts
    accounts.add("qr.an", OFFICER_PASSWORD, "phuong-tay-thanh", "officer", "Nguyễn Văn An")
    accounts.add("qr.dung", OFFICER_PASSWORD, "quan-mau", "commander", "Phạm Quốc Dũng")
    return accounts


@pytest.fixture(scope="module")
def web(assistant):
    import requests

    return lambda path, **kw: requests.get(f"http://127.0.0.1:{assistant.web_port}{path}", timeout=30, **kw)


def test_public_procedure_page_shows_the_answer_and_a_zalo_button(web, zalo, kb):
    p = kb.procedures[PROCEDURE]
    page = web(f"/hoi/{PROCEDURE}")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert f"<h1>{html.escape(p.name)}</h1>" in page.text
    assert html.escape(p.fee["amount"]) in page.text and html.escape(p.processing_time) in page.text
    assert html.escape(p.documents[0]["item"]) in page.text
    assert f'href="https://zalo.me/{zalo.oa_id}">Hỏi tiếp trên Zalo</a>' in page.text
    assert 'name="viewport"' in page.text
    assert not any(tag in page.text for tag in ("<script", "<link", "src=", "@import", "url("))  # self-contained


def test_public_page_of_an_unknown_procedure_is_a_vietnamese_404(web, zalo):
    page = web("/hoi/residence.khong-co")
    assert page.status_code == 404
    assert "Không tìm thấy thủ tục" in page.text and f"https://zalo.me/{zalo.oa_id}" in page.text


def test_console_qr_page_needs_a_login(web, assistant, officers):
    page = web("/console/qr", allow_redirects=False)
    assert page.status_code in (302, 303) and page.headers["location"] == "/console/login"
    an = Console(assistant, "qr.an")
    page = an.http.get(f"{an.base}/qr", timeout=30)
    assert page.status_code == 200
    assert 'href="/console/qr" aria-current="page">Mã QR</a>' in page.text and "Mở khung chat OA" in page.text
    assert web("/console/api/qr?unit=phuong-tay-thanh").status_code == 401  # the API too
    assert web("/console/api/qr/options").status_code == 401


def test_officer_prints_their_own_wards_sheet_but_not_another_wards(assistant, officers, zalo):
    an = Console(assistant, "qr.an")
    sheet = an.get("qr?unit=phuong-tay-thanh&format=png")
    assert sheet.status_code == 200 and sheet.headers["content-type"] == "image/png"
    assert sheet.headers["content-disposition"].startswith("inline")
    image = Image.open(io.BytesIO(sheet.content))
    assert image.size == A4_AT_150_DPI
    assert decoded(image) == [f"https://zalo.me/{zalo.oa_id}"] == [sheet.headers["x-qr-link"]]

    other = an.get("qr?unit=phuong-son-ky&format=png")
    assert other.status_code == 404
    assert other.json()["error"] == "Không tìm thấy đơn vị này trong các đơn vị bạn quản lý."
    options = an.get("qr/options").json()
    assert [u["id"] for u in options["units"]] == ["phuong-tay-thanh"]
    procedures = [p for d in options["domains"] for p in d["procedures"]]
    assert {"id": PROCEDURE, "name": "Đăng ký tạm trú"} in procedures
    assert len(procedures) == 32 and [d["name"] for d in options["domains"]] == [
        "Cư trú", "Căn cước và định danh điện tử", "Đăng ký xe", "Phòng cháy, chữa cháy và cứu nạn, cứu hộ",
        "An ninh trật tự", "Xuất nhập cảnh (hộ chiếu)", "Giấy phép lái xe", "Lý lịch tư pháp"]
    assert [p["name"] for p in options["domains"][0]["procedures"]] == RESIDENCE_IN_ORDER


def test_console_refuses_a_procedure_sheet_linking_to_localhost_unless_asked(assistant, officers):
    """The assistant runs without PUBLIC_URL: the page is told (its banner), the sheet refused unless forced."""
    an = Console(assistant, "qr.an")
    options = an.get("qr/options").json()
    assert options["public_url"] == f"http://localhost:{assistant.web_port}" and options["public_url_is_localhost"]
    for fmt in ("pdf", "png"):
        refused = an.get(f"qr?unit=phuong-tay-thanh&procedure={PROCEDURE}&format={fmt}")
        assert refused.status_code == 409
        assert refused.json()["error"] == (
            f"Chưa in tờ này: mã QR sẽ mở http://localhost:{assistant.web_port}/hoi/{PROCEDURE}?u=phuong-tay-thanh, "
            "địa chỉ localhost mà điện thoại của người dân không mở được. Báo quản trị viên đặt PUBLIC_URL, "
            "hoặc chọn “Vẫn in (chỉ để thử)”.")
    assert an.get(f"qr?unit=phuong-tay-thanh&procedure={PROCEDURE}&allow_localhost=0").status_code == 409
    assert an.get("qr?unit=phuong-tay-thanh&format=png").status_code == 200  # the OA chat: zalo.me, fine


def test_procedure_sheet_from_the_console_leads_to_the_public_page(assistant, officers):
    an = Console(assistant, "qr.an")
    sheet = an.get(f"qr?unit=phuong-tay-thanh&procedure={PROCEDURE}&format=pdf&allow_localhost=1")
    assert sheet.status_code == 200 and sheet.headers["content-type"] == "application/pdf"
    assert sheet.headers["content-disposition"] == f'attachment; filename="qr-phuong-tay-thanh-{PROCEDURE}.pdf"'
    link = f"http://localhost:{assistant.web_port}/hoi/{PROCEDURE}?u=phuong-tay-thanh"  # PUBLIC_URL from run
    assert decoded(pdf_image(sheet.content)) == [link]
    assert "Công an phường Tây Thạnh" in PdfReader(io.BytesIO(sheet.content)).metadata.title
    assert an.get("qr?unit=phuong-tay-thanh&procedure=nope").status_code == 404
    assert an.get("qr?unit=phuong-tay-thanh&format=gif").status_code == 400


def test_district_commander_prints_every_units_sheet(assistant, officers, zalo):
    dung = Console(assistant, "qr.dung")
    options = dung.get("qr/options").json()
    assert [u["id"] for u in options["units"]][0] == "quan-mau"
    assert {u["id"] for u in options["units"]} == set(load_units().units)
    for unit in load_units().units:
        sheet = dung.get(f"qr?unit={unit}&format=png")
        assert sheet.status_code == 200, unit
        assert decoded(Image.open(io.BytesIO(sheet.content))) == [f"https://zalo.me/{zalo.oa_id}"]


def test_with_a_public_address_the_console_prints_procedure_sheets_without_asking(tmp_path_factory):
    """PUBLIC_URL set: no banner for the page, the procedure sheet printed as asked."""
    from tests.test_console_hardening import FakeRasa, Web

    rasa = FakeRasa()
    web = Web(tmp_path_factory.mktemp("qr_public"), rasa, env={**ZALO_ENV, "PUBLIC_URL": "https://cong-an.example.vn"})
    try:
        web.accounts.add("qr.binh", OFFICER_PASSWORD, "phuong-tay-thanh", "officer", "Trần Thị Bình")
        binh = web.console("qr.binh")
        options = binh.get("qr/options").json()
        assert options["public_url"] == "https://cong-an.example.vn" and options["public_url_is_localhost"] is False
        sheet = binh.get(f"qr?unit=phuong-tay-thanh&procedure={PROCEDURE}&format=png")
        assert sheet.status_code == 200
        link = f"https://cong-an.example.vn/hoi/{PROCEDURE}?u=phuong-tay-thanh"
        assert decoded(Image.open(io.BytesIO(sheet.content))) == [link] == [sheet.headers["x-qr-link"]]
    finally:
        web.stop()


BANNER = ("Địa chỉ công khai đang là localhost: mã QR thủ tục in ra sẽ không mở được trên điện thoại của người dân. "
          "Báo quản trị viên đặt PUBLIC_URL. Mã QR mở khung chat OA vẫn dùng được.")


def test_qr_page_in_a_browser_previews_and_offers_downloads(assistant, officers, browser):
    """The officer's view: the localhost banner (the assistant runs without PUBLIC_URL), preview image, the
    link, a procedure sheet refused until "Vẫn in (chỉ để thử)" is ticked, downloads that follow the choice."""
    base = f"http://127.0.0.1:{assistant.web_port}"
    # bypass_csp: the checks below are evaluated strings, which the console's policy (rightly) forbids
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    try:
        page = context.new_page()
        page.goto(f"{base}/console/qr")
        page.fill("#username", "qr.an")
        page.fill("#password", OFFICER_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/console")
        page.goto(f"{base}/console/qr")
        page.wait_for_function("document.getElementById('qr-image').naturalWidth === 1240")
        assert page.is_visible("#qr-localhost")
        assert " ".join(page.text_content("#qr-localhost").split()) == BANNER
        assert page.get_attribute("#qr-localhost", "role") == "alert"
        groups = page.eval_on_selector_all("#qr-procedure optgroup", """gs => gs.map(g =>
            [g.label, Array.from(g.querySelectorAll("option"), o => o.textContent)])""")
        assert len(groups) == 8 and sum(len(options) for _, options in groups) == 32
        assert groups[0] == ["Cư trú", RESIDENCE_IN_ORDER]
        assert groups[1][1][-1] == "Đăng ký tài khoản định danh điện tử mức độ 2 (VNeID)"  # Đ after C
        assert page.text_content("#qr-link").startswith("https://zalo.me/")
        assert "Nguyễn Văn An" in page.text_content("#officer-name")

        page.select_option("#qr-procedure", PROCEDURE)  # refused: the link would be localhost
        page.wait_for_selector("#status-text:has-text('Chưa in tờ này')")
        assert "Báo quản trị viên đặt PUBLIC_URL" in page.text_content("#status-text")
        assert page.is_hidden("#qr-image")
        assert page.get_attribute("#qr-pdf", "aria-disabled") == "true"

        assert page.is_visible("#qr-allow-localhost")
        page.check("#qr-allow-localhost")  # "Vẫn in (chỉ để thử)"
        assert "Vẫn in (chỉ để thử)" in page.text_content("label.qr-check")
        page.wait_for_function(
            f"document.getElementById('qr-link').textContent.endsWith('/hoi/{PROCEDURE}?u=phuong-tay-thanh')")
        page.wait_for_function("!document.getElementById('qr-pdf').hasAttribute('aria-disabled')")
        assert page.is_visible("#qr-image")
        pdf = page.get_attribute("#qr-pdf", "href")
        assert PROCEDURE in pdf and "format=pdf" in pdf and "allow_localhost=1" in pdf
        assert page.get_attribute("#qr-png", "download") == f"qr-phuong-tay-thanh-{PROCEDURE}.png"
        (Path(__file__).parent / "artifacts" / "browser").mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(__file__).parent / "artifacts" / "browser" / "qr-page.png"), full_page=True)
    finally:
        context.close()
