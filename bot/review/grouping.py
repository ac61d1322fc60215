"""Similar messages together: the same words once diacritics, case, spacing
and punctuation are set aside ("Làm căn cước ở đâu?" and "lam can cuoc o
dau" are one group). Each group says how many messages, from which units,
first and last seen, and shows a few of them."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any, Dict, List

from bot.nlu.text import canonical, fold

_NOT_WORD = re.compile(r"[^\w\[\]]+")  # placeholders such as "[số điện thoại]" stay words


def group_key(text: str) -> str:
    """The words of a message, folded: what makes two messages the same group."""
    return " ".join(_NOT_WORD.sub(" ", fold(canonical(text or ""))).split())[:512]


def representative(rows: List[Dict[str, Any]]) -> str:
    """The text that stands for a group (and becomes its example): the one
    written most often, with diacritics before without when as often."""
    counts = Counter(r["text"] for r in rows)
    return max(counts, key=lambda t: (counts[t], sum(ord(ch) > 127 for ch in t)))


def groups(rows: List[Dict[str, Any]], samples: int = 5) -> List[Dict[str, Any]]:
    """The rows (of ``bot.review.store``) by group, the largest group first
    (then the most recent): key, count, units, kinds, first and last seen,
    the likeliest procedure guessed, ids, and ``samples`` rows, newest first."""
    by_key: Dict[str, List[Dict[str, Any]]] = {}
    for row in rows:
        by_key.setdefault(row["group_key"], []).append(row)
    found = []
    for key, members in by_key.items():
        members.sort(key=lambda r: r["created_at"])
        guesses = [r["guess"] for r in members if r["guess"]]
        agencies = [r["agency"] for r in members if r["agency"]]
        found.append({
            "key": key,
            "text": representative(members),
            "count": len(members),
            "units": sorted({r["unit"] for r in members}),
            "kinds": sorted({r["kind"] for r in members}),
            "first_seen": members[0]["created_at"],
            "last_seen": members[-1]["created_at"],
            "guess": max(set(guesses), key=guesses.count) if guesses else None,
            "agency": max(set(agencies), key=agencies.count) if agencies else None,
            "ids": [r["id"] for r in members],
            "samples": list(reversed(members[-samples:])),
        })
    found.sort(key=lambda g: (-g["count"], -g["last_seen"]))
    return found
