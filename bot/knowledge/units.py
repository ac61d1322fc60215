"""Answers about the police units (data/units.yml, data/directory.yml)."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Dict, List, Optional, Tuple

from bot.core.content import read_texts
from bot.core.units import Unit, load_units
from bot.nlu.text import canonical, find_phrase, fold


@lru_cache(maxsize=1)
def settings() -> Dict[str, Any]:
    return read_texts("directory.yml")


def named_unit(text: str) -> Optional[Unit]:
    """The unit the question names (longest name wins)."""
    best, best_len = None, 0
    for unit in load_units().all():
        found = find_phrase(text, list(unit.names) + [unit.name])
        if found and found[1] - found[0] > best_len:
            best, best_len = unit, found[1] - found[0]
    return best


def residential_group(text: str) -> Optional[int]:
    match = re.search(r"\bto(?: dan pho)?\s*(?:so\s*)?(\d+)\b", fold(canonical(text)))
    return int(match.group(1)) if match else None


def answer(text: str, default_unit: str) -> Tuple[str, List[Dict[str, str]]]:
    """The answer (text, call button) to a question about a unit."""
    s = settings()
    unit = named_unit(text) or load_units().get(default_unit)
    group = residential_group(text)
    asked = [name for name, aspect in s["aspects"].items() if find_phrase(text, aspect["phrases"])]
    if group is not None and "area_officer" not in asked:
        asked.append("area_officer")
    if not asked:
        asked = ["address", "hours", "phone"]
    lines = [unit.name]
    for aspect in asked:
        title = s["aspects"][aspect]["title"]
        if aspect == "phone":
            lines.append(f"{title}: {unit.duty_phone}")
        elif aspect == "address":
            lines.append(f"{title}: {unit.address}")
        elif aspect == "hours":
            lines.append(f"{title}: {unit.working_hours}")
        elif aspect == "commander":
            lines.append(f"{title}: {unit.commander}")
        elif aspect == "area_officer":
            officers = [o for o in unit.area_officers if group is None or int(o["group"]) == group]
            if officers:
                lines += [f"{title} tổ {o['group']}: {o['officer']}, điện thoại {o['phone']}" for o in officers]
            else:
                lines.append(s["no_group"].format(group=group if group is not None else "", unit=unit.name,
                                                  phone=unit.duty_phone))
    return "\n".join(lines), [{"title": s["call_button"], "payload": f"tel:{unit.duty_phone}"}]
