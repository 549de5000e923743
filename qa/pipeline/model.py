"""Stage 8 (docs/architecture.md), its models: the fitted models that weigh the features. Each is a logistic
regression over standardised features, stored as JSON (`qa/data/model.json`,
written by `make train`, provenance in `qa/data/model-provenance.json`):

* `retrieve` scores every candidate by the stage 1 features;
* `rerank` scores stage 1's best RERANK_DEPTH by all features;
* `abstain` gives the probability that the sources answer the question at
  all, from the signals of abstain.py, with the threshold chosen on
  cross-validation (below it the answer is null);
* `confidence` the probability that the answer is right (its best passage
  answers the question, and its short answer, if any, is right), from the same
  signals: a logistic regression, then an isotonic calibration fitted on
  cross-validated outputs. It is the `confidence` the service reports. (Two
  models, not one: fitted on "right", the threshold that keeps answerable
  questions answered abstained on 0.21 of the unanswerable news questions
  where the "answerable" model abstains on 0.49; fitted on "answerable", the
  confidence was off by 0.13 on both domains.)
* `span` the probability that a short answer (answer_kinds/choose.py) is right,
  with its threshold chosen on cross-validation.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MODEL_FILE = Path(__file__).resolve().parent.parent / "data" / "model.json"
# Fitted without the sentence encoder (QA_SEMANTIC=0): its features are then
# zero, and BM25's must carry the ranking and the decision alone.
LEXICAL_MODEL_FILE = MODEL_FILE.with_name("model-lexical.json")


def model_file(semantic: bool = True, dictionaries: bool = True) -> Path:
    """The models fitted for an engine with or without the sentence encoder and
    the FreeDict dictionaries (without them English questions match Dutch
    sentences far less, and a model fitted with them would abstain too often)."""
    name = "model" + ("" if semantic else "-lexical") + ("" if dictionaries else "-nodict")
    return MODEL_FILE.with_name(name + ".json")
MODELS = ("retrieve", "rerank", "abstain", "span", "confidence")
# How many of stage 1's best candidates stage 2 reads for an answer of the
# asked type (the type fits cost most of a question's time).
RERANK_DEPTH = 30
# Stage 1's scores are lowered by this below stage 2's, so that a candidate
# stage 2 did not read comes after every one it did.
RERANK_OFFSET = 1000.0


def sigmoid(x: np.ndarray) -> np.ndarray:
    """A logit as a probability."""
    return 1 / (1 + np.exp(-np.clip(x, -50, 50)))


def best_first(logits: np.ndarray) -> np.ndarray:
    """Positions by descending score; ties by position."""
    return np.lexsort((np.arange(len(logits)), -logits))


@dataclass(frozen=True)
class LinearModel:
    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    threshold: float = 0.5  # a probability; used by the abstention model
    # Isotonic calibration: (raw probabilities, what share of them were right), increasing; the map
    # from the regression's probability to how often such answers are right (fitted on
    # cross-validated outputs by make train). None: the raw probability is the confidence.
    calibration: tuple[np.ndarray, np.ndarray] | None = None

    def logits(self, X: np.ndarray) -> np.ndarray:
        if X.shape[-1] != len(self.features):
            raise ValueError(
                f"expected {len(self.features)} features ({', '.join(self.features)}), got {X.shape[-1]}"
            )
        return ((X - self.mean) / self.scale) @ self.coef + self.intercept

    def probability(self, X: np.ndarray) -> np.ndarray:
        return sigmoid(self.logits(X))

    def calibrated(self, probability: np.ndarray | float) -> np.ndarray | float:
        """How often an answer with this raw probability is right (the raw one without a calibration)."""
        if self.calibration is None:
            return probability
        x, y = self.calibration
        return np.interp(probability, x, y)

    def weights(self) -> dict[str, float]:
        """Each feature's coefficient on the standardised scale: how much one
        standard deviation of it moves the log-odds."""
        return {name: round(float(c), 4) for name, c in zip(self.features, self.coef, strict=True)}

    def to_json(self) -> dict:
        return {
            "features": list(self.features),
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
            "coef": self.coef.tolist(),
            "intercept": self.intercept,
            "threshold": self.threshold,
            **({"calibration": {"x": self.calibration[0].tolist(), "y": self.calibration[1].tolist()}}
               if self.calibration is not None else {}),
        }

    @classmethod
    def from_json(cls, data: dict) -> LinearModel:
        n = len(data["features"])
        arrays = [np.asarray(data[key], dtype=float) for key in ("mean", "scale", "coef")]
        if any(a.shape != (n,) for a in arrays):
            raise ValueError(f"mean, scale and coef must each have {n} values, one per feature")
        calibration = None
        if "calibration" in data:
            x, y = (np.asarray(data["calibration"][k], dtype=float) for k in ("x", "y"))
            increasing = np.all(np.diff(x) >= 0) and np.all(np.diff(y) >= 0)
            if x.shape != y.shape or x.ndim != 1 or not len(x) or not increasing:
                raise ValueError("calibration: x and y must be increasing lists of the same length")
            calibration = (x, y)
        return cls(
            tuple(data["features"]), *arrays, float(data["intercept"]), float(data.get("threshold", 0.5)),
            calibration,
        )


@dataclass(frozen=True)
class Models:
    retrieve: LinearModel
    rerank: LinearModel
    abstain: LinearModel
    span: LinearModel
    confidence: LinearModel

    @classmethod
    def load(cls, path: str | Path = MODEL_FILE) -> Models:
        """The models saved at `path`; a ValueError when they were fitted for
        other features than the registries hold now (run `make train`)."""
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        missing = [m for m in MODELS if m not in data]
        if missing:
            raise ValueError(f"{path} lacks the models {missing}; it needs {list(MODELS)}")
        models = cls(*(LinearModel.from_json(data[m]) for m in MODELS))
        for name, expected in models.expected().items():
            if getattr(models, name).features != expected:
                raise ValueError(
                    f"{path}: the {name} model was fitted for the features "
                    f"{list(getattr(models, name).features)}, not {list(expected)}; run make train"
                )
        return models

    @staticmethod
    def expected() -> dict[str, tuple[str, ...]]:
        from .. import answer_kinds
        from . import abstain, features

        return {
            "retrieve": tuple(features.names(stage=1)),
            "rerank": tuple(features.names()),
            "abstain": tuple(abstain.names()),
            "span": tuple(answer_kinds.span_names()),
            "confidence": tuple(abstain.names()),
        }

    @classmethod
    def neutral(cls) -> Models:
        """Unfitted models: BM25 plus similarity, always answering. What
        `make train` ranks with when the saved models no longer fit the features."""

        def plain(names: tuple[str, ...], weights: dict[str, float], threshold: float = 0.5) -> LinearModel:
            n = len(names)
            return LinearModel(
                names, np.zeros(n), np.ones(n), np.array([weights.get(f, 0.0) for f in names]), 0.0, threshold
            )

        expected = cls.expected()
        lexical_and_semantic = {"bm25": 1.0, "semantic": 1.0, "coverage": 1.0}
        return cls(
            plain(expected["retrieve"], lexical_and_semantic),
            plain(expected["rerank"], lexical_and_semantic),
            plain(expected["abstain"], {}, threshold=0.0),
            plain(expected["span"], {}, threshold=0.0),
            plain(expected["confidence"], {}),
        )

    def save(self, path: str | Path = MODEL_FILE) -> None:
        # One line per model and field: a diff of a refit shows what moved.
        text = ",\n".join(
            f'"{m}": {{'
            + ", ".join(f'"{key}": {json.dumps(value)}' for key, value in getattr(self, m).to_json().items())
            + "}"
            for m in MODELS
        )
        Path(path).write_text("{\n" + text + "\n}\n", encoding="utf-8")


def two_stage(
    retrieve: LinearModel, rerank: LinearModel, stage1: np.ndarray, stage2: Callable[[np.ndarray], np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """(logits, order) of a question's candidates: `retrieve` scores every one
    by its stage 1 features, `rerank` the best RERANK_DEPTH by all features
    (`stage2(rows)` gives them for those rows), the rest follow."""
    first = retrieve.logits(stage1)
    depth = best_first(first)[:RERANK_DEPTH]
    logits = first - RERANK_OFFSET
    logits[depth] = rerank.logits(stage2(depth))
    return logits, best_first(logits)
