"""Emergencies on Zalo: answered before the assistant (and its model) is
asked anything, and the location the citizen then shares routed to its ward.
The Zalo intake takes ``Alarms`` as its emergency hook (bot/zalo/intake.py);
the processes wire it in (bot/apps/intake.py, channels/zalo.py)."""

from __future__ import annotations

import logging
from typing import Dict, List, Optional, Tuple

from sqlalchemy.engine import Engine

from bot.core.units import Unit, load_units
from bot.core.web import map_link
from bot.handoff.store import Busy, HandoffStore
from bot.handoff.texts import settings as handoff_settings
from bot.safety import sos
from bot.safety.wards import ward_at

logger = logging.getLogger(__name__)


class Alarms:
    """SOS chats at the top of the officers' queue (the handoff store)."""

    def __init__(self, engine: Optional[Engine] = None):
        self.handoffs = HandoffStore(engine)

    def is_emergency(self, text: str) -> bool:
        return sos.is_emergency(text)

    def raise_alarm(self, conversation_id: str, unit_id: str, text: str) -> Tuple[str, List[Dict[str, str]]]:
        """Queue the chat as an SOS (top of the unit's queue); the reply to send.
        Past the flood limits (data/handoff.yml) the chat is not queued, and
        the citizen still gets the emergency answer with the duty phone."""
        unit = load_units().get(unit_id)
        try:
            handoff = self.handoffs.request(conversation_id, unit.id, "sos", {"text": text},
                                            limits=handoff_settings()["limits"])
        except Busy as flood:
            logger.error("SOS from %s not queued: %s", conversation_id, flood)
            return sos.reply(unit)
        if handoff["reason"] != "sos":
            self.handoffs.escalate(handoff["id"], "sos")
        return sos.reply(unit)

    def route_location(self, conversation_id: str, latitude: float, longitude: float,
                       fallback_unit: str) -> Optional[Tuple[str, List[Dict[str, str]]]]:
        """If an SOS is open, send it to the ward of the location; the reply, or None."""
        handoff = self.handoffs.open_for(conversation_id)
        if handoff is None or handoff["reason"] != "sos":
            return None
        ward = ward_at(latitude, longitude)
        unit: Unit = load_units().get(ward or fallback_unit)
        self.handoffs.route(handoff["id"], unit.id, {"latitude": latitude, "longitude": longitude,
                                                     "map": map_link(latitude, longitude)})
        texts = sos.settings()
        text = (texts["routed"] if ward else texts["outside"]).format(unit=unit.name, phone=unit.duty_phone)
        return text, [{"title": texts["buttons"]["duty"], "payload": f"tel:{unit.duty_phone}"}]
