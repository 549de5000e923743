"""Dates and periods in a sentence, read with dateparser (Dutch and English,
relative to the article's date) and rendered in the question's language:
"begin dit jaar" in a 2021-07 article is "early 2021"."""
from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache

from dateparser.date import DateDataParser

from ..analysis import date_mentions
from ..lexicon import (
    FUTURE_WORDS,
    LAST_DAY,
    LAST_WEEK,
    MONTH_NAME,
    MONTHS,
    NEAR_DAY_SHIFT,
    NEAR_DAYS,
    PART_OF_THE_YEAR,
    PART_OF_THE_YEAR_SEASON,
    PAST_FORMS,
    THIS_WEEK,
    TIME_LENGTH_UNITS,
    WORD,
    YEARS_AGO,
)
from .numbers import YEAR, counts_things, number_word_value
from .span import DateValue, Span, date_value
from .times import CLOCK_TIME, WEEKDAY, WEEKDAY_NUMBER

# "17,2 miljoen", "1,6", "om 13,8": decimals dateparser reads as days of a month.
_DECIMAL = re.compile(r"(?<![\d,])\d{1,3},\d+(?![\d,])")
# A day or month placed in a year by the words after it: "juli vorig jaar", "maart dit jaar".
_YEAR_SHIFT = {"vorig": -1, "verleden": -1, "last": -1, "volgend": 1, "next": 1}
_YEAR_AFTER = re.compile(r"\s+(?:van\s+)?(vorig|verleden|dit|volgend|last|this|next)\s+(?:jaar|year)\b", re.I)
# A date in a sentence: its (start, end) and what it means.
PlacedDate = tuple[tuple[int, int], DateValue]

# Qualifiers of a period that dateparser drops: "begin 2021", "eind juni".
_PERIOD_QUALIFIER = re.compile(
    r"\b(begin|eind|half|medio|midden|early|late|mid|the beginning of|the end of|"
    r"the middle of|aan het begin van|aan het eind van)\s*-?\s*$", re.I)
_QUALIFIERWORDS = {
    "begin": ("begin", "early"), "aan het begin van": ("begin", "early"),
    "the beginning of": ("begin", "early"), "early": ("begin", "early"),
    "eind": ("eind", "late"), "aan het eind van": ("eind", "late"), "the end of": ("eind", "late"),
    "late": ("eind", "late"), "half": ("half", "mid"), "medio": ("medio", "mid"),
    "midden": ("medio", "mid"), "mid": ("medio", "mid"), "the middle of": ("medio", "mid"),
}
# "dit jaar", "vorig jaar": dateparser resolves them to a day; we keep the year.
_RELATIVE_YEAR = re.compile(r"^(dit|vorig|volgend|this|last|next)\s+(jaar|year)$", re.I)
_RELATIVE_MONTH = re.compile(r"^(deze|vorige|volgende|this|last|next)\s+(maand|month)\b", re.I)
# A length of time, which dateparser reads as that long ago ("59 minuten",
# "2 jaar"): no date unless written as one ("3 weken geleden", "3 weeks ago").
_DURATION = re.compile(r"^\d+(,\d+)?\s+(seconde|" + TIME_LENGTH_UNITS + ")$", re.I)


@lru_cache(maxsize=1)
def _date_parser() -> DateDataParser:
    return DateDataParser(languages=["nl", "en"])


def article_base(date: str | None) -> dt.datetime | None:
    """The day against which relative dates in an article are read: its date,
    or the last day of its month when only the month is known; None when it
    has none, or one no calendar has ("2021-02-31", sent to the API)."""
    if not date:
        return None
    try:
        parts = [int(p) for p in date.split("-")]
        if len(parts) == 3:
            return dt.datetime(*parts)
        year, month = parts[0], parts[1] if len(parts) > 1 else 12
        dt.datetime(year, month, 1)  # a month no calendar has raises here
        next_month = dt.datetime(year + month // 12, month % 12 + 1, 1)
    except ValueError:
        return None
    return next_month - dt.timedelta(days=1)


_MONTH_NUMBER = {name.lower(): n + 1 for names in MONTHS.values() for n, name in enumerate(names)}


def before_article(span: Span, base: dt.datetime) -> bool:
    """Whether a rendered date ("2019", "March 2025", "5 maart 2025") lies in a
    year, or a month, before the article's."""
    year = re.search(r"\b(\d{4})\b", span.text)
    if not year:
        return False
    month = next((_MONTH_NUMBER[w.lower()] for w in span.text.split() if w.lower() in _MONTH_NUMBER), None)
    return (int(year.group(1)), month or 13) < (base.year, base.month)


def find_dates(sentence: str, article_date: str | None, language: str) -> list[Span]:
    """Dates and periods in `sentence`, rendered in `language` ('en' or 'nl')."""
    # Only spans with a digit, a month name or a relative year are kept (see
    # below), so a sentence with none of them is not searched: dateparser
    # takes milliseconds per sentence.
    if not (re.search(r"\d|\b(jaar|year|maand|month)\b", sentence, re.I) or MONTH_NAME.search(sentence)):
        return []
    return list(_find_dates(sentence, article_date, language))


@lru_cache(maxsize=65536)  # the sources' sentences come back question after question
def _find_dates(sentence: str, article_date: str | None, language: str) -> tuple[Span, ...]:
    base = article_base(article_date)
    lean = tense_of(sentence)
    spans = []
    for start, end, text, value, qualifier in _mentions(sentence, article_date):
        rendered = _render_date(sentence[start:end], text, value, qualifier, language, base, lean)
        if rendered:
            spans.append(Span(rendered, start, end))
    return tuple(spans)


@lru_cache(maxsize=65536)
def find_date_values(sentence: str, article_date: str | None) -> tuple[PlacedDate, ...]:
    """The dates of `sentence` placed in time: ((start, end), DateValue) each,
    relative ones read against `article_date` ("begin dit jaar" in a 2021-07
    article: early 2021, January to April)."""
    if not (re.search(r"\d|\b(jaar|years?|maand|months?)\b", sentence, re.I) or MONTH_NAME.search(sentence)
            or WEEKDAY.search(sentence) or THIS_WEEK.search(sentence) or NEAR_DAYS.search(sentence)):
        return ()
    base = article_base(article_date)
    found = []
    if base is not None:
        found = _counted_from_article(sentence, base, article_date.count("-") == 2)
    if base is not None and article_date.count("-") == 2:
        found += _weekday_dates(sentence, base)
    elif base is not None and (WEEKDAY.search(sentence) or THIS_WEEK.search(sentence)):
        # an article dated to the month: "dinsdag", "dit weekend" are days of that month
        near = WEEKDAY.search(sentence) or THIS_WEEK.search(sentence)
        found = [((near.start(), near.end()), date_value(base, "month"))]
    lean = tense_of(sentence)
    for start, end, text, value, qualifier in _mentions(sentence, article_date):
        if _DECIMAL.search(text):
            continue  # "17,2 miljoen": an amount, not 17 February
        if any(f[0][0] <= start and end <= f[0][1] for f in found):
            continue  # inside a date read above ("zes jaar geleden")
        placed = _placed(text.strip(), value, base, lean)
        if placed is not None and base is not None and placed[1] in ("day", "month"):
            year = _YEAR_AFTER.match(sentence, end)  # "in juli vorig jaar"
            if year:
                shift = _YEAR_SHIFT.get(year.group(1).lower(), 0)
                placed = (placed[0].replace(year=base.year + shift), placed[1])
        if placed is not None:
            word = _QUALIFIERWORDS[" ".join(qualifier.group(1).lower().split())][1] if qualifier else None
            found = [f for f in found if not (f[0][0] < end and start < f[0][1])]  # "maandag 5 juli"
            found.append(((start, end), date_value(*placed, word)))
    return tuple(sorted(found, key=lambda f: f[0]))


def _counted_from_article(sentence: str, base: dt.datetime, to_the_day: bool) -> list[PlacedDate]:
    """Dates counted from the article's: "gisteren" (when the article is dated to the day),
    "zes jaar geleden", "aan het eind van het jaar"."""
    found = []
    if to_the_day:
        for m in NEAR_DAYS.finditer(sentence):
            shift = NEAR_DAY_SHIFT.get((m.group(1) or m.group(2)).lower(), 0)
            found.append(((m.start(), m.end()), date_value(base + dt.timedelta(days=shift), "day")))
    for m in YEARS_AGO.finditer(sentence):
        count = m.group(1)
        years = int(count) if count.isdigit() else number_word_value(count.lower())
        if years:
            found.append(((m.start(), m.end()), date_value(base.replace(year=base.year - int(years), day=1),
                                                             "year")))
    for m in PART_OF_THE_YEAR.finditer(sentence):
        season = PART_OF_THE_YEAR_SEASON[(m.group(1) or m.group(2)).lower()]
        found.append(((m.start(), m.end()), date_value(base, "year", season)))
    return found


def tense_of(sentence: str) -> str | None:
    """"past" when `sentence` tells what happened (a finite verb in the past), "future" when what is
    to come, None when it says neither or both."""
    future = bool(FUTURE_WORDS.search(sentence))
    past = any(_past_form(w.lower()) for w in WORD.findall(sentence))
    return None if past == future else "past" if past else "future"


def _past_form(word: str) -> bool:
    if word in PAST_FORMS:
        return True
    # a weak past: the verb's stem and -de(n)/-te(n) ("stemde", "werkten"); not "eerste", "gemeente"
    if len(word) < 5 or not re.search(r"[^aeiou](de|te|den|ten)$", word) or word.startswith("ge"):
        return False
    lemma = _lemma(word)
    return lemma != word and lemma.endswith("en") and lemma[:2] == word[:2]


@lru_cache(maxsize=65536)
def _lemma(word: str) -> str:
    import simplemma

    return simplemma.lemmatize(word, lang="nl")


def _weekday_dates(sentence: str, base: dt.datetime) -> list[PlacedDate]:
    """Weekdays of an article dated to the day: "dinsdag" is the last Tuesday
    up to the article's day, "vorige week dinsdag" the one of the week before."""
    found = []
    for m in WEEKDAY.finditer(sentence):
        before = sentence[:m.start()]
        week = LAST_WEEK.search(before)
        start = week.start() if week else (LAST_DAY.search(before) or m).start()
        back = (base.weekday() - WEEKDAY_NUMBER[m.group(1).lower()]) % 7
        if week:
            back = (base.weekday() + 7) - WEEKDAY_NUMBER[m.group(1).lower()]
        day = base - dt.timedelta(days=back)
        found.append(((start, m.end()), date_value(day, "day")))
    return found


def _mentions(sentence: str, article_date: str | None):
    """dateparser's date mentions in `sentence` that can be placed: (start, end, core text, value,
    qualifier match); start includes a qualifier written before ("begin 2021")."""
    base = article_base(article_date)
    settings = {"PREFER_DATES_FROM": "past", "RETURN_AS_TIMEZONE_AWARE": False}
    if base:
        settings["RELATIVE_BASE"] = base
    # Times of day masked (offsets kept; with a mark, not spaces, which
    # dateparser would fold into a neighbouring date): find_times answers them.
    blanked = CLOCK_TIME.sub(lambda m: ";" * len(m.group(0)), sentence)
    for start, end, text, value in date_mentions(blanked, settings):
        placeable = MONTH_NAME.search(text) or _RELATIVE_YEAR.match(text.strip()) or \
            _RELATIVE_MONTH.match(text.strip())
        if not re.search(r"\d", text) and not placeable:
            continue  # "Jan" the name, "woensdag" alone: not dates we can place
        if YEAR.match(text.strip()) and counts_things(sentence, start, end):
            continue  # "ruim 2000 supporters"
        if _DURATION.match(text.strip()):
            continue  # "een vertraging van 30 tot 59 minuten"
        qualifier = _PERIOD_QUALIFIER.search(sentence[:start])
        if qualifier:
            start = qualifier.start()
        yield start, end, text, value, qualifier


def _nearest_year(value: dt.datetime, base: dt.datetime, lean: str | None = None,
                  period: str = "day") -> dt.datetime:
    """A day or month written without its year ("begint in maart", "op 5
    juli") in the year that puts it nearest the article's date: news writes
    the year when it is not the obvious one, and that may be the next year
    ("begint in maart" in January) as well as the last. A sentence in the past
    (`lean` "past") places it at or before the article's day, one about what is to
    come ("future") at or after it: "In maart stemde de raad" in a September article
    is the March before, "de sloop begint in oktober" in April the October after."""
    years = []
    for year in (base.year - 1, base.year, base.year + 1):
        try:
            years.append(value.replace(year=year))
        except ValueError:  # 29 February
            continue
    # compared at the precision written: "in maart" in a March article is this March, either way
    at = (lambda v: (v.year, v.month)) if period == "month" else (lambda v: (v.year, v.month, v.day))
    if lean == "past":
        years = [v for v in years if at(v) <= at(base)] or years
    elif lean == "future":
        years = [v for v in years if at(v) >= at(base)] or years
    return min(years, key=lambda v: abs(v - base), default=value)


def _placed(core: str, value: dt.datetime, base: dt.datetime | None,
            lean: str | None = None) -> tuple[dt.datetime, str] | None:
    """The date a mention means and its period ("day", "month", "year"); None when it cannot be placed."""
    if _RELATIVE_MONTH.match(core):  # "vorige maand": the month before the article's
        return (value, "month") if base is not None else None
    if _RELATIVE_YEAR.match(core):
        if base is None:
            return None
        this_year = core.split()[0].lower() in ("dit", "this")
        return value.replace(year=base.year if this_year else value.year), "year"
    if base and MONTH_NAME.search(core) and not re.search(r"\b\d{4}\b", core):
        period = _date_parser().get_date_data(core).period or "day"
        value = _nearest_year(value, base, lean, period)
    # a bare day number is not a date, nor a bare number that is no likely year ("1200 banen")
    if re.fullmatch(r"\d{1,2}", core) or (re.fullmatch(r"\d{3,4}", core) and not YEAR.match(core)):
        return None
    return value, _date_parser().get_date_data(core).period or "day"


def _render_date(span: str, core: str, value: dt.datetime, qualifier, language: str,
                 base: dt.datetime | None, lean: str | None) -> str | None:
    core_clean = core.strip()
    placed = _placed(core_clean, value, base, lean)
    if placed is None:
        return None
    value, period = placed
    if _RELATIVE_MONTH.match(core_clean):
        return f"{MONTHS[language][value.month - 1]} {value.year}"
    names = MONTHS[language]
    has_year = bool(re.search(r"\b\d{4}\b", core_clean)) or _RELATIVE_YEAR.match(core_clean)
    if period == "year":
        text = str(value.year)
    elif period == "month":
        # With no year written and no article date to place it by, the year would be today's.
        text = f"{names[value.month - 1]} {value.year}" if has_year or base else names[value.month - 1]
    else:
        day_month = f"{value.day} {names[value.month - 1]}"
        text = f"{day_month} {value.year}" if has_year or base else day_month
    if qualifier:
        word = " ".join(qualifier.group(1).lower().split())
        text = _QUALIFIERWORDS[word][0 if language == "nl" else 1] + " " + text
    return text

