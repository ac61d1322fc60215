"""Which channel a conversation belongs to. Each channel has its own
identity space (docs/security.md): a Zalo conversation is the citizen's Zalo
user id, as Zalo signs it; any other channel's ids carry its prefix, so no
other channel can write to, read or answer for a Zalo citizen's conversation."""

from __future__ import annotations

REST_PREFIX = "rest:"


def rest_conversation(sender: str) -> str:
    """The conversation of a REST channel client's ``sender``."""
    return REST_PREFIX + sender


def channel_of(conversation_id: str) -> str:
    """The input channel whose output reaches this conversation."""
    return "rest" if conversation_id.startswith(REST_PREFIX) else "zalo"
