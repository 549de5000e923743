"""Stage 3 (docs/architecture.md): turn text into index terms.

Unicode NFKC normalisation, lowercasing, accent folding, a regular-expression
tokenizer, stopwords from the maintained `stop-words` lists, simplemma's
dictionary lemmas, then Snowball stemmers (PyStemmer for Dutch, nltk for
English). The same analyzer is applied to sentences and to questions, so
their terms meet. Also: finding dates in text (dateparser), which the
question and answer stages share.

Indexing a large archive is mostly this stage, so its work is done once per
distinct word where it can be: a word is folded, lemmatised, stemmed and
split into compound parts once (Analyzer.word_terms), not at every
occurrence.

A lemma before the stem because Dutch (and English) verbs are irregular
where it matters most in news: "trad af", "afgetreden" and "aftreden" are
one verb, as are "kreeg"/"krijgen" and "stelden"/"stellen"; no suffix
stripper joins those. The dictionaries' own headwords are lemmas, so a
translated query word meets the sentence's word. The stem after the lemma
still joins derivations the lemma list keeps apart ("Amsterdamse").
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache, lru_cache
from pathlib import Path
from typing import NamedTuple

import simplemma
import Stemmer
from dateparser.search import search_dates
from stop_words import get_stop_words

LANGUAGES = {"nl": "dutch", "en": "english"}

# Numbers keep their inner separators (10.000, 40-40-20, 18:00); words are
# runs of letters, so "SP-wethouder" gives "sp" and "wethouder".
TOKEN_PATTERN = r"[^\W\d_]+|\d+(?:[.,:/-]\d+)*"
# Compiled once and run with findall: nltk's RegexpTokenizer, with the same
# pattern, spent 23 us on a 240-character sentence where this takes 7.
_WORDS = re.compile(TOKEN_PATTERN)

# "(na)zorg", "(her)inrichting": a word written with an optional prefix
# stands for both forms.
_OPTIONAL_PREFIX = re.compile(r"\(([^\W\d_]+)\)([^\W\d_]+)")


def normalize(text: str) -> str:
    """NFKC, lowercase, accents folded: 'Officiële' -> 'officiele'."""
    if text.isascii():  # the common case: nothing to fold
        return text.lower()
    decomposed = unicodedata.normalize("NFD", unicodedata.normalize("NFKC", text).lower())
    return unicodedata.normalize("NFC", decomposed.translate(_COMBINING))


class _CombiningMarks(dict):
    """str.translate's table that drops combining marks (what NFD splits accents into) and keeps
    every other character, filled in as characters are met: listing the marks of all of Unicode
    took 0.07 s of every start."""

    def __missing__(self, code: int) -> int | None:
        kept = None if unicodedata.combining(chr(code)) else code
        self[code] = kept
        return kept


_COMBINING = _CombiningMarks()


def _normalized_words(pattern: re.Pattern, text: str) -> list[str]:
    """pattern.findall(normalize(text)), faster: a text is cut into words
    first and only a word with a non-ASCII letter is folded (once per word:
    folding a whole text cost 36 us a sentence)."""
    if text.isascii():
        return pattern.findall(text.lower())
    words = pattern.findall(unicodedata.normalize("NFKC", text).lower())
    return [w if w.isascii() else _fold(w) for w in words]


@lru_cache(maxsize=100_000)
def _fold(word: str) -> str:
    return normalize(word)


class LemmaList:
    """simplemma's lemma list for one language, asked as simplemma.is_known and
    simplemma.lemmatize answer, faster for the words the analyzer asks about:
    plain letters, NFC. A compound's possible parts are looked up at every cut
    and every distinct word of an archive is lemmatised; simplemma's checks and
    conversions around its dictionary lookup took most of that time (simplemma
    2.0.0, pinned: its dictionary keeps words as UTF-8 bytes). Any other word, a
    word the dictionary lacks (lemmatize: simplemma's other rules) or a
    dictionary of another kind goes through simplemma. Tested against it."""

    def __init__(self, language: str):
        from simplemma.strategies.dictionaries.dictionary_factory import DEFAULT_DICTIONARY_FACTORY
        from simplemma.utils import _CANON_TABLES

        self.language = language
        words = getattr(DEFAULT_DICTIONARY_FACTORY.get_dictionary(language), "_dict", None)
        self._words = words if isinstance(words, dict) and language not in _CANON_TABLES else None

    def _lookup(self, word: str) -> tuple[bool, bytes | None]:
        """(whether `word` can be looked up here, its lemma as bytes or None), as simplemma's
        dictionary lookup does it: as written, then with its first letter's case turned."""
        if self._words is None or not word.isalpha() or word.isnumeric() or \
                not unicodedata.is_normalized("NFC", word):  # (simplemma gives a number back as it is)
            return False, None
        found = self._words.get(word.encode())
        if found is None:
            cased = word.lower() if word[:1].isupper() else word.capitalize()
            found = self._words.get(cased.encode())
        return True, found

    def is_known(self, word: str) -> bool:
        fast, found = self._lookup(word)
        return found is not None if fast else simplemma.is_known(word, lang=self.language)

    def lemmatize(self, word: str) -> str:
        _, found = self._lookup(word)
        return found.decode() if found is not None else simplemma.lemmatize(word, lang=self.language)


@cache
def lemma_list(language: str) -> LemmaList:
    return LemmaList(language)


def tokenize(text: str) -> list[str]:
    """Normalised tokens (see normalize)."""
    if "(" in text:
        text = _OPTIONAL_PREFIX.sub(r"\1\2 \2", text)
    return _normalized_words(_WORDS, text)


ENGLISH_STOPWORDS = Path(__file__).resolve().parent.parent / "data" / "english-stopwords.txt"

# Compounds: words of at least 8 letters, parts of at least 4; linking
# letters between the parts ("onderzoek-s-bureau", "klacht-en-regen").
COMPOUND_MIN_LENGTH, COMPOUND_MIN_PART = 8, 4
# Longer tokens are no words (a pasted code, a blob): not looked up, not split,
# since both take time in proportion to the square of the length.
MAX_WORD_LENGTH = 60
_LINKS = ("s", "en", "e")
# Distinct words whose index terms are kept (a large archive has a few hundred thousand).
MAX_CACHED_WORDS = 2_000_000

# Separable verbs: the particle stands apart from the verb in a main clause
# ("Ivens trad af", "neemt de taken over", "vond plaats"). A particle joins
# the nearest verb before it (within SEPARABLE_REACH words) when the two make
# a verb of the lemma list: "trad ... af" is "aftreden".
SEPARABLE_PARTICLES = frozenset([
    "aan", "af", "bij", "binnen", "door", "in", "mee", "na", "neer", "om", "onder", "op", "over", "samen",
    "terug", "tegen", "toe", "uit", "vast", "voor", "weg", "waar", "plaats", "deel"])
SEPARABLE_REACH = 15
# What may follow a particle at the end of its clause: punctuation, or a word
# that starts the next clause ("vond een onderzoek plaats dat ...").
CLAUSE_STARTERS = frozenset([
    "dat", "die", "wat", "waarna", "waardoor", "waarin", "nadat", "omdat", "doordat", "zodat", "terwijl",
    "toen", "als", "of", "en", "maar", "want", "om", "sinds", "voordat", "totdat", "hoewel",
    "wegens", "vanwege"])  # reasons often follow the particle: "treedt af wegens ..."
# A particle followed by a preposition ends its verb group too: a preposition
# needs an object, so "hield twee supporters aan voor het afsteken" is
# "aanhouden" ("ging in op het voorstel": ingaan).
PREPOSITIONS = frozenset([
    "aan", "achter", "bij", "binnen", "boven", "buiten", "door", "in", "langs", "met", "na", "naar", "naast",
    "om", "onder", "op", "over", "per", "rond", "sinds", "tegen", "tijdens", "tot", "tussen", "uit", "van",
    "vanaf", "vanuit", "via", "voor", "zonder"])
_CLAUSE_ENDS = frozenset(",.;:!?()\"'\u201c\u201d\u2018\u2019")
_CLAUSE_TOKENS = re.compile(r"\d+|[^\W\d_]+|[,.;:!?()\"'\u201c\u201d\u2018\u2019]")


def _stemmer(language: str) -> Callable[[str], str]:
    """Snowball's stemmer for `language`. Dutch from PyStemmer (Snowball's C
    code): its "dutch_porter" is the algorithm nltk's Dutch stemmer
    implements, and stems all 418,690 words of Debian's wdutch list the same,
    three times faster (the indexing path stems every new word). English
    stays nltk's (PyStemmer's differs on a few words), imported when first
    used: importing nltk takes 0.9 s, and only English questions need it."""
    if language == "nl":
        return Stemmer.Stemmer("dutch_porter").stemWord
    stemmer = None

    def stem(word: str) -> str:
        nonlocal stemmer
        if stemmer is None:
            from nltk.stem.snowball import SnowballStemmer

            stemmer = SnowballStemmer(LANGUAGES[language]).stem
        return stemmer(word)

    return stem


@cache
def stopwords(language: str) -> frozenset[str]:
    """Dutch: the stop-words package's list (Snowball's). English: Snowball's
    list, shipped here, because the package's English list holds content
    words ("research", "members", "million")."""
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}; choose one of {sorted(LANGUAGES)}")
    if language == "en":
        lines = ENGLISH_STOPWORDS.read_text(encoding="utf-8").splitlines()
        return frozenset(normalize(w) for w in lines if w and not w.startswith("#"))
    return frozenset(normalize(w) for w in get_stop_words(LANGUAGES[language]))


class IndexTerms(NamedTuple):
    terms: list[str]
    length: int  # words; a compound's parts do not make a sentence longer


@dataclass
class Analyzer:
    """Text -> index terms (stemmed lemmas) for one language ('nl' or 'en')."""

    language: str = "nl"
    _stem: Callable[[str], str] = field(init=False, repr=False)
    _stopwords: frozenset[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.language not in LANGUAGES:
            raise ValueError(f"unknown language {self.language!r}; choose one of {sorted(LANGUAGES)}")
        self._stem = _stemmer(self.language)
        self._stopwords = stopwords(self.language)
        self.lemma = lru_cache(maxsize=200_000)(self._lemma)
        self.term = lru_cache(maxsize=200_000)(self._term)
        self.compound_parts = lru_cache(maxsize=200_000)(self._compound_parts)
        # Whether the lemma list knows a word: asked for every way of cutting a
        # compound, whose right-hand parts recur from word to word.
        self._known = lru_cache(maxsize=500_000)(self._is_known)
        # Index terms of each distinct word seen (() for a stopword): a word is
        # looked up, lemmatised, stemmed and split once, not at every occurrence.
        self._word_terms: dict[str, tuple[str, ...]] = {}
        self._verb_lemmas: dict[str, str] = {}  # the same for _verb_lemma

    def _is_known(self, word: str) -> bool:
        return lemma_list(self.language).is_known(word)

    def _compound_parts(self, token: str) -> tuple[str, ...]:
        """The two words a Dutch compound is made of ("partijbestuur" ->
        partij, bestuur), both in the lemma list; () when it is not one. The
        split with the longest head (right part) wins; a linking s/e/en on
        the left part is dropped ("onderzoeksbureau" -> onderzoek, bureau).
        A word the lemma list knows must split into longer parts, so that
        "onderzoek" stays whole."""
        if self.language != "nl" or not token.isalpha() or \
                not COMPOUND_MIN_LENGTH <= len(token) <= MAX_WORD_LENGTH:
            return ()
        shortest = COMPOUND_MIN_PART + 1 if self._known(token) else COMPOUND_MIN_PART
        for i in range(shortest, len(token) - shortest + 1):
            left, head = token[:i], token[i:]
            if not self._known(head):
                continue
            for modifier in (left, *(left[:-len(link)] for link in _LINKS if left.endswith(link))):
                if len(modifier) >= shortest and self._known(modifier):
                    return modifier, head
        return ()

    def _lemma(self, token: str) -> str:
        if len(token) > MAX_WORD_LENGTH:  # no word: a lemma lookup would cost time for nothing
            return token
        # Separable verbs come back as "waar_nemen"; the word is "waarnemen".
        return normalize(lemma_list(self.language).lemmatize(token).replace("_", ""))

    def _term(self, token: str) -> str:
        """Index term of one normalised token: its lemma, stemmed."""
        return self._stem(self.lemma(token))

    def separable_verbs(self, text: str) -> dict[str, str]:
        """Verbs of `text` whose particle stands apart at the end of the
        clause -> the whole verb ("trad Ivens af," -> {"trad": "aftreden"}).
        A particle with more of the clause after it is a preposition ("wacht
        op de trein")."""
        found: dict[str, str] = {}
        if self.language != "nl":
            return found
        tokens = _normalized_words(_CLAUSE_TOKENS, text)
        verbs = self._verb_lemmas
        for j, particle in enumerate(tokens):
            following = tokens[j + 1] if j + 1 < len(tokens) else "."
            if particle not in SEPARABLE_PARTICLES:
                continue
            # "op te stappen": the particle, "te", then the verb
            after = tokens[j + 2] if following == "te" and j + 2 < len(tokens) else None
            # (the infinitive as written too: the lemma list reads "stappen" as the plural of "stap")
            verb = next((v for v in (self.lemma(after), after)
                         if v.endswith("en") and self._known(particle + v)), None) if after else None
            if verb:
                found.setdefault(after, particle + verb)
                continue
            if not (following in _CLAUSE_ENDS or following in CLAUSE_STARTERS or following in PREPOSITIONS):
                continue
            for i in range(j - 1, max(-1, j - 1 - SEPARABLE_REACH), -1):
                if tokens[i] in _CLAUSE_ENDS:
                    break
                lemma = verbs.get(tokens[i])
                if lemma is None:
                    lemma = self._verb_lemma(tokens[i])
                if lemma and tokens[i] not in found and self._known(particle + lemma):
                    found[tokens[i]] = particle + lemma
                    break
        return found

    def _verb_lemma(self, token: str) -> str:
        """The lemma of `token` when it can be the verb of a separable particle, else ""."""
        lemma = self.lemma(token)
        # a verb, not a participle used as an adjective ("volgend jaar")
        verb = lemma if lemma.endswith("en") and not token.endswith(("end", "ende")) \
            and token not in SEPARABLE_PARTICLES else ""
        if len(self._verb_lemmas) < MAX_CACHED_WORDS:
            self._verb_lemmas[token] = verb
        return verb

    def query_forms(self, token: str) -> tuple[str, ...]:
        """Index terms a query word should find: its term, and the stem of the
        word as written when that differs, because a lemma list without
        context reads a few dictionary forms as another word's inflection
        ("stellen" as the plural of "stel")."""
        term, stem = self.term(token), self._stem(token)
        return (term,) if term == stem else (term, stem)

    def is_stopword(self, token: str) -> bool:
        # Not by lemma: the lemma list reads "eerste" (first) as a form of "een".
        return token in self._stopwords

    def terms(self, text: str) -> list[str]:
        """Index terms of `text`: tokens minus stopwords, lemmatised and stemmed."""
        return [self.term(t) for t in tokenize(text) if t not in self._stopwords]

    def index_terms(self, text: str, tokens: list[str] | None = None) -> IndexTerms:
        """Terms to index `text` under: its terms, the parts of its
        compounds, so that "partij" finds "partijbestuur" (Dutch writes
        compounds as one word; a question rarely uses the same one), and its
        separable verbs joined. `tokens`: tokenize(text), when already known."""
        terms: list[str] = []
        words = 0
        known = self._word_terms
        for t in tokenize(text) if tokens is None else tokens:
            found = known.get(t)
            if found is None:
                found = self.word_terms(t)
            if found:
                words += 1
                terms.extend(found)
        # and under its separable verbs, joined ("trad ... af": aftreden)
        terms.extend(self.term(verb) for verb in self.separable_verbs(text).values())
        return IndexTerms(terms, words)

    def word_terms(self, token: str) -> tuple[str, ...]:
        """Index terms of one normalised token: its term and its compound
        parts' terms; () for a stopword. Cached per distinct word."""
        found = self._word_terms.get(token)
        if found is None:
            found = () if token in self._stopwords else \
                (self.term(token), *(self.term(part) for part in self.compound_parts(token)))
            if len(self._word_terms) < MAX_CACHED_WORDS:
                self._word_terms[token] = found
        return found


# The shortest word a compound's head is counted as (shorter ones end too many words: "ban", "loopban").
COMPOUND_HEAD_MIN = 4


def shared_terms(a: frozenset[str], b: frozenset[str]) -> int:
    """How many of the smaller set's index terms the other has, a compound counting for its head
    ("onderteken" for "teken", "kartonfabriek" for "fabriek"): Dutch writes one thing as a
    compound in one sentence and as its head in the next. Compounds are looked at only when the
    sets share a term already (the common case, no term in common, stays one set operation)."""
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    common = len(small & large)
    if not common:
        return 0
    rest = [u for u in large - small if len(u) >= COMPOUND_HEAD_MIN]
    return common + sum(1 for t in small - large if len(t) >= COMPOUND_HEAD_MIN
                        and any(u.endswith(t) or t.endswith(u) for u in rest))


def date_mentions(text: str, settings: dict) -> list[tuple[int, int, str, datetime]]:
    """(start, end, text, value) of the dates dateparser finds, searched as
    Dutch and as English separately: given both languages at once it picks
    one for the whole sentence and reads "Op 5 juli 2021" as just "2021".
    Of overlapping finds the longer is kept (Dutch first on a tie)."""
    found = []
    for language in ("nl", "en"):
        cursor = 0
        for mention, value in search_dates(text, languages=[language], settings=settings) or []:
            start = text.find(mention, cursor)
            if start >= 0:
                cursor = start + len(mention)
                found.append((start, cursor, mention, value))
    kept: list[tuple[int, int, str, datetime]] = []
    for mention in sorted(found, key=lambda f: f[0] - f[1]):  # longest first
        if all(mention[1] <= k[0] or mention[0] >= k[1] for k in kept):
            kept.append(mention)
    return sorted(kept)
