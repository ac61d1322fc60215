"""What every action may need to know about the citizen it answers."""

from __future__ import annotations

from typing import Optional

from rasa_sdk import Tracker

from bot.core.units import load_units


def unit_of(tracker: Tracker) -> str:
    """The unit whose OA the citizen wrote to (Zalo metadata), else the
    default. Only the Zalo channel's metadata is taken: it comes from a
    delivery Zalo signed (other channels' clients could claim any unit)."""
    for event in reversed(tracker.events):
        if event.get("event") == "user" and event.get("input_channel") == "zalo":
            unit = (event.get("metadata") or {}).get("unit")
            if unit in load_units().units:
                return unit
    return load_units().default_unit


def oa_of(tracker: Tracker) -> Optional[str]:
    """The Zalo Official Account the citizen writes to (Zalo metadata), else None."""
    for event in reversed(tracker.events):
        if event.get("event") == "user" and event.get("input_channel") == "zalo":
            oa_id = (event.get("metadata") or {}).get("oa_id")
            return oa_id if isinstance(oa_id, str) else None
    return None
