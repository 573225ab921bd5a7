"""Calendar arithmetic: Hijri (Umm al-Qura, via hijridate) and Solar Hijri (via jdatetime) <-> Gregorian.

Every function returns None instead of raising when the date does not exist (day 30 of a
29-day month) or lies outside the converter's range, so a bad date in the text never fails
an article.
"""

from __future__ import annotations

import calendar as _cal
from datetime import date, timedelta

import jdatetime
from hijridate import Gregorian, Hijri

GREGORIAN, HIJRI, SOLAR = "gregorian", "hijri", "solar_hijri"


def to_gregorian(cal: str, year: int, month: int, day: int) -> date | None:
    try:
        if cal == GREGORIAN:
            return date(year, month, day)
        if cal == HIJRI:
            g = Hijri(year, month, day).to_gregorian()
            return date(g.year, g.month, g.day)
        if cal == SOLAR:
            return jdatetime.date(year, month, day).togregorian()
    except (ValueError, OverflowError, TypeError):
        return None
    return None


def from_gregorian(cal: str, d: date) -> tuple[int, int, int] | None:
    """(year, month, day) of a Gregorian date in `cal`."""
    try:
        if cal == GREGORIAN:
            return d.year, d.month, d.day
        if cal == HIJRI:
            h = Gregorian(d.year, d.month, d.day).to_hijri()
            return h.year, h.month, h.day
        if cal == SOLAR:
            j = jdatetime.date.fromgregorian(date=d)
            return j.year, j.month, j.day
    except (ValueError, OverflowError, TypeError):
        return None
    return None


def month_length(cal: str, year: int, month: int) -> int | None:
    if cal == GREGORIAN:
        return _cal.monthrange(year, month)[1]
    first = to_gregorian(cal, year, month, 1)
    nxt = to_gregorian(cal, year + (month == 12), month % 12 + 1, 1)
    if first is None or nxt is None:
        return None
    return (nxt - first).days


def month_range(cal: str, year: int, month: int) -> tuple[date, date] | None:
    """First and last Gregorian day of a month of `cal`."""
    first = to_gregorian(cal, year, month, 1)
    length = month_length(cal, year, month)
    if first is None or length is None:
        return None
    return first, first + timedelta(days=length - 1)


def year_range(cal: str, year: int) -> tuple[date, date] | None:
    first = to_gregorian(cal, year, 1, 1)
    nxt = to_gregorian(cal, year + 1, 1, 1)
    if first is None or nxt is None:
        return None
    return first, nxt - timedelta(days=1)
