"""Throttling console logins, per client address and per account name.

Every failed login is one row of ``console_login_failures`` (name, address,
time). A wrong password and a name without an account are the same failure,
counted and answered the same way, so the answers tell nobody which names
exist. Before a password is checked, counting the last 15 minutes (WINDOW):

* an address with 20 failures (ADDRESS_LIMIT, whatever the names) is refused
  until its oldest failure is 15 minutes old;
* a name with 5 failures from one address (PAIR_LIMIT) is refused from that
  address only: a flood from an attacker's address never locks the officer out
  at their own computer;
* a name with 10 failures from all addresses together (ACCOUNT_LIMIT: guessing
  spread over many addresses) is refused everywhere, briefly: 30 seconds after
  the 10th failure, twice as long after each further one, at most 5 minutes.

A refused attempt is neither checked nor counted, so an address adds at most
20 rows per window; older rows are deleted. A successful login forgets the
failures of that name from that address. The address is the client's
(``request.remote_addr``: behind a reverse proxy, set Sanic's
``SANIC_PROXIES_COUNT`` or ``SANIC_REAL_IP_HEADER`` so that it is the
officer's, not the proxy's).
"""

from __future__ import annotations

import math
import time
from typing import Optional

from sqlalchemy import Column, Float, Integer, String, Table, and_, delete, insert, or_, select
from sqlalchemy.engine import Engine

from bot.core import db

WINDOW = 15 * 60
ADDRESS_LIMIT = 20
PAIR_LIMIT = 5
ACCOUNT_LIMIT = 10
ACCOUNT_LOCK_FIRST, ACCOUNT_LOCK_MAX = 30, 5 * 60

ACCOUNT_LOCKED = "Tài khoản tạm khóa do nhập sai mật khẩu nhiều lần. Thử lại sau {minutes} phút."
ADDRESS_LOCKED = "Có quá nhiều lần đăng nhập sai từ máy này. Thử lại sau {minutes} phút."

failures = Table(
    "console_login_failures", db.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False, index=True),
    Column("address", String(64), nullable=False, index=True),
    Column("at", Float, nullable=False, index=True),
)


def _name(username: str) -> str:
    return username.strip().lower()[:64]


def _minutes(seconds: float) -> int:
    return max(1, math.ceil(seconds / 60))


class LoginThrottle:
    def __init__(self, engine: Engine):
        self.engine = engine
        db.create_tables(engine, failures)

    def refusal(self, username: str, address: str, now: Optional[float] = None) -> Optional[str]:
        """The message refusing this attempt before any password check, or None."""
        now = time.time() if now is None else now
        name, address = _name(username), address[:64]
        with self.engine.connect() as c:
            rows = c.execute(select(failures.c.name, failures.c.address, failures.c.at).where(and_(
                failures.c.at > now - WINDOW, or_(failures.c.address == address, failures.c.name == name)))
                .order_by(failures.c.at)).all()
        from_address = [r.at for r in rows if r.address == address]
        if len(from_address) >= ADDRESS_LIMIT:
            return ADDRESS_LOCKED.format(minutes=_minutes(from_address[-ADDRESS_LIMIT] + WINDOW - now))
        pair = [r.at for r in rows if r.address == address and r.name == name]
        if len(pair) >= PAIR_LIMIT:
            return ACCOUNT_LOCKED.format(minutes=_minutes(pair[-PAIR_LIMIT] + WINDOW - now))
        account = [r.at for r in rows if r.name == name]
        if len(account) >= ACCOUNT_LIMIT:
            lock = min(ACCOUNT_LOCK_FIRST * 2 ** (len(account) - ACCOUNT_LIMIT), ACCOUNT_LOCK_MAX)
            if account[-1] + lock > now:
                return ACCOUNT_LOCKED.format(minutes=_minutes(account[-1] + lock - now))
        return None

    def failed(self, username: str, address: str, now: Optional[float] = None) -> None:
        now = time.time() if now is None else now
        with self.engine.begin() as c:
            c.execute(delete(failures).where(failures.c.at <= now - WINDOW))
            c.execute(insert(failures).values(name=_name(username), address=address[:64], at=now))

    def succeeded(self, username: str, address: str) -> None:
        with self.engine.begin() as c:
            c.execute(delete(failures).where(and_(failures.c.name == _name(username),
                                                  failures.c.address == address[:64])))
