"""Fit the ranking and abstention models (`make train`) and say how well they
carry over, by cross-validation grouped by article: every question is scored
by models fitted without any question about its article.

    python -m qa.train [--folds 5] [--no-write]

writes qa/data/model.json (with the sentence encoder) and
qa/data/model-lexical.json (without it, QA_SEMANTIC=0), each with its
provenance beside it.

Data: every question set of bench/evaluate.py (the shared dev set, our own
sets) and ../shared/eval/xquad-nl (English and Dutch questions; the two
languages of one article are one group). Needs scikit-learn (a dev
dependency); the service itself only reads the JSON it writes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import re
import sys
import time
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import abstain
from .engine import Engine
from .ranking import features
from .ranking.model import (
    LEXICAL_MODEL_FILE,
    MODEL_FILE,
    RERANK_DEPTH,
    LinearModel,
    Models,
    best_first,
    two_stage,
)

ROOT = Path(__file__).resolve().parent.parent
SHARED_EVAL = ROOT.parent / "shared" / "eval"
XQUAD = SHARED_EVAL / "xquad-nl"
OWN_SETS = ["other", "fresh", *(f"fresh{n}" for n in range(2, 14))]
# (name, sources, questions)
SETS = [
    ("dev", ROOT / "seeds", SHARED_EVAL / "dev.jsonl"),
    ("extra", ROOT / "seeds", ROOT / "eval" / "extra.jsonl"),
    *((name, ROOT / "eval" / name, ROOT / "eval" / f"{name}.jsonl") for name in OWN_SETS),
    ("xquad-en", XQUAD / "sources", XQUAD / "en.jsonl"),
    ("xquad-followups", XQUAD / "sources", ROOT / "eval" / "xquad-followups.jsonl"),
    ("xquad-nl", XQUAD / "sources", XQUAD / "nl.jsonl"),
]
# Regularisation of the logistic regressions: scikit-learn's default C, not
# tuned (no other value has been cross-validated yet).
C = 1.0
# The abstention threshold: the lowest that keeps the cross-validated share
# of answerable questions answered with null at or under this.
MAX_FALSE_ABSTAIN = 0.05
HIT_DEPTH = 10


def norm(text: str) -> str:
    """As the shared scorer (run_eval.py) compares texts."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    for a, b in (("’", "'"), ("‘", "'"), ("“", '"'), ("”", '"'), ("\u00a0", " ")):
        text = text.replace(a, b)
    return re.sub(r"\s+", " ", text).strip()


@dataclass
class Item:
    """One question with its candidates' features."""

    set: str
    group: str
    id: str
    answerable: bool
    has_support: bool
    engine: Engine
    ids: np.ndarray
    X: np.ndarray
    y: np.ndarray  # candidate holds a support string
    unknown_name: bool
    question: object
    asked: set
    follows: bool  # asked after earlier turns
    weight: float = 1.0  # of this question in the fits (see balance)


def _xquad_article(question: dict, texts: dict[str, str]) -> str | None:
    support = [norm(s) for s in question.get("support", [])]
    for name, text in texts.items():
        if any(s in text for s in support):
            return re.sub(r"^\d+_|_p\d+\.txt$", "", name)
    return None


def collect(semantic: bool, log=print) -> list[Item]:
    """Rank every question of every set with all features computed, as the
    shared scorer asks it (earlier turns first, their answers passed back)."""
    engines: dict[Path, Engine] = {}
    items: list[Item] = []
    try:  # the earlier turns of a conversation are answered by the current models
        models = Models.load(MODEL_FILE if semantic else LEXICAL_MODEL_FILE)
    except (OSError, ValueError) as exc:
        log(f"{exc}: earlier turns are answered by unfitted models")
        models = Models.neutral()
    for name, sources, path in SETS:
        if not path.exists():
            log(f"{path}: not there, skipped")
            continue
        if sources not in engines:
            engines[sources] = Engine.from_folder(sources, semantic=semantic, models=models)
        engine = engines[sources]
        texts = {p.name: norm(p.read_text(encoding="utf-8")) for p in sources.glob("*.txt")}
        article = None
        started = time.perf_counter()
        questions = [
            json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
        ]
        for q in questions:
            history: list[dict] = []
            for turn in q.get("history", []):
                earlier = engine.ask(turn, history)
                history += [
                    {"role": "user", "content": turn},
                    {"role": "assistant", "content": earlier.answer or ""},
                ]
            ranking = engine.rank(q["question"], history, full=True)
            support = [norm(s) for s in q.get("support", [])]
            y = np.array(
                [any(s in norm(engine.sentences[int(i)].text) for s in support) for i in ranking.ids]
            )
            if name.startswith("xquad"):
                # An unanswerable XQuAD question comes right after its article's answerable ones.
                article = q.get("article") or _xquad_article(q, texts) or article
                group = f"xquad:{article}"
            else:
                group = "seeds" if sources == ROOT / "seeds" else name
            items.append(
                Item(
                    name,
                    group,
                    q["id"],
                    q.get("answerable", True),
                    bool(support),
                    engine,
                    ranking.ids,
                    ranking.X,
                    y,
                    engine._unknown_name(ranking.question),
                    ranking.question,
                    ranking.asked,
                    bool(history),
                )
            )
        log(f"{name}: {len(questions)} questions ranked in {time.perf_counter() - started:.1f} s")
    balance(items)
    return items


def balance(items: list[Item]) -> None:
    """XQuAD-nl (encyclopaedic text, two languages of the same questions) and
    the news sets weigh the same in total: the service is for news, and the
    sets it is judged on are both."""
    xquad = sum(it.group.startswith("xquad:") for it in items)
    news = len(items) - xquad
    for it in items:
        it.weight = news / xquad if it.group.startswith("xquad:") and xquad and news else 1.0


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
    signals: np.ndarray


def outcome(item: Item, retrieve: LinearModel, rerank: LinearModel) -> Outcome:
    """Where the first supporting passage comes, and the abstention signals, as the service would have it."""
    logits, order = two_stage(retrieve, rerank, item.X[:, : _n1()], lambda rows: item.X[rows])
    best, _ = item.engine._distinct(item.ids[order], HIT_DEPTH)
    supported = {int(i) for i, y in zip(item.ids, item.y, strict=True) if y}
    hit = next((n + 1 for n, i in enumerate(best) if int(i) in supported), None)
    missing = item.engine.answer_missing(item.question, item.asked, best)
    return Outcome(
        hit, item.engine.abstention_signals(item.question, item.ids, item.X, logits, best, missing)
    )


def fit_all(items: list[Item]) -> tuple[Models, list[Outcome]]:
    """The three models fitted on `items`, and each item's outcome under them."""
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
    return Models(retrieve, rerank, decide), outcomes


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


def cross_validate(items: list[Item], k: int) -> tuple[list[Outcome], np.ndarray]:
    """Out-of-fold outcomes and abstention probabilities."""
    fold = folds_of(items, k)
    outcomes: list[Outcome | None] = [None] * len(items)
    probability = np.zeros(len(items))
    for f in range(k):
        train = [it for it, g in zip(items, fold, strict=True) if g != f]
        models, _ = fit_all(train)
        for n, it in enumerate(items):
            if fold[n] == f:
                outcomes[n] = outcome(it, models.retrieve, models.rerank)
                probability[n] = models.abstain.probability(outcomes[n].signals)
    return outcomes, probability


def choose_threshold(items: list[Item], probability: np.ndarray) -> float:
    answerable = np.array([it.answerable for it in items])
    weight = np.array([it.weight for it in items])[answerable]
    best = 0.0
    for t in np.unique(np.round(probability, 4)):
        if np.average(probability[answerable] < t, weights=weight) <= MAX_FALSE_ABSTAIN:
            best = float(t)
    return best


def _scores(rows: list[tuple[Item, Outcome, float]], threshold: float) -> dict:
    ranked = [o.rank for it, o, _ in rows if it.answerable and it.has_support]
    answerable = [p for it, _, p in rows if it.answerable]
    unanswerable = [p for it, _, p in rows if not it.answerable]

    def ratio(a: float, b: int) -> float | None:
        return round(a / b, 3) if b else None

    return {
        "questions": len(rows),
        "hit@1": ratio(sum(r == 1 for r in ranked), len(ranked)),
        "hit@3": ratio(sum(r is not None and r <= 3 for r in ranked), len(ranked)),
        "mrr@10": ratio(sum(1 / r for r in ranked if r), len(ranked)),
        "abstain": ratio(sum(p < threshold for p in unanswerable), len(unanswerable)),
        "false_abstain": ratio(sum(p < threshold for p in answerable), len(answerable)),
    }


def report(items: list[Item], outcomes: list[Outcome], probability: np.ndarray, threshold: float) -> dict:
    """The figures per set, then pooled over the news sets (ours and the dev set) and over XQuAD-nl."""
    rows = list(zip(items, outcomes, probability, strict=True))
    figures = {name: _scores([r for r in rows if r[0].set == name], threshold)
               for name in dict.fromkeys(it.set for it in items)}
    figures["all news"] = _scores([r for r in rows if not r[0].group.startswith("xquad:")], threshold)
    figures["all xquad"] = _scores([r for r in rows if r[0].group.startswith("xquad:")], threshold)
    figures["follow-ups"] = _scores([r for r in rows if r[0].follows], threshold)
    return figures


def train(semantic: bool, folds: int, out: Path | None) -> None:
    """Cross-validate, print the figures, fit on everything and write the models to `out`."""
    started = time.perf_counter()
    print(f"== {'with' if semantic else 'without'} the sentence encoder")
    items = collect(semantic)
    outcomes, probability = cross_validate(items, folds)
    threshold = choose_threshold(items, probability)
    figures = report(items, outcomes, probability, threshold)
    print(f"cross-validated ({folds} folds grouped by article), abstention threshold {threshold:.4f}:")
    for name, scores in figures.items():
        print(f"  {name}: {json.dumps(scores)}")
    models, _ = fit_all(items)
    models = Models(
        models.retrieve,
        models.rerank,
        LinearModel(
            *[getattr(models.abstain, f) for f in ("features", "mean", "scale", "coef", "intercept")],
            threshold,
        ),
    )
    for model in ("retrieve", "rerank", "abstain"):
        print(f"{model} weights (per standard deviation): {json.dumps(getattr(models, model).weights())}")
    if out is not None:
        models.save(out)
        provenance = {
            "trained": dt.date.today().isoformat(),
            "sentence_encoder": semantic,
            "data": {name: str(path.relative_to(ROOT.parent)) for name, _, path in SETS if path.exists()},
            "questions": len(items),
            "folds": folds,
            "grouped_by": "article (the seeds are one group, each "
            "own set one, each XQuAD-nl article one for both languages)",
            "weights": "XQuAD-nl and the news sets weigh the same in total",
            "regularisation_C": C,
            "max_false_abstain": MAX_FALSE_ABSTAIN,
            "abstain_threshold": threshold,
            "cross_validated": figures,
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
    for semantic, out in ((True, MODEL_FILE), (False, LEXICAL_MODEL_FILE)):
        train(semantic, args.folds, None if args.no_write else out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
