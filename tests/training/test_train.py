"""make train's parts: folds that keep an article whole, the abstention threshold, the fits."""
import numpy as np

from qa.training import calibration, collect, train


class Fake:
    def __init__(self, group, answerable=True, weight=1.0):
        self.group, self.answerable, self.weight = group, answerable, weight


def test_folds_keep_every_group_whole_and_are_the_same_every_time():
    items = [Fake(g) for g in "aaabbbbccdde"]
    folds = train.folds_of(items, 3)
    assert folds == train.folds_of(items, 3)
    for group in set("aaabbbbccdde"):
        assert len({f for it, f in zip(items, folds, strict=True) if it.group == group}) == 1
    assert set(folds) == {0, 1, 2}


def test_the_threshold_keeps_false_abstentions_within_the_bound():
    rng = np.random.default_rng(1)
    items = [Fake("g", answerable=n < 200) for n in range(300)]
    probability = np.concatenate([rng.uniform(0.3, 1, 200), rng.uniform(0, 0.7, 100)])
    t = train.choose_threshold(items, probability)
    assert (probability[:200] < t).mean() <= train.MAX_FALSE_ABSTAIN
    # and it is the highest such: one step up would break the bound
    candidates = np.unique(np.round(probability, 4))  # the thresholds tried
    higher = candidates[candidates > t].min()
    assert (probability[:200] < higher).mean() > train.MAX_FALSE_ABSTAIN


def test_a_fit_finds_the_feature_that_separates():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(400, 2))
    y = X[:, 1] > 0
    m = train.fit(X, y, ["noise", "signal"], np.ones(400))
    assert m.weights()["signal"] > 5 * abs(m.weights()["noise"])


class Judged:
    def __init__(self, right):
        self.right = right


def test_the_short_answer_threshold_weighs_a_wrong_answer_as_wrong_cost_right_ones():
    # probabilities 0.9 (right), 0.8 (right), 0.7 (wrong), 0.6 (right), 0.5 (wrong), 0.4 (wrong)
    outcomes = [Judged(r) for r in (True, True, False, True, False, False)]
    span = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4])
    weight = np.ones(6)
    # with WRONG_COST 2: above 0.8 gives 2; above 0.6 gives 3 - 2 = 1; all gives 3 - 6
    assert train.WRONG_COST == 2.0
    assert train.choose_span_threshold(outcomes, span, weight) == 0.8


def test_a_short_answer_is_right_as_the_shared_scorer_judges_it():
    assert collect.right_answer("5 juli 2021", ["5 juli"])
    assert collect.right_answer("Café Hoppe", ["cafe hoppe"])  # accents aside
    assert not collect.right_answer("2020", ["5 juli"])
    assert not collect.right_answer(" ".join(["woord"] * 13) + " 5 juli", ["5 juli"])  # over 12 words


def test_a_cross_fitted_calibration_maps_confidence_to_the_share_right():
    # an over-confident score: among items scored s, only s/2 are right
    rng = np.random.default_rng(3)
    raw = rng.uniform(0, 1, 4000)
    labels = (rng.uniform(0, 1, 4000) < raw / 2).astype(float)
    items = [Fake(f"g{n % 40}") for n in range(4000)]
    assert calibration.ece(raw, labels) > 0.2
    for method in (calibration.isotonic, calibration.platt):
        calibrated = train.calibrate_cross_fitted(items, raw, labels, 5, method)
        assert calibration.ece(calibrated, labels) < 0.05, method.__name__
    assert np.array_equal(train.calibrate_cross_fitted(items, raw, labels, 5, calibration.unchanged), raw)


def test_the_reliability_table_counts_each_bin():
    probability = np.array([0.05, 0.15, 0.15, 0.95, 0.95, 0.95, 0.95])
    labels = np.array([0, 0, 1, 1, 1, 1, 0], dtype=float)
    table = calibration.reliability(probability, labels)
    assert [(r["bin"], r["n"], round(r["right"], 2)) for r in table] == \
        [("0.0-0.1", 1, 0.0), ("0.1-0.2", 2, 0.5), ("0.9-1.0", 4, 0.75)]
    # ECE: (1 x 0.05 + 2 x 0.35 + 4 x 0.2) / 7
    assert calibration.ece(probability, labels) == round((0.05 + 0.7 + 0.8) / 7, 3)


class Answered:
    def __init__(self, rank, right=None):
        self.rank, self.right = rank, right


class Question:
    def __init__(self, answerable, has_support=True):
        self.answerable, self.has_support = answerable, has_support


def test_an_answer_is_right_only_with_its_passage_and_its_short_answer_right():
    assert train.right(Question(True), Answered(1))
    assert not train.right(Question(True), Answered(2))  # the best passage does not hold it
    assert not train.right(Question(True), Answered(1, right=False))  # a wrong short answer
    assert not train.right(Question(False), Answered(None))  # the right answer was null
