"""Units' office hours (``office_hours`` in data/units.yml, Vietnam time):
whether officers answer now, and when they next do, said in Vietnamese."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Optional

from bot.core.clock import now as clock_now
from bot.core.units import DAYS, Unit, clock_time

DAY_NAMES = ["thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật"]  # DAYS order


def is_open(unit: Unit, at: Optional[datetime] = None) -> bool:
    """Officers answer now (a unit without office_hours: always)."""
    hours = unit.office_hours
    if not hours:
        return True
    at = at or clock_now()
    return (DAYS[at.weekday()] in hours["days"]
            and clock_time(hours["open"]) <= at.time().replace(tzinfo=None) < clock_time(hours["close"]))


def next_opening(unit: Unit, at: Optional[datetime] = None) -> datetime:
    """When officers next start answering (``at`` itself if open)."""
    at = at or clock_now()
    if is_open(unit, at):
        return at
    opens = clock_time(unit.office_hours["open"])
    for ahead in range(8):
        day = (at + timedelta(days=ahead)).date()
        moment = datetime.combine(day, opens, tzinfo=at.tzinfo)
        if DAYS[day.weekday()] in unit.office_hours["days"] and moment > at:
            return moment
    raise ValueError(f"{unit.id} never opens")  # load_units refuses such office_hours


def opened_at(unit: Unit, at: Optional[datetime] = None) -> float:
    """When the unit last opened, as a Unix time (0 for a unit without office_hours)."""
    if not unit.office_hours:
        return 0.0
    at = at or clock_now()
    opens = clock_time(unit.office_hours["open"])
    for back in range(8):
        day = (at - timedelta(days=back)).date()
        moment = datetime.combine(day, opens, tzinfo=at.tzinfo)
        if DAYS[day.weekday()] in unit.office_hours["days"] and moment <= at:
            return moment.timestamp()
    return 0.0


def spoken(moment: datetime, at: datetime) -> str:
    """"7 giờ 30 sáng thứ Hai", "13 giờ chiều nay", "7 giờ sáng mai"."""
    clock = f"{moment.hour} giờ" + (f" {moment.minute}" if moment.minute else "")
    part = "sáng" if moment.hour < 11 else "trưa" if moment.hour < 13 else "chiều" if moment.hour < 18 else "tối"
    days = (moment.date() - at.date()).days
    if days == 0:
        return f"{clock} {part} nay"
    if days == 1:
        return f"{clock} {part} mai"
    return f"{clock} {part} {DAY_NAMES[moment.weekday()]}"
