"""`make train`: fit the ranking, abstention, span and confidence models on the question sets and
report how they carry over (train.py)."""
