"""The area officers' console accounts (``username`` of ``area_officers`` in
data/units.yml).

A "gặp riêng" chat goes to the console account of the group's area officer.
An account that is missing, disabled, of another unit or an editor's (no
chats) cannot take it: the chat goes to the unit's queue at once
(actions/handoff.py), and the web server says so to operators when it starts
(``warn_unusable``), so such an entry is fixed before a citizen meets it.
"""

from __future__ import annotations

import logging
from typing import List, Optional

from bot.console import DEFAULT_ROLES
from bot.console.auth import Accounts
from bot.core.units import Unit, Units

logger = logging.getLogger(__name__)


def account_problem(officer: dict, unit: Unit, accounts: Accounts) -> Optional[str]:
    """Why this area officer entry of ``unit`` cannot take chats, or None."""
    username = str(officer.get("username") or "")
    if not username:
        return "no username (console account) is set"
    account = accounts.officer(username)
    if account is None:
        return (f"username {username!r} has no officer console account (create it: .venv/bin/python -m "
                f"bot.console.officers add {username} --unit {unit.id} --role officer)")
    if account.disabled:
        return f"the console account {username!r} is disabled"
    if account.unit != unit.id:
        return f"the console account {username!r} belongs to unit {account.unit}, not {unit.id}"
    if account.role not in DEFAULT_ROLES:
        return f"the console account {username!r} is an {account.role}'s, which sees no chats"
    return None


def unusable(units: Units, accounts: Accounts) -> List[str]:
    """One line per area officer entry with a username whose account cannot take chats."""
    lines = []
    for unit in units.all():
        for officer in unit.area_officers:
            if not officer.get("username"):
                continue  # in the directory only: "gặp riêng" chats of the group go to the unit's queue
            problem = account_problem(officer, unit, accounts)
            if problem:
                lines.append(f"area officer of residential group {officer['group']} of unit {unit.id} "
                             f"(data/units.yml): {problem}; chats asking for this officer go straight to "
                             f"the unit's queue")
    return lines


def warn_unusable(units: Units, accounts: Accounts) -> None:
    """Log a warning for each area officer whose account cannot take chats."""
    for line in unusable(units, accounts):
        logger.warning(line)
