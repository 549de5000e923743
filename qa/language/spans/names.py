"""Names in a sentence: runs of words that the sources themselves write
capitalised mid-sentence (Casing), joined by particles ("Marieke van
Doorninck"), and the role written before a name ("burgemeester")."""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from functools import lru_cache

from ..analysis import normalize
from ..lexicon import NAME_PARTICLES, WORD
from .span import FUNCTION_WORDS, Span


class _Sum(Mapping):
    """Two counts added when read (Casing.summed); 0 for a word neither has, as a Counter."""

    def __init__(self, base: Mapping[str, int], change: Mapping[str, int]):
        self._base, self._change = base, change

    def __getitem__(self, key: str) -> int:
        return self._base.get(key, 0) + self._change.get(key, 0)

    def __iter__(self):
        # (the words counted, as a Counter holds them: not those whose counts cancel out)
        return (word for word in {*self._base, *self._change} if self[word])

    def __len__(self) -> int:
        return sum(1 for _ in self)


# A capitalised part, a hyphen, a common noun: "SP-wethouder", "D66-fractie".
_NAME_PREFIX = re.compile(r"^([A-Z][\w']*)-(?=[a-z])[\w-]+$")


class Casing:
    """How the sources write each word: a word written capitalised in the
    middle of sentences and seldom in lower case is a name (or part of one)."""

    def __init__(self, sentences: Iterable[str] = ()):
        # (Counters; a Casing.summed reads two of them added)
        self.upper: Counter[str] | _Sum = Counter()
        self.lower: Counter[str] | _Sum = Counter()
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

    def subtract(self, other: Casing) -> None:
        """Take away another's counts (those of sentences that are gone); counts may go below 0."""
        self.upper.subtract(other.upper)
        self.lower.subtract(other.lower)

    @classmethod
    def summed(cls, base: Casing, change: Casing) -> Casing:
        """`base` with `change` added (counts that may be negative), without copying `base`'s
        counts: the casing of a large index and of the few sentences changed since."""
        casing = cls()
        casing.upper, casing.lower = _Sum(base.upper, change.upper), _Sum(base.lower, change.lower)
        return casing

    def is_name_word(self, word: str) -> bool:
        key = normalize(word)
        # A stopword is no name even when capitalised after a quote mark ("“Wij ...");
        # "SP-wethouder" is a kind of alderman (its name part: name_prefix);
        # "Amsterdamse" is an adjective made from a name.
        return word[:1].isupper() and self.upper[key] > self.lower[key] and key not in FUNCTION_WORDS \
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
