"""English words the dictionary cannot place, matched to the sources' own
Dutch words by the multilingual sentence encoder.

FreeDict lacks common words ("municipality", "employees") and senses
("portfolio" is only "aktentas"). The encoder puts a word and its translation
close together, so every word of the sources' vocabulary is encoded once (at
index time, saved with the index). An English query word none of whose
translations the sources use then takes the vocabulary words that are very
close to it (cosine), or close and far closer than the rest of the
vocabulary (z-score of the cosine over the vocabulary; a small vocabulary
has too few words for that): "municipality" -> gemeente (0.91),
"portfolios" -> portefeuilles (0.73, z 6.2).

Measured on the seeds' 815 words: right translations scored cosine 0.73-0.95
at z 4.1-7.8; wrong nearest words stayed under one bar or the other
("alderman" -> topman 0.63, "duties" -> aanstelling z 2.7, "police" -> gang
0.52). Dutch words get no neighbours: their nearest Dutch words are other
verbs and inflections (high cosine, low z), not synonyms.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..semantic.encoders import SentenceEncoder
from .analysis import Analyzer, tokenize

MIN_COSINE_ALONE = 0.8
MIN_COSINE, MIN_Z = 0.7, 4.0
MAX_NEIGHBOURS = 3
# Most frequent words encoded at index time (about 3 ms a word): a word rarer
# than these is rarely what an English question needs.
MAX_VOCABULARY = 50_000
MIN_WORD_LENGTH = 3


@dataclass
class Vocabulary:
    words: list[str]
    vectors: np.ndarray  # unit vectors, one row per word

    @classmethod
    def build(cls, texts: Iterable[str], analyzer: Analyzer, encoder: SentenceEncoder,
              max_words: int = MAX_VOCABULARY) -> Vocabulary:
        counts = Counter(t for text in texts for t in tokenize(text)
                         if t.isalpha() and len(t) >= MIN_WORD_LENGTH and not analyzer.is_stopword(t))
        return cls.from_counts(counts, encoder, max_words)

    @classmethod
    def from_counts(cls, counts: Counter, encoder: SentenceEncoder,
                    max_words: int = MAX_VOCABULARY) -> Vocabulary:
        """The `max_words` most frequent of `counts` (content words of at least
        MIN_WORD_LENGTH letters, as build() counts them)."""
        words = [w for w, _ in sorted(counts.items(), key=lambda wc: (-wc[1], wc[0]))[:max_words]]
        return cls(words, encoder.encode(words))


class Neighbours:
    """English word -> index terms of the sources' words that translate it."""

    def __init__(self, vocabulary: Vocabulary, encoder: SentenceEncoder, analyzer: Analyzer,
                 in_index: Callable[[str], bool]):
        self.vocabulary = vocabulary
        self.encoder = encoder
        self.analyzer = analyzer
        self.in_index = in_index
        self.nearest = lru_cache(maxsize=20_000)(self._nearest)

    def for_gap(self, word: str, members: Iterable[str]) -> tuple[str, ...]:
        """Terms to add to `word`'s synonym set: none when the sources already
        use one of its translations (`members`), else its neighbours."""
        if any(self.in_index(m) for m in members):
            return ()
        return self.nearest(word)

    def _nearest(self, word: str) -> tuple[str, ...]:
        vectors = self.vocabulary.vectors
        if not len(vectors):
            return ()
        cosine = vectors @ self.encoder.encode([word])[0]
        z = (cosine - float(cosine.mean())) / max(float(cosine.std()), 1e-6)
        best = np.argsort(-cosine)[:MAX_NEIGHBOURS]
        terms = [self.analyzer.term(self.vocabulary.words[i]) for i in best
                 if cosine[i] >= MIN_COSINE_ALONE or (cosine[i] >= MIN_COSINE and z[i] >= MIN_Z)]
        return tuple(dict.fromkeys(terms))
