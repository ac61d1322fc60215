"""The time of day in Vietnam, for what depends on it (office hours).

``ASSISTANT_NOW`` (an ISO date and time, e.g. ``2026-12-05T20:00:00+07:00``)
fixes it: only tests set it, to run at a chosen hour of the week."""

from __future__ import annotations

import os
from datetime import datetime

from bot.core.web import VIETNAM


def now() -> datetime:
    fixed = os.environ.get("ASSISTANT_NOW")
    if fixed:
        moment = datetime.fromisoformat(fixed)
        return (moment if moment.tzinfo else moment.replace(tzinfo=VIETNAM)).astimezone(VIETNAM)
    return datetime.now(VIETNAM)
