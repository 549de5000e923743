"""The corpus the pipeline's stages read: the sentences, their documents, the
index over them, and the per-sentence lookups the features and the answer
kinds share. Built once per set of sources (engine.py); the stages receive it,
never the engine."""
from __future__ import annotations

import functools
import re
from collections.abc import Mapping

import numpy as np

from ..index.base import Index
from ..language.analysis import Analyzer
from ..language.lexicon import DATE_WORDS
from ..language.sentences import KINDS, Sentence, SentenceTable, document_ranges
from ..sources.documents import Document
from .question import Question

__all__ = ["Corpus", "document_ranges"]

# A typed answer is taken from a sentence with the question's names this
# close (or in its document's headline).
NAME_WINDOW = 2
# Candidate sentences whose index terms are kept.
TERM_SETS_MAX = 65536


class Corpus:
    """Sentences, documents and index of one set of sources, and what the
    stages look up per sentence (kept between questions: the same sentences
    come back question after question)."""

    def __init__(self, sentences: SentenceTable, documents: Mapping[str, Document], index: Index,
                 casing, analyzer: Analyzer, doc_ranges: dict[str, tuple[int, int]] | None = None):
        self.sentences = sentences
        self.documents = documents
        self.index = index
        self.casing = casing  # how each word is written most often (language.spans reads it for names)
        self.analyzer = analyzer
        self.doc_ranges = document_ranges(sentences) if doc_ranges is None else doc_ranges
        self._heading = sentences.kind == KINDS.index("heading")
        self._position = sentences.index.astype(np.int64)
        self._document = np.repeat(np.arange(len(self.doc_ranges), dtype=np.int64),
                                   [end - first for first, end in self.doc_ranges.values()])
        # Whether each sentence matches a pattern (a pronoun, a denial, ...): -1 until first asked.
        self._matches: dict[re.Pattern, np.ndarray] = {}
        self._term_sets: dict[int, frozenset[str]] = {}

    def sentences_of(self, doc_id: str) -> list[Sentence]:
        first, end = self.doc_ranges.get(doc_id, (0, 0))
        return self.sentences[first:end]

    def window(self, i: int, width: int) -> range:
        """Sentence i and up to `width` sentences either side, within its document."""
        first, end = self.doc_ranges[self.sentences[i].doc_id]
        return range(max(first, i - width), min(end, i + width + 1))

    def following(self, ids: np.ndarray) -> np.ndarray:
        """The sentence after each of `ids` in the same document."""
        return np.array([i + 1 for i in map(int, ids) if i + 1 < len(self.sentences)
                         and self.sentences[i + 1].doc_id == self.sentences[i].doc_id], dtype=np.int64)

    def is_heading(self, ids: np.ndarray) -> np.ndarray:
        return self._heading[ids]

    def position(self, ids: np.ndarray) -> np.ndarray:
        """Each sentence's number within its article."""
        return self._position[ids]

    def same_document(self, ids: np.ndarray, others: np.ndarray) -> np.ndarray:
        """Whether each of `others` is a sentence of the same article as the one in `ids`."""
        valid = (others >= 0) & (others < len(self.sentences))
        safe = np.where(valid, others, ids)
        return valid & (self._document[safe] == self._document[ids])

    def matching(self, pattern: re.Pattern, ids: np.ndarray) -> np.ndarray:
        """Whether each sentence of `ids` matches `pattern` (kept per sentence)."""
        known = self._matches.setdefault(pattern, np.full(len(self.sentences), -1, dtype=np.int8))
        for i in ids[known[ids] < 0]:
            known[i] = bool(pattern.search(self.sentences[int(i)].text))
        return known[ids] == 1

    @functools.cached_property
    def date_terms(self) -> frozenset[str]:
        """The words that date a sentence (lexicon.DATE_WORDS) as the index writes them ("jaar": "jar")."""
        return frozenset(self.analyzer.terms(" ".join(DATE_WORDS)))

    def content_terms(self, i: int) -> frozenset[str]:
        """What sentence i says: its index terms, its dates' words and numbers aside (the timeline
        and the disagreements compare sentences by them)."""
        dating = self.date_terms
        return frozenset(t for t in self.term_set(i) if t not in dating and not t.isdigit())

    def term_set(self, i: int) -> frozenset[str]:
        """Index terms of a sentence, kept for the next questions (up to TERM_SETS_MAX sentences)."""
        found = self._term_sets.get(i)
        if found is None:
            if len(self._term_sets) >= TERM_SETS_MAX:
                self._term_sets.clear()
            found = self._term_sets[i] = frozenset(self.analyzer.terms(self.sentences[i].text))
        return found

    def answer_sentence(self, best: np.ndarray) -> int:
        """The sentence given as the answer when there is no short one: the best
        passage that is not a headline (a headline sums up, it does not answer;
        the headline is still cited among the passages), else the best."""
        body = best[~self._heading[best]] if len(best) else best
        return int(body[0]) if len(body) else int(best[0])

    def named_terms(self, q: Question) -> list[frozenset[str]]:
        """The terms of the names the question uses that the sources know."""
        names, vocabulary = q.intent.names, self.index.vocabulary
        return [frozenset(m for m in t.members if m in vocabulary) for t in q.terms
                if t.label in names and any(m in vocabulary for m in t.members)]

    def names_near(self, i: int, named: list[frozenset[str]]) -> bool:
        """Every name of the question is written near sentence i (NAME_WINDOW
        sentences either side) or in its document's headline: an amount
        beside "Hof van Twente" in another article is not what Hof van Twente paid."""
        first, _ = self.doc_ranges[self.sentences[i].doc_id]
        near = set().union(*(self.term_set(j) for j in {*self.window(i, NAME_WINDOW), first}))
        return all(terms & near for terms in named)
