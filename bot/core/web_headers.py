"""Security headers on every answer of the project's web server (officer
console, forms, public pages): a Content-Security-Policy that loads scripts,
styles, fonts and frames from the server itself only (images also from https
addresses: tip-off photos are on Zalo's servers; and blob: for the QR
preview), no framing by other sites, no MIME sniffing, no Referer to other
sites; and ``Cache-Control: no-store`` on the console's pages and JSON APIs
(officers' data stays out of browser and proxy caches). A page with its own
inline style (bot/qr/landing.py) sends ``policy(styles=[...])`` itself.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Iterable

from sanic import Sanic


def style_source(css: str) -> str:
    """The CSP source allowing exactly this inline <style> content."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(css.encode("utf-8")).digest()).decode() + "'"


def policy(styles: Iterable[str] = ()) -> str:
    return "; ".join((
        "default-src 'self'", "script-src 'self'", "style-src " + " ".join(("'self'", *styles)),
        "img-src 'self' https: blob:", "connect-src 'self'", "object-src 'none'", "base-uri 'none'",
        "form-action 'self'", "frame-ancestors 'none'",
    ))


HEADERS = {
    "Content-Security-Policy": policy(),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def install(app: Sanic) -> None:
    @app.on_response
    async def security_headers(request, response) -> None:
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if request.path.startswith("/console") and not request.path.startswith("/console/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
