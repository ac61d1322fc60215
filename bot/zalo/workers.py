"""One task at a time per citizen, for work kept in the database (inbox
deliveries to hand to Rasa, outbox messages to send): ``kick`` starts the
citizen's task unless it runs already; a sweep starts them for every citizen
with work due (after a restart, a retry's time, a replica that died)."""

from __future__ import annotations

import asyncio
import logging
from typing import Awaitable, Callable, Dict, List

logger = logging.getLogger(__name__)


class UserWorkers:
    def __init__(self, work: Callable[[str], Awaitable[None]], due: Callable[[], List[str]], what: str):
        self._work = work  # does the user's work until none is left
        self._due = due  # users with work due
        self._what = what  # for the log
        self._running: Dict[str, asyncio.Task] = {}

    def kick(self, user_id: str) -> None:
        if user_id not in self._running:
            self._running[user_id] = asyncio.get_running_loop().create_task(self._run(user_id))

    async def _run(self, user_id: str) -> None:
        try:
            await self._work(user_id)
        except Exception:
            logger.exception("%s for %s failed", self._what, user_id)
        finally:
            self._running.pop(user_id, None)

    async def sweep_forever(self, interval: float = 1.0) -> None:
        while True:
            try:
                for user_id in self._due():
                    self.kick(user_id)
            except Exception:  # keep sweeping whatever happens
                logger.exception("%s sweep failed", self._what)
            await asyncio.sleep(interval)
