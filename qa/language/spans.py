"""Stage 5 (docs/architecture.md): the finders short answers are drawn with (dates, numbers, names).

Dates are found with dateparser (Dutch and English, relative to the article's
date), numbers as digits or number words, names as runs of words that the
sources themselves write capitalised mid-sentence. The answer is short; the
passage it came from is the evidence.
"""
from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from dateparser.date import DateDataParser
from text_to_num import text2num

from ..language.analysis import MONTHS, WEEKDAYS, date_mentions, normalize, stopwords

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
_FULL_MONTH = re.compile(r"\b(" + "|".join(MONTHS["en"] + MONTHS["nl"]) + r")\b", re.I)
# "dit jaar", "vorig jaar": dateparser resolves them to a day; we keep the year.
# A time of day: "om 03.12 uur", "at 3:12 a.m.", "14:30". Not a date, though
# dateparser reads "03.12 uur" as one.
_TIME = re.compile(r"\b(?P<clock>(?:[01]?\d|2[0-3])[.:][0-5]\d)"
                   r"(?P<unit>\s*(?:uur|u\b|h\b|[ap]\.?m\.?)|(?=\s|$|[,;]))", re.I)
_BEFORE_TIME = re.compile(r"\b(om|at|rond|around|tot|until|van|from|vanaf)\s+$", re.I)
_RELATIVE_YEAR = re.compile(r"^(dit|vorig|volgend|this|last|next)\s+(jaar|year)$", re.I)
_RELATIVE_MONTH = re.compile(r"^(deze|vorige|volgende|this|last|next)\s+(maand|month)\b", re.I)
# A length of time, which dateparser reads as that long ago ("59 minuten",
# "2 jaar"): no date unless written as one ("3 weken geleden", "3 weeks ago").
_DURATION = re.compile(r"^\d+(,\d+)?\s+(seconden?|minuten|minuut|uur|uren|dagen|dag|weken|week|maanden|maand|"
                       r"jaar|jaren|seconds?|minutes?|hours?|days?|weeks?|months?|years?)$", re.I)

# Numbers written in words ("dertig", "tweehonderdvijftig", "twenty-five")
# are read by text2num; "een" is also the Dutch article and counts only
# written "één", and the scales alone ("miljoen") are units, not numbers.
_NOT_NUMBERS = {"een", "miljoen", "miljard", "million", "billion"}


@lru_cache(maxsize=65536)
def number_word_value(word: str) -> int | None:
    """The value of a number written as one word, Dutch or English; None
    for any other word."""
    key = word.lower()
    if key in _NOT_NUMBERS or not key.isalpha() and "-" not in key:
        return None
    if key in ("één", "eén"):  # "Eén" opens a sentence
        return 1
    for language in ("nl", "en"):
        try:
            return text2num(key, language)
        except ValueError:
            continue
    return None


_NUMBER = re.compile(r"(?<![\w.,])(\d{1,3}(?:[.,]\d{3})+|\d+(?:,\d+)?)(?![\w]|[.,]\d)")
_YEAR = re.compile(r"^(1[89]|20)\d\d$")
# What an amount's number needs to mean anything: "10 miljoen euro", "7 procent".
_SCALE_AND_UNIT = re.compile(r"(\s+(miljoen|miljard|duizend|million|billion|thousand))?"
                             r"(\s*%|\s+(euro|dollar|procent|percent|per cent)\b)?", re.I)
_IN_ENGLISH = {"miljoen": "million", "miljard": "billion", "duizend": "thousand", "procent": "percent"}
_CURRENCY_SIGN = re.compile(r"[€$£]\s?$")
_MONEY = re.compile(r"[€$£]|\b(euro|euros|dollars?|pond|ponden|pounds?|cent)\b", re.I)
_SHARE = re.compile(r"%|\b(procent|percent|per cent)\b", re.I)

# Lower-case words that join the parts of a Dutch or English name.
# Lowercase words inside a name; "voor" for organisations ("Onderzoeksraad voor Veiligheid").
NAME_PARTICLES = {"van", "de", "der", "den", "ter", "ten", "het", "'t", "von", "la", "le", "du", "of", "voor"}
_FUNCTION_WORDS = stopwords("nl") | stopwords("en")
WORD = re.compile(r"[^\W\d_][\w'’-]*")
# A capitalised part, a hyphen, a common noun: "SP-wethouder", "D66-fractie".
_NAME_PREFIX = re.compile(r"^([A-Z][\w']*)-(?=[a-z])[\w-]+$")


# An article speaking of itself: "deze krant", "this newspaper".
SELF_REFERENCE = re.compile(r"\b(deze|onze|this|our) (krant|courant|site|redactie|newspaper|paper)\b", re.I)


@dataclass(frozen=True)
class Span:
    text: str  # what the answer shows
    start: int  # offsets within the sentence, for highlighting
    end: int
    prefix: bool = False  # a name written as the first part of a compound ("SP" of "SP-wethouder")
    # an amount without its number ("duizenden", "enkele miljoenen euro's"), a time
    # without its date ("na drie weken")
    vague: bool = False


# ---------------------------------------------------------------- dates

@lru_cache(maxsize=1)
def _date_parser() -> DateDataParser:
    return DateDataParser(languages=["nl", "en"])


def article_base(date: str | None) -> dt.datetime | None:
    """The day against which relative dates in an article are read: its date,
    or the last day of its month when only the month is known."""
    if not date:
        return None
    parts = [int(p) for p in date.split("-")]
    if len(parts) == 3:
        return dt.datetime(*parts)
    year, month = parts[0], parts[1] if len(parts) > 1 else 12
    next_month = dt.datetime(year + month // 12, month % 12 + 1, 1)
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
    if not (re.search(r"\d|\b(jaar|year|maand|month)\b", sentence, re.I) or _FULL_MONTH.search(sentence)):
        return []
    return list(_find_dates(sentence, article_date, language))


@lru_cache(maxsize=65536)  # the sources' sentences come back question after question
def _find_dates(sentence: str, article_date: str | None, language: str) -> tuple[Span, ...]:
    base = article_base(article_date)
    settings = {"PREFER_DATES_FROM": "past", "RETURN_AS_TIMEZONE_AWARE": False}
    if base:
        settings["RELATIVE_BASE"] = base
    # Times of day masked (offsets kept; with a mark, not spaces, which
    # dateparser would fold into a neighbouring date): find_times answers them.
    blanked = _TIME.sub(lambda m: ";" * len(m.group(0)), sentence)
    spans = []
    for start, end, text, value in date_mentions(blanked, settings):
        placeable = _FULL_MONTH.search(text) or _RELATIVE_YEAR.match(text.strip()) or \
            _RELATIVE_MONTH.match(text.strip())
        if not re.search(r"\d", text) and not placeable:
            continue  # "Jan" the name, "woensdag" alone: not dates we can place
        if _YEAR.match(text.strip()) and counts_things(sentence, start, end):
            continue  # "ruim 2000 supporters"
        if _DURATION.match(text.strip()):
            continue  # "een vertraging van 30 tot 59 minuten"
        qualifier = _PERIOD_QUALIFIER.search(sentence[:start])
        if qualifier:
            start = qualifier.start()
        rendered = _render_date(sentence[start:end], text, value, qualifier, language, base)
        if rendered:
            spans.append(Span(rendered, start, end))
    return tuple(spans)


def _nearest_year(value: dt.datetime, base: dt.datetime) -> dt.datetime:
    """A day or month written without its year ("begint in maart", "op 5
    juli") in the year that puts it nearest the article's date: news writes
    the year when it is not the obvious one, and that may be the next year
    ("begint in maart" in January) as well as the last."""
    years = []
    for year in (base.year - 1, base.year, base.year + 1):
        try:
            years.append(value.replace(year=year))
        except ValueError:  # 29 February
            continue
    return min(years, key=lambda v: abs(v - base), default=value)


def _render_date(span: str, core: str, value: dt.datetime, qualifier, language: str,
                 base: dt.datetime | None) -> str | None:
    core_clean = core.strip()
    if _RELATIVE_MONTH.match(core_clean):  # "vorige maand": the month before the article's
        if base is None:
            return None
        return f"{MONTHS[language][value.month - 1]} {value.year}"
    if _RELATIVE_YEAR.match(core_clean):
        if base is None:
            return None
        period, year = "year", base.year if core_clean.split()[0].lower() in ("dit", "this") else None
        if year is None:
            year = value.year
        value = value.replace(year=year)
    else:
        if base and _FULL_MONTH.search(core_clean) and not re.search(r"\b\d{4}\b", core_clean):
            value = _nearest_year(value, base)
        period = _date_parser().get_date_data(core_clean).period or "day"
        # a bare day number is not a date, nor a bare number that is no likely year ("1200 banen")
        if re.fullmatch(r"\d{1,2}", core_clean) or (re.fullmatch(r"\d{3,4}", core_clean) and
                                                     not _YEAR.match(core_clean)):
            return None
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


# ---------------------------------------------------------------- numbers

# "twaalf van de zeventien", "12 of the 17": the second number is the whole
# the first is part of.
_PART_OF = re.compile(r"\b(\d[\d.,]*|[^\W\d_]+)\s+(van de|van het|van|of the|of|out of|out of every|"
                      r"in every|uit|op de|op)\s+$", re.I)


def _whole_of_a_part(before: str) -> bool:
    """Whether the number after `before` is the whole of a part."""
    m = _PART_OF.search(before)
    return bool(m) and (m.group(1)[0].isdigit() or number_word_value(m.group(1)) is not None)


# Before a number that looks like a year: an estimate of a count ("ruim 2000
# supporters"), or a preposition of time ("in 2000", "sinds 1998").
_APPROXIMATELY = re.compile(r"\b(ruim|bijna|ongeveer|zo'n|circa|meer dan|minder dan|tot wel|about|nearly|"
                            r"almost|over|some|around|more than|fewer than|less than)\s+$", re.I)
_TIME_PREPOSITION = re.compile(r"\b(in|sinds|tot|vanaf|uit|van|na|voor|begin|eind|medio|jaar|since|until|"
                               r"till|by|from|before|after|early|late|mid|year|of)\s+$", re.I)
_NEXT_WORD = re.compile(r"\s+([^\W\d_]+)")


def counts_things(sentence: str, start: int, end: int) -> bool:
    """Whether the number at sentence[start:end], which looks like a year,
    counts things: "ruim 2000 supporters", "1500 banen", not "in 2000"."""
    before = sentence[:start]
    if _APPROXIMATELY.search(before):
        return True
    after = _NEXT_WORD.match(sentence, end)
    return bool(after) and not _TIME_PREPOSITION.search(before) and after.group(1).islower() \
        and after.group(1) not in stopwords("nl") and after.group(1) not in stopwords("en")


# An amount or count written without its number: "enkele miljoenen euro's",
# "duizenden reizigers", "tens of millions".
_VAGUE = re.compile(
    r"\b(?P<quantity>(enkele|een paar|vele|tientallen|honderden|duizenden|tienduizenden|honderdduizenden|"
    r"miljoenen|several|a few|many|dozens of|tens of|hundreds of|thousands of|millions of)"
    r"(\s+(miljoenen|miljoen|miljarden|miljard|millions|million|billions|billion))?)"
    r"(?P<unit>\s+(euro's|euro|dollars?|ponden|pounds?)\b)?"
    r"(?=(?P<noun>\s+[^\W\d_]+)?)", re.I)
_VAGUE_IN_ENGLISH = {
    "enkele": "several", "een paar": "a few", "vele": "many", "tientallen": "dozens of",
    "honderden": "hundreds of", "duizenden": "thousands of", "tienduizenden": "tens of thousands of",
    "honderdduizenden": "hundreds of thousands of", "miljoenen": "millions of",
}
# Before a scale: "tientallen miljoenen" is tens of millions, "enkele miljoenen" several million.
_SCALED_IN_ENGLISH = {"tientallen": "tens of", "honderden": "hundreds of"}
_SCALE_IN_ENGLISH = {"miljoen": "million", "miljoenen": "million",
                     "miljard": "billion", "miljarden": "billion"}
_CURRENCY_IN_ENGLISH = {"euro's": "euros", "euro": "euros", "dollar": "dollars", "pond": "pounds",
                        "ponden": "pounds", "pound": "pounds"}
_TOO_VAGUE = {"enkele", "een paar", "vele", "several", "a few", "many"}


def _vague_amounts(sentence: str, language: str) -> list[Span]:
    """Amounts and counts written without a number: with a scale or a
    currency ("enkele miljoenen euro's", "miljoenen euro's"), or a magnitude
    before a noun ("duizenden reizigers"; "enkele reizigers" is too vague)."""
    spans = []
    for m in _VAGUE.finditer(sentence):
        quantifier, noun = m.group(2).lower(), (m.group("noun") or "").strip()
        magnitude_of_things = quantifier not in _TOO_VAGUE and noun[:1].islower() and \
            noun.lower() not in _FUNCTION_WORDS
        if not (m.group(3) or m.group("unit") or magnitude_of_things):
            continue
        text = m.group(0).lower()
        if language == "en":
            currency = (m.group("unit") or "").strip().lower()
            text = _vague_in_english(quantifier, (m.group(4) or "").lower(), currency)
        spans.append(Span(text, m.start(), m.end(), vague=True))
    return spans


def _vague_in_english(quantifier: str, scale: str, currency: str) -> str:
    """"tientallen miljoenen euro" -> "tens of millions of euros", "enkele
    miljoenen euro's" -> "several million euros", "duizenden" -> "thousands"."""
    currency = _CURRENCY_IN_ENGLISH.get(currency, currency)
    if scale and quantifier in _SCALED_IN_ENGLISH:
        words = f"{_SCALED_IN_ENGLISH[quantifier]} {_SCALE_IN_ENGLISH[scale]}s" + (" of" if currency else "")
    elif scale:
        words = f"{_VAGUE_IN_ENGLISH.get(quantifier, quantifier)} {_SCALE_IN_ENGLISH[scale]}"
    else:
        words = _VAGUE_IN_ENGLISH.get(quantifier, quantifier)
        words = words if currency else words.removesuffix(" of")
    return f"{words} {currency}" if currency else words


def find_numbers(sentence: str, language: str) -> list[Span]:
    """Counts and amounts; years are dates, not counts, and are left out, and
    so is the whole of a part ("twaalf van de zeventien": twaalf)."""
    return list(_find_numbers(sentence, language))


@lru_cache(maxsize=65536)  # the sources' sentences come back question after question
def _find_numbers(sentence: str, language: str) -> tuple[Span, ...]:
    spans = _vague_amounts(sentence, language)
    found = [(m.group(1), m.start(1), m.end(1)) for m in _NUMBER.finditer(sentence)
             if not _YEAR.match(m.group(1)) or counts_things(sentence, m.start(1), m.end(1))]
    for m in WORD.finditer(sentence):
        value = number_word_value(m.group(0))
        if value is not None:
            found.append((m.group(0).lower() if language == "nl" else str(value), m.start(), m.end()))
    for number, start, end in found:
        if _whole_of_a_part(sentence[:start]):
            continue
        unit = _SCALE_AND_UNIT.match(sentence, end)
        words = unit.group(0).split() if unit else []
        if language == "en":
            words = [_IN_ENGLISH.get(w.lower(), w) for w in words]
        text = " ".join([number, *words]).replace(" %", "%")
        sign = _CURRENCY_SIGN.search(sentence, 0, start)  # "€ 2,5 miljoen"
        if sign:
            text, start = sign.group(0).strip() + " " + text, sign.start()
        spans.append(Span(text, start, unit.end()))
    spans = [_ratio(sentence, s, language) for s in sorted(spans, key=lambda s: s.start)]
    return tuple(_unit_of_range_end(sentence, s, spans[n + 1] if n + 1 < len(spans) else None)
            for n, s in enumerate(spans))


# "van 250 miljoen naar 380 miljoen euro": the first amount has the second's unit.
_RANGE_BETWEEN = re.compile(r"\s+(naar|tot|en|to|and|-|–)\s+$", re.I)
_UNIT_WORD = re.compile(r"\b(euro|dollar|procent|percent|per cent)$|%$", re.I)


def _unit_of_range_end(sentence: str, span: Span, following: Span | None) -> Span:
    """The first amount of a range written with the second's unit only."""
    if following is None or _MONEY.search(span.text) or _SHARE.search(span.text) or \
            not _RANGE_BETWEEN.fullmatch(" " + sentence[span.end:following.start]):
        return span
    unit = _UNIT_WORD.search(following.text)
    return Span(f"{span.text} {unit.group(0)}".replace(" %", "%"), span.start, span.end) if unit else span


def range_role(sentence: str, span: Span) -> str | None:
    """'from' for the first amount of "van X naar Y" / "from X to Y", 'to' for
    the second, None otherwise."""
    if re.search(r"\b(van|from)\s+$", sentence[:span.start], re.I) and \
            re.match(r"\s+(naar|tot|to)\s+\S", sentence[span.end:], re.I):
        return "from"
    if re.search(r"\b(naar|tot|to)\s+$", sentence[:span.start], re.I) and \
            re.search(r"\b(van|from)\s+\S+(\s+\S+)?\s+(naar|tot|to)\s+$", sentence[:span.start], re.I):
        return "to"
    return None


_RATIO = re.compile(r"\s+(op de|op|in|per|out of every|in every)\s+(\d[\d.]*|[^\W\d_]+)\b", re.I)


def _ratio(sentence: str, span: Span, language: str) -> Span:
    """A count that is the part of a ratio is shown with its whole: "één op de
    duizend kinderen" answers how many children with "1 in 1000", not "1"."""
    m = _RATIO.match(sentence, span.end)
    if not m:
        return span
    whole = m.group(2).lower()
    value = number_word_value(whole)
    if value is None and not whole[0].isdigit():
        return span
    if language == "nl":
        return Span(sentence[span.start:m.end()].lower(), span.start, m.end())
    return Span(f"{span.text} in {whole if value is None else value}", span.start, m.end())


_UNITS_IN_ENGLISH = {
    "per uur": "per hour", "uur": "hours", "uren": "hours", "jaar": "years", "jaren": "years",
    "maand": "month", "maanden": "months", "weken": "weeks", "week": "week", "dagen": "days", "dag": "day",
    "minuten": "minutes", "seconden": "seconds", "mijl": "miles",
}


def unit_in(unit: str, language: str) -> str:
    """A unit as the sources write it, in English for an English question
    ("kilometer per uur" -> "kilometer per hour")."""
    if language != "en":
        return unit
    return re.sub(r"\b(" + "|".join(sorted(_UNITS_IN_ENGLISH, key=len, reverse=True)) + r")\b",
                  lambda m: _UNITS_IN_ENGLISH[m.group(1).lower()], unit, flags=re.I)


_AGE_AFTER = re.compile(r"(-jarige?\b|\s*\)|\s+(jaar|jaren|maanden|maand|weken|dagen|years?|months?|weeks?|"
                        r"days?)(\s+(oud|old))?\b)", re.I)
_AGE_BEFORE = re.compile(r"(\(\s*|\b(van|aged|age|leeftijd van)\s+)$", re.I)


def is_age(sentence: str, span: Span) -> bool:
    """A number written as someone's age: "34-jarige", "Amber (36)", "een
    vrouw van 65", "een baby van vier maanden", "12 years old"."""
    return bool(_AGE_AFTER.match(sentence, span.end) or _AGE_BEFORE.search(sentence[:span.start]))


# What costs nothing: the amount a question about a price may get.
FREE = re.compile(r"\b(gratis|kosteloos|free of charge)\b", re.I)


def is_share(span: Span) -> bool:
    """A percentage: "7 procent", "40%"."""
    return bool(_SHARE.search(span.text))


def is_money(span: Span, share: bool = False) -> bool:
    """An amount of money (or, with `share`, a percentage): what a question
    about costs, pay or prices asks for, unlike a count of people or ships."""
    return bool(_MONEY.search(span.text) or (share and _SHARE.search(span.text)))


# ---------------------------------------------------------------- names

class Casing:
    """How the sources write each word: a word written capitalised in the
    middle of sentences and seldom in lower case is a name (or part of one)."""

    def __init__(self, sentences: Iterable[str] = ()):
        self.upper: Counter[str] = Counter()
        self.lower: Counter[str] = Counter()
        self.add(sentences)

    def add(self, sentences: Iterable[str]) -> None:
        upper, lower = [], []
        for sentence in sentences:
            for i, word in enumerate(WORD.findall(sentence)):
                if word[0].isupper():
                    if i > 0:
                        upper.append(word)
                else:
                    lower.append(word)
        # counted as written, then folded once per distinct word
        for counts, words in ((self.upper, upper), (self.lower, lower)):
            for word, n in Counter(words).items():
                counts[normalize(word)] += n

    def update(self, other: Casing) -> None:
        self.upper.update(other.upper)
        self.lower.update(other.lower)

    def is_name_word(self, word: str) -> bool:
        key = normalize(word)
        # A stopword is no name even when capitalised after a quote mark ("“Wij ...");
        # "SP-wethouder" is a kind of alderman (its name part: name_prefix);
        # "Amsterdamse" is an adjective made from a name.
        return word[:1].isupper() and self.upper[key] > self.lower[key] and key not in _FUNCTION_WORDS \
            and not _NAME_PREFIX.match(word) and not self._is_adjective_of_name(key)

    def _is_adjective_of_name(self, key: str) -> bool:
        base = key[:-2] if key.endswith("se") else None
        return bool(base) and self.upper[base] > self.lower[base]

    def is_adjective_before_noun(self, word: str, following: str | None) -> bool:
        """'Franse' in "de Franse familie": a Dutch adjective of a place or
        people (-se, -sche), written before a common noun, is no name."""
        return normalize(word).endswith(("se", "sche")) and bool(following) and following[:1].islower() \
            and following.lower() not in NAME_PARTICLES
    def name_prefix(self, word: str) -> str | None:
        """The name a hyphenated compound starts with: "SP" of "SP-wethouder",
        "D66" of "D66-fractie" (Dutch writes a party or place before a noun so)."""
        m = _NAME_PREFIX.match(word)
        return m.group(1) if m and (m.group(1).isupper() or self.is_name_word(m.group(1))) else None


def find_names(sentence: str, casing: Casing, exclude: set[str] = frozenset()) -> list[Span]:
    """Runs of name words, joined by particles: 'Marieke van Doorninck', 'Het Parool';
    none that is, or has a word, in `exclude` (normalised)."""
    return [span for span, words in _names(sentence, casing)
            if normalize(span.text) not in exclude and not any(w in exclude for w in words)]


@lru_cache(maxsize=65536)  # the sources' sentences come back question after question
def _names(sentence: str, casing: Casing) -> tuple[tuple[Span, tuple[str, ...]], ...]:
    """Every name in `sentence`, with its normalised words (particles left out)."""
    words = list(WORD.finditer(sentence))
    spans, i = [], 0
    while i < len(words):
        following = words[i + 1].group(0) if i + 1 < len(words) else None
        if not casing.is_name_word(words[i].group(0)) or \
                casing.is_adjective_before_noun(words[i].group(0), following):
            prefix = casing.name_prefix(words[i].group(0))
            if prefix:
                start = words[i].start()
                spans.append((Span(prefix, start, start + len(prefix), prefix=True), (normalize(prefix),)))
            i += 1
            continue
        j, joined, organisation = i, False, False
        while j + 1 < len(words):
            nxt = words[j + 1]
            gap = sentence[words[j].end():nxt.start()]
            if gap.strip():
                break
            if casing.is_name_word(nxt.group(0)):
                j += 1
                continue
            # particles continue a name only when a name word follows them
            k = j + 1
            while k < len(words) and words[k].group(0).lower() in NAME_PARTICLES and \
                    not sentence[words[k - 1].end():words[k].start()].strip():
                k += 1
            # one group of particles per name: "Karel van der Berg | van Sociale Zaken"
            if k > j + 1 and k < len(words) and casing.is_name_word(words[k].group(0)) and \
                    not sentence[words[k - 1].end():words[k].start()].strip() and not joined:
                j, joined = k, True
                organisation = [w.group(0) for w in words[j - 1:j]] == ["voor"]
                continue
            # an organisation's name goes on past "en": "Rijksinstituut voor Volksgezondheid en Milieu"
            # (only after "voor", which no person's name has: "Van Doorninck en Halsema" are two)
            if joined and organisation and nxt.group(0) == "en" and j + 2 < len(words) and \
                    casing.is_name_word(words[j + 2].group(0)) and \
                    not sentence[nxt.end():words[j + 2].start()].strip():
                j += 2
                continue
            break
        start = words[i].start()
        # A capitalised article before the name belongs to it ("Het Parool").
        if i > 0 and words[i - 1].group(0) in ("Het", "De") and \
                not sentence[words[i - 1].end():start].strip():
            start = words[i - 1].start()
        end = words[j].end()
        expanded = _with_acronym(sentence, words, i, j)
        if expanded:
            end = expanded
        text = sentence[start:end]
        while j + 1 < len(words) and words[j + 1].start() < end:
            j += 1  # words inside an expanded acronym are part of this name
        spans.append((Span(text, start, end), tuple(normalize(w.group(0)) for w in words[i:j + 1]
                                                    if w.group(0).lower() not in NAME_PARTICLES)))
        i = j + 1
    return tuple(spans)


def _with_acronym(sentence: str, words: list, i: int, j: int) -> int | None:
    """'Wet openbaarheid bestuur (Wob)': a name whose words' initials spell the
    acronym in brackets after them extends to that bracket."""
    for last in range(j, min(j + 6, len(words) - 1)):
        after = re.match(r"\s*\(([A-Z][A-Za-z]{1,9})\)", sentence[words[last].end():])
        if after:
            initials = iter("".join(w.group(0)[0] for w in words[i:last + 1]).lower())
            acronym = after.group(1).lower()
            # each letter of the acronym starts one of the words, in order
            if last > j and acronym[0] == words[i].group(0)[0].lower() and \
                    all(letter in initials for letter in acronym):
                return words[last].end() + after.end()
            return None
    return None


def role_before(sentence: str, name: str, casing: Casing) -> Span | None:
    """The common noun written right before a name: 'burgemeester Femke Halsema'."""
    at = normalize(sentence).find(normalize(name))
    if at <= 0:
        return None
    before = list(WORD.finditer(sentence[:at]))
    if not before or sentence[before[-1].end():at].strip():
        return None
    word = before[-1]
    if casing.is_name_word(word.group(0)) or len(word.group(0)) < 4:
        return None
    return Span(word.group(0).lower(), word.start(), word.end())


# A weekday, alone or with its part of the day: "donderdagavond", "zondagochtend".
_DAY_PARTS = {"ochtend": "morning", "morgen": "morning", "middag": "afternoon", "avond": "evening",
              "nacht": "night"}
_WEEKDAY = re.compile(r"\b(" + "|".join(WEEKDAYS["en"] + WEEKDAYS["nl"]) + r")"
                      r"(" + "|".join(_DAY_PARTS) + r")?\b", re.I)
_WEEKDAY_NUMBER = {day.lower(): n for days in WEEKDAYS.values() for n, day in enumerate(days)}


def find_times(sentence: str, language: str) -> list[Span]:
    """Times of day as the sentence writes them ("03.12 uur"; "03.12" in an
    English answer, which has no "uur")."""
    spans = []
    for m in _TIME.finditer(sentence):
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
    r"(?P<unit>seconden|minuten|minuut|uur|uren|dagen|dag|weken|week|maanden|maand|jaar|jaren|"
    r"seconds?|minutes?|hours?|days?|weeks?|months?|years?)\b"
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
    for m in _WEEKDAY.finditer(sentence):
        day, part = WEEKDAYS[language][_WEEKDAY_NUMBER[m.group(1).lower()]], (m.group(2) or "").lower()
        if part:
            day = day.lower() + part if language == "nl" else f"{day} {_DAY_PARTS[part]}"
        spans.append(Span(day, m.start(), m.end()))
    return spans


def first_or_none(spans: Sequence[Span]) -> Span | None:
    return spans[0] if spans else None
