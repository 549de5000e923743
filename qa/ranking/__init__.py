"""Ranking: the features of a question's candidate sentences (features.py)
and the fitted models that weigh them (model.py)."""
