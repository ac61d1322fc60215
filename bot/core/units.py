"""The police units of a deployment (data/units.yml)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Optional, Set

import yaml

from bot.core.paths import DATA


DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]  # datetime.weekday() order


def clock_time(text: str) -> time:
    """"07:30" -> 07:30; ValueError for anything else."""
    hours, minutes = str(text).split(":")
    return time(int(hours), int(minutes))


def check_office_hours(office_hours: dict) -> None:
    """ValueError if ``office_hours`` is not {days: [mon…sun], open: "HH:MM", close: "HH:MM"}, open < close."""
    if set(office_hours) != {"days", "open", "close"}:
        raise ValueError(f"office_hours needs exactly days, open, close: {sorted(office_hours)}")
    days = office_hours["days"]
    if not days or not isinstance(days, list) or any(d not in DAYS for d in days):
        raise ValueError(f"office_hours days must be some of {DAYS}: {days}")
    if not clock_time(office_hours["open"]) < clock_time(office_hours["close"]):
        raise ValueError(f"office_hours opens after it closes: {office_hours}")


@dataclass(frozen=True)
class Unit:
    id: str
    name: str
    kind: str
    parent: Optional[str]
    duty_phone: str
    address: str
    working_hours: str
    names: tuple = ()
    commander: str = ""
    area_officers: tuple = ()  # ({"group": 6, "officer": "...", "phone": "...", "username": "..."}, ...)
    office_hours: Optional[dict] = None  # {"days": ["mon", ...], "open": "07:30", "close": "17:00"}; None: always

    def area_officer(self, group: int) -> Optional[dict]:
        """The area police officer of a residential group of this unit, or None."""
        return next((o for o in self.area_officers if int(o["group"]) == group), None)


@dataclass
class Units:
    units: Dict[str, Unit]
    default_unit: str

    def below(self, unit_id: str) -> Set[str]:
        """The unit and every unit under it."""
        found, queue = {unit_id}, [unit_id]
        while queue:
            current = queue.pop()
            for unit in self.units.values():
                if unit.parent == current and unit.id not in found:
                    found.add(unit.id)
                    queue.append(unit.id)
        return found

    def above(self, unit_id: str) -> List[str]:
        """The unit and every unit above it, nearest first."""
        chain: List[str] = []
        current: Optional[str] = unit_id
        while current and current in self.units and current not in chain:
            chain.append(current)
            current = self.units[current].parent
        return chain

    def district_of(self, unit_id: str) -> str:
        """The district above a unit (the unit itself if it is one or has none above)."""
        chain = self.above(self.get(unit_id).id)
        return next((u for u in chain if self.units[u].kind == "district"), chain[-1])

    def get(self, unit_id: Optional[str]) -> Unit:
        return self.units.get(unit_id or "") or self.units[self.default_unit]

    def all(self) -> List[Unit]:
        return list(self.units.values())


@lru_cache(maxsize=None)
def load_units(path: Path = DATA / "units.yml") -> Units:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for u in data["units"]:
        if u.get("office_hours") is not None:
            try:
                check_office_hours(u["office_hours"])
            except (ValueError, TypeError, AttributeError) as error:
                raise ValueError(f"{path}: unit {u['id']}: {error}") from None
    units = {
        u["id"]: Unit(
            id=u["id"], name=u["name"], kind=u.get("kind", "ward"), parent=u.get("parent"),
            duty_phone=str(u.get("duty_phone", "")), address=u.get("address", ""),
            working_hours=u.get("working_hours", ""),
            names=tuple(u.get("names") or ()), commander=u.get("commander", ""),
            area_officers=tuple(u.get("area_officers") or ()), office_hours=u.get("office_hours"),
        )
        for u in data["units"]
    }
    return Units(units=units, default_unit=data.get("default_unit") or next(iter(units)))
