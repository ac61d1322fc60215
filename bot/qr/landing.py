"""Public page of one procedure, opened by a procedure's QR sheet (bot/qr/sheets.py).

GET /hoi/<procedure_id>: the procedure's short answer (the knowledge base's
own answer texts, bot/knowledge/answers.py) and a button to continue on the
unit's Zalo Official Account. Zalo documents no way to pre-fill a chat
message, so this page is what ties a sheet to one procedure. Self-contained
HTML: no external resources; its Content-Security-Policy allows its own inline
style only.
"""

from __future__ import annotations

import html
import os
from typing import Optional

from sanic import Blueprint, response
from sanic.request import Request

from bot.core.units import load_units
from bot.core.web_headers import policy, style_source
from bot.knowledge.answers import AnswerConfig, check_again_text, documents_text, fee_text, form_url, where_text
from bot.knowledge.store import KnowledgeBase, Procedure
from bot.qr.sheets import ZALO_CHAT_URL, NoOfficialAccount, official_account

STYLE = """
*{box-sizing:border-box}
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",Arial,sans-serif;
 font-size:17px;line-height:1.5;color:#1d2939;background:#f2f4f7}
header{background:#a50e0e;color:#fff;padding:16px 18px 18px}
header p{margin:0;font-size:14px;letter-spacing:.04em;text-transform:uppercase;opacity:.9}
h1{margin:4px 0 0;font-size:24px;line-height:1.25}
main{max-width:720px;margin:0 auto;padding:8px 14px 120px}
section{background:#fff;border:1px solid #e4e7ec;border-radius:10px;padding:12px 16px;margin:12px 0}
h2{margin:0 0 6px;font-size:17px;color:#1f3a5f}
.text{margin:0;white-space:pre-line;overflow-wrap:anywhere}
ul{margin:0;padding-left:20px}
a{color:#1d4f91}
.note{color:#475467;font-size:14px;margin:16px 4px}
.cta{position:fixed;left:0;right:0;bottom:0;padding:12px 14px calc(12px + env(safe-area-inset-bottom));
 background:rgba(255,255,255,.96);border-top:1px solid #d0d5dd}
.button{display:block;max-width:720px;margin:0 auto;padding:16px;border-radius:12px;background:#0068ff;
 color:#fff;text-align:center;font-size:20px;font-weight:700;text-decoration:none}
.button:focus-visible{outline:3px solid #f79009;outline-offset:2px}
"""

POLICY = policy(styles=[style_source(STYLE)])  # the page's one inline style, and nothing else inline


def _page(title: str, kicker: str, body: str, zalo_link: Optional[str], status: int = 200):
    button = (f'<a class="button" href="{html.escape(zalo_link)}">Hỏi tiếp trên Zalo</a>' if zalo_link
              else '<p class="button" role="note">Vui lòng liên hệ Công an phường nơi bạn cư trú.</p>')
    page = f"""<!DOCTYPE html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>{STYLE}</style>
</head>
<body>
<header><p>{html.escape(kicker)}</p><h1>{html.escape(title)}</h1></header>
<main>
{body}
<p class="note">Khẩn cấp: gọi <a href="tel:113">113</a> Công an · <a href="tel:114">114</a> Cứu hỏa · \
<a href="tel:115">115</a> Cấp cứu.</p>
</main>
<div class="cta">{button}</div>
</body>
</html>
"""
    return response.html(page, status=status, headers={"Content-Security-Policy": POLICY})


def _section(title: str, text: str) -> str:
    return f'<section><h2>{html.escape(title)}</h2><p class="text">{html.escape(text)}</p></section>'


def procedure_body(kb: KnowledgeBase, config: AnswerConfig, p: Procedure) -> str:
    """The short answer: purpose, documents, forms, where to file, processing time, fee."""
    titles = {name: aspect["title"] for name, aspect in config.aspects.items()}
    forms = "".join(
        f'<li><a href="{html.escape(form_url(code))}">{html.escape(kb.forms[code].label)}</a> – '
        f'{html.escape(kb.forms[code].title)}</li>'
        for code in p.forms if code in kb.forms
    )
    parts = [
        f'<section><p class="text">{html.escape(p.purpose)}</p></section>',
        _section(titles["documents"], documents_text(config, p)),
        f'<section><h2>{html.escape(titles["forms"])}</h2><ul>{forms}</ul></section>' if forms else "",
        _section(titles["where"], where_text(config, p)),
        _section(titles["processing_time"], p.processing_time),
        _section(titles["fee"], fee_text(p)),
        f'<p class="note">{html.escape(check_again_text(config, p))}</p>' if p.unverified or any(c.unverified for c in p.fee_cases) else "",
    ]
    if p.reviewed:
        parts.append(f'<p class="note">Thông tin được rà soát ngày {p.reviewed:%d/%m/%Y}. '
                     'Hỏi tiếp trên Zalo nếu trường hợp của bạn khác.</p>')
    return "\n".join(part for part in parts if part)


def create_landing(kb: KnowledgeBase) -> Blueprint:
    landing = Blueprint("landing")
    config = AnswerConfig.load()

    def zalo_link(request: Request) -> Optional[str]:
        """The chat of the OA of the unit whose sheet was scanned (?u=), else of the default unit."""
        unit = request.args.get("u")
        try:
            account = official_account(unit if unit in load_units().units else load_units().default_unit, os.environ)
        except NoOfficialAccount:
            return None
        return ZALO_CHAT_URL.format(oa_id=account.oa_id)

    @landing.get("/hoi/<procedure_id>")
    async def procedure_page(request: Request, procedure_id: str):
        p = kb.procedures.get(procedure_id)
        if p is None:
            body = ('<section><p class="text">Không tìm thấy thủ tục này. Mã QR có thể đã cũ; '
                    'bạn hãy nhắn tin cho Công an phường trên Zalo để được hướng dẫn.</p></section>')
            return _page("Không tìm thấy thủ tục", "Hướng dẫn thủ tục", body, zalo_link(request), status=404)
        return _page(p.name, "Hướng dẫn thủ tục hành chính", procedure_body(kb, config, p), zalo_link(request))

    return landing
