"""The units' Zalo pages: which Official Account speaks for which unit
(bot/zalo/accounts.py, ZALO_ACCOUNTS_FILE), answered as buttons opening
``https://zalo.me/<oa_id>`` (Zalo: ``oa.open.url``, bot/zalo/messages.py).
Units without an OA are named with their duty phone. Texts:
data/directory.yml ``pages``."""

from __future__ import annotations

import os
from typing import Dict, List, Mapping, Optional, Tuple

from bot.core.units import Unit, load_units
from bot.knowledge.units import named_unit, settings
from bot.zalo.accounts import ANY_OA, Account, ConfigurationError, Registry
from bot.zalo.messages import MAX_BUTTONS

ZALO_PAGE_URL = "https://zalo.me/{oa_id}"
KIND_ORDER = {"district": 0, "team": 2, "ward": 3}


def official_accounts(env: Mapping[str, str] = os.environ) -> Dict[str, Account]:
    """The OAs with an id that speak for a unit of data/units.yml, by unit (the first one listed)."""
    try:
        registry = Registry.from_env(env)
    except ConfigurationError:  # no Zalo configured: no pages
        return {}
    units = load_units().units
    pages: Dict[str, Account] = {}
    for account in registry.accounts.values():
        if account.oa_id != ANY_OA and account.unit in units:
            pages.setdefault(account.unit, account)
    return pages


def ordered(named: Optional[Unit], own_unit: str) -> List[Unit]:
    """Every unit, most useful first: the one the question names, the
    district, the citizen's own ward, the teams, the other wards."""
    units = load_units()
    own = units.get(own_unit)
    rest = sorted(units.all(), key=lambda u: (KIND_ORDER.get(u.kind, 4), u.id != own.id))
    first = [named] if named else []
    return first + [u for u in rest if u not in first]


def answer(text: str, own_unit: str, current_oa: Optional[str],
           pages: Mapping[str, Account]) -> Tuple[str, List[Dict[str, str]]]:
    """The answer (text, url buttons) to "trang Zalo của ..."; ``current_oa``:
    the OA the citizen writes to (no button for it)."""
    s = settings()["pages"]
    named = named_unit(text)
    lines: List[str] = []
    links: List[Tuple[Unit, Account]] = []
    without: List[Unit] = []
    for unit in ordered(named, own_unit):
        account = pages.get(unit.id)
        if account is None:
            without.append(unit)
        elif account.oa_id == current_oa:
            if unit == named:
                lines.append(s["this_page"].format(unit=account.name))
        else:
            links.append((unit, account))
    if named is not None and named.id not in pages:
        lines.append(s["named_without_page"].format(unit=named.name, phone=named.duty_phone))
    shown, more = links[:MAX_BUTTONS], links[MAX_BUTTONS:]
    if named is not None and shown and shown[0][0] == named:
        lines.append(s["named_page"].format(unit=shown[0][1].name))
        if len(shown) > 1:
            lines.append(s["others"].format(count=len(shown) - 1))
    elif shown:
        lines.append(s["some_pages" if more else "pages"].format(count=len(links), shown=len(shown)))
    elif not lines:
        lines.append(s["no_pages"])
    if more:
        lines.append(s["more"].format(units=", ".join(account.name for _, account in more)))
    listed = [u for u in without if u != named]
    if listed:
        lines.append(s["without_pages"])
        lines += [f"- {u.name}: {u.duty_phone}" for u in listed]
    buttons = [{"title": account.name, "payload": ZALO_PAGE_URL.format(oa_id=account.oa_id)} for _, account in shown]
    return "\n".join(lines), buttons
