"""Printable QR sheets that wards post in residential buildings.

A unit's sheet opens the chat of its Zalo Official Account
(``https://zalo.me/<oa_id>``). Zalo documents no way to pre-fill a chat
message, so a sheet about one procedure opens our own public page
``<PUBLIC_URL>/hoi/<procedure_id>`` (bot/qr/landing.py): the procedure's short
answer and a button to continue on Zalo.

    .venv/bin/python -m bot.qr.sheets --unit phuong-tay-thanh [--procedure residence.temporary_registration]
    .venv/bin/python -m bot.qr.sheets --all --out-dir qr-sheets

A procedure sheet is refused while PUBLIC_URL is localhost (unset): its code
would open this machine, which no citizen's phone reaches
(``--allow-localhost``: print it anyway, to try things out).

The OA of a unit is the one configured for it (ZALO_OA_ID / ZALO_UNIT, or
ZALO_ACCOUNTS_FILE; see bot/zalo/accounts.py), else the one of its nearest
ancestor unit, else the first one.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
from functools import lru_cache
from pathlib import Path
from typing import List, Mapping, Optional, Tuple
from urllib.parse import quote

import qrcode
from PIL import Image, ImageDraw, ImageFont

from bot.core.units import Unit, Units, load_units
from bot.core.web import is_localhost, public_url
from bot.knowledge.store import KnowledgeBase
from bot.knowledge.validate import load_checked
from bot.zalo.accounts import ANY_OA, Account, ConfigurationError, Registry

ZALO_CHAT_URL = "https://zalo.me/{oa_id}"
EMERGENCY = "Khẩn cấp: 113 Công an · 114 Cứu hỏa · 115 Cấp cứu"

# A4 portrait at 150 dpi
DPI = 150
PAGE = (1240, 1754)
MARGIN = 90
QR_MAX, QR_MIN = 900, 560

RED, NAVY, INK, GREY = (165, 14, 14), (31, 58, 95), (17, 24, 39), (71, 84, 103)


class NoOfficialAccount(Exception):
    """No Zalo Official Account is configured: there is nothing for a QR code to open."""


class LocalhostLink(Exception):
    """A procedure sheet's code would open our web server at localhost (PUBLIC_URL
    unset): printed, it would open nothing on a citizen's phone."""

    def __init__(self, link: str) -> None:
        super().__init__(f"the code would open {link}, on this machine, which citizens' phones cannot reach: "
                         "set PUBLIC_URL=https://<the address phones reach the web server at> (README, Configuration)")
        self.link = link


def landing_url(procedure_id: str, unit_id: str, env: Mapping[str, str] = os.environ) -> str:
    """The procedure's public page; ``u`` names the unit whose OA its button opens."""
    return f"{public_url(env)}/hoi/{quote(procedure_id)}?u={quote(unit_id)}"


@lru_cache(maxsize=1)
def _knowledge_base() -> KnowledgeBase:
    return load_checked()


def official_account(unit_id: str, env: Mapping[str, str] = os.environ,
                     units: Optional[Units] = None) -> Account:
    """The OA that speaks for the unit, else for its nearest ancestor, else the first OA."""
    units = units or load_units()
    try:
        registry = Registry.from_env(env)
    except ConfigurationError as error:
        raise NoOfficialAccount(
            f"no Zalo Official Account is configured ({error}); set ZALO_OA_ID and the other ZALO_* "
            "variables, or ZALO_ACCOUNTS_FILE (see README, Configuration)") from error
    accounts = [a for a in registry.accounts.values() if a.oa_id != ANY_OA]
    if not accounts:
        raise NoOfficialAccount(
            "the Zalo Official Account has no id: set ZALO_OA_ID (the OA id shown on oa.zalo.me)")
    for current in units.above(unit_id):
        for account in accounts:
            if account.unit == current:
                return account
    return accounts[0]


def _check(unit_id: str, procedure_id: Optional[str], kb: KnowledgeBase, units: Units) -> Unit:
    if unit_id not in units.units:
        raise ValueError(f"unknown unit '{unit_id}'; units: {', '.join(units.units)}")
    if procedure_id is not None and procedure_id not in kb.procedures:
        raise ValueError(f"unknown procedure '{procedure_id}'; procedures: {', '.join(sorted(kb.procedures))}")
    return units.units[unit_id]


def link_for(unit_id: str, procedure_id: Optional[str] = None, *, kb: Optional[KnowledgeBase] = None,
             env: Mapping[str, str] = os.environ) -> str:
    """What the sheet's QR code opens: the unit's OA chat, or the procedure's public page."""
    units = load_units()
    _check(unit_id, procedure_id, kb or _knowledge_base(), units)
    if procedure_id is not None:
        return landing_url(procedure_id, unit_id, env)
    return ZALO_CHAT_URL.format(oa_id=official_account(unit_id, env, units).oa_id)


# ---------------------------------------------------------------- drawing


@lru_cache(maxsize=None)
def _font(name: str, size: int) -> ImageFont.FreeTypeFont:
    import matplotlib  # only for the DejaVu fonts it ships, which cover Vietnamese

    return ImageFont.truetype(str(Path(matplotlib.get_data_path()) / "fonts/ttf" / name), size)


def _break_word(word: str, font: ImageFont.FreeTypeFont, width: int) -> List[str]:
    """A word wider than the line (a URL), cut preferably after '/' or '.'."""
    pieces = []
    while font.getlength(word) > width:
        cut = 1
        while cut < len(word) and font.getlength(word[: cut + 1]) <= width:
            cut += 1
        nicer = max(word.rfind("/", 0, cut), word.rfind(".", 0, cut))
        if nicer >= cut // 2:
            cut = nicer + 1
        pieces.append(word[:cut])
        word = word[cut:]
    return pieces + [word]


def wrap(text: str, font: ImageFont.FreeTypeFont, width: int) -> List[str]:
    """The lines of ``text`` no wider than ``width`` pixels."""
    lines: List[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split():
            candidate = f"{line} {word}" if line else word
            if font.getlength(candidate) <= width:
                line = candidate
                continue
            if line:
                lines.append(line)
            *full, line = _break_word(word, font, width)
            lines.extend(full)
        lines.append(line)
    return lines


# (text, font file, size at scale 1, colour, space before)
Block = Tuple[str, str, int, tuple, int]
BOLD, REGULAR, MONO = "DejaVuSans-Bold.ttf", "DejaVuSans.ttf", "DejaVuSansMono.ttf"


def _qr_modules(link: str) -> Image.Image:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_Q, box_size=1, border=4)
    code.add_data(link)
    code.make(fit=True)
    matrix = code.get_matrix()  # quiet zone included
    image = Image.new("L", (len(matrix), len(matrix)), 255)
    image.putdata([0 if dark else 255 for row in matrix for dark in row])
    return image


def _lines(blocks: List[Block], scale: float, width: int):
    """[(lines, font, colour, space before, line height)] and their total height."""
    laid, total = [], 0
    for text, face, size, colour, before in blocks:
        font = _font(face, max(12, round(size * scale)))
        lines = wrap(text, font, width)
        line_height = round(font.size * 1.3)
        laid.append((lines, font, colour, round(before * scale), line_height))
        total += round(before * scale) + line_height * len(lines)
    return laid, total


def sheet(unit_id: str, procedure_id: Optional[str] = None, *, kb: Optional[KnowledgeBase] = None,
          env: Mapping[str, str] = os.environ, allow_localhost: bool = False) -> Image.Image:
    """The A4 sheet (1240×1754 px, 150 dpi) of a unit, or of one of its procedures.
    A procedure sheet whose link is localhost raises LocalhostLink unless ``allow_localhost``."""
    kb = kb or _knowledge_base()
    units = load_units()
    unit = _check(unit_id, procedure_id, kb, units)
    account = official_account(unit_id, env, units)  # a procedure page leads to it too
    if procedure_id is None:
        link = ZALO_CHAT_URL.format(oa_id=account.oa_id)
        subtitle = "Hỗ trợ người dân qua Zalo"
        instruction = f"Quét mã QR bằng Zalo để nhắn tin với {unit.name}"
    else:
        name = kb.procedures[procedure_id].name
        link = landing_url(procedure_id, unit_id, env)
        if is_localhost(link) and not allow_localhost:
            raise LocalhostLink(link)
        subtitle = f"Hướng dẫn thủ tục: {name}"
        instruction = f"Quét mã để xem hướng dẫn thủ tục {name} và hỏi tiếp trên Zalo"
    parent = units.units.get(unit.parent or "")

    header: List[Block] = ([(parent.name.upper(), REGULAR, 30, INK, 0)] if parent else []) + [
        (unit.name.upper(), BOLD, 58, RED, 8 if parent else 0),
        (subtitle, BOLD if procedure_id else REGULAR, 38, NAVY, 14),
    ]
    footer: List[Block] = [
        (instruction, BOLD, 40, INK, 0),
        (link, MONO, 28, NAVY, 14),
        (f"Trực ban: {unit.duty_phone}" if unit.duty_phone else "", BOLD, 54, INK, 40),
        (EMERGENCY, BOLD, 34, RED, 16),
        (f"Địa chỉ: {unit.address}" if unit.address else "", REGULAR, 30, INK, 24),
        (f"Giờ làm việc: {unit.working_hours}" if unit.working_hours else "", REGULAR, 26, GREY, 8),
    ]
    footer = [b for b in footer if b[0]]

    width, height = PAGE
    text_width = width - 2 * MARGIN
    band, pad, rule_gap, qr_gap = 22, 64, 40, 32
    top, bottom = band + pad, height - band - pad  # the text area
    for scale in (1.0, 0.9, 0.8, 0.7, 0.6, 0.5):  # long names and addresses: smaller text, never cut
        head, head_height = _lines(header, scale, text_width)
        foot, foot_height = _lines(footer, scale, text_width)
        qr_room = bottom - top - head_height - foot_height - rule_gap - 2 * qr_gap
        if qr_room >= QR_MIN:
            break
    modules = _qr_modules(link)
    box = max(1, min(QR_MAX, qr_room) // modules.width)
    code = modules.resize((modules.width * box, modules.width * box), Image.NEAREST)

    page = Image.new("RGB", PAGE, "white")
    draw = ImageDraw.Draw(page)
    draw.rectangle((0, 0, width, band), fill=RED)
    draw.rectangle((0, height - band, width, height), fill=RED)

    def write(laid, y: int) -> None:
        for lines, font, colour, before, line_height in laid:
            y += before
            for line in lines:
                draw.text((width // 2, y), line, font=font, fill=colour, anchor="ma")
                y += line_height

    write(head, top)
    rule = top + head_height + rule_gap // 2
    draw.line((MARGIN, rule, width - MARGIN, rule), fill=RED, width=3)
    # the footer sits at the bottom; the code in the middle of the room above it
    foot_top = bottom - foot_height
    room_top = rule + rule_gap // 2
    page.paste(code, ((width - code.width) // 2, room_top + (foot_top - room_top - code.height) // 2))
    write(foot, foot_top)
    return page


def _title(unit_id: str, procedure_id: Optional[str], kb: KnowledgeBase) -> str:
    title = f"Mã QR – {load_units().units[unit_id].name}"
    return title + (f" – {kb.procedures[procedure_id].name}" if procedure_id else "")


def sheet_png(unit_id: str, procedure_id: Optional[str] = None, **kwargs) -> bytes:
    out = io.BytesIO()
    sheet(unit_id, procedure_id, **kwargs).save(out, "PNG", dpi=(DPI, DPI), optimize=True)
    return out.getvalue()


def sheet_pdf(unit_id: str, procedure_id: Optional[str] = None, **kwargs) -> bytes:
    """One A4 page; the image is JPEG at quality 95 without chroma subsampling (crisp edges)."""
    image = sheet(unit_id, procedure_id, **kwargs)
    title = _title(unit_id, procedure_id, kwargs.get("kb") or _knowledge_base())
    out = io.BytesIO()
    image.save(out, "PDF", resolution=DPI, title=title, author=load_units().units[unit_id].name,
               quality=95, subsampling=0)
    return out.getvalue()


def filename(unit_id: str, procedure_id: Optional[str], fmt: str) -> str:
    return f"qr-{unit_id}" + (f"-{procedure_id}" if procedure_id else "") + f".{fmt}"


# ---------------------------------------------------------------- command


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.qr.sheets", description="Print QR sheets (A4) for the police units.")
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--unit", help="unit id (data/units.yml)")
    which.add_argument("--all", action="store_true", help="one PDF per unit, into --out-dir")
    parser.add_argument("--procedure", help="procedure id: the code opens that procedure's page instead of the chat")
    parser.add_argument("--format", choices=("png", "pdf"), help="default: from --out's extension, else pdf")
    parser.add_argument("--out", type=Path, help="file to write (default qr-<unit>[-<procedure>].<format>)")
    parser.add_argument("--out-dir", type=Path, default=Path("."), help="folder for --all (default: here)")
    parser.add_argument("--allow-localhost", action="store_true",
                        help="print a procedure sheet even though PUBLIC_URL is localhost (only to try things out: "
                             "its code opens nothing on a citizen's phone)")
    args = parser.parse_args(argv)

    fmt = args.format
    if fmt is None and args.out is not None:
        fmt = args.out.suffix.lower().lstrip(".")
        if fmt not in ("png", "pdf"):
            parser.error(f"cannot tell the format from '{args.out}': use --format png or --format pdf")
    if args.all:
        fmt = "pdf"
    fmt = fmt or "pdf"

    kb = _knowledge_base()
    units = load_units()
    unit_ids = list(units.units) if args.all else [args.unit]
    unknown_unit = next((u for u in unit_ids if u not in units.units), None)
    if unknown_unit is not None:
        print(f"error: unknown unit '{unknown_unit}'. Units (data/units.yml):", file=sys.stderr)
        print("\n".join(f"  {u.id}  {u.name}" for u in units.all()), file=sys.stderr)
        return 2
    if args.procedure is not None and args.procedure not in kb.procedures:
        print(f"error: unknown procedure '{args.procedure}'. Procedures:", file=sys.stderr)
        print("\n".join(f"  {p.id}  {p.name}" for p in sorted(kb.procedures.values(), key=lambda p: p.id)),
              file=sys.stderr)
        return 2
    make = sheet_pdf if fmt == "pdf" else sheet_png
    try:
        jobs = [
            (args.out_dir / filename(u, args.procedure, fmt) if args.all
             else args.out or Path(filename(u, args.procedure, fmt)),
             make(u, args.procedure, kb=kb, allow_localhost=args.allow_localhost),
             link_for(u, args.procedure, kb=kb))
            for u in unit_ids
        ]
    except NoOfficialAccount as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except LocalhostLink as error:
        print(f"error: not printed: {error}, or pass --allow-localhost to print it anyway (only to try things out)",
              file=sys.stderr)
        return 2
    for out, content, link in jobs:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(content)
        print(f"{out}\t{link}")
        if is_localhost(link):  # only with --allow-localhost
            print(f"warning: {out} opens {link}, on this machine: only to try things out, do not post it",
                  file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
