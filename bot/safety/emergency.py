"""Answering an emergency on Zalo before the assistant (and its model) is
asked anything, and routing the location the citizen then shares."""

from __future__ import annotations

from typing import Dict, List, Optional, Tuple

from bot.handoff.store import HandoffStore
from bot.safety import sos
from bot.safety.wards import ward_at
from bot.units import Unit, directory


def map_link(latitude: float, longitude: float) -> str:
    return f"https://www.openstreetmap.org/?mlat={latitude}&mlon={longitude}#map=18/{latitude}/{longitude}"


def raise_alarm(store: HandoffStore, conversation_id: str, unit_id: str, text: str) -> Tuple[str, List[Dict[str, str]]]:
    """Queue the chat as an SOS (top of the unit's queue); the reply to send."""
    unit = directory().get(unit_id)
    handoff = store.request(conversation_id, unit.id, "sos", {"text": text})
    if handoff["reason"] != "sos":
        store.escalate(handoff["id"], "sos")
    return sos.reply(unit)


def route_location(store: HandoffStore, conversation_id: str, latitude: float, longitude: float,
                   fallback_unit: str) -> Optional[Tuple[str, List[Dict[str, str]]]]:
    """If an SOS is open, send it to the ward of the location; the reply, or None."""
    handoff = store.open_for(conversation_id)
    if handoff is None or handoff["reason"] != "sos":
        return None
    ward = ward_at(latitude, longitude)
    unit: Unit = directory().get(ward or fallback_unit)
    store.route(handoff["id"], unit.id, {"latitude": latitude, "longitude": longitude,
                                         "map": map_link(latitude, longitude)})
    texts = sos.settings()
    text = (texts["routed"] if ward else texts["outside"]).format(unit=unit.name, phone=unit.duty_phone)
    return text, [{"title": texts["buttons"]["duty"], "payload": f"tel:{unit.duty_phone}"}]
