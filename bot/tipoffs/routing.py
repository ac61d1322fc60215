"""Which unit receives a tip-off: the ward of its shared location, else the
ward its address names, else the district of the OA the citizen wrote to
(a place that is unknown or outside the wards)."""

from __future__ import annotations

from typing import Optional

from bot.directory import named_unit
from bot.safety.wards import ward_at
from bot.units import directory


def district_of(unit_id: str) -> str:
    """The district above a unit (the unit itself if it has none)."""
    units = directory()
    unit = units.get(unit_id)
    while unit.kind != "district" and unit.parent in units.units:
        unit = units.units[unit.parent]
    return unit.id


def route(home_unit: str, place: str = "", latitude: Optional[float] = None,
          longitude: Optional[float] = None) -> str:
    if latitude is not None and longitude is not None:
        ward = ward_at(latitude, longitude)
        if ward:
            return ward
    named = named_unit(place) if place else None
    if named is not None and named.kind == "ward":
        return named.id
    return district_of(home_unit)
