"""Handoff settings and texts (data/handoff.yml)."""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any, Dict

from bot.core.content import read, read_texts


@lru_cache(maxsize=1)
def settings() -> Dict[str, Any]:
    data = read_texts("handoff.yml")
    if os.environ.get("HANDOFF_TIMEOUT_SECONDS"):  # operators may override the file
        data["timeout_seconds"] = int(os.environ["HANDOFF_TIMEOUT_SECONDS"])
    if os.environ.get("HANDOFF_AREA_OFFICER_SECONDS"):
        data["area_officer_timeout_seconds"] = int(os.environ["HANDOFF_AREA_OFFICER_SECONDS"])
    return data


def canned_replies():
    return [{"title": r["title"], "text": " ".join(r["text"].split())}
            for r in read("console/canned_replies.yml")["canned_replies"]]
