"""Stages 9 and 10 (docs/architecture.md) as the service runs them and as
`make train` replays them: from a ranking to the passages, the short answer,
the abstention signals, and the answer given (or null) with its confidence.
One path: Engine.ask and qa.training both call `read`."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import answer_kinds
from . import abstain
from .corpus import Corpus
from .dedupe import distinct
from .disagreement import Disagreement
from .model import Models, sigmoid
from .ranking import Ranking


@dataclass
class Reading:
    """What the decision reads of one ranked question."""

    best: np.ndarray  # the distinct passages' sentence ids, best first
    copies: dict[int, list[int]]  # each passage's sentences in other outlets (itself first)
    rows: list[int]  # each passage's row in the ranking
    probabilities: np.ndarray  # the ranking model's, of the passages in order
    short: answer_kinds.Short | None  # the short answer of the asked kind, if the passages hold one
    signals: np.ndarray  # the abstention and confidence models' (abstain.names())


@dataclass(frozen=True)
class Decision:
    answer: str | None  # the short answer, the best sentence, or None: the sources do not say
    confidence: float  # calibrated probability that the answer is right


def read(corpus: Corpus, ranking: Ranking, k: int) -> Reading:
    """The best k distinct passages of `ranking`, the short answer drawn from
    them and the abstention signals, as the service and the training see them."""
    best, copies = distinct(corpus, ranking.ids[ranking.order], k)
    at = {int(c): n for n, c in enumerate(ranking.ids)}
    rows = [at[int(i)] for i in best]
    q = ranking.question
    short = answer_kinds.short_answer(corpus, q, best) if len(best) else None
    missing = answer_kinds.asked_type(q) is not None and short is None
    shown = rows[:abstain.DEPTH]
    ranked = abstain.Ranked(q, ranking.X[shown], ranking.logits[shown],
                            abstain.unknown_name(q, corpus.index.vocabulary), missing)
    return Reading(best, copies, rows, sigmoid(ranking.logits[rows]), short, abstain.signals(ranked))


def decide(corpus: Corpus, ranking: Ranking, reading: Reading, models: Models) -> Decision:
    """Whether to answer and with what: below the abstention threshold null;
    else the short answer when the span model trusts it, else the best
    passage that is not a headline."""
    if not len(reading.best):
        return Decision(None, 0.0)
    answerable = float(models.abstain.probability(reading.signals))
    confidence = float(models.confidence.calibrated(models.confidence.probability(reading.signals)))
    if answerable < models.abstain.threshold:
        return Decision(None, confidence)
    short = reading.short
    sure = short is not None and span_probability(models, short, ranking, reading, answerable) >= \
        models.span.threshold
    return Decision(short.text if sure else corpus.sentences[corpus.answer_sentence(reading.best)].text,
                    confidence)


def span_probability(models: Models, short: answer_kinds.Short, ranking: Ranking, reading: Reading,
                     answerable: float) -> float:
    """The span model's probability that `short` is right."""
    signals = answer_kinds.span_signals(short, ranking.question, reading.probabilities, answerable)
    return float(models.span.probability(signals))


def answer_passage(reading: Reading, decided: Decision) -> int:
    """Which of the passages the answer is drawn from: the short answer's, else the best."""
    short = reading.short
    return short.passage if short is not None and decided.answer == short.text else 0


def with_disagreement(decided: Decision, reading: Reading, differ: Disagreement) -> Decision:
    """Where the sources disagree, the short answer is the value with the most (and most
    recent) support, and the confidence is scaled by that value's share of the sources."""
    if decided.answer is None:
        return decided
    first = differ.values[0]
    share = len(first.sources) / sum(len(v.sources) for v in differ.values)
    short = reading.short is not None and decided.answer == reading.short.text
    return Decision(first.text if short else decided.answer, decided.confidence * share)
