"""Which refused webhook deliveries are kept, for audit.

A delivery is refused (bad or missing signature, unknown OA, malformed JSON,
too large) before anything proves who sent it, so anyone can send them:
keeping each one whole let junk fill the database (100 posts of 64 KB grew it
by 6 MB in under a second). Kept now: at most PER_MINUTE a minute in each
process, each cut to BODY_BYTES, and the newest MAX_KEPT in all (older ones
are deleted). Each kept one is logged; those not kept are counted, and the
count logged once the minute is over. The sender's answer (400, 401, 413) is
the same either way.
"""

from __future__ import annotations

import logging
import time
from typing import Callable

from bot.zalo.store import ZaloStore

logger = logging.getLogger(__name__)

PER_MINUTE = 10
BODY_BYTES = 4096
MAX_KEPT = 1000


class RejectedSample:
    def __init__(self, store: ZaloStore, per_minute: int = PER_MINUTE, keep: int = MAX_KEPT,
                 clock: Callable[[], float] = time.monotonic):
        self.store, self.per_minute, self.keep, self.clock = store, per_minute, keep, clock
        self.minute_started, self.kept, self.skipped = clock(), 0, 0

    def record(self, reason: str, body: bytes) -> None:
        now = self.clock()
        if now - self.minute_started >= 60:
            if self.skipped:
                logger.warning("%d more refused Zalo deliveries in the last minute, not kept", self.skipped)
            self.minute_started, self.kept, self.skipped = now, 0, 0
        if self.kept >= self.per_minute:
            self.skipped += 1
            return
        self.kept += 1
        self.store.reject(reason, body[:BODY_BYTES], keep=self.keep)
        logger.warning("Zalo webhook rejected: %s", reason)
