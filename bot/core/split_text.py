"""Splitting long texts into chat messages (Zalo accepts at most 2,000 characters)."""

from __future__ import annotations

import re
from typing import List

MAX_MESSAGE_CHARS = 2000

# Boundaries to split at, best first: paragraph, line, sentence, word.
_BOUNDARIES = [r"\n\n", r"\n", r"(?<=[.!?…;:])\s+", r"\s+"]


def split_text(text: str, limit: int = MAX_MESSAGE_CHARS, level: int = 0) -> List[str]:
    """Pieces of ``text`` of at most ``limit`` characters, cut at the best
    boundary available; no character other than the whitespace at a cut is lost."""
    text = text.strip()
    if len(text) <= limit:
        return [text] if text else []
    if level >= len(_BOUNDARIES):
        return [text[i : i + limit] for i in range(0, len(text), limit)]
    return _pack(re.split(f"({_BOUNDARIES[level]})", text), limit, level)


def _pack(parts: List[str], limit: int, level: int) -> List[str]:
    """Greedily join split parts (text, separator, text, ...) into messages."""
    messages, current = [], ""
    for i in range(0, len(parts), 2):
        chunk, separator = parts[i], parts[i + 1] if i + 1 < len(parts) else ""
        if len(chunk) > limit:
            deeper = split_text(chunk, limit, level + 1)
            if current.strip():
                messages.append(current.strip())
            messages.extend(deeper[:-1])
            current = deeper[-1] + separator
            continue
        if len((current + chunk).strip()) > limit:
            messages.append(current.strip())
            current = ""
        current += chunk + separator
    if current.strip():
        messages.append(current.strip())
    return messages
