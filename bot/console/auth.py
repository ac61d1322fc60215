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
state-changing request.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import Optional

from sqlalchemy import Column, Float, Integer, String, Table, Text, delete, insert, select
from sqlalchemy.engine import Engine

from bot.console.passwords import dummy_hash, hash_password, verify_password
from bot.console.throttle import LoginThrottle
from bot.core import db

SESSION_SECONDS = 12 * 3600
ROLES = ("officer", "commander")
WRONG = "Tên đăng nhập hoặc mật khẩu không đúng."

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
)

sessions = Table(
    "console_sessions", db.metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("username", String(64), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("expires_at", Float, nullable=False),
)


@dataclass
class Officer:
    username: str
    display_name: str
    unit: str
    role: str


@dataclass
class Session:
    officer: Officer
    csrf_token: str


class LoginError(Exception):
    """The message to show (Vietnamese)."""


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Accounts:
    def __init__(self, engine: Optional[Engine] = None):
        self.engine = engine or db.engine()
        db.metadata.create_all(self.engine, tables=[officers, sessions])
        self.throttle = LoginThrottle(self.engine)

    def add(self, username: str, password: str, unit: str, role: str, display_name: str) -> None:
        if role not in ROLES:
            raise ValueError(f"role must be one of {ROLES}")
        if len(password) < 10:
            raise ValueError("password must have at least 10 characters")
        with self.engine.begin() as c:
            c.execute(delete(officers).where(officers.c.username == username))
            c.execute(insert(officers).values(username=username, display_name=display_name, unit=unit, role=role,
                                              password_hash=hash_password(password), failed_logins=0))

    def officer(self, username: str) -> Optional[Officer]:
        with self.engine.connect() as c:
            row = c.execute(select(officers).where(officers.c.username == username)).first()
        return Officer(row.username, row.display_name, row.unit, row.role) if row else None

    def all(self) -> list:
        with self.engine.connect() as c:
            rows = c.execute(select(officers).order_by(officers.c.unit, officers.c.display_name))
            return [Officer(r.username, r.display_name, r.unit, r.role) for r in rows]

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
        now = time.time()
        token = secrets.token_urlsafe(32)
        with self.engine.begin() as c:
            c.execute(delete(sessions).where(sessions.c.expires_at < now))
            c.execute(insert(sessions).values(token_hash=_token_hash(token), username=username,
                                              csrf_token=secrets.token_urlsafe(24), expires_at=now + SESSION_SECONDS))
        return token

    def session(self, token: Optional[str]) -> Optional[Session]:
        if not token:
            return None
        with self.engine.connect() as c:
            row = c.execute(select(sessions).where(sessions.c.token_hash == _token_hash(token))).first()
        if row is None or row.expires_at < time.time():
            return None
        officer = self.officer(row.username)
        return Session(officer, row.csrf_token) if officer else None

    def logout(self, token: str) -> None:
        with self.engine.begin() as c:
            c.execute(delete(sessions).where(sessions.c.token_hash == _token_hash(token)))
