"""How long a turn may wait for the action server.

Rasa 3.6 waits up to 300 s for an action. With a stopped (hung) action
server, every turn that runs an action then holds one of the channel's
processing slots for minutes, and other citizens, greetings included, got no
answer at all. Here:

* an action call gives up after ``ACTION_TIMEOUT_SECONDS`` (default 8);
* after a call timed out, the next calls fail at once for
  ``ACTION_PAUSE_SECONDS`` (default 10) instead of each waiting the full
  time again; then one call tries the action server again.

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
    """Open after a timeout: calls fail at once until ``until``."""

    def __init__(self, pause: float) -> None:
        self.pause = pause
        self.until = 0.0

    def check(self, action: str) -> None:
        from rasa.shared.exceptions import RasaException

        if time.monotonic() < self.until:
            raise RasaException(f"Failed to execute custom action '{action}': the action server timed out "
                                f"recently; next try in {self.until - time.monotonic():.0f} s")

    def timed_out(self) -> None:
        self.until = time.monotonic() + self.pause


def install() -> None:
    import rasa.core.actions.action as rasa_actions

    timeout = float(os.environ.get("ACTION_TIMEOUT_SECONDS", "8"))
    pause = ActionServerPause(float(os.environ.get("ACTION_PAUSE_SECONDS", "10")))
    rasa_actions.DEFAULT_REQUEST_TIMEOUT = timeout  # read by RemoteAction.run at each call
    run = rasa_actions.RemoteAction.run

    async def run_in_time(self: Any, *args: Any, **kwargs: Any) -> Any:
        pause.check(self.name())
        try:
            return await run(self, *args, **kwargs)
        except asyncio.TimeoutError:
            pause.timed_out()
            logger.error("the action server did not answer %s within %.0f s; action calls fail for %.0f s",
                         self.name(), timeout, pause.pause)
            raise

    rasa_actions.RemoteAction.run = run_in_time
