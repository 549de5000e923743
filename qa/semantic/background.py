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

One process per index: it holds an exclusive lock on INDEX.vectors.lock; a
second one run by hand exits at once, one started by a service waits for it
(a restarted service's, until the one before it stops). It also exits when the
service that started it is gone.

It yields to the service (bench/archive.py measures it: docs/performance.md):
every thread of it runs in the kernel's SCHED_IDLE class, on a core nothing
else wants, and it encodes in steps of STEP sentences, each started only when
the service has answered nothing for QUIET_S: the workers mark the start and
end of every request on INDEX.vectors.busy (mark_busy). Under questions that
never stop it still encodes a step after waiting MAX_WAIT_S. Its threads each
encode their own steps with one BLAS thread: two BLAS threads on one step wait
for each other, and one held back by a question held the other.
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

# Sentences encoded between two progress reports (and looks whether the service is still there).
BATCH = 256
# Niceness of the encoding process where the kernel has no SCHED_IDLE class.
NICENESS = 19
# Sentences encoded between two looks at the busy marker: about 130 ms on one core.
STEP = 32
# A step starts when no request started or ended for this long (one client asking question after
# question leaves a millisecond between them), and after MAX_WAIT_S of waiting in any case.
QUIET_S = 0.1
MAX_WAIT_S = 2.0
# How often a service's encoder looks whether the one before it has stopped.
LOCK_POLL_S = 1.0
# How long a request counts as under way when its end is not marked (a worker killed mid-request).
IN_FLIGHT_S = 30.0


def progress_file(index_path: str | Path) -> Path:
    return Path(str(index_path) + ".vectors.json")


def partial_file(index_path: str | Path) -> Path:
    return Path(str(index_path) + ".vectors.partial")


def lock_file(index_path: str | Path) -> Path:
    return Path(str(index_path) + ".vectors.lock")


def busy_file(index_path: str | Path) -> Path:
    """The marker whose modification time says when the service last answered:
    made by the encoding process while it works, removed when it is done."""
    return Path(str(index_path) + ".vectors.busy")


def mark_busy(marker: Path, under_way: bool) -> None:
    """A request starts (`under_way`: marked as lasting up to IN_FLIGHT_S) or
    ends (marked now). Costs a system call; nothing when no encoding is at work."""
    now = time.time()
    stamp = now + IN_FLIGHT_S if under_way else now
    with contextlib.suppress(OSError):  # no marker: nothing is encoding
        os.utime(marker, (now, stamp))


def quiet(marker: Path, now: float) -> bool:
    """True when no request is under way and none ended within QUIET_S (or no marker)."""
    try:
        return now - marker.stat().st_mtime >= QUIET_S
    except OSError:
        return True


def wait_for_quiet(marker: Path, clock: Callable[[], float] = time.time,
                   sleep: Callable[[float], None] = time.sleep) -> float:
    """Wait until the service is quiet, at most MAX_WAIT_S; the seconds waited."""
    started = clock()
    while not quiet(marker, clock()) and clock() - started < MAX_WAIT_S:
        sleep(QUIET_S / 2)
    return clock() - started


def run_when_idle() -> str:
    """Every thread of this process, and the threads it starts later (they
    inherit it), in SCHED_IDLE: they run only when a core has nothing else
    to run, and a request's thread takes the core at once. Set per thread:
    on Linux a thread's scheduling class is its own. Returns what was set."""
    if not hasattr(os, "SCHED_IDLE"):
        os.nice(NICENESS)
        return f"nice {NICENESS}"
    for task in Path("/proc/self/task").iterdir():
        with contextlib.suppress(OSError):  # a thread that ended meanwhile
            os.sched_setscheduler(int(task.name), os.SCHED_IDLE, os.sched_param(0))
    return "SCHED_IDLE"


def scheduling_of_threads(pid: int | str = "self") -> dict[str, int]:
    """{scheduling class: threads} of a process, as the kernel reports them."""
    names = {os.SCHED_OTHER: "normal", os.SCHED_BATCH: "SCHED_BATCH", os.SCHED_IDLE: "SCHED_IDLE"}
    counts: dict[str, int] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            name = names.get(os.sched_getscheduler(int(task.name)), "other")
            counts[name] = counts.get(name, 0) + 1
    return counts


def one_blas_thread() -> object | None:
    """BLAS limited to one thread in this process (kept while the returned
    object is): the encoding threads each run their own steps."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return None
    return threadpool_limits(limits=1, user_api="blas")


class YieldingEncoder:
    """The sentence encoder as the background process uses it: texts encoded in
    steps of STEP, spread over `threads` threads, each step started when the
    service is quiet (wait_for_quiet)."""

    def __init__(self, encoder, threads: int, marker: Path):
        self.encoder, self.marker = encoder, marker
        self.pool = ThreadPoolExecutor(max(1, threads), thread_name_prefix="encode")
        self.waited_s = 0.0

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return self.encoder.encode(texts)
        steps = [texts[i:i + STEP] for i in range(0, len(texts), STEP)]
        return np.vstack(list(self.pool.map(self._step, steps)))

    def _step(self, texts: Sequence[str]) -> np.ndarray:
        self.waited_s += wait_for_quiet(self.marker)
        return self.encoder.encode(texts)

    def close(self) -> None:
        self.pool.shutdown()


def read_progress(index_path: str | Path) -> dict | None:
    """{"fingerprint", "done", "total"} of the encoding under way, or None."""
    try:
        return json.loads(progress_file(index_path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write_progress(index_path: str | Path, progress: dict) -> None:
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
    with open(lock_file(index_path), "w") as lock:  # the lock is released when the file is closed
        if not _take_lock(lock, parent):
            log.info("another process is encoding %s", index_path)
            return 0
        return _fill(index_path, parent)


def _take_lock(lock, parent: int | None) -> bool:
    """The index's encoding lock. Started by a service, wait for it while the
    service lives: a restarted service's encoder takes over when the one before
    it, whose service is gone, stops at the end of its batch. Run by hand, at once or not."""
    while True:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except OSError:
            if parent is None or not alive(parent):
                return False
            time.sleep(LOCK_POLL_S)


def _fill(index_path: Path, parent: int | None) -> int:
    from ..index import ingest, snapshot
    from .encoders import SentenceEncoder

    if parent is not None:  # the command started by the service: the service comes first
        run_when_idle()  # before the encoder starts its threads
    saved = snapshot.load_folder(index_path)
    if saved is None:
        log.warning("no saved index at %s to encode", index_path)
        return 1
    if saved.prepared.vectors is not None and saved.prepared.vocabulary is not None:  # done already
        progress_file(index_path).unlink(missing_ok=True)
        return 0
    loaded = SentenceEncoder.load(threads=1)
    if loaded is None:
        return 1
    limits = one_blas_thread()
    marker = busy_file(index_path)
    marker.touch()
    # every core, one thread each (see the module's docstring)
    encoder = YieldingEncoder(loaded, ingest.default_workers(), marker)
    try:
        return _encode_all(index_path, parent, saved, encoder)
    finally:
        encoder.close()
        marker.unlink(missing_ok=True)
        if limits is not None:
            limits.restore_original_limits()


def _encode_all(index_path: Path, parent: int | None, saved, encoder: YieldingEncoder) -> int:
    """_fill's work once the encoder is loaded: the sentences from where the side
    file ends, the vocabulary, the saved index written with both."""
    from ..language.neighbours import Vocabulary
    from .vectors import SentenceVectors

    sentences = saved.prepared.sentences
    total, dimensions = len(sentences), encoder.encode(["x"]).shape[1]
    progress = read_progress(index_path)
    done = progress["done"] if progress and progress.get("fingerprint") == saved.fingerprint \
        and progress.get("total") == total and partial_file(index_path).exists() else 0
    row_bytes = dimensions + 4  # int8 codes, then a float32 scale
    mode = "r+" if done else "w+"
    partial = np.memmap(partial_file(index_path), dtype=np.uint8, mode=mode, shape=(max(total, 1), row_bytes))
    codes = partial[:, :dimensions].view(np.int8)
    log.info("encoding %d sentences of %s, from %d; threads: %s", total, index_path, done,
             scheduling_of_threads())
    while done < total:
        if parent is not None and not alive(parent):
            log.info("the service is gone: encoding stops at %d of %d", done, total)
            return 0
        end = min(done + BATCH, total)
        packed = SentenceVectors.quantize(encoder.encode([sentences[i].text for i in range(done, end)]))
        codes[done:end] = packed.codes
        partial[done:end, dimensions:] = packed.scales.view(np.uint8).reshape(-1, 4)
        partial.flush()
        done = end
        write_progress(index_path, {"fingerprint": saved.fingerprint, "done": done, "total": total})
    scales = np.ascontiguousarray(partial[:total, dimensions:]).view(np.float32).reshape(total)
    vectors = SentenceVectors(np.array(codes[:total]), scales.copy())
    del partial, codes
    texts = (sentences[i].text for i in range(total))
    vocabulary = Vocabulary.build(texts, _analyzer(), encoder)
    stopped, vectors = save_vectors(index_path, saved, vectors, vocabulary, parent,
                                    lambda before, current, made: carried_over(
                                        before.prepared.sentences, made, current, encoder, index_path))
    if stopped is not None:
        return stopped
    partial_file(index_path).unlink(missing_ok=True)
    progress_file(index_path).unlink(missing_ok=True)
    log.info("all %d sentence vectors of %s are in place (%.0f s waited for quiet moments)", len(vectors),
             index_path, encoder.waited_s)
    return 0


def save_vectors(index_path: Path, saved, vectors, vocabulary, parent: int | None, redo):
    """`vectors` and `vocabulary` of the `saved` index written into it, read and written under its
    lock; when the sources changed meanwhile (the service saved an added article), `redo(saved,
    current, vectors)` gives the vectors of the current index, and those are written. Returns
    (None, the vectors written), or (the exit code, vectors) when the index is gone (1) or the
    service that started this is (0). One loop for the encoder's vectors and the static ones."""
    from ..index import snapshot

    while True:
        with snapshot.writing(index_path):  # nobody saves between this read and this save
            current = snapshot.load_folder(index_path)
            if current is None:
                log.warning("the saved index %s is gone: its vectors are not kept", index_path)
                return 1, vectors
            if current.fingerprint == saved.fingerprint:
                saved.prepared.vectors, saved.prepared.vocabulary = vectors, vocabulary
                snapshot.save(index_path, saved.prepared, saved.documents, saved.fingerprint, saved.skipped,
                              saved.listing, saved.settings, saved.keys)
                return None, vectors
        if parent is not None and not alive(parent):
            return 0, vectors
        vectors, saved = redo(saved, current, vectors), current


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
        write_progress(index_path, {"fingerprint": current.fingerprint,
                                     "done": int(known.sum()) + first + len(batch), "total": len(texts)})
    return SentenceVectors(codes, scales)


def _analyzer():
    from ..language.analysis import Analyzer

    return Analyzer("nl")


def alive(pid: int) -> bool:
    """Whether process `pid` (the service that started an encoder) still runs."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
