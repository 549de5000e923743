"""Stage 3: turn text into index terms.

Unicode NFKC normalisation, lowercasing, accent folding, a regular-expression
tokenizer (nltk's, which needs no downloaded data), stopwords from the
maintained `stop-words` lists and nltk's Snowball stemmers. The same analyzer
is applied to sentences and to questions, so their terms meet.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache, lru_cache

from nltk.stem.snowball import SnowballStemmer
from nltk.tokenize import RegexpTokenizer
from stop_words import get_stop_words

LANGUAGES = {"nl": "dutch", "en": "english"}

MONTHS = {
    "en": ["January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"],
    "nl": ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
           "september", "oktober", "november", "december"],
}

# Numbers keep their inner separators (10.000, 40-40-20, 18:00); words are
# runs of letters, so "SP-wethouder" gives "sp" and "wethouder".
TOKENIZER = RegexpTokenizer(r"\d+(?:[.,:/-]\d+)*|[^\W\d_]+")
# "(na)zorg", "(her)inrichting": a word written with an optional prefix
# stands for both forms.
_OPTIONAL_PREFIX = re.compile(r"\(([^\W\d_]+)\)([^\W\d_]+)")


def normalize(text: str) -> str:
    """NFKC, lowercase, accents folded: 'Officiële' -> 'officiele'."""
    if text.isascii():  # the common case: nothing to fold
        return text.lower()
    text = unicodedata.normalize("NFKC", text).lower()
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if not unicodedata.combining(c)))


def tokenize(text: str) -> list[str]:
    return TOKENIZER.tokenize(_OPTIONAL_PREFIX.sub(r"\1\2 \2", normalize(text)))


@cache
def stopwords(language: str) -> frozenset[str]:
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}; choose one of {sorted(LANGUAGES)}")
    return frozenset(normalize(w) for w in get_stop_words(LANGUAGES[language]))


@dataclass
class Analyzer:
    """Text -> stemmed terms for one language ('nl' or 'en')."""

    language: str = "nl"
    _stemmer: SnowballStemmer = field(init=False, repr=False)
    _stopwords: frozenset[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.language not in LANGUAGES:
            raise ValueError(f"unknown language {self.language!r}; choose one of {sorted(LANGUAGES)}")
        self._stemmer = SnowballStemmer(LANGUAGES[self.language])
        self._stopwords = stopwords(self.language)
        self.stem = lru_cache(maxsize=200_000)(self._stemmer.stem)

    def is_stopword(self, token: str) -> bool:
        return token in self._stopwords

    def terms(self, text: str) -> list[str]:
        """Index terms of `text`: tokens minus stopwords, stemmed."""
        return [self.stem(t) for t in tokenize(text) if t not in self._stopwords]
