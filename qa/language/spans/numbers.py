"""Counts and amounts in a sentence: numbers written as digits or as words,
with their scale and unit ("2,5 miljoen euro", "7 procent"), amounts written
without a number ("duizenden reizigers"), ratios, ranges, ages."""
from __future__ import annotations

import re
from functools import lru_cache

from text_to_num import text2num

from ..lexicon import WORD
from .span import FUNCTION_WORDS, Span

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


# Digits with thousands separators or a decimal comma ("10.000", "2,5"),
# not inside a longer token ("3.12.1", "A4").
_NUMBER = re.compile(r"(?<![\w.,])(\d{1,3}(?:[.,]\d{3})+|\d+(?:,\d+)?)(?![\w]|[.,]\d)")
# A number that may be a year: a date, not a count, unless it counts things.
YEAR = re.compile(r"^(1[89]|20)\d\d$")
# What an amount's number needs to mean anything: "10 miljoen euro", "7 procent".
_SCALE_AND_UNIT = re.compile(r"(\s+(miljoen|miljard|duizend|million|billion|thousand))?"
                             r"(\s*%|\s+(euro|dollar|procent|percent|per cent)\b)?", re.I)
_IN_ENGLISH = {"miljoen": "million", "miljard": "billion", "duizend": "thousand", "procent": "percent"}
# A currency sign before the number ("€ 2,5 miljoen") belongs to the amount.
_CURRENCY_SIGN = re.compile(r"[€$£]\s?$")
# What makes an amount money, or a share of a whole (is_money, is_share).
_SCALED = re.compile(r"\b(miljoen|miljard|million|billion)\b", re.I)
_MONEY = re.compile(r"[€$£]|\b(euro|euros|dollars?|pond|ponden|pounds?|cent)\b", re.I)
_SHARE = re.compile(r"%|\b(procent|percent|per cent)\b", re.I)

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
        and after.group(1) not in FUNCTION_WORDS


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
            noun.lower() not in FUNCTION_WORDS
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
             if not YEAR.match(m.group(1)) or counts_things(sentence, m.start(1), m.end(1))]
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


def is_share(span: Span) -> bool:
    """A percentage: "7 procent", "40%"."""
    return bool(_SHARE.search(span.text))


def is_money(span: Span, share: bool = False, sentence: str | None = None) -> bool:
    """An amount of money (or, with `share`, a percentage): what a question
    about costs, pay or prices asks for, unlike a count of people or ships.
    Given its `sentence`, also millions that count nothing written after them ("ging
    het nog om 13,8 miljoen."): news leaves out the currency it wrote before."""
    if _MONEY.search(span.text) or (share and _SHARE.search(span.text)):
        return True
    if sentence is None or not _SCALED.search(span.text):
        return False
    following = WORD.match(sentence[span.end:].lstrip())
    return following is None or following.group(0).lower() in FUNCTION_WORDS
