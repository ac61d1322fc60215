"""How long a turn may wait for the action server.

Rasa 3.6 waits up to 300 s for an action. With a stopped (hung) action
server, every turn that runs an action then holds one of the channel's
processing slots for minutes, and other citizens, greetings included, got no
answer at all. Here:

* an action call gives up after ``ACTION_TIMEOUT_SECONDS`` (default 8);
* after a call timed out, the next calls fail at once for up to
  ``ACTION_PAUSE_SECONDS`` (default 10) instead of each waiting the full
  time again, unless the action server answers its health check again
  (asked at most once a second, half a second to answer).

A failed call is what Rasa's processor already handles: it logs
"Encountered an exception while running action", records the turn without
the action's events, and goes on; the channels then apologise
(bot/server/settings.py: ``watch_actions``).
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from typing import Any

logger = logging.getLogger(__name__)


class ActionServerPause:
    """Open after a timeout: calls fail at once until ``until``, or until
    the action server's health check answers again."""

    PROBE_EVERY = 1.0
    PROBE_TIMEOUT = 0.5

    def __init__(self, pause: float) -> None:
        self.pause = pause
        self.until = 0.0
        self.probed_at = 0.0

    async def check(self, action: str, webhook_url: str) -> None:
        from rasa.shared.exceptions import RasaException

        now = time.monotonic()
        if now >= self.until:
            return
        if now - self.probed_at >= self.PROBE_EVERY:
            self.probed_at = now
            if await self._healthy(webhook_url.rsplit("/", 1)[0] + "/health"):
                self.until = 0.0
                logger.info("the action server answers again")
                return
        raise RasaException(f"Failed to execute custom action '{action}': the action server timed out "
                            f"recently and does not answer its health check")

    async def _healthy(self, url: str) -> bool:
        import aiohttp

        try:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.PROBE_TIMEOUT)) as session:
                async with session.get(url) as answer:
                    return answer.status == 200
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError):
            return False

    def timed_out(self) -> None:
        self.until = time.monotonic() + self.pause


def install() -> None:
    import rasa.core.actions.action as rasa_actions

    timeout = float(os.environ.get("ACTION_TIMEOUT_SECONDS", "8"))
    pause = ActionServerPause(float(os.environ.get("ACTION_PAUSE_SECONDS", "10")))
    rasa_actions.DEFAULT_REQUEST_TIMEOUT = timeout  # read by RemoteAction.run at each call
    run = rasa_actions.RemoteAction.run

    async def run_in_time(self: Any, *args: Any, **kwargs: Any) -> Any:
        await pause.check(self.name(), self.action_endpoint.url)
        try:
            return await run(self, *args, **kwargs)
        except asyncio.TimeoutError:
            pause.timed_out()
            logger.error("the action server did not answer %s within %.0f s; action calls fail for %.0f s",
                         self.name(), timeout, pause.pause)
            raise

    rasa_actions.RemoteAction.run = run_in_time
