"""Zalo's consultation window: when an OA may message a user who wrote to it.

Consultation messages (``/v3.0/oa/message/cs``) are free within 48 hours of
the user's last interaction with the OA, billed from 48 hours to 7 days, and
refused after 7 days (error -230). The last interaction is
``zalo_users.last_interaction_at`` (bot/zalo/store.py), updated by every
delivery the user sends.
"""

from __future__ import annotations

import time
from typing import Optional

FREE_SECONDS = 48 * 3600
WINDOW_SECONDS = 7 * 24 * 3600

FREE, BILLED, CLOSED = "free", "billed", "closed"


def band(last_interaction_at: Optional[float], at: Optional[float] = None) -> str:
    """FREE, BILLED or CLOSED for a message sent at ``at`` (now) to a user
    whose last interaction was ``last_interaction_at`` (None: never)."""
    if last_interaction_at is None:
        return CLOSED
    elapsed = (time.time() if at is None else at) - last_interaction_at
    if elapsed < FREE_SECONDS:
        return FREE
    return BILLED if elapsed < WINDOW_SECONDS else CLOSED
