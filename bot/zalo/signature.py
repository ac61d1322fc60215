"""Webhook signature: ``X-ZEvent-Signature: mac=<hex>`` where hex is the plain
SHA-256 (not HMAC) of app_id + raw body + the body's timestamp + OA secret key."""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Optional

MAX_CLOCK_SKEW_MS = 5 * 60 * 1000


def mac(app_id: str, raw_body: bytes, timestamp: str, oa_secret_key: str) -> str:
    data = app_id.encode() + raw_body + str(timestamp).encode() + oa_secret_key.encode()
    return hashlib.sha256(data).hexdigest()


def check(
    header: Optional[str], app_id: str, raw_body: bytes, timestamp: Optional[str], oa_secret_key: str,
    now_ms: Optional[int] = None,
) -> Optional[str]:
    """None if the delivery is authentic and fresh, else the reason it is not."""
    if not header:
        return "missing signature"
    stamp = "" if timestamp is None else str(timestamp)
    if not (stamp.isascii() and stamp.isdigit() and len(stamp) <= 16):  # int() fails on "²" or 5,000 digits
        return "missing timestamp"
    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    if abs(now_ms - int(stamp)) > MAX_CLOCK_SKEW_MS:
        return "stale timestamp"
    given = header.strip()
    given = given[4:] if given.startswith("mac=") else given
    if not given.isascii() or not hmac.compare_digest(given.lower(), mac(app_id, raw_body, stamp, oa_secret_key)):
        return "bad signature"
    return None
