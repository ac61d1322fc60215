"""Handoff settings and texts (data/handoff.yml)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Dict

import os

import yaml

from bot.knowledge.store import DATA


@lru_cache(maxsize=1)
def settings() -> Dict[str, Any]:
    data = yaml.safe_load((DATA / "handoff.yml").read_text(encoding="utf-8"))
    if os.environ.get("HANDOFF_TIMEOUT_SECONDS"):  # operators may override the file
        data["timeout_seconds"] = int(os.environ["HANDOFF_TIMEOUT_SECONDS"])
    return {k: " ".join(v.split()) if isinstance(v, str) else v for k, v in data.items()}


def canned_replies():
    data = yaml.safe_load((DATA / "console" / "canned_replies.yml").read_text(encoding="utf-8"))
    return [{"title": r["title"], "text": " ".join(r["text"].split())} for r in data["canned_replies"]]
