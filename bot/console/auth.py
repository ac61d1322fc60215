"""Officer accounts and console sessions.

Passwords: scrypt, compared in constant time (bot/console/passwords.py; the
web server checks them off its event loop). Logins are throttled per client
address and per name (bot/console/throttle.py: five wrong passwords lock the
name from that address for 15 minutes, not from the officer's own computer).
A name without an account costs and answers exactly what a wrong password
does (a check against a stand-in hash, the same message, the same
throttling), so nothing tells which names exist.
Sessions: a random token in an HttpOnly, SameSite=Strict cookie; only its
SHA-256 is stored. Each session has its own CSRF token, required on every
state-changing request. A session ends 12 hours after login, after
CONSOLE_IDLE_MINUTES (default 30) without the officer doing anything (the
pages' background polling does not count), and at once when the officer's
password is reset, or the account disabled or removed (operators:
``python -m bot.console.officers``; each change is in the audit log).
"""

from __future__ import annotations

import hashlib
import os
import secrets
import time
from dataclasses import dataclass
from typing import List, Optional

from sqlalchemy import Boolean, Column, Float, Integer, String, Table, Text, delete, insert, select, update
from sqlalchemy.engine import Engine

from bot.console.passwords import dummy_hash, hash_password, verify_password
from bot.console.throttle import LoginThrottle
from bot.core import db
from bot.core.audit import AuditLog

SESSION_SECONDS = 12 * 3600
IDLE_MINUTES = 30.0
ACTIVITY_STEP = 30.0  # a session's last activity is written at most this often
ROLES = ("officer", "commander", "editor")  # editor: content staff (the review page only)
WRONG = "Tên đăng nhập hoặc mật khẩu không đúng."
DISABLED = "Tài khoản đã bị vô hiệu hóa. Vui lòng liên hệ quản trị hệ thống."

officers = Table(
    "officers", db.metadata,
    Column("username", String(64), primary_key=True),
    Column("display_name", String(200), nullable=False),
    Column("unit", String(64), nullable=False),
    Column("role", String(16), nullable=False),
    Column("password_hash", Text, nullable=False),
    # no longer used (throttling: bot/console/throttle.py); kept, as older databases require them
    Column("failed_logins", Integer, nullable=False, default=0),
    Column("locked_until", Float),
    Column("disabled", Boolean),  # no login, no session
)

sessions = Table(
    "console_sessions", db.metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("username", String(64), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("expires_at", Float, nullable=False),
    Column("last_active", Float),  # the officer's last request (not the pages' polling)
)


def idle_seconds() -> float:
    """How long a session lasts without the officer doing anything (CONSOLE_IDLE_MINUTES)."""
    return 60 * float(os.environ.get("CONSOLE_IDLE_MINUTES") or IDLE_MINUTES)


@dataclass
class Officer:
    username: str
    display_name: str
    unit: str
    role: str
    disabled: bool = False


def _officer(row) -> Officer:
    return Officer(row.username, row.display_name, row.unit, row.role, bool(row.disabled))


@dataclass
class Session:
    officer: Officer
    csrf_token: str


class LoginError(Exception):
    """The message to show (Vietnamese)."""


def _check_password(password: str) -> None:
    if len(password) < 10:
        raise ValueError("password must have at least 10 characters")


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Accounts:
    def __init__(self, engine: Optional[Engine] = None, idle: Optional[float] = None):
        self.engine = engine or db.engine()
        db.create_tables(self.engine, officers, sessions)
        self.throttle = LoginThrottle(self.engine)
        self.audit = AuditLog(self.engine)
        self.idle = idle_seconds() if idle is None else idle

    # ---- accounts (operators: bot/console/officers.py)
    def add(self, username: str, password: str, unit: str, role: str, display_name: str,
            actor: str = "operator") -> None:
        """Create an officer, or update one (a disabled one stays disabled);
        an update ends the officer's sessions."""
        if role not in ROLES:
            raise ValueError(f"role must be one of {ROLES}")
        _check_password(password)
        values = dict(display_name=display_name, unit=unit, role=role, password_hash=hash_password(password))
        with self.engine.begin() as c:
            updated = c.execute(update(officers).where(officers.c.username == username).values(**values)).rowcount
            if updated:
                c.execute(delete(sessions).where(sessions.c.username == username))
            else:
                c.execute(insert(officers).values(username=username, failed_logins=0, **values))
        self._log(actor, "officer_updated" if updated else "officer_created", username,
                  {"unit": unit, "role": role})

    def set_password(self, username: str, password: str, actor: str = "operator") -> bool:
        """A new password; the officer's sessions end. False if there is no such officer."""
        _check_password(password)
        return self._change(username, actor, "officer_password_reset", password_hash=hash_password(password))

    def set_disabled(self, username: str, disabled: bool, actor: str = "operator") -> bool:
        """Disable (sessions end, no login) or enable again. False if there is no such officer."""
        return self._change(username, actor, "officer_disabled" if disabled else "officer_enabled", disabled=disabled)

    def remove(self, username: str, actor: str = "operator") -> bool:
        """Delete the account and end its sessions (its audit entries stay)."""
        return self._change(username, actor, "officer_removed")

    def _change(self, username: str, actor: str, action: str, **values) -> bool:
        with self.engine.begin() as c:
            where = officers.c.username == username
            done = c.execute(update(officers).where(where).values(**values) if values else delete(officers).where(where))
            c.execute(delete(sessions).where(sessions.c.username == username))
        if done.rowcount:
            self._log(actor, action, username)
        return bool(done.rowcount)

    def _log(self, actor: str, action: str, username: str, detail: Optional[dict] = None) -> None:
        self.audit.log(actor, action, detail=detail, subject=f"officer:{username}")

    def officer(self, username: str) -> Optional[Officer]:
        with self.engine.connect() as c:
            row = c.execute(select(officers).where(officers.c.username == username)).first()
        return _officer(row) if row else None

    def all(self) -> List[Officer]:
        with self.engine.connect() as c:
            rows = c.execute(select(officers).order_by(officers.c.unit, officers.c.display_name))
            return [_officer(r) for r in rows]

    # ---- logins and sessions
    def login(self, username: str, password: str, address: str = "") -> str:
        """A new session token, or LoginError. ``address``: the client's, for
        throttling. It checks a password: tens of milliseconds of CPU, so
        servers call it off their event loop (HashPool)."""
        refusal = self.throttle.refusal(username, address)
        if refusal:
            raise LoginError(refusal)
        with self.engine.connect() as c:
            row = c.execute(select(officers).where(officers.c.username == username)).first()
        # one check either way: a name without an account costs what a wrong password costs
        if not verify_password(password, row.password_hash if row else dummy_hash()) or row is None:
            self.throttle.failed(username, address)
            raise LoginError(self.throttle.refusal(username, address) or WRONG)
        self.throttle.succeeded(username, address)
        if row.disabled:
            raise LoginError(DISABLED)  # told only to whoever knows the password
        now = time.time()
        token = secrets.token_urlsafe(32)
        with self.engine.begin() as c:
            c.execute(delete(sessions).where(sessions.c.expires_at < now))
            c.execute(insert(sessions).values(token_hash=_token_hash(token), username=username,
                                              csrf_token=secrets.token_urlsafe(24), expires_at=now + SESSION_SECONDS,
                                              last_active=now))
        return token

    def session(self, token: Optional[str], active: bool = True) -> Optional[Session]:
        """The live session of this token, or None (and then it is deleted
        if it expired or sat idle). ``active``: the officer did something
        (not a page's background polling), which keeps the session alive."""
        if not token:
            return None
        now, key = time.time(), _token_hash(token)
        with self.engine.connect() as c:
            row = c.execute(select(sessions).where(sessions.c.token_hash == key)).first()
        if row is None:
            return None
        last = row.last_active or row.expires_at - SESSION_SECONDS
        if row.expires_at < now or now - last > self.idle:
            self.logout(token)
            return None
        officer = self.officer(row.username)
        if officer is None or officer.disabled:
            return None
        if active and now - last >= min(ACTIVITY_STEP, self.idle / 4):
            with self.engine.begin() as c:
                c.execute(update(sessions).where(sessions.c.token_hash == key).values(last_active=now))
        return Session(officer, row.csrf_token)

    def logout(self, token: str) -> None:
        with self.engine.begin() as c:
            c.execute(delete(sessions).where(sessions.c.token_hash == _token_hash(token)))
