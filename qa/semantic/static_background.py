"""Static sentence vectors (static.py) for a saved index, made by a
separate low-priority process as background.py makes the encoder's:
`python -m qa vectors INDEX --static`, started by the engine instead of the
encoder's when the index has more sentences than QA_STATIC_VECTORS_ABOVE.

It holds the same lock as the encoder's process (one vectors process per
index), reports progress in the same file (INDEX.vectors.json: the
sentences' vectors come after the model, in blocks), keeps the model beside
the index (static.model_path) and then writes the vectors and the
neighbours' vocabulary into the saved index, atomically under the index's
lock: if the service saved a change meanwhile, the new index's sentences
take the vectors of the same text and the rest are made with the model.
A restart of the service while it works starts it again from the beginning
(a million sentences take a few minutes, docs/performance.md); the words
the model file holds already are not encoded again.
"""
from __future__ import annotations

import fcntl
import logging
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from . import background, static
from .vectors import SentenceVectors

log = logging.getLogger(__name__)


def start(index_path: str | Path, parent: int | None = None) -> subprocess.Popen | None:
    """Start the process for the index saved at `index_path` (it exits at once when another
    vectors process works on it, and when `parent`, by default this process, is gone)."""
    parent = os.getpid() if parent is None else parent
    command = [sys.executable, "-m", "qa", "vectors", str(index_path), "--static", "--parent", str(parent)]
    try:
        return subprocess.Popen(command, stdin=subprocess.DEVNULL, start_new_session=True)
    except OSError as exc:
        log.warning("could not start the static sentence vectors in the background: %s", exc)
        return None


def distil(texts: Sequence[str], encoder, index_path: str | Path | None) -> static.StaticModel:
    """The static model of a collection's sentences, kept in this process
    and, with `index_path`, saved beside the index (the words of the model
    saved there before are not encoded again)."""
    started = time.perf_counter()
    known = static.StaticModel.load(static.model_path(index_path), vectors=True) if index_path else None
    model = static.StaticModel.distil(texts, encoder, known=known)
    if index_path:
        model.save(static.model_path(index_path))
    static.keep(model)
    log.info("static model of %d sentences: %d words, %.1f s (%s)", len(texts), len(model.keys),
             time.perf_counter() - started, ", ".join(f"{k} {v:.1f} s" for k, v in model.timings_s.items()))
    return model


def fill(index_path: str | Path, parent: int | None = None) -> int:
    """Make the static vectors of the saved index; see the module's
    docstring. Returns a process exit status."""
    index_path = Path(index_path)
    with open(background.lock_file(index_path), "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # released when the file is closed
        except OSError:
            log.info("another process makes the vectors of %s", index_path)
            return 0
        return _fill(index_path, parent)


def _fill(index_path: Path, parent: int | None) -> int:
    from ..index import ingest, snapshot
    from ..language.analysis import Analyzer
    from ..language.neighbours import Vocabulary
    from .encoders import SentenceEncoder

    if parent is not None:  # started by the service: the service comes first
        os.nice(background.NICENESS)
    saved = snapshot.load_folder(index_path)
    if saved is None:
        log.warning("no saved index at %s to make vectors for", index_path)
        return 1
    if saved.prepared.vectors is not None and saved.prepared.vocabulary is not None:  # done already
        background.progress_file(index_path).unlink(missing_ok=True)
        return 0
    encoder = SentenceEncoder.load(threads=ingest.default_workers())
    if encoder is None:
        return 1
    texts = static.Texts(saved.prepared.sentences)
    total = len(texts)
    background.write_progress(index_path, {"fingerprint": saved.fingerprint, "done": 0, "total": total})
    model = distil(texts, encoder, index_path)
    started = time.perf_counter()
    parts = []
    for first in range(0, total, static.BLOCK):
        if parent is not None and not background.alive(parent):
            log.info("the service is gone: the static vectors stop at %d of %d", first, total)
            return 0
        parts.append(model.sentence_vectors(texts[first:first + static.BLOCK]))
        background.write_progress(index_path, {"fingerprint": saved.fingerprint,
                                               "done": min(first + static.BLOCK, total - 1), "total": total})
    vectors = _joined(parts, model)
    log.info("static vectors of %d sentences: %.1f s", total, time.perf_counter() - started)
    started = time.perf_counter()
    vocabulary = Vocabulary.build(iter(texts), Analyzer("nl"), static.WordEncoder(model, encoder))
    log.info("the neighbours' vocabulary: %.1f s", time.perf_counter() - started)
    started = time.perf_counter()
    stopped, vectors = background.save_vectors(
        index_path, saved, vectors, vocabulary, parent,
        lambda before, current, made: carried_over(static.Texts(before.prepared.sentences), made,
                                                   static.Texts(current.prepared.sentences), model, encoder))
    if stopped is not None:
        return stopped
    background.progress_file(index_path).unlink(missing_ok=True)
    log.info("all %d static sentence vectors of %s are in place (saved in %.1f s)", len(vectors), index_path,
             time.perf_counter() - started)
    return 0


def carried_over(texts: Sequence[str], vectors: SentenceVectors, current: Sequence[str],
                 model: static.StaticModel, encoder) -> SentenceVectors:
    """The vectors of the sentences `current`: those of the same text among `texts`, the rest made."""
    row_of: dict[str, int] = {}
    for i, text in enumerate(texts):
        row_of.setdefault(text, i)
    rows = np.array([row_of.get(t, -1) for t in current], dtype=np.int64)
    known = rows >= 0
    codes = np.zeros((len(rows), vectors.dimensions), dtype=np.int8)
    scales = np.zeros(len(rows), dtype=np.float32)
    codes[known], scales[known] = vectors.codes[rows[known]], vectors.scales[rows[known]]
    missing = np.flatnonzero(~known)
    if len(missing):
        made = model.sentence_vectors([current[int(i)] for i in missing], encoder)
        codes[missing], scales[missing] = made.codes, made.scales
    log.info("the sources changed: %d vectors carried over, %d made", int(known.sum()), len(missing))
    return SentenceVectors(codes, scales, model.name)


def _joined(parts: list[SentenceVectors], model: static.StaticModel) -> SentenceVectors:
    if not parts:
        return SentenceVectors(np.zeros((0, model.dimensions), np.int8), np.zeros(0, np.float32), model.name)
    return SentenceVectors(np.concatenate([p.codes for p in parts]),
                           np.concatenate([p.scales for p in parts]), model.name)




    return True
