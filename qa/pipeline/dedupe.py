"""Stage 8 (docs/architecture.md), its last step: the ranked sentences that
say different things. The same quote in several outlets is one passage, with
every outlet that carries it as a corroborating source."""
from __future__ import annotations

import numpy as np

from .corpus import Corpus

# Share of the shorter sentence's index terms found in the other above which
# two sentences are one fact (one quote, reported twice).
NEAR_DUPLICATE = 0.8


def distinct(corpus: Corpus, ranked: np.ndarray, k: int) -> tuple[np.ndarray, dict[int, list[int]]]:
    """The first k of `ranked` (sentence ids, best first) that say different
    things, and for each the sentences folded into it (itself first)."""
    kept: list[int] = []
    copies: dict[int, list[int]] = {}
    term_sets: list[frozenset[str]] = []
    for i in map(int, ranked):
        terms = corpus.term_set(i)
        # A headline and the sentence that tells it in full are not one
        # quote twice: the sentence has the details, the headline the gist.
        heading = corpus.sentences[i].kind == "heading"
        twin = next((kept[j] for j, seen in enumerate(term_sets)
                     if min(len(terms), len(seen)) >= 3
                     and (corpus.sentences[kept[j]].kind == "heading") == heading
                     and len(terms & seen) / min(len(terms), len(seen)) >= NEAR_DUPLICATE), None)
        if twin is not None:
            copies[twin].append(i)
        elif len(kept) < k:
            kept.append(i)
            copies[i] = [i]
            term_sets.append(terms)
    return np.array(kept, dtype=np.int64), copies
