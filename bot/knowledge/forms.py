"""Downloadable form files, made from data/forms/forms.yml.

Each form is produced as an A4 DOCX laid out as Vietnamese administrative
documents are (Nghị định 30/2020/NĐ-CP): the form's label top right, the
national header, the title, "Kính gửi", the numbered fields as dotted lines
running to the right margin or as tables, the pledge and the signature
columns, and a note at the foot of the page. The bytes depend only on the
form's definition. An official file
placed in data/forms/ and named in the form's ``file`` field is served instead.
"""

from __future__ import annotations

import datetime as dt
import io
import mimetypes
import zipfile
from typing import List, Optional, Tuple
from xml.sax.saxutils import escape

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT, WD_ROW_HEIGHT_RULE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT, WD_TAB_LEADER
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from docx.text.paragraph import Paragraph

from bot.core.paths import DATA
from bot.knowledge.store import Form, FormField, Signer, Table

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

# Nghị định 30/2020/NĐ-CP, Phụ lục I: A4; margins top and bottom 20-25 mm, left
# 30-35 mm, right 15-20 mm; Times New Roman 13-14.
FONT = "Times New Roman"
BODY_SIZE = Pt(13)
MARGINS = {"top": Mm(20), "bottom": Mm(20), "left": Mm(30), "right": Mm(15)}
TEXT_WIDTH = Mm(210 - 30 - 15)
# "Độc lập - Tự do - Hạnh phúc" in bold 14 pt is about 57 mm wide; the line
# under it is about as long (the paragraph's bottom border between these indents).
MOTTO_INDENT = Mm((165 - 64) / 2)
SIGNERS_PER_ROW = 4
LINE_CHARS = 95  # about as many characters of 13 pt text on a line of the text width
DATE_LINE = "……, ngày …… tháng …… năm ……"
NOTE = ("Bản mẫu để tham khảo và điền trước. Khi nộp trực tuyến, hãy dùng biểu mẫu điện tử "
        "trên Cổng dịch vụ công hoặc ứng dụng VNeID.")


def build_docx(form: Form) -> bytes:
    document = Document()
    _page_and_fonts(document)
    _header(document, form)
    for number, field in enumerate(form.fields, start=1):
        _field(document, number, field)
    if form.pledge:
        pledge = document.add_paragraph(form.pledge)
        pledge.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        pledge.paragraph_format.first_line_indent = Mm(10)
        pledge.paragraph_format.space_before = Pt(6)
        pledge.paragraph_format.keep_with_next = True  # with the signatures
    _signatures(document, form.signatures)
    note = document.sections[0].footer.paragraphs[0]  # at the foot of every page, never a page of its own
    run = note.add_run(NOTE)
    run.italic, run.font.size = True, Pt(10)
    _properties(document, form)
    return _deterministic(document, form)


def _page_and_fonts(document) -> None:
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = MARGINS["top"], MARGINS["bottom"]
    section.left_margin, section.right_margin = MARGINS["left"], MARGINS["right"]
    section.header_distance = section.footer_distance = Mm(10)
    # Times New Roman for every script, in the defaults and in Normal: the template's
    # theme fonts (Calibri, Cambria) would otherwise win over the font name.
    defaults = document.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    for rpr in (defaults, document.styles["Normal"].element.get_or_add_rPr()):
        fonts = rpr.find(qn("w:rFonts"))
        if fonts is None:
            fonts = OxmlElement("w:rFonts")
            rpr.insert(0, fonts)
        for name in list(fonts.attrib):
            del fonts.attrib[name]
        for script in ("ascii", "hAnsi", "eastAsia", "cs"):
            fonts.set(qn(f"w:{script}"), FONT)
        lang = rpr.find(qn("w:lang"))
        if lang is None:
            lang = OxmlElement("w:lang")
            rpr.append(lang)
        lang.set(qn("w:val"), "vi-VN")
    normal = document.styles["Normal"]
    normal.font.size = BODY_SIZE
    normal.paragraph_format.space_before = Pt(0)
    normal.paragraph_format.space_after = Pt(2)
    normal.paragraph_format.line_spacing = 1.05


def _centered(document, text: str, size=BODY_SIZE, bold=False, italic=False, space_before=0) -> Paragraph:
    paragraph = document.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.paragraph_format.space_before = Pt(space_before)
    paragraph.paragraph_format.space_after = Pt(0)
    run = paragraph.add_run(text)
    run.bold, run.italic, run.font.size = bold, italic, size
    return paragraph


def _header(document, form: Form) -> None:
    # the label top right, as on the official forms: "Mẫu CT01 ban hành kèm theo Thông tư ..."
    label = form.label.split(" (")[0]  # "Mẫu số 02 (Nghị định 154/2024/NĐ-CP)": the instrument follows anyway
    issued = f"{label} ban hành kèm theo {form.issued_with}" if form.issued_with else label
    corner = _centered(document, issued, size=Pt(10), italic=True)
    corner.paragraph_format.left_indent = Mm(75)
    corner.paragraph_format.space_after = Pt(6)
    _centered(document, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold=True)
    motto = _centered(document, "Độc lập - Tự do - Hạnh phúc", size=Pt(14), bold=True)
    motto.paragraph_format.left_indent = motto.paragraph_format.right_indent = MOTTO_INDENT
    _bottom_border(motto)
    _centered(document, form.title.upper(), size=Pt(14), bold=True, space_before=18).paragraph_format.space_after = Pt(6)
    if form.addressee:
        to = _dotted(document, f"Kính gửi ({form.addressee}): ")
        to.paragraph_format.left_indent = Mm(15)
        to.paragraph_format.space_after = Pt(9)


def _bottom_border(paragraph: Paragraph) -> None:
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("val", "single"), ("sz", "6"), ("space", "1"), ("color", "000000")):
        bottom.set(qn(f"w:{key}"), value)
    borders.append(bottom)
    # w:pBdr comes before these in w:pPr (ECMA-376 order), or Word calls the file damaged
    paragraph._p.get_or_add_pPr().insert_element_before(
        borders, "w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:overflowPunct",
        "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd", "w:snapToGrid",
        "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap", "w:jc")


def _dotted(document, text: str) -> Paragraph:
    """``text`` then a dotted line to the right margin (a right tab stop with a dot leader)."""
    paragraph = document.add_paragraph(f"{text}\t")
    paragraph.paragraph_format.tab_stops.add_tab_stop(TEXT_WIDTH, WD_TAB_ALIGNMENT.RIGHT, WD_TAB_LEADER.DOTS)
    return paragraph


def _field(document, number: int, field: FormField) -> None:
    if field.table:
        document.add_paragraph(f"{number}. {field.name}:").paragraph_format.keep_with_next = True
        _table(document, field.table)
        return
    label = f"{number}. {field.name}: "
    _dotted(document, label)
    # a label ending near the margin leaves no room to write: one more line then
    short = len(label) % LINE_CHARS > LINE_CHARS * 2 // 3
    for _ in range(field.lines - 1 + short):
        _dotted(document, "")


def _widths(table: Table) -> List[int]:
    """Column widths (EMU) across the text width, by the length of each heading ("TT"
    narrow) and, for the first column, of the row labels ("Vợ hoặc chồng")."""
    labels = max([len(r) for r in table.rows], default=0)
    weights = [min(max(len(c), 6, labels if i == 0 else 0), 24) for i, c in enumerate(table.columns)]
    return [int(TEXT_WIDTH * w / sum(weights)) for w in weights]


def _table(document, table: Table) -> None:
    grid = document.add_table(rows=1 + len(table.rows), cols=len(table.columns))
    grid.style = document.styles["Table Grid"]
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    grid.autofit = False
    widths = _widths(table)
    for column, width in zip(grid.columns, widths):
        column.width = width
    for i, heading in enumerate(table.columns):
        cell = grid.rows[0].cells[i]
        _cell_text(cell, heading, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    for r, label in enumerate(table.rows, start=1):
        row = grid.rows[r]
        row.height = Mm(table.row_height or 8)
        row.height_rule = WD_ROW_HEIGHT_RULE.AT_LEAST
        _cell_text(row.cells[0], label)
    last = len(grid.rows) - 1
    for r, row in enumerate(grid.rows):
        properties = row._tr.get_or_add_trPr()
        properties.insert_element_before(  # a row is not cut across pages
            OxmlElement("w:cantSplit"), "w:trHeight", "w:tblHeader", "w:tblCellSpacing", "w:jc", "w:hidden")
        if r == 0:  # the headings again on the next page, should the table not fit
            properties.insert_element_before(OxmlElement("w:tblHeader"), "w:tblCellSpacing", "w:jc", "w:hidden")
        for cell, width in zip(row.cells, widths):
            cell.width = width
            for paragraph in cell.paragraphs:  # the table on one page, with its heading
                paragraph.paragraph_format.keep_with_next = r < last
    document.add_paragraph().paragraph_format.space_after = Pt(0)


def _cell_text(cell, text: str, bold=False, italic=False, align=WD_ALIGN_PARAGRAPH.LEFT, size=Pt(12)) -> None:
    paragraph = cell.paragraphs[0]
    paragraph.alignment = align
    paragraph.paragraph_format.space_after = Pt(0)
    if text:
        run = paragraph.add_run(text)
        run.bold, run.italic, run.font.size = bold, italic, size


def _signatures(document, signers: List[Signer]) -> None:
    """The signers side by side in rows of up to four, each with "(Ký, ghi rõ họ tên)"
    and room to sign; one signer in the right half. The date goes above the last signer
    (the one who makes the declaration), or above the row when the columns are narrow."""
    narrow = len(signers) > 2
    spacer = document.add_paragraph(DATE_LINE if narrow else "")
    spacer.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    spacer.paragraph_format.space_before = Pt(12)
    spacer.paragraph_format.keep_with_next = True
    if narrow:
        spacer.runs[0].italic = True
    for start in range(0, len(signers), SIGNERS_PER_ROW):
        row = signers[start:start + SIGNERS_PER_ROW]
        cells: List[Optional[Signer]] = [None, *row] if len(signers) == 1 else row
        grid = document.add_table(rows=1, cols=len(cells))
        grid.autofit = False
        grid.rows[0]._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))  # a signer on one page
        width = int(TEXT_WIDTH / len(cells))
        for column in grid.columns:
            column.width = width
        for cell, signer in zip(grid.rows[0].cells, cells):
            cell.width = width
            if signer is None:
                continue
            lines = [(DATE_LINE, False, True), ("", False, False)] if not narrow and signer is signers[-1] else []
            lines += [(signer.title.upper(), True, False), (f"({signer.note})", False, True)]
            lines += [("", False, False)] * 3  # room to sign
            for i, (text, bold, italic) in enumerate(lines):
                paragraph = cell.paragraphs[0] if i == 0 else cell.add_paragraph()
                paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
                paragraph.paragraph_format.space_after = Pt(0)
                if text:
                    run = paragraph.add_run(text)
                    run.bold, run.italic = bold, italic
                    if len(cells) > 3:
                        run.font.size = Pt(12)


def _moment(form: Form) -> dt.datetime:
    if form.updated is None:
        raise ValueError(f"form '{form.code}' has no 'updated' date (data/forms/forms.yml)")
    return dt.datetime(form.updated.year, form.updated.month, form.updated.day)


def _properties(document, form: Form) -> None:
    """Title, author and dates from the form's definition; nothing of the template's
    (python-docx, 2013, its thumbnail, "Microsoft Macintosh Word")."""
    core = document.core_properties
    core.title = f"{form.label}: {form.title}"
    core.subject = form.issued_with
    core.author = core.last_modified_by = form.author
    core.comments = core.keywords = core.category = ""
    core.language = "vi-VN"
    core.revision = 1
    core.created = core.modified = _moment(form)
    package = document.part.package
    for rel_id, rel in list(package.rels.items()):
        if rel.reltype == RT.THUMBNAIL:
            package.rels.pop(rel_id)
        elif rel.reltype == RT.EXTENDED_PROPERTIES:
            rel.target_part._blob = (
                "<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"
                '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
                f"<Application>{escape(form.author)}</Application><DocSecurity>0</DocSecurity>"
                "</Properties>"
            ).encode("utf-8")


def _deterministic(document, form: Form) -> bytes:
    """The saved package with every entry dated like the content (a zip stores each
    entry's time of writing otherwise), so the same definition gives the same bytes."""
    buffer = io.BytesIO()
    document.save(buffer)
    stamp = _moment(form).timetuple()[:6]
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as source, \
            zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            info = zipfile.ZipInfo(entry.filename, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(info, source.read(entry.filename))
    return out.getvalue()


def form_file(form: Form) -> Tuple[bytes, str, str]:
    """(content, file name, content type) of a form: the official file if there is one."""
    if form.file:
        path = DATA / "forms" / form.file
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return path.read_bytes(), path.name, content_type
    return build_docx(form), f"{form.code}.docx", DOCX
