"""Who may do what in the officer console: the session behind a request,
its CSRF token for state changes, and the units an officer sees (officers:
their own unit; commanders: their unit and every unit below it). Each
console feature (chats, tip-offs, announcements, QR sheets) is a blueprint
that checks requests through one Access."""

from __future__ import annotations

import html
import secrets
from pathlib import Path
from typing import Any, Callable, Optional, Set, Tuple

from sanic import response
from sanic.request import Request

from bot.console import DEFAULT_ROLES, PAGE_APIS, PAGE_ROLES, PAGES
from bot.console.auth import Accounts, Session
from bot.core.units import Units, load_units

SESSION_COOKIE = "console_session"
BACKGROUND_HEADER = "x-console-background"
STATIC = Path(__file__).parent / "static"
CONSOLE_TITLE = "Bảng điều khiển cán bộ"


def render_page(name: str, title: str, body_class: str = "console-page", scripts: bool = True,
                **values: str) -> str:
    """A console page: the one skeleton (static/page.html) around the page's
    body (static/<name>.html), with the shared script (console_core.js) and
    the page's own (static/<name>.js); ``values`` fill its {{placeholders}}."""
    skeleton = (STATIC / "page.html").read_text(encoding="utf-8")
    body = (STATIC / f"{name}.html").read_text(encoding="utf-8")
    for key, value in values.items():
        body = body.replace("{{" + key + "}}", value)
    tags = "".join(f'<script src="/console/static/{script}" defer></script>\n'
                   for script in ("console_core.js", f"{name}.js")) if scripts else ""
    return (skeleton.replace("{{title}}", html.escape(f"{title} – {CONSOLE_TITLE}" if title else CONSOLE_TITLE))
            .replace("{{body_class}}", body_class).replace("{{scripts}}\n", tags).replace("{{body}}", body))


def error(message: str, status: int):
    """A JSON error whose message the console shows to the officer (Vietnamese)."""
    return response.json({"error": message}, status=status)


NOT_YOURS = "Tài khoản của bạn không dùng được chức năng này."


def may_see(role: str, page: str) -> bool:
    """Whether this role sees the page at this address (bot/console/__init__.py PAGE_ROLES)."""
    return role in PAGE_ROLES.get(page, DEFAULT_ROLES)


def may_call(role: str, path: str) -> bool:
    """Officers and commanders call every API (each checks its own rules);
    other roles only "who am I", logout and the APIs of their pages."""
    if role in DEFAULT_ROLES:
        return True
    allowed = ["/console/api/me", "/console/logout"] + [api for page, api in PAGE_APIS.items() if may_see(role, page)]
    return any(path == a or path.startswith(a + "/") for a in allowed)


class Access:
    def __init__(self, accounts: Optional[Accounts] = None, units: Optional[Units] = None):
        self.accounts = accounts or Accounts()
        self.units = units or load_units()

    def session_of(self, request: Request) -> Optional[Session]:
        # the pages' polling (console_core.js marks it) does not keep an idle session alive
        return self.accounts.session(request.cookies.get(SESSION_COOKIE),
                                     active=request.headers.get(BACKGROUND_HEADER) != "1")

    def visible_units(self, session: Session) -> Set[str]:
        if session.officer.role == "commander":
            return self.units.below(session.officer.unit)
        return {session.officer.unit}

    def is_commander_of(self, session: Session, unit_id: str) -> bool:
        return session.officer.role == "commander" and unit_id in self.units.below(session.officer.unit)

    def check(self, request: Request, state_changing: bool = False) -> Tuple[Optional[Session], Optional[object]]:
        """(session, None), or (None, the error response to return)."""
        session = self.session_of(request)
        if session is None:
            return None, error("Phiên đăng nhập đã hết hạn, vui lòng đăng nhập lại.", 401)
        if not may_call(session.officer.role, request.path):
            return None, error(NOT_YOURS, 403)
        if state_changing and not secrets.compare_digest(request.headers.get("x-csrf-token", ""), session.csrf_token):
            return None, error("Yêu cầu không hợp lệ (thiếu mã chống giả mạo). Hãy tải lại trang.", 403)
        return session, None

    def find(self, request: Request, load: Callable[[], Optional[Any]], visible: Callable[[Session, Any], bool],
             not_found: str, state_changing: bool = False) -> Tuple[Optional[Session], Any, Optional[object]]:
        """(session, the item ``load()`` gives, None), or (None, None, the error
        response): no session, a state change without its CSRF token, or an
        item that does not exist or that this officer may not see (404 with
        ``not_found``: the same answer for both, so ids reveal nothing)."""
        session, problem = self.check(request, state_changing)
        if problem:
            return None, None, problem
        item = load()
        if item is None or not visible(session, item):
            return None, None, error(not_found, 404)
        return session, item, None

    def page(self, request: Request, name: str, title: str, body_class: str = "console-page") -> object:
        """A console page (``render_page``) with the console's top bar (its own
        link marked current), or the login page for visitors without a session."""
        session = self.session_of(request)
        if session is None:
            return response.redirect("/console/login")
        here = request.path.rstrip("/") or "/console"
        role = session.officer.role
        if not may_see(role, here):  # e.g. an editor after login: to the first page of theirs
            return response.redirect(next((path for _, path, _ in PAGES if may_see(role, path)), "/console/login"))
        current = ' aria-current="page"'
        links = "\n".join(f'    <a href="{path}"{current if path == here else ""}>{html.escape(label)}</a>'
                          for _, path, label in PAGES if may_see(role, path))
        topbar = (STATIC / "topbar.html").read_text(encoding="utf-8").replace("{{links}}", links)
        return response.html(render_page(name, title, body_class, topbar=topbar.rstrip("\n")))
