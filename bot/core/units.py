"""The police units of a deployment (data/units.yml)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Optional, Set

import yaml

from bot.core.paths import DATA


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
