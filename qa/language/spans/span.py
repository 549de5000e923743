"""What a span finder returns, and what the finders share."""
from __future__ import annotations

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
