"""Every generated form is a faithful A4 document: the national header, the
fields as dotted lines or tables, each signer once, metadata from the data,
the same bytes for the same definition; served over HTTP by the web server;
a malformed definition is rejected with a clear message."""

from __future__ import annotations

import dataclasses
import io
import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from urllib.parse import unquote

import docx
import pytest
import requests
import yaml
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT, WD_TAB_LEADER
from docx.oxml.ns import qn
from docx.shared import Mm

from bot.core.paths import DATA, ROOT
from bot.knowledge import forms as forms_module
from bot.knowledge.forms import DOCX, NOTE, build_docx, form_file
from bot.knowledge.store import load
from bot.knowledge.validate import check, load_checked
from tests.conftest import free_port

KB = load_checked()
GENERATED = [form for form in KB.forms.values() if not form.file]
SETTINGS = yaml.safe_load((DATA / "forms" / "forms.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def built():
    return {form.code: build_docx(form) for form in GENERATED}


def document_of(content: bytes):
    return docx.Document(io.BytesIO(content))


def all_text(document) -> str:
    cells = [p.text for t in document.tables for row in t.rows for c in row.cells for p in c.paragraphs]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def mm(length) -> float:
    return round(length / Mm(1), 1)


def test_every_form_is_a4_with_administrative_margins(built):
    assert len(GENERATED) >= 19
    for code, content in built.items():
        section = document_of(content).sections[0]
        assert (mm(section.page_width), mm(section.page_height)) == (210, 297), code
        assert 20 <= mm(section.top_margin) <= 25 and 20 <= mm(section.bottom_margin) <= 25, code
        assert 30 <= mm(section.left_margin) <= 35 and 15 <= mm(section.right_margin) <= 20, code


def test_every_form_is_in_times_new_roman_13_to_14(built):
    for code, content in built.items():
        document = document_of(content)
        normal = document.styles["Normal"]
        assert normal.font.name == "Times New Roman" and 13 <= normal.font.size.pt <= 14, code
        defaults = document.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
        fonts = defaults.find(qn("w:rFonts"))
        # no theme font (Calibri, Cambria) that Word would prefer over the name
        assert {k.split("}")[1]: v for k, v in fonts.attrib.items()} == {
            "ascii": "Times New Roman", "hAnsi": "Times New Roman", "eastAsia": "Times New Roman", "cs": "Times New Roman"}
        body = [r for p in document.paragraphs for r in p.runs]
        assert all(r.font.name in (None, "Times New Roman") for r in body), code
        assert all(r.font.size is None or r.font.size.pt >= 10 for r in body), code


def test_the_header_is_the_national_header_with_the_label_top_right(built):
    for form in GENERATED:
        paragraphs = [p for p in document_of(built[form.code]).paragraphs if p.text]
        label, nation, motto, title = paragraphs[:4]
        assert label.text.startswith(f"{form.label.split(' (')[0]} ban hành kèm theo {form.issued_with}")
        assert label.paragraph_format.left_indent > Mm(60)  # top right
        assert nation.text == "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" and nation.runs[0].bold
        assert motto.text == "Độc lập - Tự do - Hạnh phúc" and motto.runs[0].bold
        assert motto._p.pPr.find(qn("w:pBdr")).find(qn("w:bottom")).get(qn("w:val")) == "single"  # the line under it
        assert title.text == form.title.upper() and title.runs[0].bold
        assert title.alignment == nation.alignment == motto.alignment == WD_ALIGN_PARAGRAPH.CENTER
        if form.addressee:
            assert paragraphs[4].text.startswith(f"Kính gửi ({form.addressee}): ")
        footer = document_of(built[form.code]).sections[0].footer
        assert [p.text for p in footer.paragraphs] == [NOTE]


def test_fields_are_dotted_lines_to_the_right_margin(built):
    for form in GENERATED:
        document = document_of(built[form.code])
        for number, field in enumerate(form.fields, start=1):
            lines = [p for p in document.paragraphs if p.text.startswith(f"{number}. {field.name}:")]
            assert len(lines) == 1, (form.code, field.name)
            if field.table:
                continue
            assert lines[0].text.endswith(": \t")
            stops = list(lines[0].paragraph_format.tab_stops)
            assert [(s.alignment, s.leader, mm(s.position)) for s in stops] == [
                (WD_TAB_ALIGNMENT.RIGHT, WD_TAB_LEADER.DOTS, 165)], (form.code, field.name)
        assert not any(re.search(r"\.{10}", p.text) for p in document.paragraphs)  # no counted dots


def test_ct01_household_members_are_a_table():
    document = document_of(build_docx(KB.forms["CT01"]))
    heading = "11. Những thành viên trong hộ gia đình cùng thay đổi:"
    assert heading in [p.text for p in document.paragraphs]
    members = [t for t in document.tables if t.rows[0].cells[0].text == "TT"]
    assert len(members) == 1
    assert [c.text for c in members[0].rows[0].cells] == [
        "TT", "Họ, chữ đệm và tên", "Ngày, tháng, năm sinh", "Giới tính", "Số định danh cá nhân", "Mối quan hệ với chủ hộ"]
    assert len(members[0].rows) == 1 + 4 and all(c.text == "" for row in members[0].rows[1:] for c in row.cells)
    assert members[0].style.name == "Table Grid"  # ruled, to write in


def test_tables_with_row_labels_print_them():
    document = document_of(build_docx(KB.forms["HC_TK01"]))
    family = next(t for t in document.tables if t.rows[0].cells[0].text == "Quan hệ")
    assert [row.cells[0].text for row in family.rows[1:]] == ["Cha", "Mẹ", "Vợ hoặc chồng"]


def test_each_signer_signs_once_and_no_field_is_a_signature(built):
    for form in GENERATED:
        document = document_of(built[form.code])
        text = all_text(document)
        assert form.signatures, form.code
        for signer in form.signatures:
            assert text.count(signer.title.upper()) == 1, (form.code, signer.title)
            assert not any(f.name.lower().startswith(signer.title.lower()) for f in form.fields), (form.code, signer.title)
        notes = [f"({s.note})" for s in form.signatures]
        assert sum(text.count(n) for n in set(notes)) == len(notes), form.code
        numbered = [p.text for p in document.paragraphs if re.match(r"\d+\. ", p.text)]
        assert not any(w in line.lower() for line in numbered for w in ("ghi rõ họ tên", "chữ ký")), form.code
        assert text.count("ngày …… tháng …… năm ……") == 1, form.code


def test_ct01_signers_stand_side_by_side():
    document = document_of(build_docx(KB.forms["CT01"]))
    row = document.tables[-1].rows[0]
    assert [c.paragraphs[0].text for c in row.cells] == [
        "Ý KIẾN CỦA CHỦ HỘ", "Ý KIẾN CỦA CHỦ SỞ HỮU CHỖ Ở HỢP PHÁP", "Ý KIẾN CỦA CHA, MẸ HOẶC NGƯỜI GIÁM HỘ", "NGƯỜI KÊ KHAI"]
    assert all("(Ký, ghi rõ họ tên)" in [p.text for p in c.paragraphs] for c in row.cells)
    assert "NGƯỜI KÊ KHAI" not in [p.text for p in document.paragraphs]


def test_a_single_signer_signs_in_the_right_half_under_the_date():
    document = document_of(build_docx(KB.forms["TK01"]))
    cells = document.tables[-1].rows[0].cells
    assert len(cells) == 2 and cells[0].text.strip() == ""
    assert [p.text for p in cells[1].paragraphs if p.text] == [
        "……, ngày …… tháng …… năm ……", "NGƯỜI ĐỀ NGHỊ", "(Ký, ghi rõ họ tên)"]


def test_metadata_comes_from_the_data_and_nothing_names_python_docx(built):
    updated = SETTINGS["updated"]
    for form in GENERATED:
        content = built[form.code]
        core = document_of(content).core_properties
        assert core.title == f"{form.label}: {form.title}"
        assert core.author == core.last_modified_by == SETTINGS["author"]
        assert core.created.date() == core.modified.date() == updated and core.created.year != 2013
        assert core.comments == ""
        with zipfile.ZipFile(io.BytesIO(content)) as package:
            names = package.namelist()
            assert "docProps/thumbnail.jpeg" not in names
            for name in names:
                raw = package.read(name)
                assert b"python-docx" not in raw and b"Microsoft Macintosh Word" not in raw, (form.code, name)
            app = package.read("docProps/app.xml").decode()
            assert f"<Application>{SETTINGS['author']}</Application>" in app
            assert {info.date_time[:3] for info in package.infolist()} == {(updated.year, updated.month, updated.day)}
        assert build_docx(form) == content  # the same definition, the same bytes


def test_a_form_s_own_date_wins_over_the_file_s():
    import datetime as dt
    form = dataclasses.replace(KB.forms["CT03"], updated=dt.date(2026, 12, 24))
    assert document_of(build_docx(form)).core_properties.created.date() == dt.date(2026, 12, 24)


def test_the_web_server_serves_the_generated_form(tmp_path):
    port = free_port()
    log = tmp_path / "web.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.apps.web", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT, stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True,
        env={**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'project.db'}"})
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                response = requests.get(f"http://127.0.0.1:{port}/forms/CT01.docx", timeout=5)
                break
            except requests.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("the web server did not come up:\n" + log.read_text(errors="replace")[-3000:])
                time.sleep(0.5)
        assert response.status_code == 200
        assert response.headers["Content-Type"] == DOCX
        disposition = response.headers["Content-Disposition"]
        assert disposition.startswith("attachment;") and unquote(disposition.split("''", 1)[1]) == "CT01.docx"
        assert response.content == build_docx(KB.forms["CT01"])
        document = document_of(response.content)
        assert mm(document.sections[0].page_width) == 210
        assert "TỜ KHAI THAY ĐỔI THÔNG TIN CƯ TRÚ" in [p.text for p in document.paragraphs]
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_an_official_file_is_served_as_is(tmp_path, monkeypatch):
    (tmp_path / "forms" / "files").mkdir(parents=True)
    official = b"%PDF-1.4 official CT03"
    (tmp_path / "forms" / "files" / "CT03.pdf").write_bytes(official)
    monkeypatch.setattr(forms_module, "DATA", tmp_path)
    form = dataclasses.replace(KB.forms["CT03"], file="files/CT03.pdf")
    assert form_file(form) == (official, "CT03.pdf", "application/pdf")


@pytest.fixture
def forms_copy(tmp_path) -> Path:
    copy = tmp_path / "data"
    shutil.copytree(DATA, copy)
    return copy


def errors_after(data_dir: Path, old: str, new: str):
    path = data_dir / "forms" / "forms.yml"
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1
    path.write_text(text.replace(old, new), encoding="utf-8")
    return [str(p) for p in check(load(data_dir), data_dir) if p.severity == "error"]


def test_a_malformed_table_is_rejected_with_a_clear_message(forms_copy):
    members = "Những thành viên trong hộ gia đình cùng thay đổi"
    errors = errors_after(forms_copy, """          rows: 4
    signatures:
      - Ý kiến của chủ hộ
      - Ý kiến của chủ sở hữu chỗ ở hợp pháp
      - Ý kiến của cha, mẹ hoặc người giám hộ
      - Người kê khai""", """          rows: bốn
    signatures:
      - Ý kiến của chủ hộ
      - Ý kiến của chủ sở hữu chỗ ở hợp pháp
      - Ý kiến của cha, mẹ hoặc người giám hộ
      - Người kê khai""")
    assert len(errors) == 1, errors
    assert re.search(r"data/forms/forms\.yml:\d+: error: form 'CT01', field '" + members +
                    r"': table 'rows' must be the number of empty rows \(1 to 30\) or a list of row labels", errors[0])
    line = int(re.search(r"forms\.yml:(\d+):", errors[0]).group(1))
    assert (forms_copy / "forms" / "forms.yml").read_text(encoding="utf-8").splitlines()[line - 1].strip() == "rows: bốn"
    with pytest.raises(ValueError, match="table 'rows' must be"):
        load_checked(forms_copy)


def test_columns_written_as_one_text_are_rejected(forms_copy):
    errors = errors_after(forms_copy, "columns: [TT, Tên tài liệu, Số lượng, Ghi chú]",
                          "columns: TT, Tên tài liệu, Số lượng, Ghi chú")
    assert len(errors) == 1 and "form 'PC11', field 'Danh mục hồ sơ gửi kèm': table 'columns' must be a list" in errors[0]


def test_a_signature_written_as_a_field_is_rejected(forms_copy):
    errors = errors_after(forms_copy, "      - Thông tin đề nghị tích hợp vào tài khoản (nếu có)\n",
                          "      - Thông tin đề nghị tích hợp vào tài khoản (nếu có)\n      - Người đề nghị (ký, ghi rõ họ tên)\n")
    assert len(errors) == 1 and "form 'TK01', field 'Người đề nghị (ký, ghi rõ họ tên)' is a signature" in errors[0]
    assert "under 'signatures'" in errors[0]


def test_a_form_without_signers_is_rejected(forms_copy):
    listed = "quan hệ với chủ hộ\n    signatures:\n      - Người khai\n"
    errors = errors_after(forms_copy, listed, "quan hệ với chủ hộ\n")
    assert len(errors) == 1 and "form 'DC01' needs 'signatures'" in errors[0]
