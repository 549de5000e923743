"""The fitted models: stored as JSON, loaded only when they fit the registries."""
import json

import numpy as np
import pytest

from qa.pipeline import abstain, features
from qa.pipeline.model import MODEL_FILE, LinearModel, Models, model_file


def model(n=3, **kw):
    return LinearModel(tuple(f"f{i}" for i in range(n)), np.arange(n, dtype=float), np.ones(n) * 2,
                       np.linspace(-1, 1, n), 0.5, **kw)


def test_a_model_survives_its_json_round_trip():
    original = model(threshold=0.4)
    loaded = LinearModel.from_json(json.loads(json.dumps(original.to_json())))
    X = np.random.default_rng(0).normal(size=(5, 3))
    assert np.allclose(loaded.logits(X), original.logits(X))
    assert loaded.threshold == 0.4


def test_probability_is_the_logistic_of_the_standardised_features():
    m = model()
    x = np.array([[1.0, 2.0, 3.0]])
    z = (x - m.mean) / m.scale
    assert m.probability(x)[0] == pytest.approx(1 / (1 + np.exp(-(z @ m.coef + 0.5)[0])))


def test_a_calibration_maps_raw_probabilities_and_survives_the_round_trip():
    calibrated = model(calibration=(np.array([0.0, 0.5, 1.0]), np.array([0.0, 0.2, 0.6])))
    assert calibrated.calibrated(0.75) == pytest.approx(0.4)
    assert model().calibrated(0.75) == 0.75  # without one the raw probability is the confidence
    loaded = LinearModel.from_json(json.loads(json.dumps(calibrated.to_json())))
    assert loaded.calibrated(0.25) == pytest.approx(0.1)
    with pytest.raises(ValueError, match="increasing"):
        LinearModel.from_json({**calibrated.to_json(), "calibration": {"x": [0.0, 1.0], "y": [0.9, 0.1]}})


def test_wrong_shapes_are_refused_with_the_features_named():
    with pytest.raises(ValueError, match="one per feature"):
        LinearModel.from_json({**model().to_json(), "coef": [1.0]})
    with pytest.raises(ValueError, match="f0, f1, f2"):
        model().logits(np.zeros((1, 2)))


@pytest.mark.parametrize("semantic", [True, False])
@pytest.mark.parametrize("dictionaries", [True, False])
def test_the_packaged_models_fit_the_registries(semantic, dictionaries):
    path = model_file(semantic, dictionaries)
    models = Models.load(path)
    assert models.retrieve.features == tuple(features.names(stage=1))
    assert models.rerank.features == tuple(features.names())
    assert models.abstain.features == tuple(abstain.names())
    assert 0 < models.abstain.threshold < 1
    assert path.with_name(path.stem + "-provenance.json").exists()


def test_models_fitted_for_other_features_are_refused(tmp_path):
    data = json.loads(MODEL_FILE.read_text())
    data["rerank"]["features"][0] = "renamed"
    path = tmp_path / "model.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ValueError, match="make train"):
        Models.load(path)


def test_saved_models_load_equal(tmp_path):
    models = Models.load(MODEL_FILE)
    models.save(tmp_path / "m.json")
    again = Models.load(tmp_path / "m.json")
    assert again.rerank.weights() == models.rerank.weights()
    assert again.abstain.threshold == models.abstain.threshold
