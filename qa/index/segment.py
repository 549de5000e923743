"""Stage 6 (docs/architecture.md) while the sources change: the articles added, replaced or
deleted since the main index was saved, kept in a small segment of their own (as Lucene keeps new
documents), so that a change neither rewrites nor reloads the main index.

A segment holds what a rebuild would take from those articles: their documents, sentences, index
terms, casing counts and sentence vectors, the main's documents they replace or delete (whose
sentences become tombstones), and the listing's changes. `view` reads the main and a segment as
one index (segmented.SegmentedIndex: the scores of a rebuild) with its sentence table, casing and
vectors; `merge` makes the main index they amount to (BM25Index.updated: passes over the
postings), which is then saved in the background; `rebase` brings the changes made meanwhile onto
the merged main.

A segment is saved beside the main index (INDEX.segment), atomically, by the process that made the
change; the other processes read it instead of the folders, and a restart reads it with the main.
It names the main it applies to (its fingerprint); one that applies to another is not used.
"""
from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..language.sentences import ARRAY_TYPES, SentenceTable
from ..language.spans import Casing
from ..semantic import static
from ..semantic.encoders import SentenceEncoder
from ..semantic.vectors import JoinedVectors, SentenceVectors
from ..sources.documents import Document, content_key
from .bm25 import BM25Index
from .ingest import Built
from .packing import pack_strings, unpack_strings
from .segmented import SegmentedIndex, Tombstones
from .snapshot import (
    KEY_BYTES,
    READ_ERRORS,
    Prepared,
    Saved,
    file_name,
    listing_fingerprint,
    load_folder,
    writing,
)
from .snapshot import save as save_index

log = logging.getLogger(__name__)

FORMAT = "qa-segment/1"
# Niceness of the merging process (as of the background encoder's): the service's workers come first.
MERGE_NICENESS = 10
SENTENCE_COLUMNS = ("doc", "index", "start", "end", "kind")


@dataclass
class Segment:
    """The changes since the main index `base` was saved (see the module's text)."""

    base: str  # the main's fingerprint
    removed: list[str]  # the main's documents replaced or deleted (ids), their sentences tombstones
    documents: list[Document]  # the documents read since, in the order they came
    keys: list[bytes]  # their content keys (documents.content_key)
    serials: list[int]  # each document's change number (a document read again has a new one)
    sentences: SentenceTable  # their sentences
    term_ids: np.ndarray  # the sentences' index terms, numbers into `terms`, one sentence after the other
    term_counts: np.ndarray  # index terms per sentence
    terms: list[str]
    doc_lengths: np.ndarray  # each sentence's length for BM25
    casing: Casing  # the casing counts of its sentences less those of the removed documents' (may be < 0)
    vectors: SentenceVectors | None  # of its sentences, when the main has vectors
    files: dict[str, tuple[int, int] | None]  # the listing's changes: name -> (size, mtime_ns), None: gone
    skipped: list[dict]  # the listed files that could not be read (all of them, not only the changed)
    fingerprint: str  # of the listing with these changes (snapshot.listing_fingerprint)
    dead: int = 0  # the main's sentences the removed documents had
    serial: int = 0  # the last change number given

    @classmethod
    def empty(cls, main: Saved) -> Segment:
        nothing = SentenceTable([], *(np.empty(0, t) for t in ARRAY_TYPES))
        numbers = np.empty(0, dtype=np.int64)
        return cls(main.fingerprint, [], [], [], [], nothing, numbers, numbers, [], numbers, Casing(), None,
                   {}, list(main.skipped), main.fingerprint)

    def __len__(self) -> int:
        """What a merge takes into the main: the sentences added and those tombstoned."""
        return len(self.sentences) + self.dead

    def listing(self, main: Saved) -> dict[str, tuple[int, int]]:
        """The files as listed with these changes: name -> (size, mtime_ns)."""
        files = {**main.files, **self.files}
        return {name: stat for name, stat in files.items() if stat is not None}

    def _sentence_terms(self, keep: np.ndarray) -> np.ndarray:
        """A mask over term_ids: the terms of the sentences kept."""
        return np.repeat(keep, self.term_counts)


def changed(segment: Segment, main: Saved, stats: Mapping[str, tuple[int, int] | None],
            read: tuple[Sequence[Document], Sequence[dict], Built],
            vectors: SentenceVectors | None) -> Segment:
    """The segment with the files `stats` names (name -> (size, mtime_ns) as listed now, None when
    gone) taken as they are now: their documents in the segment and in the main go, and what was
    `read` of them now (documents, skipped, built as ingest.build_folder gives them; `vectors`:
    of its sentences, or None) comes after the rest."""
    names = set(stats)
    new_docs, new_skipped, built = read
    casing = Casing()
    casing.update(segment.casing)
    # the segment's own documents of those files
    keep_doc = np.array([file_name(d) not in names for d in segment.documents], dtype=bool)
    table = segment.sentences
    keep = keep_doc[table.doc] if len(table) else np.zeros(0, dtype=bool)
    casing.subtract(Casing(table[int(i)].text for i in np.flatnonzero(~keep)))
    # the main's documents of those files, once
    gone = set(segment.removed)
    removed = list(segment.removed)
    dead = segment.dead
    for name in sorted(names):
        n = main.by_file.get(name)
        if n is None or main.documents[n].id in gone:
            continue
        doc_id = main.documents[n].id
        first, end = main.ranges.get(doc_id, (0, 0))
        casing.subtract(Casing(s.text for s in main.prepared.sentences[first:end]))
        removed.append(doc_id)
        gone.add(doc_id)
        dead += end - first
    casing.update(built.casing)
    _drop_zeros(casing)
    # the kept sentences' terms and the new ones', numbered in one vocabulary of the terms used
    vocabulary = {t: n for n, t in enumerate(segment.terms)}
    mapping = np.fromiter((vocabulary.setdefault(t, len(vocabulary)) for t in built.terms), dtype=np.int64,
                          count=len(built.terms))
    term_ids = np.concatenate([segment.term_ids[segment._sentence_terms(keep)],
                               mapping[built.term_ids] if len(built.term_ids) else np.empty(0, np.int64)])
    used, term_ids = np.unique(term_ids, return_inverse=True)
    terms = list(vocabulary)
    kept_docs = [d for d, k in zip(segment.documents, keep_doc.tolist(), strict=True) if k]
    number = np.cumsum(keep_doc) - 1
    columns = [np.concatenate([number[table.doc[keep]].astype(np.int32),
                               built.sentences.doc + np.int32(len(kept_docs))])]
    for name in SENTENCE_COLUMNS[1:]:
        columns.append(np.concatenate([getattr(table, name)[keep], getattr(built.sentences, name)]))
    documents = kept_docs + list(new_docs)
    keys = [k for k, keep_it in zip(segment.keys, keep_doc.tolist(), strict=True) if keep_it] + \
        [content_key(d) for d in new_docs]
    serials = [s for s, k in zip(segment.serials, keep_doc.tolist(), strict=True) if k] + \
        list(range(segment.serial + 1, segment.serial + 1 + len(new_docs)))
    kept_vectors = segment.vectors.rows(keep) if segment.vectors is not None else None
    if kept_vectors is not None and vectors is not None:
        all_vectors = kept_vectors.append(vectors)
    else:  # (vectors for all of the segment's sentences, or none)
        all_vectors = vectors if vectors is not None and not keep.any() else None
    files = dict(segment.files)
    for name, stat in stats.items():
        if main.files.get(name) == stat:
            files.pop(name, None)
        else:
            files[name] = stat
    skipped = [s for s in segment.skipped if os.path.basename(s["file"]) not in names] + list(new_skipped)
    listing = {**main.files, **files}
    fingerprint = listing_fingerprint({n: s for n, s in listing.items() if s is not None}, main.settings)
    log.info("changes read into the segment: %d files read, %d gone or unreadable", len(new_docs),
             len(names) - len(new_docs))
    return Segment(segment.base, removed, documents, keys, serials, SentenceTable(documents, *columns),
                   term_ids.astype(np.int64), np.concatenate([segment.term_counts[keep], built.term_counts]),
                   [terms[i] for i in used.tolist()],
                   np.concatenate([segment.doc_lengths[keep], built.doc_lengths]), casing, all_vectors, files,
                   skipped, fingerprint, dead, segment.serial + len(new_docs))


def _drop_zeros(casing: Casing) -> None:
    """Counts that went to 0 are not kept (counts below 0 are: they take from the main's)."""
    casing.upper = Counter({word: n for word, n in casing.upper.items() if n})
    casing.lower = Counter({word: n for word, n in casing.lower.items() if n})


def _main_kept(main: Saved, segment: Segment) -> tuple[np.ndarray, Tombstones]:
    """(a mask over the main's documents: not removed, the tombstones of the removed)."""
    keep_doc = np.ones(len(main.documents), dtype=bool)
    ranges = []
    for doc_id in segment.removed:
        first, end = main.ranges.get(doc_id, (0, 0))
        ranges.append((first, end))
        if end > first:
            keep_doc[main.prepared.sentences.doc[first]] = False
    return keep_doc, Tombstones(ranges, len(main.prepared.sentences))


def _table(main: Saved, segment: Segment, keep_doc: np.ndarray, tombstones: Tombstones,
           documents: list[Document]) -> SentenceTable:
    """The main's live sentences, then the segment's, numbered into `documents` (the main's kept,
    then the segment's)."""
    table = main.prepared.sentences
    live = tombstones.live() if len(tombstones) else slice(None)
    number = (np.cumsum(keep_doc) - 1).astype(np.int32)
    columns = [np.concatenate([number[table.doc[live]] if len(tombstones) else table.doc,
                               segment.sentences.doc + np.int32(int(keep_doc.sum()))])]
    for name in SENTENCE_COLUMNS[1:]:
        columns.append(np.concatenate([getattr(table, name)[live], getattr(segment.sentences, name)]))
    return SentenceTable(documents, *columns)


def _documents(main: Saved, segment: Segment, keep_doc: np.ndarray) -> list[Document]:
    if keep_doc.all():
        return [*main.documents, *segment.documents]
    return [d for d, k in zip(main.documents, keep_doc.tolist(), strict=True) if k] + segment.documents


def segment_index(segment: Segment, main: BM25Index) -> BM25Index:
    """The segment's sentences as an index of their own (its postings and lengths are what
    SegmentedIndex reads)."""
    return BM25Index.from_term_ids(segment.term_ids, segment.term_counts, segment.terms, main.k1, main.b,
                                   main.epsilon, doc_lengths=segment.doc_lengths)


def view(main: Saved, segment: Segment) -> tuple[list[Document], list[dict], Prepared]:
    """The documents, skipped files and prepared index the main and the segment amount to, read
    through (nothing of the main's index, sentence arrays or vectors is copied but what the
    tombstones take out)."""
    keep_doc, tombstones = _main_kept(main, segment)
    documents = _documents(main, segment, keep_doc)
    sentences = _table(main, segment, keep_doc, tombstones, documents)
    old = main.prepared
    index = SegmentedIndex(old.index, tombstones, segment_index(segment, old.index))
    return documents, segment.skipped, Prepared(sentences, index, Casing.summed(old.casing, segment.casing),
                                                joined_vectors(main, segment, tombstones), old.vocabulary)


def joined_vectors(main: Saved, segment: Segment,
                   tombstones: Tombstones | None = None) -> JoinedVectors | None:
    """The vectors of the main's live sentences, then the segment's (None unless both have them)."""
    if main.prepared.vectors is None or segment.vectors is None:
        return None
    tombstones = _main_kept(main, segment)[1] if tombstones is None else tombstones
    rows = np.flatnonzero(tombstones.live()) if len(tombstones) else None
    return JoinedVectors(main.prepared.vectors, rows, segment.vectors)


def merge(main: Saved, segment: Segment) -> Saved:
    """The main index the main and the segment amount to: what a rebuild of the listing would
    make, numbered as `view` numbers it (the vectors only when the segment has them)."""
    keep_doc, tombstones = _main_kept(main, segment)
    documents = _documents(main, segment, keep_doc)
    sentences = _table(main, segment, keep_doc, tombstones, documents)
    old = main.prepared
    keep = tombstones.live()
    index = old.index.updated(keep, segment.term_ids, segment.term_counts, segment.terms, segment.doc_lengths)
    casing = Casing()
    casing.update(old.casing)
    casing.update(segment.casing)
    casing.upper, casing.lower = +casing.upper, +casing.lower  # counts of zero are dropped
    vectors = None
    if old.vectors is not None and segment.vectors is not None:
        vectors = old.vectors.rows(keep).append(segment.vectors)
    prepared = Prepared(sentences, index, casing, vectors, old.vocabulary)
    keys = None if main.keys is None else np.concatenate(
        [main.keys[keep_doc], np.frombuffer(b"".join(segment.keys), dtype=np.uint8).reshape(-1, KEY_BYTES)])
    return Saved(documents, list(segment.skipped), prepared, segment.fingerprint, segment.listing(main),
                 main.settings, keys)


def rebase(current: Segment, merged: Segment, main: Saved) -> Segment:
    """`current`'s changes onto `main`, the merge of `merged` (an earlier state of `current`, which
    keeps every change of it it has not undone since): the documents read since `merged` was
    taken, and as removed the main's documents removed since and those of `merged` replaced or
    deleted since."""
    merged_serials, current_serials = set(merged.serials), set(current.serials)
    keep_doc = np.array([s not in merged_serials for s in current.serials], dtype=bool)
    table = current.sentences
    keep = keep_doc[table.doc] if len(table) else np.zeros(0, dtype=bool)
    merged_removed = set(merged.removed)
    removed = [i for i in current.removed if i not in merged_removed] + \
        [d.id for d, s in zip(merged.documents, merged.serials, strict=True) if s not in current_serials]
    casing = Casing()
    casing.update(current.casing)
    casing.subtract(merged.casing)
    _drop_zeros(casing)
    documents = [d for d, k in zip(current.documents, keep_doc.tolist(), strict=True) if k]
    number = (np.cumsum(keep_doc) - 1).astype(np.int32)
    columns = [number[table.doc[keep]]] + [getattr(table, name)[keep] for name in SENTENCE_COLUMNS[1:]]
    used, term_ids = np.unique(current.term_ids[current._sentence_terms(keep)], return_inverse=True)
    files = {name: stat for name, stat in current.files.items() if main.files.get(name) != stat}
    dead = sum(end - first for first, end in (main.ranges.get(i, (0, 0)) for i in removed))
    serials = [s for s in current.serials if s not in merged_serials]
    keys = [k for k, keep_it in zip(current.keys, keep_doc.tolist(), strict=True) if keep_it]
    return Segment(main.fingerprint, removed, documents, keys, serials,
                   SentenceTable(documents, *columns), term_ids.astype(np.int64), current.term_counts[keep],
                   [current.terms[i] for i in used.tolist()], current.doc_lengths[keep], casing,
                   current.vectors.rows(keep) if current.vectors is not None else None, files,
                   list(current.skipped), current.fingerprint, dead, current.serial)


def merge_saved(index_path: str | Path, minimum: int = 1) -> bool:
    """Merge the segment saved beside `index_path` into the index saved there, when it holds at
    least `minimum` sentences (`python -m qa merge`, which the service starts: start_merge), and
    save both: the index as merged, the segment with what changed meanwhile (rebase), swapped
    under the segment's lock so that a writer sees both or neither. Holds the index's lock (the
    background encoder's) throughout, so merges take turns; the merge itself holds no writer up.
    The segment's vectors are made here when the index has vectors and the segment none (it was
    made before the index's were). Whether it merged."""
    path = path_of(index_path)
    with writing(index_path):
        taken = load(path)
        if taken is None or len(taken) < max(minimum, 1):
            return False
        main = load_folder(index_path)
        if main is None or taken.base != main.fingerprint:
            return False
        started = time.perf_counter()
        if main.prepared.vectors is not None and taken.vectors is None:
            encoder = SentenceEncoder.load()
            taken.vectors = None if encoder is None else static.vectors_like(
                main.prepared.vectors, [s.text for s in taken.sentences], encoder, index_path)
            if taken.vectors is None:
                log.warning("cannot make the vectors of the segment's sentences: %s is not merged", path)
                return False
        merged = merge(main, taken)
        staged = Path(str(index_path) + ".merged")
        try:
            save_index(staged, merged.prepared, merged.documents, merged.fingerprint, merged.skipped,
                       merged.listing, merged.settings, merged.keys)
            with writing(path):
                current = load(path)
                if current is None or current.base != main.fingerprint:
                    return False
                os.replace(staged, index_path)
                save(path, rebase(current, taken, merged))
        finally:
            staged.unlink(missing_ok=True)
    log.info("merged %d sentences of changes into %s in %.1f s", len(taken), index_path,
             time.perf_counter() - started)
    return True


def start_merge(index_path: str | Path, minimum: int) -> subprocess.Popen | None:
    """Start `python -m qa merge` on the index saved at `index_path` (merge_saved), niced: the
    service's workers come first. None when it cannot be started (the segment is then merged
    by a later change's process, or at a restart)."""
    command = [sys.executable, "-m", "qa", "merge", str(index_path), "--min", str(minimum),
               "--niceness", str(MERGE_NICENESS), "--verbose"]  # (what it did, in the service's log)
    try:
        return subprocess.Popen(command, stdin=subprocess.DEVNULL, start_new_session=True,
                                cwd=Path(__file__).resolve().parents[2])
    except OSError as exc:
        log.warning("could not start merging the changes into %s: %s", index_path, exc)
        return None


# -- saved beside the main index: numpy arrays only, read with allow_pickle=False ------------------

def path_of(index_path: str | Path) -> Path:
    return Path(str(index_path) + ".segment")


def save(path: str | Path, segment: Segment) -> None:
    """Write atomically (a temporary file renamed into place)."""
    path = Path(path)
    arrays = {"format": np.array(FORMAT), "base": np.array(segment.base),
              "fingerprint": np.array(segment.fingerprint),
              "numbers": np.array([segment.dead, segment.serial], dtype=np.int64),
              "serials": np.array(segment.serials, dtype=np.int64),
              "keys": np.frombuffer(b"".join(segment.keys), dtype=np.uint8).reshape(-1, KEY_BYTES),
              "term_ids": segment.term_ids, "term_counts": segment.term_counts,
              "doc_lengths": segment.doc_lengths,
              "skipped": np.array(json.dumps(segment.skipped)),
              "file_sizes": np.array([s[0] if s else -1 for s in segment.files.values()], dtype=np.int64),
              "file_mtimes": np.array([s[1] if s else -1 for s in segment.files.values()], dtype=np.int64),
              "file_gone": np.array([s is None for s in segment.files.values()], dtype=bool)}
    for name in SENTENCE_COLUMNS:
        arrays["sentence_" + name] = getattr(segment.sentences, name)
    strings = {"removed": segment.removed, "terms": segment.terms, "file_names": list(segment.files)}
    for field in ("id", "text", "title", "path"):
        strings["document_" + field] = [getattr(d, field) for d in segment.documents]
    for field in ("date", "publisher"):  # None is saved as ""
        strings["document_" + field] = [getattr(d, field) or "" for d in segment.documents]
    words = sorted(set(segment.casing.upper) | set(segment.casing.lower))
    strings["casing_words"] = words
    arrays["casing_upper"] = np.array([segment.casing.upper[w] for w in words], dtype=np.int64)
    arrays["casing_lower"] = np.array([segment.casing.lower[w] for w in words], dtype=np.int64)
    for name, values in strings.items():
        packed = pack_strings(values)
        arrays[name + "_bytes"], arrays[name + "_offsets"] = packed["bytes"], packed["offsets"]
    content = [np.array(d.content, dtype=np.int64).reshape(-1, 2) for d in segment.documents]
    arrays["document_content"] = np.concatenate(content) if content else np.empty((0, 2), dtype=np.int64)
    arrays["document_content_counts"] = np.array([len(c) for c in content], dtype=np.int64)
    if segment.vectors is not None:
        arrays["vector_codes"], arrays["vector_scales"] = segment.vectors.codes, segment.vectors.scales
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            buffer = io.BytesIO()  # (one write of a small file)
            np.savez(buffer, **arrays)
            f.write(buffer.getvalue())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load(path: str | Path) -> Segment | None:
    """The segment saved at `path`; None without one, or when it cannot be read (the listing
    then finds what changed)."""
    try:
        with np.load(path, allow_pickle=False) as f:
            if str(f["format"]) != FORMAT:
                return None
            return _read(f)
    except (FileNotFoundError, *READ_ERRORS):
        return None


def _read(f) -> Segment:
    def strings(name: str) -> list[str]:
        return unpack_strings(f[name + "_bytes"], f[name + "_offsets"])

    fields = {name: strings("document_" + name)
              for name in ("id", "text", "title", "path", "date", "publisher")}
    bounds = np.r_[0, np.cumsum(f["document_content_counts"])].tolist()
    ranges = f["document_content"]
    pairs = list(zip(ranges[:, 0].tolist(), ranges[:, 1].tolist(), strict=True))
    documents = [Document(id=fields["id"][i], text=fields["text"][i], title=fields["title"][i],
                          date=fields["date"][i] or None, publisher=fields["publisher"][i] or None,
                          content=tuple(pairs[bounds[i]:bounds[i + 1]]), path=fields["path"][i])
                 for i in range(len(fields["id"]))]
    columns = [f["sentence_" + name].astype(t, copy=False) for name, t in zip(SENTENCE_COLUMNS, ARRAY_TYPES,
                                                                                strict=True)]
    casing = Casing()
    words = strings("casing_words")
    casing.upper = Counter(dict(zip(words, f["casing_upper"].tolist(), strict=True)))
    casing.lower = Counter(dict(zip(words, f["casing_lower"].tolist(), strict=True)))
    _drop_zeros(casing)
    vectors = SentenceVectors(f["vector_codes"], f["vector_scales"]) if "vector_codes" in f.files else None
    files = {name: None if gone else (size, mtime) for name, size, mtime, gone in zip(
        strings("file_names"), f["file_sizes"].tolist(), f["file_mtimes"].tolist(), f["file_gone"].tolist(),
        strict=True)}
    dead, serial = f["numbers"].tolist()
    packed = f["keys"].tobytes()
    keys = [packed[n * KEY_BYTES:(n + 1) * KEY_BYTES] for n in range(len(documents))]
    segment = Segment(str(f["base"]), strings("removed"), documents, keys, f["serials"].tolist(),
                      SentenceTable(documents, *columns), f["term_ids"], f["term_counts"], strings("terms"),
                      f["doc_lengths"], casing, vectors, files, json.loads(str(f["skipped"])),
                      str(f["fingerprint"]), dead, serial)
    if len(segment.term_counts) != len(segment.sentences) or int(segment.term_counts.sum()) != \
            len(segment.term_ids) or (vectors is not None and len(vectors) != len(segment.sentences)):
        raise ValueError("inconsistent: the segment's sentences, terms and vectors differ in number")
    return segment
