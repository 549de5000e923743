"""Sentence vectors off the critical path: the service answers with BM25 and
translation as soon as its index is ready, while a separate low-priority
process (`python -m qa vectors INDEX`) encodes the sentences and writes the
vectors into the saved index.

The process writes as it goes: the vectors into a memory-mapped side file
(INDEX.vectors.partial), how many are done into INDEX.vectors.json
(replaced atomically after each batch). Stopped and started again (a
restart of the service), it resumes where the side file ends. When every
sentence has its vector it encodes the vocabulary for the encoder
neighbours, writes the saved index again with both (atomically, under the
index's lock: if the service saved a change meanwhile, the new index's
sentences take the vectors of the same text and only the rest are encoded),
and removes the side file; the service's workers see the new index file and
switch to the encoder's ranking models on their next question.

One process per index: it holds an exclusive lock on INDEX.vectors.lock,
and a second one exits at once. It also exits when the service that started
it is gone.
"""
from __future__ import annotations

import fcntl
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

# Sentences encoded between two progress reports (the encoder batches 256).
BATCH = 1024
# Niceness of the encoding process: the service's workers come first.
NICENESS = 10


def progress_file(index_path: str | Path) -> Path:
    return Path(str(index_path) + ".vectors.json")


def partial_file(index_path: str | Path) -> Path:
    return Path(str(index_path) + ".vectors.partial")


def lock_file(index_path: str | Path) -> Path:
    return Path(str(index_path) + ".vectors.lock")


def read_progress(index_path: str | Path) -> dict | None:
    """{"fingerprint", "done", "total"} of the encoding under way, or None."""
    try:
        return json.loads(progress_file(index_path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _write_progress(index_path: str | Path, progress: dict) -> None:
    path = progress_file(index_path)
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(progress), encoding="utf-8")
    os.replace(tmp, path)


def start(index_path: str | Path, parent: int | None = None) -> subprocess.Popen | None:
    """Start the encoding process for the index saved at `index_path` (it
    exits at once when another one is at work on it, and when `parent`, by
    default this process, is gone)."""
    parent = os.getpid() if parent is None else parent
    command = [sys.executable, "-m", "qa", "vectors", str(index_path), "--parent", str(parent)]
    try:
        return subprocess.Popen(command, stdin=subprocess.DEVNULL, start_new_session=True)
    except OSError as exc:
        log.warning("could not start the sentence encoding in the background: %s", exc)
        return None


def fill(index_path: str | Path, parent: int | None = None) -> int:
    """Encode the sentences of the saved index that have no vector yet; see
    the module's docstring. Returns a process exit status."""
    index_path = Path(index_path)
    with open(lock_file(index_path), "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # released when the file is closed
        except OSError:
            log.info("another process is encoding %s", index_path)
            return 0
        return _fill(index_path, parent)


def _fill(index_path: Path, parent: int | None) -> int:
    from ..index import ingest, snapshot
    from ..language.neighbours import Vocabulary
    from .encoders import SentenceEncoder
    from .vectors import SentenceVectors

    if parent is not None:  # the command started by the service: the service comes first
        os.nice(NICENESS)
    saved = snapshot.load_folder(index_path)
    if saved is None:
        log.warning("no saved index at %s to encode", index_path)
        return 1
    if saved.prepared.vectors is not None and saved.prepared.vocabulary is not None:  # done already
        progress_file(index_path).unlink(missing_ok=True)
        return 0
    # every core (niced, the service's workers come first): 2 threads took 2.67 ms a
    # sentence where one took 4.09 (news-shaped sentences of 240 characters)
    encoder = SentenceEncoder.load(threads=ingest.default_workers())
    if encoder is None:
        return 1
    sentences = saved.prepared.sentences
    total, dimensions = len(sentences), encoder.encode(["x"]).shape[1]
    progress = read_progress(index_path)
    done = progress["done"] if progress and progress.get("fingerprint") == saved.fingerprint \
        and progress.get("total") == total and partial_file(index_path).exists() else 0
    row_bytes = dimensions + 4  # int8 codes, then a float32 scale
    mode = "r+" if done else "w+"
    partial = np.memmap(partial_file(index_path), dtype=np.uint8, mode=mode, shape=(max(total, 1), row_bytes))
    codes = partial[:, :dimensions].view(np.int8)
    log.info("encoding %d sentences of %s, from %d", total, index_path, done)
    while done < total:
        if parent is not None and not _alive(parent):
            log.info("the service is gone: encoding stops at %d of %d", done, total)
            return 0
        end = min(done + BATCH, total)
        packed = SentenceVectors.quantize(encoder.encode([sentences[i].text for i in range(done, end)]))
        codes[done:end] = packed.codes
        partial[done:end, dimensions:] = packed.scales.view(np.uint8).reshape(-1, 4)
        partial.flush()
        done = end
        _write_progress(index_path, {"fingerprint": saved.fingerprint, "done": done, "total": total})
    scales = np.ascontiguousarray(partial[:total, dimensions:]).view(np.float32).reshape(total)
    vectors = SentenceVectors(np.array(codes[:total]), scales.copy())
    del partial, codes
    texts = (sentences[i].text for i in range(total))
    vocabulary = Vocabulary.build(texts, _analyzer(), encoder)
    while True:
        with snapshot.writing(index_path):  # nobody saves between this read and this save
            current = snapshot.load_folder(index_path)
            if current is None:
                log.warning("the saved index %s is gone: its vectors are not kept", index_path)
                return 1
            if current.fingerprint == saved.fingerprint:
                saved.prepared.vectors, saved.prepared.vocabulary = vectors, vocabulary
                snapshot.save(index_path, saved.prepared, saved.documents, saved.fingerprint, saved.skipped,
                              saved.listing, saved.settings, saved.keys)
                break
        # The sources changed while this encoded (the service saved an added article): the
        # new index's sentences take the vectors of the same text, and the rest are encoded.
        if parent is not None and not _alive(parent):
            return 0
        vectors = carried_over(saved.prepared.sentences, vectors, current, encoder, index_path)
        saved = current
    partial_file(index_path).unlink(missing_ok=True)
    progress_file(index_path).unlink(missing_ok=True)
    log.info("all %d sentence vectors of %s are in place", len(vectors), index_path)
    return 0


def carried_over(sentences, vectors, current, encoder, index_path: Path):
    """The vectors of `current`'s sentences: those of the sentence with the same
    text among `sentences` (whose vectors are `vectors`), the others encoded."""
    from .vectors import SentenceVectors

    row_of: dict[str, int] = {}
    for i in range(len(sentences)):
        row_of.setdefault(sentences[i].text, i)
    table = current.prepared.sentences
    texts = [table[j].text for j in range(len(table))]
    rows = np.array([row_of.get(t, -1) for t in texts], dtype=np.int64)
    known = rows >= 0
    codes = np.zeros((len(texts), vectors.codes.shape[1]), dtype=np.int8)
    scales = np.zeros(len(texts), dtype=np.float32)
    codes[known], scales[known] = vectors.codes[rows[known]], vectors.scales[rows[known]]
    missing = np.flatnonzero(~known)
    log.info("the sources changed while encoding: %d vectors carried over, %d to encode",
             int(known.sum()), len(missing))
    for first in range(0, len(missing), BATCH):
        batch = missing[first:first + BATCH]
        packed = SentenceVectors.quantize(encoder.encode([texts[j] for j in batch]))
        codes[batch], scales[batch] = packed.codes, packed.scales
        _write_progress(index_path, {"fingerprint": current.fingerprint,
                                     "done": int(known.sum()) + first + len(batch), "total": len(texts)})
    return SentenceVectors(codes, scales)


def _analyzer():
    from ..language.analysis import Analyzer

    return Analyzer("nl")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
