"""Static sentence vectors distilled from the sentence encoder, for archives
too large for the encoder to read every sentence in time (about 45 minutes
for a million sentences on two cores).

As model2vec does, every word of the collection is encoded once, alone, by
the encoder, and a sentence's vector is a weighted mean of its words'
vectors (SIF weights): a sparse product, sentences x words . words x
dimensions, that takes seconds for a million sentences. Unlike model2vec's
recipe (which PCA-reduces and weights the vectors, and stops there), the mean
is then mapped into the encoder's own sentence space by an affine map fitted
(ridge regression) on a sample of the collection's sentences that the
encoder does read. The plain mean lies elsewhere: against the encoder's
question vector it put the right sentence first for 7 % of XQuAD-nl's
questions, where the encoder's own sentence vectors do for 50 %. Mapped,
static vectors are stored and searched as the encoder's are
(vectors.SentenceVectors, marked with the model that made them), and a
question is the sum of its static vector and its encoder vector (scored
best: bench/static_vectors.py; figures in docs/performance.md).

Words are cut as the index cuts them (analysis.TOKEN_PATTERN) but kept as
written, case and accents (the encoder reads them: case kept found the right
sentence first a little more often than lowercased words).

The model file, beside the saved index (INDEX.static.npz), holds the words'
encoder vectors (int8), their weights and the map: a rebuild encodes only
the words it has not seen. A serving process reads only the weights (by a
64-bit hash of the word) and the map, about 12 bytes a word: a question's
words, and an added article's, are encoded as they come (about 0.3 ms a
word).
"""
from __future__ import annotations

import hashlib
import logging
import re
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy import sparse

from ..language.analysis import TOKEN_PATTERN
from .vectors import SentenceVectors

log = logging.getLogger(__name__)

FORMAT = "qa-static/1"
# The most frequent words encoded (about 0.3 ms a word on one core): a million
# news sentences hold a few hundred thousand distinct words. Rarer words are
# left out of the sentences' means.
MAX_WORDS = 1_000_000
# Longer tokens are no words (a pasted code): left out.
MAX_WORD_LENGTH = 40
# Sentences the encoder reads to fit the map (about 3 ms each on one core), evenly spread
# over the collection; all of them when there are fewer.
FIT_SAMPLE = 8192
# The ridge penalty of the map (bench/static_vectors.py: 0.03 did best of 0.01-0.3, with all
# the fitting sentences and with half of them).
RIDGE = 0.03
# A word's weight in a sentence's mean is SIF's a / (a + its share of the collection's words): "de"
# (5 % of the words) counts 0.17, a word of one in a thousand 0.91; a word the model lacks 1
# (measured: a = 0.01 did a little better than equal weights; 0.001 and 0.0001 worse).
SIF = 0.01
# Sentences whose vectors are made at a time (65,536 x 512 float32 is 128 MiB).
BLOCK = 65_536

_WORDS = re.compile(TOKEN_PATTERN)


def words_of(text: str) -> list[str]:
    """The words the static model reads in a text, as written (the encoder reads case and accents)."""
    return [w for w in _WORDS.findall(text) if len(w) <= MAX_WORD_LENGTH]


def keys_of(words: Sequence[str]) -> np.ndarray:
    """A 64-bit hash of each word (the same in every process, unlike hash())."""
    return np.array([int.from_bytes(hashlib.blake2b(w.encode("utf-8"), digest_size=8).digest(), "little")
                     for w in words], dtype=np.uint64)


def model_path(index_path: str | Path) -> Path:
    """Where the static model of a saved index is kept."""
    return Path(str(index_path) + ".static.npz")


@dataclass(eq=False)  # (numpy arrays: compared by name)
class StaticModel:
    """The weights of words (by key, sorted), the affine map from a weighted
    mean of word vectors into the encoder's sentence space (`mapping`: d x d,
    `offset`: d), and, to make many sentences' vectors, the words' vectors
    (`words` and `vectors`, None when loaded to serve)."""

    keys: np.ndarray  # uint64, sorted
    weights: np.ndarray  # float32, the weight of the word of each key
    mapping: np.ndarray
    offset: np.ndarray
    words: list[str] | None = None
    vectors: SentenceVectors | None = None
    timings_s: dict[str, float] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self):
        if self.weights.shape != self.keys.shape:
            raise ValueError("a static model needs one weight per word")
        if self.words is not None and len(self.vectors) != len(self.words):
            raise ValueError("a static model needs one vector per word")
        self.row = None if self.words is None else {w: i for i, w in enumerate(self.words)}
        # the weights of the words with vectors, in their order
        self.row_weights = None if self.words is None else self.weights_of(self.words)
        self.name = hashlib.blake2b(self.mapping.tobytes() + self.offset.tobytes() + self.keys.tobytes(),
                                    digest_size=8).hexdigest()

    @property
    def dimensions(self) -> int:
        return self.mapping.shape[1]

    # -- making one

    @classmethod
    def distil(cls, texts: Sequence[str], encoder, max_words: int = MAX_WORDS, sample: int = FIT_SAMPLE,
               fit: tuple[Sequence[str], np.ndarray] | None = None, known: StaticModel | None = None,
               ridge: float = RIDGE, sif: float = SIF) -> StaticModel:
        """The model of a collection's sentences `texts`: its `max_words` most
        frequent words encoded (those `known`, a model made before with its
        vectors, taken from it), and the map fitted on `sample` of the
        sentences, evenly spread, that the encoder reads (or on `fit`: texts
        and their encoder vectors)."""
        timings: dict[str, float] = {}
        started = time.perf_counter()
        counts = Counter(w for text in texts for w in words_of(text))
        words = [w for w, _ in sorted(counts.items(), key=lambda wc: (-wc[1], wc[0]))[:max_words]]
        total = max(sum(counts.values()), 1)
        weights = np.array([sif / (sif + counts[w] / total) for w in words], dtype=np.float32)
        timings["count words"] = time.perf_counter() - started
        started = time.perf_counter()
        vectors = _word_vectors(words, encoder, known)
        timings["encode words"] = time.perf_counter() - started
        started = time.perf_counter()
        if fit is None:
            rows = np.unique(np.linspace(0, len(texts) - 1, min(sample, len(texts))).astype(np.int64))
            fit_texts = [texts[int(i)] for i in rows] if len(texts) else []
            fit = fit_texts, encoder.encode(fit_texts)
        timings["encode sample"] = time.perf_counter() - started
        started = time.perf_counter()
        keys = keys_of(words)
        order = np.argsort(keys, kind="stable")
        d = vectors.dimensions
        unmapped = cls(keys[order], weights[order], np.eye(d, dtype=np.float32), np.zeros(d, np.float32),
                       words, vectors)
        mapping, offset = _ridge(unmapped.means(fit[0]), np.asarray(fit[1], np.float32), ridge)
        model = cls(unmapped.keys, unmapped.weights, mapping, offset, words, vectors)
        timings["fit"] = time.perf_counter() - started
        model.timings_s = timings
        return model

    def serving(self) -> StaticModel:
        """The model without its words' vectors (what a question needs)."""
        return StaticModel(self.keys, self.weights, self.mapping, self.offset)

    # -- using one

    def weights_of(self, words: Sequence[str]) -> np.ndarray:
        """Each word's weight (1 for a word the model lacks)."""
        keys = keys_of(words)
        at = np.minimum(np.searchsorted(self.keys, keys), max(len(self.keys) - 1, 0))
        found = self.keys[at] == keys if len(self.keys) else np.zeros(len(keys), dtype=bool)
        return np.where(found, self.weights[at] if len(self.keys) else 1.0, 1.0).astype(np.float32)

    def means(self, texts: Sequence[str], encoder=None, encoded: dict[str, np.ndarray] | None = None
              ) -> np.ndarray:
        """The weighted mean of each text's word vectors, before the map (zero
        for a text none of whose words is known). A word without a vector in
        the model is taken from `encoded`, else encoded by `encoder`, else
        left out."""
        table_words = self.words or []
        row = self.row or {}
        rows, cols, extra = [], [], {}
        for n, text in enumerate(texts):
            for w in words_of(text):
                i = row.get(w)
                if i is None and (encoder is not None or encoded is not None and w in encoded):
                    i = extra.setdefault(w, len(table_words) + len(extra))
                if i is not None:
                    rows.append(n)
                    cols.append(i)
        out = np.zeros((len(texts), self.mapping.shape[0]), dtype=np.float32)
        if not rows:
            return out
        rows_a, cols_a = np.array(rows, dtype=np.int64), np.array(cols, dtype=np.int64)
        used, local = np.unique(cols_a, return_inverse=True)  # only the words used are widened
        inside = used[used < len(table_words)]
        table = self.vectors.decoded(inside) if len(inside) else np.zeros((0, out.shape[1]), np.float32)
        outside = list(extra)
        if outside:
            encoded = encoded or {}
            missing = [w for w in outside if w not in encoded]
            if missing:
                encoded = {**encoded, **dict(zip(missing, encoder.encode(missing), strict=True))}
            table = np.vstack([table, np.stack([encoded[w] for w in outside])])
        by_word = np.empty(len(used), dtype=np.float32)
        by_word[:len(inside)] = self.row_weights[inside] if len(inside) else []
        by_word[len(inside):] = self.weights_of(outside) if outside else []
        weights = sparse.csr_matrix((by_word[local], (rows_a, local)), shape=(len(texts), len(used)))
        total = np.asarray(weights.sum(axis=1)).ravel()
        out[:] = weights @ table
        out /= np.maximum(total, 1e-12)[:, None]
        return out

    def encode(self, texts: Sequence[str], encoder=None, encoded: dict[str, np.ndarray] | None = None
               ) -> np.ndarray:
        """Unit vectors in the encoder's sentence space, one row per text
        (means(): where a word's vector comes from)."""
        mapped = self.means(texts, encoder, encoded) @ self.mapping + self.offset
        return mapped / np.maximum(np.linalg.norm(mapped, axis=1, keepdims=True), 1e-12)

    def sentence_vectors(self, texts: Sequence[str], encoder=None) -> SentenceVectors:
        """The int8 vectors of many sentences, BLOCK at a time, marked with this model."""
        parts = [SentenceVectors.quantize(self.encode(texts[i:i + BLOCK], encoder))
                 for i in range(0, len(texts), BLOCK)]
        codes = np.concatenate([p.codes for p in parts]) if parts else np.zeros((0, self.dimensions), np.int8)
        scales = np.concatenate([p.scales for p in parts]) if parts else np.zeros(0, np.float32)
        return SentenceVectors(codes, scales, self.name)

    # -- keeping one

    def save(self, path: str | Path) -> None:
        """Written atomically (a temporary file renamed into place)."""
        from ..index.packing import pack_strings, save_arrays

        path = Path(path)
        arrays = {"format": np.array(FORMAT), "keys": self.keys, "weights": self.weights,
                  "mapping": self.mapping, "offset": self.offset}
        if self.words is not None:
            packed = pack_strings(self.words)
            arrays.update(words_bytes=packed["bytes"], words_offsets=packed["offsets"],
                          codes=self.vectors.codes, scales=self.vectors.scales)
        save_arrays(path, arrays)

    @classmethod
    def load(cls, path: str | Path, vectors: bool = False) -> StaticModel | None:
        """The model saved at `path` (with its words' vectors, for making
        many sentences' vectors, when `vectors`), or None when there is none."""
        from ..index.packing import unpack_strings

        try:
            with np.load(path, allow_pickle=False) as f:
                if str(f["format"]) != FORMAT:
                    log.warning("%s is a static model of another format: not used", path)
                    return None
                words = table = None
                if vectors and "codes" in f.files:
                    words = unpack_strings(f["words_bytes"], f["words_offsets"])
                    table = SentenceVectors(f["codes"], f["scales"])
                return cls(f["keys"], f["weights"], f["mapping"], f["offset"], words, table)
        except FileNotFoundError:
            return None
        except (OSError, KeyError, ValueError) as exc:
            log.warning("could not read the static model %s: %s", path, exc)
            return None


class Texts(Sequence[str]):
    """The texts of a table of sentences (language/sentences.SentenceTable),
    made when read: a million of them held at once take about 300 MB."""

    def __init__(self, sentences):
        self.sentences = sentences

    def __len__(self) -> int:
        return len(self.sentences)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self.sentences[j].text for j in range(*i.indices(len(self)))]
        return self.sentences[i].text


# Words whose encoder vectors a question encoder keeps (2 KiB each): a question's words are
# mostly ones asked before, and each encoded costs about 0.5 ms.
KEPT_WORDS = 10_000


class QuestionEncoder:
    """A question's vector against static sentence vectors: the sum of its
    static vector (its words encoded as they come, and kept) and the
    encoder's vector of it, made unit (one call to the encoder for both).
    Scored against either alone, the sum found the right sentence first as
    often as the encoder's own sentence vectors do (bench/static_vectors.py)."""

    def __init__(self, model: StaticModel, encoder):
        self.model, self.encoder = model, encoder
        self._words: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        words = list(dict.fromkeys(w for t in texts for w in words_of(t)))
        with self._lock:
            known = {w: self._words[w] for w in words if w in self._words}
            for w in known:
                self._words.move_to_end(w)
        missing = [w for w in words if w not in known]
        vectors = self.encoder.encode(texts + missing)
        known.update(zip(missing, vectors[len(texts):], strict=True))
        with self._lock:
            self._words.update((w, known[w]) for w in missing)
            while len(self._words) > KEPT_WORDS:
                self._words.popitem(last=False)
        both = vectors[:len(texts)] + self.model.encode(texts, encoded=known)
        return both / np.maximum(np.linalg.norm(both, axis=1, keepdims=True), 1e-12)


# Serving models by name (the vectors' mark), so that an engine rebuilt after a change finds its
# sentence vectors' model without reading it again; a few kept.
_kept: dict[str, StaticModel] = {}
_kept_lock = threading.Lock()
KEPT_MODELS = 4


def keep(model: StaticModel) -> None:
    with _kept_lock:
        _kept[model.name] = model.serving()
        while len(_kept) > KEPT_MODELS:
            _kept.pop(next(iter(_kept)))


def find(name: str, index_path: str | Path | None) -> StaticModel | None:
    """The serving model called `name`: one kept in this process, or the one
    beside the saved index when it is that one."""
    with _kept_lock:
        if name in _kept:
            return _kept[name]
    model = StaticModel.load(model_path(index_path)) if index_path else None
    if model is None or model.name != name:
        return None
    keep(model)
    return model


def vectors_like(vectors: SentenceVectors, texts: Sequence[str], encoder,
                 index_path: str | Path | None) -> SentenceVectors | None:
    """The vectors of a few more sentences, in the space of `vectors`: by the static model
    that made them (found by their mark), else by the encoder. None when that model is
    nowhere to be found (static vectors and the encoder's do not mix)."""
    if not vectors.source:
        return SentenceVectors.quantize(encoder.encode(list(texts)))
    model = find(vectors.source, index_path)
    return None if model is None else model.sentence_vectors(list(texts), encoder)


def _word_vectors(words: Sequence[str], encoder, known: StaticModel | None) -> SentenceVectors:
    """The encoder's vector of each word alone (int8), those `known` taken from it."""
    dimensions = encoder.encode(["x"]).shape[1]
    codes = np.zeros((len(words), dimensions), dtype=np.int8)
    scales = np.zeros(len(words), dtype=np.float32)
    row = known.row if known is not None and known.row is not None else {}
    have = np.array([row.get(w, -1) for w in words], dtype=np.int64)
    found = have >= 0
    if found.any():
        codes[found], scales[found] = known.vectors.codes[have[found]], known.vectors.scales[have[found]]
    missing = np.flatnonzero(~found)
    for first in range(0, len(missing), BLOCK):
        batch = missing[first:first + BLOCK]
        packed = SentenceVectors.quantize(encoder.encode([words[i] for i in batch]))
        codes[batch], scales[batch] = packed.codes, packed.scales
    return SentenceVectors(codes, scales)


def _ridge(X: np.ndarray, Y: np.ndarray, penalty: float) -> tuple[np.ndarray, np.ndarray]:
    """The affine map (A, b) minimising |X A + b - Y|² + penalty |A|²."""
    if not len(X):
        return np.eye(X.shape[1], Y.shape[1], dtype=np.float32), np.zeros(Y.shape[1], dtype=np.float32)
    mx, my = X.astype(np.float64).mean(axis=0), Y.astype(np.float64).mean(axis=0)
    Xc, Yc = X - mx, Y - my
    A = np.linalg.solve(Xc.T @ Xc + penalty * np.eye(X.shape[1]), Xc.T @ Yc)
    return A.astype(np.float32), (my - mx @ A).astype(np.float32)


class WordEncoder:
    """Encodes words (language/neighbours.Vocabulary's) by taking those the
    model has vectors of from it (int8: cosines move by under 0.002) and
    encoding only the rest."""

    def __init__(self, model: StaticModel, encoder):
        self.model, self.encoder = model, encoder

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        row = self.model.row or {}
        rows = np.array([row.get(t, -1) for t in texts], dtype=np.int64)
        out = np.zeros((len(texts), self.model.mapping.shape[0]), dtype=np.float32)
        found = rows >= 0
        if found.any():
            out[found] = self.model.vectors.decoded(rows[found])
        missing = np.flatnonzero(~found)
        if len(missing):
            out[missing] = self.encoder.encode([texts[i] for i in missing])
        return out
