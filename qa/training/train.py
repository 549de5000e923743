"""Fit the ranking and abstention models (`make train`) and say how well they
carry over, by cross-validation grouped by article: every question is scored
by models fitted without any question about its article.

    python -m qa.training [--folds 5] [--no-write]

writes qa/data/model.json (with the sentence encoder and the dictionaries),
model-lexical.json (without the encoder, QA_SEMANTIC=0), model-nodict.json
(without the dictionaries) and model-lexical-nodict.json (without both), each
with its provenance beside it.

Data: every question set of bench/evaluate.py (the shared dev set, our own
sets) and eval/kit/xquad-nl (English and Dutch questions; the two
languages of one article are one group). Needs scikit-learn (a dev
dependency); the service itself only reads the JSON it writes.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import logging
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import answer_kinds
from ..pipeline import abstain, decision, features
from ..pipeline.model import (
    MODELS,
    RERANK_DEPTH,
    LinearModel,
    Models,
    best_first,
    model_file,
    two_stage,
)
from ..pipeline.ranking import Ranking
from .calibration import CALIBRATIONS, CONFIDENT, ece, isotonic, reliability
from .collect import ROOT, SETS, Item, collect, right_answer

# tuned (no other value has been cross-validated yet).
C = 1.0
# The abstention threshold: the lowest that keeps the cross-validated share
# of answerable questions answered with null at or under this.
MAX_FALSE_ABSTAIN = 0.05
# A wrong name or number costs this many right ones: the short answer's
# threshold maximises right - WRONG_COST x wrong (a product judgement, not fitted:
# a wrong short answer misleads, the cited sentence below it does not).
WRONG_COST = 2.0
HIT_DEPTH = 10


def fit(X: np.ndarray, y: np.ndarray, names: list[str], weight: np.ndarray) -> LinearModel:
    from sklearn.linear_model import LogisticRegression

    mean = np.average(X, axis=0, weights=weight)
    scale = np.sqrt(np.average((X - mean) ** 2, axis=0, weights=weight))
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=C, max_iter=2000).fit((X - mean) / scale, y, sample_weight=weight)
    return LinearModel(tuple(names), mean, scale, model.coef_[0], float(model.intercept_[0]))


def _n1() -> int:
    return len(features.names(stage=1))


def _depth(item: Item, retrieve: LinearModel) -> np.ndarray:
    return best_first(retrieve.logits(item.X[:, : _n1()]))[:RERANK_DEPTH]


@dataclass
class Outcome:
    rank: int | None  # of the first passage holding a support string
    signals: np.ndarray  # the abstention model's
    short: answer_kinds.Short | None  # the short answer found, if any
    probabilities: np.ndarray  # the ranking model's, of the best passages in order
    right: (
        bool | None
    )  # the short answer is one of the acceptable ones (None: none are listed, or no short answer)


def right(item: Item, o: Outcome) -> bool:
    """Whether answering `item` as the service would is right: the question is
    answerable, its best passage holds a support string (when any are listed),
    and the short answer found, when one can be judged, is an acceptable one.
    An unanswerable question is never answered right: its right answer is null."""
    found = o.rank == 1 if item.has_support else True
    return bool(item.answerable and found and o.right is not False)


def outcome(item: Item, retrieve: LinearModel, rerank: LinearModel) -> Outcome:
    """Where the first supporting passage comes, the abstention signals and the short answer, as the
    service would have them (decision.read, the service's own path, under these models)."""
    logits, order = two_stage(retrieve, rerank, item.X[:, : _n1()], lambda rows: item.X[rows])
    ranking = Ranking(item.question, [], item.ids, np.zeros(len(item.ids)), None, item.X, logits, order)
    reading = decision.read(item.corpus, ranking, HIT_DEPTH)
    supported = {int(i) for i, y in zip(item.ids, item.y, strict=True) if y}
    hit = next((n + 1 for n, i in enumerate(reading.best) if int(i) in supported), None)
    short = reading.short
    right = right_answer(short.text, item.answers) if short is not None and item.answers else None
    return Outcome(hit, reading.signals, short, reading.probabilities[: answer_kinds.ANSWER_DEPTH], right)


def span_matrix(
    items: list[Item], outcomes: list[Outcome], confidence: np.ndarray, rows: list[int]
) -> np.ndarray:
    return np.array(
        [
            answer_kinds.span_signals(
                outcomes[n].short, items[n].question, outcomes[n].probabilities, float(confidence[n])
            )
            for n in rows
        ]
    ).reshape(len(rows), -1)


def fit_all(items: list[Item]) -> tuple[Models, list[Outcome]]:
    """The four models fitted on `items`, and each item's outcome under them."""
    learn = [it for it in items if it.has_support and it.y.any()]
    retrieve = fit(
        np.vstack([it.X[:, : _n1()] for it in learn]),
        np.concatenate([it.y for it in learn]),
        features.names(stage=1),
        np.concatenate([np.full(len(it.y), it.weight) for it in learn]),
    )
    depths = [_depth(it, retrieve) for it in learn]
    rerank = fit(
        np.vstack([it.X[d] for it, d in zip(learn, depths, strict=True)]),
        np.concatenate([it.y[d] for it, d in zip(learn, depths, strict=True)]),
        features.names(),
        np.concatenate([np.full(len(d), it.weight) for it, d in zip(learn, depths, strict=True)]),
    )
    outcomes = [outcome(it, retrieve, rerank) for it in items]
    decide = fit(
        np.vstack([o.signals for o in outcomes]),
        np.array([it.answerable for it in items]),
        abstain.names(),
        np.array([it.weight for it in items]),
    )
    confidence = decide.probability(np.vstack([o.signals for o in outcomes]))
    rows = [n for n, o in enumerate(outcomes) if o.right is not None]  # short answers that can be judged
    span = fit(
        span_matrix(items, outcomes, confidence, rows),
        np.array([outcomes[n].right for n in rows]),
        answer_kinds.span_names(),
        np.array([items[n].weight for n in rows]),
    )
    sure = fit(
        np.vstack([o.signals for o in outcomes]),
        np.array([right(it, o) for it, o in zip(items, outcomes, strict=True)]),
        abstain.names(),
        np.array([it.weight for it in items]),
    )
    return Models(retrieve, rerank, decide, span, sure), outcomes


def folds_of(items: list[Item], k: int) -> list[int]:
    """A fold per item, whole groups to a fold, the largest groups spread first (deterministic)."""
    sizes: dict[str, int] = defaultdict(int)
    for it in items:
        sizes[it.group] += 1
    load = [0] * k
    fold_of: dict[str, int] = {}
    for group in sorted(sizes, key=lambda g: (-sizes[g], g)):
        fold_of[group] = load.index(min(load))
        load[fold_of[group]] += sizes[group]
    return [fold_of[it.group] for it in items]


def cross_validate(items: list[Item], k: int) -> tuple[list[Outcome], np.ndarray, np.ndarray, np.ndarray]:
    """Out-of-fold outcomes, abstention probabilities, short answers' probabilities (NaN: none)
    and the confidence model's uncalibrated probabilities."""
    fold = folds_of(items, k)
    outcomes: list[Outcome | None] = [None] * len(items)
    probability = np.zeros(len(items))
    span = np.full(len(items), np.nan)
    sure = np.zeros(len(items))
    for f in range(k):
        train = [it for it, g in zip(items, fold, strict=True) if g != f]
        models, _ = fit_all(train)
        for n, it in enumerate(items):
            if fold[n] == f:
                o = outcomes[n] = outcome(it, models.retrieve, models.rerank)
                probability[n] = models.abstain.probability(o.signals)
                sure[n] = models.confidence.probability(o.signals)
                if o.short is not None:
                    span[n] = models.span.probability(
                        answer_kinds.span_signals(o.short, it.question, o.probabilities, probability[n])
                    )
    return outcomes, probability, span, sure


def calibrate_cross_fitted(items: list[Item], raw: np.ndarray, labels: np.ndarray, k: int,
                           method=isotonic) -> np.ndarray:
    """Each question's calibrated probability, from a calibration fitted on the
    out-of-fold probabilities of the other folds only: its own row never
    shapes the map that scores it."""
    fold = np.array(folds_of(items, k))
    weight = np.array([it.weight for it in items])
    calibrated = raw.copy()
    for f in range(k):
        fitted = method(raw[fold != f], labels[fold != f], weight[fold != f])
        if fitted is not None:
            calibrated[fold == f] = np.interp(raw[fold == f], *fitted)
    return calibrated


def choose_span_threshold(outcomes: list[Outcome], span: np.ndarray, weight: np.ndarray) -> float:
    """The threshold above which a short answer is given: the one that maximises
    right - WRONG_COST x wrong short answers (below it the sentence is the answer)."""
    judged = [n for n, o in enumerate(outcomes) if o.right is not None]
    best, value = 0.0, sum(weight[n] * (1 if outcomes[n].right else -WRONG_COST) for n in judged)
    for t in np.unique(np.round(span[judged], 4)):
        given = [n for n in judged if span[n] >= t]
        v = sum(weight[n] * (1 if outcomes[n].right else -WRONG_COST) for n in given)
        if v > value:
            best, value = float(t), v
    return best


def choose_threshold(items: list[Item], probability: np.ndarray) -> float:
    answerable = np.array([it.answerable for it in items])
    weight = np.array([it.weight for it in items])[answerable]
    best = 0.0
    for t in np.unique(np.round(probability, 4)):
        if np.average(probability[answerable] < t, weights=weight) <= MAX_FALSE_ABSTAIN:
            best = float(t)
    return best


def _scores(rows: list[tuple[Item, Outcome, float, float, float]], threshold: float,
            span_threshold: float) -> dict:
    """The shared scorer's figures for `rows` (item, outcome, abstention, span and calibrated
    confidence probabilities), and how far the confidence of the answered questions can be trusted."""
    answered = [(c, right(it, o)) for it, o, p, _, c in rows if p >= threshold]
    confidence = np.array([p for p, _ in answered])
    correct = np.array([r for _, r in answered], dtype=float)
    ranked = [o.rank for it, o, _, _, _ in rows if it.answerable and it.has_support]
    answerable = [p for it, _, p, _, _ in rows if it.answerable]
    unanswerable = [p for it, _, p, _, _ in rows if not it.answerable]
    with_answers = [(o, p, s) for it, o, p, s, _ in rows if it.answerable and it.answers]
    given = [o for o, p, s in with_answers if p >= threshold and o.short is not None and s >= span_threshold]

    def ratio(a: float, b: int) -> float | None:
        return round(a / b, 3) if b else None

    return {
        "questions": len(rows),
        "hit@1": ratio(sum(r == 1 for r in ranked), len(ranked)),
        "hit@3": ratio(sum(r is not None and r <= 3 for r in ranked), len(ranked)),
        "mrr@10": ratio(sum(1 / r for r in ranked if r), len(ranked)),
        "answer": ratio(sum(bool(o.right) for o in given), len(with_answers)),
        "short_wrong": ratio(sum(not o.right for o in given), len(with_answers)),
        "abstain": ratio(sum(p < threshold for p in unanswerable), len(unanswerable)),
        "false_abstain": ratio(sum(p < threshold for p in answerable), len(answerable)),
        "answered": len(answered),
        "right_answered": ratio(float(correct.sum()), len(answered)),
        "ece": ece(confidence, correct),
        "wrong_at_0.8": int(((confidence >= CONFIDENT) & (correct == 0)).sum()),
        "wrong_at_0.8_share": ratio(float(((confidence >= CONFIDENT) & (correct == 0)).sum()), len(answered)),
    }


def report(
    items: list[Item],
    outcomes: list[Outcome],
    probability: np.ndarray,
    span: np.ndarray,
    threshold: float,
    span_threshold: float,
    confidence: np.ndarray,
) -> dict:
    """The figures per set, then pooled over the news sets (ours and the dev set), over XQuAD-nl and over
    the questions asked after earlier turns."""
    rows = list(zip(items, outcomes, probability, span, confidence, strict=True))

    def scores(chosen):
        return _scores(chosen, threshold, span_threshold)

    figures = {
        name: scores([r for r in rows if r[0].set == name]) for name in dict.fromkeys(it.set for it in items)
    }
    figures["all news"] = scores([r for r in rows if not r[0].group.startswith("xquad:")])
    figures["all xquad"] = scores([r for r in rows if r[0].group.startswith("xquad:")])
    figures["follow-ups"] = scores([r for r in rows if r[0].follows])
    return figures


def train(semantic: bool, dictionaries: bool, folds: int, out: Path | None) -> None:
    """Cross-validate, print the figures, fit on everything and write the models to `out`."""
    started = time.perf_counter()
    print(
        f"== {'with' if semantic else 'without'} the sentence encoder, "
        f"{'with' if dictionaries else 'without'} the dictionaries"
    )
    items = collect(semantic, dictionaries)
    outcomes, probability, span, raw = cross_validate(items, folds)
    labels = np.array([right(it, o) for it, o in zip(items, outcomes, strict=True)], dtype=float)
    threshold = choose_threshold(items, probability)
    answered = probability >= threshold
    news = np.array([not it.group.startswith("xquad:") for it in items])
    errors = {}
    for name, method in CALIBRATIONS.items():
        calibrated = calibrate_cross_fitted(items, raw, labels, folds, method)
        errors[name] = [ece(calibrated[answered & domain], labels[answered & domain])
                        for domain in (news, ~news)]
    kept = min(errors, key=lambda name: sum(errors[name]))
    print("calibration error (news, xquad) by calibration: " +
          ", ".join(f"{name} {e[0]:.3f} / {e[1]:.3f}" for name, e in errors.items()) + f"; kept: {kept}")
    confidence = calibrate_cross_fitted(items, raw, labels, folds, CALIBRATIONS[kept])
    span_threshold = choose_span_threshold(outcomes, span, np.array([it.weight for it in items]))
    figures = report(items, outcomes, probability, span, threshold, span_threshold, confidence)
    print(
        f"cross-validated ({folds} folds grouped by article), thresholds: abstention {threshold:.4f}, "
        f"short answer {span_threshold:.4f}:"
    )
    for name, scores in figures.items():
        print(f"  {name}: {json.dumps(scores)}")
    tables = {}
    for domain, chosen in (("news", lambda it: not it.group.startswith("xquad:")),
                           ("xquad", lambda it: it.group.startswith("xquad:"))):
        rows = np.array([chosen(it) and p >= threshold for it, p in zip(items, probability, strict=True)])
        tables[domain] = reliability(confidence[rows], labels[rows])
        print(f"  reliability, {domain}, answered (bin: n, mean confidence, share right):")
        for r in tables[domain]:
            print(f"    {r['bin']}: {r['n']:4d}  {r['confidence']:.3f}  {r['right']:.3f}")
    models, _ = fit_all(items)
    calibration = CALIBRATIONS[kept](raw, labels, np.array([it.weight for it in items]))
    models = dataclasses.replace(
        models,
        abstain=dataclasses.replace(models.abstain, threshold=threshold),
        confidence=dataclasses.replace(models.confidence, calibration=calibration),
        span=dataclasses.replace(models.span, threshold=span_threshold),
    )
    for model in MODELS:
        print(f"{model} weights (per standard deviation): {json.dumps(getattr(models, model).weights())}")
    if out is not None:
        models.save(out)
        provenance = {
            "trained": dt.date.today().isoformat(),
            "sentence_encoder": semantic,
            "dictionaries": dictionaries,
            "data": {name: str(path.relative_to(ROOT.parent)) for name, _, path in SETS if path.exists()},
            "questions": len(items),
            "folds": folds,
            "grouped_by": "article (the seeds are one group, each "
            "own set one, each XQuAD-nl article one for both languages)",
            "weights": "XQuAD-nl and the news sets weigh the same in total",
            "regularisation_C": C,
            "max_false_abstain": MAX_FALSE_ABSTAIN,
            "abstain_threshold": threshold,
            "wrong_short_answer_cost": WRONG_COST,
            "short_answer_threshold": span_threshold,
            "confidence": "the probability that the answer is right (train.right): the confidence "
            "regression's, then the calibration below fitted on the cross-validated outputs; the figures "
            "below use a calibration fitted without each question's own fold",
            "calibration": kept,
            "calibration_error_by_method": errors,
            "cross_validated": figures,
            "reliability": tables,
        }
        provenance_file = out.with_name(out.stem + "-provenance.json")
        provenance_file.write_text(json.dumps(provenance, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {out.name} and {provenance_file.name}")
    print(f"in {time.perf_counter() - started:.0f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--no-write", action="store_true", help="cross-validate only")
    args = parser.parse_args(argv)
    if args.folds < 2:
        parser.error("--folds must be at least 2")
    logging.disable(logging.INFO)
    for semantic in (True, False):
        for dictionaries in (True, False):
            out = model_file(semantic, dictionaries)
            train(semantic, dictionaries, args.folds, None if args.no_write else out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
