"""make train's parts: folds that keep an article whole, the abstention threshold, the fits."""
import numpy as np

from qa import train


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
    assert train.right_answer("5 juli 2021", ["5 juli"])
    assert train.right_answer("Café Hoppe", ["cafe hoppe"])  # accents aside
    assert not train.right_answer("2020", ["5 juli"])
    assert not train.right_answer(" ".join(["woord"] * 13) + " 5 juli", ["5 juli"])  # over 12 words
