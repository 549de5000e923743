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
