"""Working-day arithmetic for the disclosure window, across Tết, 30/4–1/5, Quốc khánh and weekends.

The expected dates are the official calendars for civil servants (Tết 2025: 25/01–02/02; 30/4–4/5/2025
with Saturday 26/4 worked; Quốc khánh 2025: 30/8–2/9; Tết 2026: 14/02–22/02; Quốc khánh 2026: 29/8–2/9
with Saturday 22/8 worked), which the ``holidays`` package was checked to give.
"""

from __future__ import annotations

from datetime import date, timedelta

import holidays
import pytest

from awards.workdays import add_working_days, is_working_day, working_days_between


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


@pytest.mark.parametrize(
    ("first", "last"),
    [
        (date(2025, 1, 25), date(2025, 2, 2)),  # Tết Ất Tỵ
        (date(2025, 4, 30), date(2025, 5, 4)),  # 30/4, 1/5, Friday 2/5 swapped with Saturday 26/4
        (date(2025, 8, 30), date(2025, 9, 2)),  # Quốc khánh, two days from 2021
        (date(2026, 2, 14), date(2026, 2, 22)),  # Tết Bính Ngọ
        (date(2026, 8, 29), date(2026, 9, 2)),  # Quốc khánh, Monday 31/8 swapped with Saturday 22/8
    ],
)
def test_official_breaks_have_no_working_day_and_are_framed_by_working_days(first, last):
    assert [d for d in _days(first, last) if is_working_day(d)] == []
    assert is_working_day(first - timedelta(days=1))
    assert is_working_day(last + timedelta(days=1))


def test_tet_2025_the_day_before_the_break_plus_one_is_the_first_day_back():
    assert add_working_days(date(2025, 1, 24), 1) == date(2025, 2, 3)
    assert working_days_between(date(2025, 1, 24), date(2025, 2, 3)) == 1
    # Ten working days published on Monday 20/1: 21–24/1 (4), then 3–7/2 (9), Monday 10/2 (10).
    assert add_working_days(date(2025, 1, 20), 10) == date(2025, 2, 10)


def test_tet_2026():
    assert add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 23)
    # Monday 9/2: 10–13/2 (4), 23–27/2 (9), Monday 2/3 (10).
    assert add_working_days(date(2026, 2, 9), 10) == date(2026, 3, 2)
    assert working_days_between(date(2026, 2, 9), date(2026, 3, 2)) == 10


def test_quoc_khanh_2025():
    assert add_working_days(date(2025, 8, 29), 1) == date(2025, 9, 3)
    assert add_working_days(date(2025, 8, 28), 2) == date(2025, 9, 3)
    assert working_days_between(date(2025, 8, 29), date(2025, 9, 2)) == 0


def test_a_saturday_swapped_for_a_holiday_is_a_working_day():
    assert is_working_day(date(2025, 4, 26))  # worked for Friday 2/5/2025
    assert not is_working_day(date(2025, 5, 2))
    assert add_working_days(date(2025, 4, 25), 1) == date(2025, 4, 26)
    assert add_working_days(date(2025, 4, 29), 1) == date(2025, 5, 5)
    assert is_working_day(date(2026, 8, 22))  # worked for Monday 31/8/2026
    assert is_working_day(date(2019, 1, 5))  # worked for 31/12/2018: a swap across the new year
    assert not is_working_day(date(2018, 12, 31))


def test_a_holiday_on_a_sunday_gives_the_monday_off():
    assert not is_working_day(date(2026, 4, 26))  # Giỗ Tổ Hùng Vương, 10/3 âm lịch, a Sunday
    assert not is_working_day(date(2026, 4, 27))
    assert add_working_days(date(2026, 4, 24), 1) == date(2026, 4, 28)


def test_plain_weekends():
    assert add_working_days(date(2025, 3, 7), 1) == date(2025, 3, 10)  # n=1 on a Friday
    assert add_working_days(date(2025, 3, 5), 2) == date(2025, 3, 7)
    assert add_working_days(date(2025, 3, 5), 3) == date(2025, 3, 10)
    assert add_working_days(date(2025, 3, 3), 10) == date(2025, 3, 17)
    assert working_days_between(date(2025, 3, 7), date(2025, 3, 9)) == 0
    assert working_days_between(date(2025, 3, 7), date(2025, 3, 14)) == 5


def test_a_start_on_a_day_off_counts_from_the_next_working_day():
    assert add_working_days(date(2025, 1, 29), 1) == date(2025, 2, 3)  # mùng một Tết
    assert add_working_days(date(2025, 3, 8), 1) == date(2025, 3, 10)  # a Saturday
    assert add_working_days(date(2025, 3, 9), 5) == date(2025, 3, 14)  # a Sunday


def test_the_window_and_the_count_agree_everywhere():
    """For every start over two years and several window lengths: the end is a working day, exactly
    ``n`` working days lie in (start, end], and the day before the end holds one fewer."""
    for start in _days(date(2024, 12, 1), date(2027, 1, 31)):
        for n in (1, 2, 5, 10, 23):
            end = add_working_days(start, n)
            assert is_working_day(end), (start, n, end)
            assert working_days_between(start, end) == n, (start, n, end)
            assert working_days_between(start, end - timedelta(days=1)) == n - 1, (start, n, end)


def test_the_calendar_is_the_packages_own():
    package = holidays.country_holidays("VN", years=range(2014, 2028))
    disagreements = [
        d
        for d in _days(date(2014, 1, 1), date(2027, 12, 31))
        if is_working_day(d) != package.is_working_day(d)
    ]
    assert disagreements == []


def test_counts_are_zero_or_refused_for_empty_windows():
    assert working_days_between(date(2025, 3, 10), date(2025, 3, 10)) == 0
    assert working_days_between(date(2025, 3, 14), date(2025, 3, 10)) == 0
    with pytest.raises(ValueError, match="at least 1"):
        add_working_days(date(2025, 3, 10), 0)


@pytest.mark.xfail(
    strict=True,
    reason="holidays 0.109 lacks the Tết Dương lịch 2026 swap (12729/VPCP-KGVX of 25/12/2025: Friday "
    "2/1/2026 off, Saturday 10/1/2026 worked). When a release adds it this test passes and, being strict, "
    "fails the suite: raise the pin and drop the marker.",
)
def test_new_year_2026_swap():
    assert not is_working_day(date(2026, 1, 2))
    assert is_working_day(date(2026, 1, 10))
