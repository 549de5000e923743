"""The index stage, built once and saved: the sentences of a set of sources,
their BM25 index, the name statistics, the encoder vectors of the sentences
and of the vocabulary's words, in one numpy
`.npz` file read with allow_pickle=False (an index file from elsewhere can
hold data, never code).

The file records a fingerprint of the folder it was built from (each file's
name, size and modification time) and of the settings that shaped it; a
start loads it only when they match, updates it when a few files changed,
and rebuilds otherwise.
"""
from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import json
import logging
import mmap
import os
import zipfile
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..language.analysis import Analyzer
from ..language.neighbours import Vocabulary
from ..language.sentences import ARRAY_TYPES, SentenceTable, document_ranges
from ..language.spans import Casing
from ..semantic.encoders import SentenceEncoder
from ..semantic.vectors import SentenceVectors
from ..sources.documents import Document, SourceFile, content_key
from ..sources.locks import exclusive
from . import ingest
from .bm25 import BM25Index
from .packing import pack_strings, save_arrays, unpack_strings

log = logging.getLogger(__name__)

KEY_BYTES = 32  # a content key's (documents.content_key: SHA-256)
# Bump when the file layout or anything that changes the arrays changes.
FORMAT = "qa-index/9"  # 2: stemmed lemmas; 3: vocabulary vectors; 4: compound parts; 5: datelines cut;
# 6: separable verbs before a preposition and with "te"; 7: sentencex; 8: int8 sentence vectors;
# 9: strings packed with character offsets


@dataclass
class Prepared:
    """Everything the engine derives from its sources before the first question."""

    sentences: SentenceTable
    index: BM25Index
    casing: Casing
    vectors: SentenceVectors | None  # one per sentence; None without the encoder
    vocabulary: Vocabulary | None = None  # the sources' words and their vectors; None without the encoder


_NPY_HEADERS = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}


class MappedArrays(Mapping):
    """The arrays of a saved .npz, memory-mapped: np.savez stores each array
    uncompressed, so its bytes lie in the file as they are in memory and an
    array can be a view of the mapped file (no copy, pages read when used,
    and shared by every process that maps the file, gunicorn's workers
    included). Like np.load(allow_pickle=False), an array of Python objects
    is refused; a compressed member is read the ordinary way."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        with open(self.path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            self._map = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
        self._zip = zipfile.ZipFile(self.path)
        self._members = {info.filename.removesuffix(".npy"): info for info in self._zip.infolist()}
        self.files = list(self._members)

    def __getitem__(self, name: str) -> np.ndarray:
        info = self._members[name]
        if info.compress_type != zipfile.ZIP_STORED:
            return self._read(info)
        local = self._map[info.header_offset:info.header_offset + 30]
        if local[:4] != b"PK\x03\x04":
            raise ValueError(f"{name}: not a zip member where the directory says")
        start = info.header_offset + 30 + int.from_bytes(local[26:28], "little") + \
            int.from_bytes(local[28:30], "little")
        header = io.BytesIO(self._map[start:start + 65536 + 16])
        read_header = _NPY_HEADERS.get(np.lib.format.read_magic(header))
        if read_header is None:  # a newer .npy version: read it the ordinary way
            return self._read(info)
        shape, fortran, dtype = read_header(header)
        if dtype.hasobject:
            raise ValueError(f"{name}: an array of Python objects (refused, as allow_pickle=False does)")
        offset = start + header.tell()
        if offset + int(np.prod(shape)) * dtype.itemsize > len(self._map):
            raise ValueError(f"{name}: the file ends before the array does")
        return np.ndarray(shape, dtype, buffer=self._map, offset=offset, order="F" if fortran else "C")

    def _read(self, info: zipfile.ZipInfo) -> np.ndarray:
        with self._zip.open(info) as member:
            return np.lib.format.read_array(member, allow_pickle=False)

    def __iter__(self):
        return iter(self.files)

    def __len__(self) -> int:
        return len(self.files)

    def __enter__(self) -> MappedArrays:
        return self

    def __exit__(self, *exc) -> None:
        self._zip.close()  # the map stays while arrays use it


def _strings(arrays: dict, name: str, strings: Sequence[str]) -> None:
    packed = pack_strings(strings)
    arrays[name + "_bytes"], arrays[name + "_offsets"] = packed["bytes"], packed["offsets"]


def _unpacked(f, name: str) -> list[str]:
    return unpack_strings(f[name + "_bytes"], f[name + "_offsets"])


def folder_settings(semantic: bool, max_bytes: int) -> str:
    """The settings that shape a folder's index."""
    return f"{FORMAT}|nl|semantic={semantic}|max_bytes={max_bytes}"


def folder_fingerprint(files: Sequence[SourceFile], semantic: bool, max_bytes: int) -> str:
    """What a folder's index depends on, without reading a file: each file's
    name, size and modification time, and the settings."""
    listing = {f.name: (f.size, f.mtime_ns) for f in files}
    return listing_fingerprint(listing, folder_settings(semantic, max_bytes))


def listing_fingerprint(files: Mapping[str, tuple[int, int]], settings: str) -> str:
    """folder_fingerprint of a listing given as file name -> (size, mtime_ns): by name, so that a
    listing changed by a few files has the fingerprint of the folders listed again."""
    digest = hashlib.sha256(settings.encode())
    for name in sorted(files):
        size, mtime_ns = files[name]
        digest.update(f"{name}\0{size}\0{mtime_ns}\0".encode())
    return digest.hexdigest()


def prepare(documents: Sequence[Document], analyzer: Analyzer, encoder: SentenceEncoder | None) -> Prepared:
    built = ingest.build(documents, analyzer)
    vectors, vocabulary = vectors_of(built, encoder) if encoder else (None, None)
    return Prepared(built.sentences, built.index, built.casing, vectors, vocabulary)


def vectors_of(built: ingest.Built, encoder: SentenceEncoder) -> tuple[SentenceVectors, Vocabulary]:
    """The encoder's vectors of the sentences and of the vocabulary's words."""
    vectors = SentenceVectors.quantize(encoder.encode([s.text for s in built.sentences]))
    return vectors, Vocabulary.from_counts(built.words, encoder)


def save(path: str | Path, prepared: Prepared, documents: Sequence[Document], source_digest: str,
         skipped: Sequence[dict] = (), files: Sequence[SourceFile] = (), settings: str = "",
         keys: np.ndarray | None = None) -> None:
    """Write atomically (a temporary file renamed into place), so a reader
    never sees half a file. The documents are saved too (their text and what
    was read from it), so that a restart need not read the sources again, and
    their content keys (`keys`, one row of 32 bytes each: documents.content_key,
    made here when not given), so that an added article is checked against
    them without reading every document."""
    path = Path(path)
    s = prepared.sentences
    casing_words = sorted(set(prepared.casing.upper) | set(prepared.casing.lower))
    arrays = {
        "format": np.array(FORMAT), "fingerprint": np.array(source_digest),
        "sentence_doc": s.doc, "sentence_index": s.index, "sentence_start": s.start, "sentence_end": s.end,
        "sentence_kind": s.kind,
        "casing_upper": np.array([prepared.casing.upper[w] for w in casing_words], dtype=np.int32),
        "casing_lower": np.array([prepared.casing.lower[w] for w in casing_words], dtype=np.int32),
        "skipped": np.array(json.dumps(list(skipped))),
        **{"index_" + k: v for k, v in prepared.index.arrays().items()},
    }
    _strings(arrays, "casing_words", casing_words)
    # the folder listing it was built from, for an update that reads only what changed
    arrays["settings"] = np.array(settings)
    _strings(arrays, "file_names", [f.name for f in files])
    arrays["file_sizes"] = np.array([f.size for f in files], dtype=np.int64)
    arrays["file_mtimes"] = np.array([f.mtime_ns for f in files], dtype=np.int64)
    for name in ("id", "text", "title", "path"):
        _strings(arrays, "document_" + name, [getattr(d, name) for d in documents])
    for name in ("date", "publisher"):  # None is saved as ""
        _strings(arrays, "document_" + name, [getattr(d, name) or "" for d in documents])
    content = [np.array(d.content, dtype=np.int64).reshape(-1, 2) for d in documents]
    arrays["document_content"] = np.concatenate(content) if content else np.empty((0, 2), dtype=np.int64)
    arrays["document_content_counts"] = np.array([len(c) for c in content], dtype=np.int64)
    given = keys is not None and len(keys) == len(documents)
    arrays["document_keys"] = keys if given else content_keys(documents)
    if prepared.vectors is not None:
        arrays["vector_codes"], arrays["vector_scales"] = prepared.vectors.codes, prepared.vectors.scales
        arrays["vector_source"] = np.array(prepared.vectors.source)  # "" the encoder, or a static model
    if prepared.vocabulary is not None:
        _strings(arrays, "vocabulary_words", prepared.vocabulary.words)
        arrays["vocabulary_vectors"] = prepared.vocabulary.vectors
    save_arrays(path, arrays)


@contextlib.contextmanager
def writing(path: str | Path) -> Iterator[None]:
    """One writer of the saved index at a time, across processes: a service
    that saved an added article and the background encoder that saves its
    vectors read the file and write it again inside this, so that neither
    writes over what the other just saved."""
    lock_file = Path(str(path) + ".lock")
    try:
        lock_file.parent.mkdir(parents=True, exist_ok=True)
        lock_file.touch()
    except OSError:  # nowhere to write: no save will happen either (it fails, and is logged)
        yield
        return
    with exclusive(lock_file):
        yield


def identity(path: str | Path) -> tuple[int, int, int] | None:
    """(inode, size, mtime) of the saved file, None without one: a save
    replaces the file, so a changed identity means someone saved since."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_ino, stat.st_size, stat.st_mtime_ns


READ_ERRORS = (OSError, EOFError, ValueError, KeyError, IndexError, zipfile.BadZipFile)


@dataclass
class Saved:
    """A folder's saved index, with what it was built from."""

    documents: list[Document]
    skipped: list[dict]
    prepared: Prepared
    fingerprint: str  # folder_fingerprint of the listing it was built from
    files: dict[str, tuple[int, int]]  # file name -> (size, mtime_ns) when read
    settings: str = ""
    keys: np.ndarray | None = None  # the documents' content keys (save), when known

    def holding(self, key: bytes) -> list[int]:
        """The documents (numbers) whose content key is `key` (the keys made now if not known)."""
        return self._by_key.get(key, [])

    @functools.cached_property
    def _by_key(self) -> dict[bytes, list[int]]:
        if self.keys is None:
            self.keys = content_keys(self.documents)
        found: dict[bytes, list[int]] = {}
        packed = self.keys.tobytes()
        for n in range(len(self.keys)):
            found.setdefault(packed[n * KEY_BYTES:(n + 1) * KEY_BYTES], []).append(n)
        return found

    @property
    def listing(self) -> list[SourceFile]:
        """The files as listed when the index was built (for saving it again)."""
        return [SourceFile(Path("."), name, size, mtime) for name, (size, mtime) in self.files.items()]

    @functools.cached_property
    def ranges(self) -> dict[str, tuple[int, int]]:
        """Each document's sentences, [first, end) by id."""
        return document_ranges(self.prepared.sentences)

    @functools.cached_property
    def by_file(self) -> dict[str, int]:
        """The file name each document was read from -> its number in `documents`."""
        return {file_name(d): n for n, d in enumerate(self.documents)}


def load_folder(path: str | Path, settings: str | None = None) -> Saved | None:
    """The documents, skipped files and index saved at `path` from a folder,
    when they were built with these settings (folder_settings; None: any);
    else None, with the reason in the log."""
    try:
        with _opened(path) as f:
            saved_settings = str(f["settings"]) if "settings" in f.files else ""
            if str(f["format"]) != FORMAT or (settings is not None and saved_settings != settings):
                log.info("saved index %s is for other settings: rebuilding", path)
                return None
            documents = _documents(f)
            stats = zip(f["file_sizes"].tolist(), f["file_mtimes"].tolist(), strict=True)
            files = dict(zip(_unpacked(f, "file_names"), stats, strict=True))
            keys = f["document_keys"] if "document_keys" in f.files else None
            if keys is not None and keys.shape != (len(documents), KEY_BYTES):
                raise ValueError("the saved content keys do not fit the documents")
            return Saved(documents, json.loads(str(f["skipped"])), _prepared(f, documents),
                         str(f["fingerprint"]), files, saved_settings, keys)
    except FileNotFoundError:
        log.info("no saved index at %s", path)
    except READ_ERRORS as exc:
        log.warning("saved index %s is unreadable (%s): rebuilding", path, exc)
    return None


def content_keys(documents: Sequence[Document]) -> np.ndarray:
    """The documents' content keys, a row of KEY_BYTES each."""
    return np.frombuffer(b"".join(content_key(d) for d in documents), dtype=np.uint8).reshape(-1, KEY_BYTES)


def saved_keys(path: str | Path, fingerprint: str) -> np.ndarray | None:
    """The content keys saved at `path` with the index of `fingerprint` (a forked saver may have
    made them after this process built the index); None when not there."""
    try:
        with _opened(path) as f:
            if str(f["fingerprint"]) == fingerprint and "document_keys" in f.files:
                return f["document_keys"]
    except READ_ERRORS:
        pass
    return None


def fingerprint_of(path: str | Path) -> str | None:
    """The fingerprint of the index saved at `path` (its members are not read), None without one."""
    try:
        with _opened(path) as f:
            return str(f["fingerprint"])
    except READ_ERRORS:
        return None


def load_vectors(path: str | Path, fingerprint: str) -> tuple[SentenceVectors, Vocabulary] | None:
    """The sentence and vocabulary vectors saved at `path`, when it holds them
    for the sources with this fingerprint; else None."""
    with _opened(path) as f:
        if str(f["fingerprint"]) != fingerprint:
            return None
        return _vectors(f)


def _opened(path: str | Path) -> MappedArrays:
    if not Path(path).exists():
        raise FileNotFoundError(path)
    return MappedArrays(path)


def _prepared(f: MappedArrays, documents: Sequence[Document]) -> Prepared:
    """The index in an opened saved file; ValueError when its parts do not fit."""
    index = BM25Index.from_arrays({k.removeprefix("index_"): f[k] for k in f.files
                                   if k.startswith("index_")})
    columns = zip(("doc", "index", "start", "end", "kind"), ARRAY_TYPES, strict=True)
    sentences = SentenceTable(documents, *(f["sentence_" + name].astype(t, copy=False) for name, t in
                                           columns))
    if len(sentences) and (sentences.doc.min() < 0 or sentences.doc.max() >= len(documents)):
        raise ValueError("sentences of documents that are not there")
    casing = Casing(())
    words = _unpacked(f, "casing_words")
    casing.upper = Counter(dict(zip(words, f["casing_upper"].tolist(), strict=True)))
    casing.lower = Counter(dict(zip(words, f["casing_lower"].tolist(), strict=True)))
    vectors, vocabulary = _vectors(f) or (None, None)
    if len(sentences) != index.N or (vectors is not None and len(vectors) != index.N):
        raise ValueError("inconsistent: the sentences, the index and the vectors differ in number")
    return Prepared(sentences, index, casing, vectors, vocabulary)


def _vectors(f: MappedArrays) -> tuple[SentenceVectors, Vocabulary] | None:
    """The sentence vectors and the vocabulary's (saved together), or None."""
    if "vector_codes" not in f.files:
        return None
    vocabulary = Vocabulary(_unpacked(f, "vocabulary_words"), f["vocabulary_vectors"])
    if len(vocabulary.words) != len(vocabulary.vectors):
        raise ValueError("inconsistent: the vocabulary's words and vectors differ in number")
    source = str(f["vector_source"]) if "vector_source" in f.files else ""
    return SentenceVectors(f["vector_codes"], f["vector_scales"], source), vocabulary


def file_name(document: Document) -> str:
    """The name of the file a document was read from."""
    # os.path, not Path: 80,000 Paths took 0.7 s of an update at 1M sentences
    return os.path.basename(document.path) if document.path else document.id + ".txt"


def _documents(f) -> list[Document]:
    fields = {name: _unpacked(f, "document_" + name)
              for name in ("id", "text", "title", "path", "date", "publisher")}
    counts = f["document_content_counts"].tolist()
    bounds = np.r_[0, np.cumsum(counts)].tolist()
    ranges = f["document_content"]
    content = list(zip(ranges[:, 0].tolist(), ranges[:, 1].tolist(), strict=True))
    return [Document(id=fields["id"][i], text=fields["text"][i], title=fields["title"][i],
                     date=fields["date"][i] or None, publisher=fields["publisher"][i] or None,
                     content=tuple(content[bounds[i]:bounds[i + 1]]), path=fields["path"][i])
            for i in range(len(counts))]
