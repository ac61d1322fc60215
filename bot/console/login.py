"""Logging in to the officer console, and what every console page shares:
the login page, logout, the static files (one JS core, bot/console/static/
console_core.js, and the pages' scripts) and "who am I" (GET /console/api/me).
Sessions: bot/console/auth.py; passwords, checked in a small thread pool off
the event loop: passwords.py; permissions: access.py."""

from __future__ import annotations

import html
import secrets
from pathlib import Path

from sanic import Blueprint, response
from sanic.request import Request

from bot.console.access import SESSION_COOKIE, Access, error as _error, render_page
from bot.console.auth import SESSION_SECONDS, LoginError
from bot.console.passwords import Busy, HashPool, dummy_hash

STATIC = Path(__file__).parent / "static"
LOGIN_CSRF_COOKIE = "console_login_csrf"
BUSY = "Hệ thống đang bận, vui lòng thử lại sau ít phút."


def _set_cookie(resp, request: Request, name: str, value: str, max_age: int) -> None:
    resp.cookies[name] = value
    cookie = resp.cookies[name]
    cookie["httponly"] = True
    cookie["samesite"] = "Strict"
    cookie["path"] = "/console"
    cookie["max-age"] = max_age
    if request.scheme == "https" or request.headers.get("x-forwarded-proto") == "https":
        cookie["secure"] = True


def create_login(access: Access) -> Blueprint:
    console = Blueprint("console_login", url_prefix="/console")
    accounts = access.accounts
    units = access.units
    pool = HashPool()
    dummy_hash()  # now, not in the first login for a name without an account

    @console.get("/login")
    async def login_page(request: Request, error: str = "", status: int = 401):
        token = secrets.token_urlsafe(24)
        page = render_page("login", "Đăng nhập", "login-page", scripts=False, csrf_token=token,
                           error=html.escape(error))
        resp = response.html(page, status=status if error else 200)
        _set_cookie(resp, request, LOGIN_CSRF_COOKIE, token, 3600)
        return resp

    @console.post("/login")
    async def login(request: Request):
        form_token = request.form.get("csrf_token", "")
        if not form_token or not secrets.compare_digest(form_token, request.cookies.get(LOGIN_CSRF_COOKIE, "")):
            return await login_page(request, "Phiên đăng nhập không hợp lệ, vui lòng thử lại.")
        try:
            token = await pool.run(accounts.login, request.form.get("username", ""), request.form.get("password", ""),
                                   request.remote_addr or request.ip or "")
        except LoginError as error:
            return await login_page(request, str(error))
        except Busy:
            return await login_page(request, BUSY, 503)
        resp = response.redirect("/console")
        _set_cookie(resp, request, SESSION_COOKIE, token, SESSION_SECONDS)
        return resp

    @console.post("/logout")
    async def logout(request: Request):
        session, problem = access.check(request, state_changing=True)
        if problem:
            return problem
        accounts.logout(request.cookies.get(SESSION_COOKIE))
        resp = response.json({"ok": True})
        _set_cookie(resp, request, SESSION_COOKIE, "", 0)
        return resp

    @console.get("/static/<name>")
    async def static(request: Request, name: str):
        path = STATIC / name
        if path.parent != STATIC or not path.is_file() or name == "login.html":
            return _error("Không tìm thấy.", 404)
        types = {".js": "text/javascript", ".css": "text/css", ".html": "text/html", ".svg": "image/svg+xml"}
        return response.text(path.read_text(encoding="utf-8"), content_type=types.get(path.suffix, "text/plain"))

    @console.get("/api/me")
    async def me(request: Request):
        session, problem = access.check(request)
        if problem:
            return problem
        o = session.officer
        return response.json({"username": o.username, "display_name": o.display_name, "unit": o.unit,
                              "unit_name": units.get(o.unit).name, "role": o.role, "csrf_token": session.csrf_token})

    return console
