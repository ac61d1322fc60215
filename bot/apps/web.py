"""The project's own web server (next to Rasa's): downloadable forms and the
officer console.

    .venv/bin/python -m bot.apps.web --port 5080

GET /forms/<code>.docx serves form <code> of data/forms/forms.yml (the
stable URL the answers link to); GET /forms lists them; /console is the
officer console: login (bot/console/login.py), chats, tip-offs,
announcements and QR sheets (bot/console/<feature>.py), their background jobs
started here, with the purge of personal data past its retention
(bot/privacy/retention.py); GET /hoi/<procedure> is the public page a
QR sheet opens (bot/qr/landing.py); GET /announcements/<id>/image serves a
published announcement's image to Zalo; GET /health.
"""

from __future__ import annotations

if __name__ == "__main__":  # run as a process: the dependencies imported below print no deprecation notices
    from bot.core.dependency_warnings import silence

    silence()

import argparse
import asyncio
import importlib
import logging
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote

from sanic import Sanic, response
from sanic.request import Request

from bot.apps.logs import project_logging
from bot.console import PAGES
from bot.console.access import Access
from bot.console.announcements import create_announcements_public
from bot.console.login import create_login
from bot.core import web_headers
from bot.knowledge.forms import form_file
from bot.knowledge.validate import load_checked
from bot.privacy.retention import Retention
from bot.qr.landing import create_landing

logger = logging.getLogger(__name__)
PURGE_EVERY_SECONDS = 6 * 3600


def database_id(text: str) -> int:
    """``<name:int>`` in this server's routes: an integer that fits the database's
    64-bit integers (ValueError otherwise, so the route does not match)."""
    value = int(text)
    if not -2**63 <= value < 2**63:
        raise ValueError(f"{text} is out of range")
    return value


FAVICON = Path(__file__).resolve().parent.parent / "console" / "static" / "favicon.svg"


def create_app() -> Sanic:
    app = Sanic("cong_an_web")
    # ids in URLs are database integers: a bigger number matches no route (404) instead of overflowing SQLite
    app.router.register_pattern("int", database_id, r"^-?\d{1,18}$")
    web_headers.install(app)  # CSP, no framing, nosniff, Referrer-Policy; no-store on the console
    kb = load_checked()  # once: the forms and the console's procedure names
    forms = kb.forms
    form_files = lru_cache(maxsize=None)(lambda code: form_file(forms[code]))
    access = Access()  # one login and permission check for every console page
    app.blueprint(create_login(access))
    pages = [importlib.import_module(module).create(access, kb) for module, _, _ in PAGES]  # bot/console/__init__.py
    for page in pages:
        app.blueprint(page)
    # public pages
    app.blueprint(create_announcements_public())
    app.blueprint(create_landing(kb))

    @app.listener("after_server_start")
    async def background_jobs(app, loop) -> None:
        """Every background job of the web server (the pages' ``ctx.jobs``), started here."""
        for page in pages:
            for job in getattr(page.ctx, "jobs", []):
                await job(app, loop)
        app.add_task(purge_forever(), name="privacy purge")  # named: Sanic cancels and awaits it when it stops

    async def purge_forever() -> None:
        """Personal data past its retention is deleted (data/privacy.yml), now and every few hours."""
        while True:
            try:
                deleted = await asyncio.get_running_loop().run_in_executor(None, Retention.from_env().purge)
                logger.info("privacy purge: %s", deleted)
            except Exception:  # the next round tries again
                logger.exception("privacy purge failed")
            await asyncio.sleep(PURGE_EVERY_SECONDS)

    @app.get("/")
    async def home(request: Request):
        return response.redirect("/console")

    @app.get("/favicon.ico")
    async def favicon(request: Request):
        """For pages without their own icon link (the console's: static/page.html)."""
        return response.raw(FAVICON.read_bytes(), content_type="image/svg+xml",
                            headers={"Cache-Control": "public, max-age=86400"})

    @app.get("/health")
    async def health(request: Request):
        return response.json({"status": "ok"})

    @app.get("/forms")
    async def list_forms(request: Request):
        return response.json(
            [{"code": f.code, "label": f.label, "title": f.title, "url": f"/forms/{f.code}.docx"} for f in forms.values()]
        )

    @app.get("/forms/<name>")
    async def download(request: Request, name: str):
        code = name.rsplit(".", 1)[0]
        if code not in forms:
            return response.json({"error": f"no form '{code}'", "forms": sorted(forms)}, status=404)
        content, filename, content_type = form_files(code)
        return response.raw(
            content,
            content_type=content_type,
            headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"},
        )

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="0.0.0.0")
    parser.add_argument("--port", type=int, default=5080)
    args = parser.parse_args()
    project_logging("bot")
    create_app().run(host=args.host, port=args.port, access_log=False, motd=False)


if __name__ == "__main__":
    main()
