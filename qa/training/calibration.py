"""How far a probability can be trusted: the calibrations make train
compares (none, Platt, isotonic) and the measures it reports (ECE, the
reliability table), as the shared scorer counts them."""
from __future__ import annotations

import numpy as np


def isotonic(raw: np.ndarray, labels: np.ndarray, weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The increasing map from raw probabilities to the share right among them
    (scikit-learn's isotonic regression), as breakpoints for np.interp."""
    from sklearn.isotonic import IsotonicRegression

    fitted = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
    fitted.fit(raw, labels, sample_weight=weight)
    return np.asarray(fitted.X_thresholds_, dtype=float), np.asarray(fitted.y_thresholds_, dtype=float)


def platt(raw: np.ndarray, labels: np.ndarray, weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Platt scaling (a logistic regression on the raw logit), as breakpoints for np.interp."""
    from sklearn.linear_model import LogisticRegression

    fitted = LogisticRegression(C=1e6).fit(_logit(raw)[:, None], labels, sample_weight=weight)
    x = np.linspace(0.0, 1.0, 201)
    return x, fitted.predict_proba(_logit(x)[:, None])[:, 1]


def unchanged(raw: np.ndarray, labels: np.ndarray, weight: np.ndarray) -> None:
    """No calibration: the regression's own probability."""
    return None


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


# The calibrations make train compares on cross-validation; it keeps the one with the lowest
# calibration error, averaged over the two domains.
CALIBRATIONS = {"none": unchanged, "platt": platt, "isotonic": isotonic}


# Bins of the calibration error (ECE) and the reliability table, as the shared scorer counts them.
BINS = 10
CONFIDENT = 0.8


def reliability(probability: np.ndarray, labels: np.ndarray, weight: np.ndarray | None = None) -> list[dict]:
    """Per confidence bin of width 1/BINS: how many, their mean confidence and the share right."""
    weight = np.ones(len(probability)) if weight is None else weight
    rows = []
    which = np.minimum((probability * BINS).astype(int), BINS - 1)
    for b in range(BINS):
        inside = which == b
        if inside.any():
            mean = float(np.average(probability[inside], weights=weight[inside]))
            rows.append({"bin": f"{b / BINS:.1f}-{(b + 1) / BINS:.1f}", "n": int(inside.sum()),
                         "confidence": mean,
                         "right": float(np.average(labels[inside], weights=weight[inside]))})
    return rows


def ece(probability: np.ndarray, labels: np.ndarray) -> float | None:
    """Expected calibration error over BINS equal-width bins (unweighted, as the shared scorer)."""
    if not len(probability):
        return None
    return round(sum(r["n"] * abs(r["confidence"] - r["right"]) for r in reliability(probability, labels))
                 / len(probability), 3)
