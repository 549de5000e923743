"""Stage 8 (docs/architecture.md): a question's candidate sentences, their
features, and their order under the fitted models. The candidates are BM25's
best and the sentence encoder's best; only they are ranked."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from ..answer_kinds import ANSWER_DEPTH
from ..answer_kinds.name import holder_of
from ..index.bm25 import top_k
from ..language.analysis import normalize
from ..language.neighbours import Neighbours
from ..language.translation import Translator
from ..semantic.encoders import PassageEncoder, SentenceEncoder
from ..semantic.vectors import SentenceVectors
from . import features
from .corpus import Corpus
from .dedupe import distinct
from .model import RERANK_DEPTH, Models, two_stage
from .question import HISTORY_WEIGHT, Question, read_question

# How many of BM25's and of the encoder's best sentences are ranked (the rest
# of a large corpus is never looked at).
CANDIDATES = 100
# Content words (not stopwords) a sentence needs to be cited.
MIN_PASSAGE_WORDS = 2


@dataclass
class Ranking:
    """One question's candidate sentences, their features and scores."""

    question: Question
    parts: list
    ids: np.ndarray  # candidate sentence ids, ascending
    lexical: np.ndarray  # BM25 of each
    semantic: np.ndarray | None  # cosine similarity of each
    X: np.ndarray  # features (features.names()), one row per candidate
    logits: np.ndarray  # stage 2's for the ones it read, stage 1's below them for the rest
    order: np.ndarray  # positions in ids, best first


@dataclass
class Ranker:
    """What ranking reads: the corpus, the models, and the language and
    encoder resources (None where the service runs without them)."""

    corpus: Corpus
    models: Models
    translator: Translator | None = None
    neighbours: Neighbours | None = None
    encoder: SentenceEncoder | None = None
    vectors: SentenceVectors | None = None
    passage_encoder: PassageEncoder | None = None
    semantic_search_max: int = 200_000

    def rank(self, question: str, history: Sequence[dict] = (), full: bool = False,
             lap: Callable[[str], None] = lambda stage: None, previous: bool = True) -> Ranking:
        """The question's candidate sentences with their features, ordered by
        the fitted models: stage 1 (`retrieve`) over every candidate, stage 2
        (`rerank`) over its best RERANK_DEPTH. With `full`, the stage 2
        features are computed for every candidate (for training). `lap(stage)`
        is called as each stage ends (for the timings)."""
        corpus, index = self.corpus, self.corpus.index
        q = read_question(question, history, corpus.analyzer, self.translator, self.neighbours)
        lap("question")
        parts = index.parts(q.query)
        lexical_ids, lexical_best = index.top(parts, CANDIDATES)
        lap("bm25")
        vector = self._question_vector(q, history)
        # Over all sentences the encoder finds candidates BM25 misses; past
        # semantic_search_max sentences that costs more than a question may,
        # and it only scores BM25's candidates.
        semantic_all = None if vector is None or len(self.vectors) > self.semantic_search_max else \
            self.vectors.similarities(vector)
        candidates = lexical_ids if semantic_all is None else \
            np.union1d(lexical_ids, top_k(semantic_all, CANDIDATES))
        candidates = np.sort(candidates).astype(np.int64)
        if q.answer_type == "what" and self._asks_for_a_name(q, lexical_ids[:RERANK_DEPTH]):
            q = replace(q, answer_type="who")
        if q.answer_type == "why":  # the reason may be told in the sentence after the event
            candidates = np.union1d(candidates, corpus.following(candidates))
        # A section label ("Coach") or a stray fragment ("Hij zegt:") states nothing to cite.
        candidates = candidates[index.doc_len[candidates] >= MIN_PASSAGE_WORDS]
        # the features read the scores of the candidates and of the sentences either side
        parts = index.covering(parts, np.r_[candidates - 1, candidates, candidates + 1])
        lap("encoder")
        cited = self._previously_cited(history) if previous and q.follow_up else frozenset()
        found = features.Candidates(
            corpus, q, candidates, parts, index.scores_of(parts, candidates),
            None if vector is None else semantic_all[candidates] if semantic_all is not None else
            self.vectors.rows(candidates).similarities(vector),
            float(lexical_best[0]) if len(lexical_best) else 0.0, cited,
            close=None if self.passage_encoder is None or vector is None else self._closeness(q.text))
        everyone = np.arange(len(candidates))
        n1 = len(features.names(stage=1))
        if full:
            X = features.matrix(found, everyone, stage=2)
        else:
            X = np.zeros((len(candidates), len(features.names())))
            X[:, :n1] = features.matrix(found, everyone, stage=1)

        def stage2(rows: np.ndarray) -> np.ndarray:
            if not full:
                X[rows] = features.matrix(found, rows, stage=2)
            return X[rows]

        logits, order = two_stage(self.models.retrieve, self.models.rerank, X[:, :n1], stage2)
        return Ranking(q, parts, candidates, found.lexical, found.semantic, X, logits, order)

    def _closeness(self, question: str) -> Callable[[np.ndarray], np.ndarray]:
        """The passage encoder's cosine of the question to sentences (by id);
        the question is encoded when first asked for."""
        asked: list[np.ndarray] = []
        sentences, encoder = self.corpus.sentences, self.passage_encoder

        def close(ids: np.ndarray) -> np.ndarray:
            if not asked:
                asked.append(encoder.encode([question])[0])
            texts = [sentences[int(i)].text for i in ids]
            return encoder.sentence_vectors(texts) @ asked[0] if texts else np.zeros(0)

        return close

    def _previously_cited(self, history: Sequence[dict]) -> frozenset[int]:
        """The sentences the service cited for the last question of `history`
        (asked again: the server keeps no state)."""
        turns = [n for n, t in enumerate(history) if t.get("role") == "user" and t.get("content", "").strip()]
        if not turns:
            return frozenset()
        last = turns[-1]
        earlier = self.rank(history[last]["content"], history[:last], previous=False)
        best, _ = distinct(self.corpus, earlier.ids[earlier.order], ANSWER_DEPTH)
        return frozenset(int(i) for i in best)

    def _asks_for_a_name(self, q: Question, ids: np.ndarray) -> bool:
        """'Which board runs the school?' asks for a name when the sources
        write that kind of thing before a name ("het schoolbestuur Stichting
        Leerrijk"), as for the kinds question.py knows ("which party")."""
        if not q.intent.focus:
            return False
        kind = normalize(q.intent.focus)
        return any(holder_of(self.corpus, q, kind, self.corpus.sentences[int(i)]) for i in ids)

    def _question_vector(self, q: Question, history: Sequence[dict]) -> np.ndarray | None:
        """The encoder's vector of the question (with the turn before, for a
        follow-up); None without the encoder or the sentences' vectors."""
        if self.encoder is None or self.vectors is None:
            return None
        vector = self.encoder.encode([q.text])[0]
        if q.follow_up:
            earlier = " ".join(t.get("content", "") for t in history[-2:])
            if earlier.strip():
                vector = vector + HISTORY_WEIGHT * self.encoder.encode([earlier])[0]
                vector /= np.linalg.norm(vector)
        return vector
