"""What a span finder returns, and what the finders share."""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from ..analysis import stopwords

# Words no name or counted noun is made of.
FUNCTION_WORDS = stopwords("nl") | stopwords("en")


@dataclass(frozen=True)
class Span:
    text: str  # what the answer shows
    start: int  # offsets within the sentence, for highlighting
    end: int
    prefix: bool = False  # a name written as the first part of a compound ("SP" of "SP-wethouder")
    # an amount without its number ("duizenden", "enkele miljoenen euro's"), a time
    # without its date ("na drie weken")
    vague: bool = False


def first_or_none(spans: Sequence[Span]) -> Span | None:
    return spans[0] if spans else None


# Seasons a year is cut into when a text says "begin", "medio", "eind" (the months each may mean).
SEASON_MONTHS = {"early": (1, 4), "mid": (5, 8), "late": (9, 12)}
PRECISIONS = ("day", "month", "season", "year")


@dataclass(frozen=True)
class DateValue:
    """A date as written, placed: the interval of days it may mean."""

    label: str  # ISO: "2019", "2021-02", "2021-07-05", or a season "2021-early"
    precision: str  # one of PRECISIONS
    first: dt.date
    last: dt.date

    def meets(self, other: DateValue) -> bool:
        return self.first <= other.last and other.first <= self.last

    def within(self, other: DateValue) -> bool:
        return other.first <= self.first and self.last <= other.last


def date_value(value: dt.datetime, period: str, qualifier: str | None = None) -> DateValue:
    """The interval of `value` read at `period` ("day", "month", "year"); a
    qualifier ("early", "mid", "late") narrows a year to a season and leaves a
    month a month."""
    y, m = value.year, value.month
    if period == "year":
        if qualifier in SEASON_MONTHS:
            first_month, last_month = SEASON_MONTHS[qualifier]
            return DateValue(f"{y}-{qualifier}", "season", dt.date(y, first_month, 1),
                             _month_end(y, last_month))
        return DateValue(str(y), "year", dt.date(y, 1, 1), dt.date(y, 12, 31))
    if period == "month":
        return DateValue(f"{y}-{m:02d}", "month", dt.date(y, m, 1), _month_end(y, m))
    day = value.date()
    return DateValue(day.isoformat(), "day", day, day)


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)
