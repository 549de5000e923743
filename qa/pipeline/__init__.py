"""Stages 7 to 10: a question read, its candidates ranked by fitted models, the passages and the short
answer chosen, and whether to answer at all (engine.py wires them)."""
