"""Beijing time at the edges, UTC inside.

Everything stored is an aware UTC datetime; people see and type Beijing time
(Asia/Shanghai, UTC+8 all year).
"""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from django.utils import timezone

BEIJING = ZoneInfo("Asia/Shanghai")


def now() -> datetime:
    """The current instant, aware, in UTC."""
    return timezone.now()


def to_beijing(instant: datetime) -> datetime:
    if timezone.is_naive(instant):
        raise ValueError("naive datetime: every instant in Firstmile carries its zone")
    return instant.astimezone(BEIJING)


def beijing(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    """An instant given as a Beijing wall-clock time."""
    return datetime(year, month, day, hour, minute, second, tzinfo=BEIJING)


def from_beijing_wall_clock(value: datetime) -> datetime:
    """Read a naive datetime typed by a person as Beijing time; keep aware ones."""
    if timezone.is_aware(value):
        return value
    return value.replace(tzinfo=BEIJING)


def beijing_day_bounds(day: date) -> tuple[datetime, datetime]:
    """The half-open instant range [start, end) of a Beijing calendar day."""
    start = datetime.combine(day, time.min, tzinfo=BEIJING)
    end = datetime.combine(date.fromordinal(day.toordinal() + 1), time.min, tzinfo=BEIJING)
    return start, end


def beijing_today() -> date:
    return to_beijing(now()).date()
