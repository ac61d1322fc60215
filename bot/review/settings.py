"""The review queue's settings (data/review.yml): complaint phrases, the
low-confidence line, how many samples a group shows."""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Dict

from bot.core.content import read


@lru_cache(maxsize=1)
def settings() -> Dict[str, Any]:
    data = read("review.yml")
    return {
        "complaints": [str(p) for p in data.get("complaints") or []],
        "complaint_max_words": int(data.get("complaint_max_words", 8)),
        "low_confidence_below": float(data.get("low_confidence_below", 0.7)),
        "samples_per_group": int(data.get("samples_per_group", 5)),
    }
