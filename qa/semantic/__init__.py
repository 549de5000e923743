"""The sentence encoders (USE v3 for every sentence, multilingual-e5 for the candidates read closely),
their stored vectors, and the background process that makes a large archive's."""
