"""Values as intervals, so that two outlets' values can be compared: a number
is the amounts it may mean ("ruim 90": 90 to about 104), a name the people it
may name ("Halsema" may be "Femke Halsema"); a date is the days it may mean
(spans.DateValue: "begin 2021" is January to April 2021). Two values conflict
only when they do not meet: "februari 2021" is a more precise "begin 2021",
not another value."""
from __future__ import annotations

import re
from dataclasses import dataclass

from .lexicon import ABOUT, AT_LEAST, AT_MOST, WORD
from .spans import number_word_value
from .spans.span import FUNCTION_WORDS

# The unit of millions written without one; which units it may stand for.
UNSAID = "?"
CURRENCIES = {"euro", "$"}
# How far "about", "more than", "almost" reach from the number written.
APPROXIMATE_SHARE = 0.15
_SCALES = {"duizend": 1e3, "thousand": 1e3, "miljoen": 1e6, "million": 1e6, "miljard": 1e9, "billion": 1e9}
_DIGITS = re.compile(r"\d{1,3}(?:[.,]\d{3})+|\d+(?:,\d+)?")


@dataclass(frozen=True)
class Amount:
    """A number as written, with the interval it may mean and what it counts (its unit, if any)."""

    low: float
    high: float
    unit: str  # "euro", "%", "" for a count, or UNSAID: millions without a currency ("13,8 miljoen")
    counted: str = ""  # what a count counts, as written after it ("230 mensen": "mensen"), if written

    def comparable(self, other: Amount) -> bool:
        """Two amounts of one thing: their units meet, and where both say what they count, the
        same ("230 mensen" and "112 nieuw werk" count different things)."""
        counted = not self.counted or not other.counted or self.counted == other.counted
        return _units_meet(self.unit, other.unit) and counted

    def meets(self, other: Amount) -> bool:
        """The intervals meet, in units that meet."""
        slack = 1 + 1e-9
        return _units_meet(self.unit, other.unit) and \
            self.low <= other.high * slack and other.low <= self.high * slack


def _units_meet(a: str, b: str) -> bool:
    """One unit, or millions without one beside a currency: news leaves out the currency it wrote
    before ("13,8 miljoen" after "14,5 miljoen euro"); a count is no share, nor money."""
    return a == b or (UNSAID in (a, b) and {a, b} - {UNSAID} <= CURRENCIES)


def amount_of(text: str, before: str = "", after: str = "") -> Amount | None:
    """The amount a number span means ("14 miljoen euro", "ruim 90", "vier"),
    with `before`: the words written before it in its sentence ("ruim", "bijna"), and
    `after`: those after it, whose first says what a count counts ("230 mensen")."""
    digits = _DIGITS.search(text)
    if digits:
        written = digits.group(0)
        value = float(written.replace(".", "").replace(",", ".")) if re.search(r"[.,]\d{3}\b", written) \
            and not re.search(r",\d{1,2}$", written) else float(written.replace(",", "."))
    else:
        value = next((float(v) for w in WORD.findall(text) if (v := number_word_value(w)) is not None), None)
        if value is None:
            return None
    lower = text.lower()
    value *= next((scale for word, scale in _SCALES.items() if re.search(rf"\b{word}\b", lower)), 1.0)
    scaled = any(re.search(rf"\b{word}\b", lower) for word in ("miljoen", "million", "miljard", "billion"))
    unit = "%" if re.search(r"%|procent|percent", lower) else \
        "euro" if re.search(r"€|euro", lower) else "$" if re.search(r"\$|dollar", lower) else \
        UNSAID if scaled else ""
    context = (before + " " + (text[:digits.start()] if digits else "")).rstrip()  # the words just before
    following = WORD.match(after.lstrip())
    counted = following.group(0).lower() if following and not unit else ""
    counted = "" if counted in FUNCTION_WORDS else counted
    if AT_LEAST.search(context):
        return Amount(value, value * (1 + APPROXIMATE_SHARE), unit, counted)
    if AT_MOST.search(context):
        return Amount(value * (1 - APPROXIMATE_SHARE), value, unit, counted)
    if ABOUT.search(context):
        return Amount(value * (1 - APPROXIMATE_SHARE), value * (1 + APPROXIMATE_SHARE), unit, counted)
    return Amount(value, value, unit, counted)


def same_name(a: str, b: str) -> bool:
    """Whether two names may name one person or thing: one's words are the
    other's, in order, with a first name or initials left out ("Halsema",
    "Femke Halsema", "F. Halsema")."""
    wa, wb = _name_words(a), _name_words(b)
    if not wa or not wb:
        return False
    short, long = (wa, wb) if len(wa) <= len(wb) else (wb, wa)
    if short[-1] != long[-1]:
        return False
    rest = long[:-1]
    return all(any(w == r or (len(w) == 1 and r.startswith(w)) for r in rest) for w in short[:-1])


def _name_words(name: str) -> list[str]:
    return [w.strip(".").lower() for w in name.replace("-", " ").split() if w.strip(".")]
