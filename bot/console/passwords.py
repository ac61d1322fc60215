"""Officer passwords: scrypt (N=2^14, r=8, p=1, 16-byte salt, 32-byte key),
compared in constant time.

A check costs tens of milliseconds of CPU on purpose, so the web server never
runs one on its event loop: ``HashPool.run`` runs it in a small thread pool
(scrypt releases the GIL), one thread per two cores by default
(``CONSOLE_LOGIN_THREADS``), and refuses at once (``Busy``) when too many
logins are already waiting. A flood of logins slows logins, never the pages.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import hashlib
import hmac
import os
import secrets
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Optional

N, R, P = 2**14, 8, 1


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    key = hashlib.scrypt(password.encode(), salt=salt, n=N, r=R, p=P, dklen=32)
    return f"scrypt${N}${R}${P}$" + base64.b64encode(salt).decode() + "$" + base64.b64encode(key).decode()


def verify_password(password: str, stored: str) -> bool:
    try:
        _, n, r, p, salt, key = stored.split("$")
        expected = base64.b64decode(key)
        actual = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p),
                                dklen=len(expected))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


@functools.lru_cache(maxsize=1)
def dummy_hash() -> str:
    """A hash no password matches: checked for names without an account, so
    they cost exactly what a wrong password costs."""
    return hash_password(secrets.token_urlsafe(24))


class Busy(Exception):
    """Too many logins are waiting for a password check."""


class HashPool:
    def __init__(self, threads: Optional[int] = None, max_waiting: int = 32):
        threads = threads or int(os.environ.get("CONSOLE_LOGIN_THREADS") or 0) or max(1, (os.cpu_count() or 2) // 2)
        self.executor = ThreadPoolExecutor(threads, thread_name_prefix="console-login")
        self.max_waiting = max_waiting
        self.waiting = 0  # only touched on the event loop

    async def run(self, function: Callable[..., Any], *args: Any) -> Any:
        """``function(*args)`` in the pool; Busy if ``max_waiting`` calls are queued or running."""
        if self.waiting >= self.max_waiting:
            raise Busy()
        self.waiting += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self.executor, functools.partial(function, *args))
        finally:
            self.waiting -= 1
