"""The privacy notice citizens see (data/privacy.yml): in the welcome and
the greeting as a pointer, in full when they ask ("dữ liệu của tôi")."""

from __future__ import annotations

from typing import Any, Dict

from bot.core.content import read_texts


def settings() -> Dict[str, Any]:
    return read_texts("privacy.yml")


def notice() -> str:
    """The notice, with the retention days it names."""
    s = settings()
    return s["notice"].format(**s["retention_days"])
