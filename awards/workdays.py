"""Working days in Vietnam, for the optional public-disclosure window of a round (DOMAIN.md §3.5).

A working day is Monday to Friday, unless it is a public holiday (Labour Code 2019 art. 112: Tết Dương lịch,
Tết Nguyên đán, Giỗ Tổ Hùng Vương, 30/4, 1/5, Quốc khánh; from 2026 also Ngày Văn hóa Việt Nam, 24/11), a
day off in lieu of a holiday that fell on a weekend, or a day off the government swapped with a Saturday —
in which case that Saturday is a working day. All of it comes from the ``holidays`` package (the calendar
for civil servants, whose decisions it records), never from a list kept here: the lunar dates of Tết and
of the Hùng Kings move every year, and the swaps are decided year by year.

Checked against the official calendars (see tests/test_workdays.py): Tết 2025 (off 25/01–02/02), 30/4–
1/5/2025 with Friday 2/5 off and Saturday 26/4 worked, Quốc khánh 2025 (1–2/9), Tết 2026 (14/02–22/02).
Known gap in ``holidays`` 0.109: the swap of Tết Dương lịch 2026 (12729/VPCP-KGVX of 25/12/2025: Friday
2/1/2026 off, Saturday 10/1/2026 worked) is missing, so both days count as the package says until a release
records it. A swap decided after the pinned release is likewise unknown here until the pin is raised.

The per-year tables are built on first use and cached as frozensets: a ``holidays`` object fills itself in
as years are looked up, so none is kept or shared.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays

_COUNTRY = "VN"
_ONE_DAY = timedelta(days=1)


@lru_cache(maxsize=256)
def _calendar(year: int) -> tuple[frozenset[date], frozenset[date]]:
    """(days off, Saturdays and Sundays worked) as the package states them for ``year``.

    A swap may cross the new year (31/12/2018 off, worked on 5/1/2019): the package files the worked day
    under the holiday's year, so the worked days of ``year`` are gathered from its neighbours too.
    """
    days_off = frozenset(holidays.country_holidays(_COUNTRY, years=year))
    worked = frozenset(
        day
        for neighbour in (year - 1, year, year + 1)
        for day in holidays.country_holidays(_COUNTRY, years=neighbour).weekend_workdays
        if day.year == year
    )
    return days_off, worked


def is_working_day(day: date) -> bool:
    """Whether ``day`` is a working day for state agencies in Vietnam (holidays and swaps included)."""
    days_off, worked = _calendar(day.year)
    if day.weekday() >= 5:  # Saturday, Sunday
        return day in worked
    return day not in days_off


def add_working_days(start: date, n: int) -> date:
    """The ``n``-th working day after ``start`` (``start`` itself is not counted, whatever it is).

    A disclosure window of N working days published on ``start`` closes at the end of
    ``add_working_days(start, N)``. Raises ``ValueError`` when ``n`` < 1.
    """
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    day = start
    remaining = n
    while remaining:
        day += _ONE_DAY
        if is_working_day(day):
            remaining -= 1
    return day


def working_days_between(start: date, end: date) -> int:
    """How many working days lie in (``start``, ``end``]: 0 when ``end`` is not after ``start``.

    The inverse of :func:`add_working_days`: ``working_days_between(d, add_working_days(d, n)) == n``.
    """
    count = 0
    day = start + _ONE_DAY
    while day <= end:
        count += is_working_day(day)
        day += _ONE_DAY
    return count
