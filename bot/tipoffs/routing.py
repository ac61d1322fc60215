"""Which unit receives a tip-off: the ward of its shared location, else the
ward its address names, else the district of the OA the citizen wrote to
(a place that is unknown or outside the wards)."""

from __future__ import annotations

from typing import Optional

from bot.core.units import load_units
from bot.knowledge.units import named_unit
from bot.safety.wards import ward_at


def route(home_unit: str, place: str = "", latitude: Optional[float] = None,
          longitude: Optional[float] = None) -> str:
    if latitude is not None and longitude is not None:
        ward = ward_at(latitude, longitude)
        if ward:
            return ward
    named = named_unit(place) if place else None
    if named is not None and named.kind == "ward":
        return named.id
    return load_units().district_of(home_unit)
