"""Business days, holidays and UTC offsets per country: banks book only on their business days.

Built once per run for the few hundred dates involved, so the hot loops only do dict lookups.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import holidays

ONE_DAY = dt.timedelta(days=1)


class DateText(dict):
    """date → text in one format, computed once per date (the loops format millions)."""

    def __init__(self, pattern: str = ""):
        super().__init__()
        self.pattern = pattern

    def __missing__(self, day: dt.date) -> str:
        text = self[day] = day.strftime(self.pattern) if self.pattern else day.isoformat()
        return text


ISO = DateText()
YYMMDD = DateText("%y%m%d")
CLOCK = [f"{m // 60:02d}:{m % 60:02d}:{m * 7 % 60:02d}" for m in range(24 * 60)]


def _holidays(country: str, years: list[int]) -> set[dt.date]:
    if country == "EUR":  # TARGET2 closing days: the euro payment system, not one country
        return set(holidays.financial_holidays("ECB", years=years))
    if country == "JP":  # Japanese banks also close 31 Dec to 3 Jan
        extra = {dt.date(y, m, d) for y in years for m, d in ((12, 31), (1, 2), (1, 3))}
        return set(holidays.country_holidays("JP", years=years)) | extra
    if country == "GB":
        return set(holidays.country_holidays("GB", subdiv="ENG", years=years))
    return set(holidays.country_holidays(country, years=years))


class Calendar:
    """Business days of one country (or TARGET2 for 'EUR') between two dates."""

    def __init__(self, country: str, first: dt.date, last: dt.date):
        self.country = country
        closed = _holidays(country, list(range(first.year - 1, last.year + 2)))
        day = first - dt.timedelta(days=14)
        self._open: dict[dt.date, bool] = {}
        while day <= last + dt.timedelta(days=14):
            self._open[day] = day.weekday() < 5 and day not in closed
            day += ONE_DAY

    def is_open(self, day: dt.date) -> bool:
        return self._open[day]

    def on_or_after(self, day: dt.date) -> dt.date:
        while not self._open[day]:
            day += ONE_DAY
        return day

    def on_or_before(self, day: dt.date) -> dt.date:
        while not self._open[day]:
            day -= ONE_DAY
        return day

    def add(self, day: dt.date, n: int) -> dt.date:
        """The n-th business day after ``day`` (n >= 0; n = 0 is ``day`` rolled forward)."""
        day = self.on_or_after(day)
        for _ in range(n):
            day = self.on_or_after(day + ONE_DAY)
        return day

    def open_days(self, first: dt.date, last: dt.date) -> list[dt.date]:
        out, day = [], first
        while day <= last:
            if self._open[day]:
                out.append(day)
            day += ONE_DAY
        return out


def offsets(tz: str, first: dt.date, last: dt.date) -> dict[dt.date, str]:
    """'+01:00'-style UTC offsets at noon for each date (daylight saving included)."""
    zone, out, day = ZoneInfo(tz), {}, first - dt.timedelta(days=60)
    while day <= last + dt.timedelta(days=14):
        off = dt.datetime(day.year, day.month, day.day, 12, tzinfo=zone).utcoffset() or dt.timedelta()
        minutes = int(off.total_seconds()) // 60
        sign = "-" if minutes < 0 else "+"
        out[day] = f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
        day += ONE_DAY
    return out


def days_between(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
