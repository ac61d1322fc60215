"""Encryption at rest for the most sensitive fields (tip-off contents), with
a key kept outside the database (docs/privacy.md).

The key (a Fernet key: AES-128-CBC with HMAC-SHA256) comes from
``TIPOFF_KEY``, else from the file ``TIPOFF_KEY_FILE`` (default: the state
folder's ``tipoff.key``), which is created (0600) when missing. The launcher
hands its processes the same key. Keep the key apart from database backups:
whoever holds both reads the reports.

An encrypted value is text starting with ``enc:v1:``; values written before
encryption was turned on are read as they are.
"""

from __future__ import annotations

import logging
import os
from functools import lru_cache
from pathlib import Path
from typing import Optional

from cryptography.fernet import Fernet, InvalidToken

from bot.core.paths import VAR, write_private

logger = logging.getLogger(__name__)

PREFIX = "enc:v1:"
KEY_ENV = "TIPOFF_KEY"
KEY_FILE_ENV = "TIPOFF_KEY_FILE"
UNREADABLE = "[không giải mã được: sai khóa]"


def key_file(state_dir: Path = VAR) -> Path:
    return Path(os.environ.get(KEY_FILE_ENV) or state_dir / "tipoff.key")


def load_key(path: Optional[Path] = None) -> str:
    """The key: from the environment, else from the key file (made if missing)."""
    if os.environ.get(KEY_ENV):
        return os.environ[KEY_ENV]
    path = path or key_file()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        write_private(path, Fernet.generate_key().decode())
    return path.read_text().strip()


class FieldCipher:
    def __init__(self, key: str):
        self._fernet = Fernet(key.encode())

    def encrypt(self, value: Optional[str]) -> Optional[str]:
        if not value:
            return value  # nothing to hide in an empty field
        return PREFIX + self._fernet.encrypt(value.encode()).decode()

    def decrypt(self, value: Optional[str]) -> Optional[str]:
        if not value or not value.startswith(PREFIX):
            return value
        try:
            return self._fernet.decrypt(value[len(PREFIX):].encode()).decode()
        except InvalidToken:
            logger.error("a tip-off field does not decrypt with this key (%s or %s)", KEY_ENV, KEY_FILE_ENV)
            return UNREADABLE


@lru_cache(maxsize=4)
def _cipher(key: str) -> FieldCipher:
    return FieldCipher(key)


def cipher() -> FieldCipher:
    """The cipher for this process's key."""
    return _cipher(load_key())
