"""Stage 5 (docs/architecture.md): the finders short answers are drawn with,
one module per kind of span: dates.py, times.py (times of day, relative
times, weekdays), numbers.py (counts and amounts), names.py (names and
roles), on span.py's Span; the word lists they share are lexicon.py's. The
answer is short; the passage it came from is the evidence. Callers import
this package (`from ..language import spans as answers`) and read the names
below."""
from ..lexicon import FREE, NAME_PARTICLES, SELF_REFERENCE, WORD
from .dates import article_base, before_article, find_date_values, find_dates
from .names import Casing, find_names, role_before
from .numbers import (
    counts_things,
    find_numbers,
    is_age,
    is_money,
    is_share,
    number_word_value,
    range_role,
    unit_in,
)
from .span import DateValue, Span, date_value, first_or_none
from .times import find_relative_times, find_times, find_weekdays

__all__ = [
    "FREE", "NAME_PARTICLES", "SELF_REFERENCE", "WORD", "Casing", "DateValue", "Span", "article_base",
    "before_article", "date_value", "find_date_values",
    "counts_things", "find_dates", "find_names", "find_numbers", "find_relative_times", "find_times",
    "find_weekdays", "first_or_none", "is_age", "is_money", "is_share", "number_word_value", "range_role",
    "role_before", "unit_in",
]
