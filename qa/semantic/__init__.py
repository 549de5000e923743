"""The sentence encoders (USE v3 for every sentence, multilingual-e5 for the candidates read closely),
their stored vectors, the background process that makes a large archive's, and the static vectors
distilled from USE for an archive too large for it (static.py)."""
