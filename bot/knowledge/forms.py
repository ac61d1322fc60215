"""Downloadable form files, made from data/forms/forms.yml.

Each form is produced as a DOCX with its official title, the instrument it
was issued with, and its fields as lines to fill in. An official file placed
in data/forms/ and named in the form's ``file`` field is served instead.
"""

from __future__ import annotations

import io
import mimetypes
from typing import Tuple

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt

from bot.core.paths import DATA
from bot.knowledge.store import Form

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def build_docx(form: Form) -> bytes:
    document = Document()
    style = document.styles["Normal"]
    style.font.name = "Times New Roman"
    style.font.size = Pt(13)

    label = document.add_paragraph(form.label)
    label.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    if form.issued_with:
        issued = document.add_paragraph(f"(Ban hành kèm theo {form.issued_with})")
        issued.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        issued.runs[0].italic = True
    header = document.add_paragraph()
    header.alignment = WD_ALIGN_PARAGRAPH.CENTER
    header.add_run("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n").bold = True
    header.add_run("Độc lập - Tự do - Hạnh phúc").bold = True
    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = title.add_run(form.title.upper())
    run.bold = True
    run.font.size = Pt(14)

    for number, field in enumerate(form.fields, start=1):
        document.add_paragraph(f"{number}. {field}: " + "." * 40)

    signature = document.add_paragraph("\n……, ngày …… tháng …… năm ……\nNGƯỜI KÊ KHAI\n(Ký, ghi rõ họ tên)")
    signature.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    note = document.add_paragraph(
        "Bản mẫu để tham khảo và điền trước. Khi nộp trực tuyến, hãy dùng biểu mẫu điện tử "
        "trên Cổng dịch vụ công hoặc ứng dụng VNeID."
    )
    note.runs[0].italic = True
    note.runs[0].font.size = Pt(10)

    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def form_file(form: Form) -> Tuple[bytes, str, str]:
    """(content, file name, content type) of a form: the official file if there is one."""
    if form.file:
        path = DATA / "forms" / form.file
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return path.read_bytes(), path.name, content_type
    return build_docx(form), f"{form.code}.docx", DOCX
