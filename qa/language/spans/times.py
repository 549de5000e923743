"""Times in a sentence that are no calendar date: a time of day ("03.12
uur"), a time told by its distance from an event ("na drie weken",
"volgende week"), a weekday ("donderdagavond")."""
from __future__ import annotations

import re
from functools import lru_cache

from ..lexicon import TIME_LENGTH_UNITS, WEEKDAYS
from .numbers import number_word_value, unit_in
from .span import Span

# A time of day: "om 03.12 uur", "at 3:12 a.m.", "14:30". Not a date, though
# dateparser reads "03.12 uur" as one.
CLOCK_TIME = re.compile(r"\b(?P<clock>(?:[01]?\d|2[0-3])[.:][0-5]\d)"
                        r"(?P<unit>\s*(?:uur|u\b|h\b|[ap]\.?m\.?)|(?=\s|$|[,;]))", re.I)
# Before a clock time written without "uur" ("om 3.12"): the words that make it one.
_BEFORE_TIME = re.compile(r"\b(om|at|rond|around|tot|until|van|from|vanaf)\s+$", re.I)

# A weekday, alone or with its part of the day: "donderdagavond", "zondagochtend".
_DAY_PARTS = {"ochtend": "morning", "morgen": "morning", "middag": "afternoon", "avond": "evening",
              "nacht": "night"}
WEEKDAY = re.compile(r"\b(" + "|".join(WEEKDAYS["en"] + WEEKDAYS["nl"]) + r")"
                      r"(" + "|".join(_DAY_PARTS) + r")?\b", re.I)
WEEKDAY_NUMBER = {day.lower(): n for days in WEEKDAYS.values() for n, day in enumerate(days)}


def find_times(sentence: str, language: str) -> list[Span]:
    """Times of day as the sentence writes them ("03.12 uur"; "03.12" in an
    English answer, which has no "uur")."""
    spans = []
    for m in CLOCK_TIME.finditer(sentence):
        unit = m.group("unit").strip()
        if not unit and not _BEFORE_TIME.search(sentence[:m.start()]):
            continue  # "3.12" with no "uur" and no "om" before it may be any number
        text = m.group("clock") if language == "en" and unit.lower() in ("uur", "u") else m.group(0).strip()
        spans.append(Span(text, m.start(), m.end()))
    return spans


# A time told by its distance from an event: "na drie weken", "binnen een
# uur", "tot drie maanden na de reisdatum", "twee dagen voor de verkiezingen".
_RELATIVE_TIME = re.compile(
    r"\b(?:(?P<preposition>na|binnen|within|after)\s+)?(?P<number>\d+|[^\W\d_]+)\s+"
    r"(?P<unit>" + TIME_LENGTH_UNITS + r")\b"
    r"(?P<event>\s+(?:na|voor|nadat|voordat|after|before)\s+(?:de|het|een|zijn|haar|hun|the|its|his|her|their)"
    r"\s+[^\W\d_]+)?", re.I)
_PREPOSITION_IN_ENGLISH = {"na": "after", "binnen": "within"}
# Weeks and days counted from the article's date, which often gives only its
# month: told as written ("volgende week": "next week").
_RELATIVE_DAY = re.compile(r"\b((volgende|vorige|komende|afgelopen|deze|next|last|this|coming|past)\s+"
                           r"(week|weekend)|gisteren|eergisteren|vandaag|yesterday|today|tomorrow)\b", re.I)
_RELATIVE_DAY_IN_ENGLISH = {"volgende": "next", "vorige": "last", "komende": "coming", "afgelopen": "last",
                            "deze": "this", "gisteren": "yesterday", "vandaag": "today",
                            "eergisteren": "the day before yesterday"}


def find_relative_times(sentence: str, language: str) -> list[Span]:
    """Times written as a length of time after (or before) something: after
    a preposition ("na drie weken": "after 3 weeks") or before an event ("drie
    maanden na de reisdatum", quoted as written: the event is the sources'
    own words); and weeks and days before or after the article's ("volgende
    week"). A bare length of time ("duurde drie weken") is none."""
    return list(_find_relative_times(sentence, language))


@lru_cache(maxsize=65536)  # the sources' sentences come back question after question
def _find_relative_times(sentence: str, language: str) -> tuple[Span, ...]:
    spans = []
    for m in _RELATIVE_TIME.finditer(sentence):
        number = m.group("number")
        value = int(number) if number.isdecimal() else 1 if number.lower() in ("een", "an", "a") \
            else number_word_value(number)
        if value is None or not (m.group("preposition") or m.group("event")):
            continue
        if language == "nl" or m.group("event"):
            text = m.group(0)[0].lower() + m.group(0)[1:]  # "Twee dagen voor ..." opening a sentence
        else:
            unit = unit_in(m.group("unit").lower(), "en")
            preposition = m.group("preposition").lower()
            text = " ".join((_PREPOSITION_IN_ENGLISH.get(preposition, preposition), str(value),
                             unit.removesuffix("s") if value == 1 else unit))
        spans.append(Span(text, m.start(), m.end(), vague=True))
    for m in _RELATIVE_DAY.finditer(sentence):
        text = m.group(0).lower()
        if language == "en":
            text = " ".join(_RELATIVE_DAY_IN_ENGLISH.get(w, w) for w in text.split())
        spans.append(Span(text, m.start(), m.end(), vague=True))
    return tuple(sorted(spans, key=lambda s: s.start))


def find_weekdays(sentence: str, language: str) -> list[Span]:
    """Days of the week ("Donderdag moet zij ..."), in `language`: news often
    dates an event by its weekday alone, which no calendar date can replace."""
    spans = []
    for m in WEEKDAY.finditer(sentence):
        day, part = WEEKDAYS[language][WEEKDAY_NUMBER[m.group(1).lower()]], (m.group(2) or "").lower()
        if part:
            day = day.lower() + part if language == "nl" else f"{day} {_DAY_PARTS[part]}"
        spans.append(Span(day, m.start(), m.end()))
    return spans
