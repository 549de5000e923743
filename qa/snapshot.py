"""The index stage, built once and saved: the sentences of a set of sources,
their BM25 index, the name statistics, the encoder vectors of the sentences
and of the vocabulary's words, in one numpy
`.npz` file read with allow_pickle=False (an index file from elsewhere can
hold data, never code).

The file records a fingerprint of the sources' text and of the settings that
shaped it; an engine loads it only when the fingerprint matches its sources,
and rebuilds otherwise.
"""
from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import zipfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .analysis import Analyzer
from .answer import Casing
from .index import BM25Index
from .neighbours import Vocabulary
from .semantic import SentenceEncoder
from .sentences import Sentence, split_document
from .sources import Document

log = logging.getLogger(__name__)

# Bump when the file layout or anything that changes the arrays changes.
FORMAT = "qa-index/6"  # 2: stemmed lemmas; 3: vocabulary vectors; 4: compound parts; 5: datelines cut;
# 6: separable verbs before a preposition and with "te"
KINDS = ("sentence", "heading", "timeline")


@dataclass
class Prepared:
    """Everything the engine derives from its sources before the first question."""

    sentences: list[Sentence]
    index: BM25Index
    casing: Casing
    vectors: np.ndarray | None  # unit vectors, one row per sentence; None without the encoder
    vocabulary: Vocabulary | None = None  # the sources' words and their vectors; None without the encoder


def fingerprint(documents: Sequence[Document], analyzer: Analyzer, semantic: bool) -> str:
    digest = hashlib.sha256(f"{FORMAT}|{analyzer.language}|semantic={semantic}".encode())
    for d in documents:
        digest.update(d.id.encode() + b"\0" + d.text.encode() + b"\0")
    return digest.hexdigest()


def prepare(documents: Sequence[Document], analyzer: Analyzer,
            encoder: SentenceEncoder | None) -> Prepared:
    sentences = [s for d in documents for s in split_document(d)]
    analysed = [analyzer.index_terms(s.text) for s in sentences]
    index = BM25Index([a.terms for a in analysed], doc_lengths=[a.length for a in analysed])
    casing = Casing(s.text for s in sentences)
    vectors = encoder.encode([s.text for s in sentences]) if encoder else None
    vocabulary = Vocabulary.build((s.text for s in sentences), analyzer, encoder) if encoder else None
    return Prepared(sentences, index, casing, vectors, vocabulary)


def save(path: str | Path, prepared: Prepared, documents: Sequence[Document], source_digest: str) -> None:
    """Write atomically (a temporary file renamed into place), so a reader
    never sees half a file."""
    path = Path(path)
    doc_number = {d.id: i for i, d in enumerate(documents)}
    s = prepared.sentences
    casing_words = sorted(set(prepared.casing.upper) | set(prepared.casing.lower))
    arrays = {
        "format": np.array(FORMAT), "fingerprint": np.array(source_digest),
        "sentence_doc": np.array([doc_number[x.doc_id] for x in s], dtype=np.int32),
        "sentence_index": np.array([x.index for x in s], dtype=np.int32),
        "sentence_start": np.array([x.start for x in s], dtype=np.int64),
        "sentence_end": np.array([x.end for x in s], dtype=np.int64),
        "sentence_kind": np.array([KINDS.index(x.kind) for x in s], dtype=np.int8),
        "casing_words": np.array(casing_words, dtype=str),
        "casing_upper": np.array([prepared.casing.upper[w] for w in casing_words], dtype=np.int32),
        "casing_lower": np.array([prepared.casing.lower[w] for w in casing_words], dtype=np.int32),
        **{"index_" + k: v for k, v in prepared.index.arrays().items()},
    }
    if prepared.vectors is not None:
        arrays["vectors"] = prepared.vectors
    if prepared.vocabulary is not None:
        arrays["vocabulary_words"] = np.array(prepared.vocabulary.words, dtype=str)
        arrays["vocabulary_vectors"] = prepared.vocabulary.vectors
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load(path: str | Path, documents: Sequence[Document], source_digest: str) -> Prepared | None:
    """The saved index if it exists, is readable and was built from these
    sources with these settings; otherwise None, with the reason in the log."""
    path = Path(path)
    if not path.exists():
        log.info("no saved index at %s", path)
        return None
    try:
        with np.load(path, allow_pickle=False) as f:
            if str(f["format"]) != FORMAT or str(f["fingerprint"]) != source_digest:
                log.info("saved index %s is for other sources or settings: rebuilding", path)
                return None
            index = BM25Index.from_arrays({k.removeprefix("index_"): f[k] for k in f.files
                                           if k.startswith("index_")})
            sentences = []
            for doc, idx, start, end, kind in zip(f["sentence_doc"].tolist(), f["sentence_index"].tolist(),
                                                  f["sentence_start"].tolist(), f["sentence_end"].tolist(),
                                                  f["sentence_kind"].tolist(), strict=True):
                d = documents[doc]
                sentences.append(Sentence(d.id, idx, start, end, d.text[start:end], KINDS[kind]))
            casing = Casing(())
            words = f["casing_words"].tolist()
            casing.upper = Counter(dict(zip(words, f["casing_upper"].tolist(), strict=True)))
            casing.lower = Counter(dict(zip(words, f["casing_lower"].tolist(), strict=True)))
            vectors = f["vectors"] if "vectors" in f.files else None
            vocabulary = None
            if "vocabulary_words" in f.files:
                vocabulary = Vocabulary(f["vocabulary_words"].tolist(), f["vocabulary_vectors"])
    except (OSError, EOFError, ValueError, KeyError, IndexError, zipfile.BadZipFile) as exc:
        log.warning("saved index %s is unreadable (%s): rebuilding", path, exc)
        return None
    if len(sentences) != index.N or (vectors is not None and len(vectors) != index.N) or \
            (vocabulary is not None and len(vocabulary.words) != len(vocabulary.vectors)) or \
            ((vectors is None) != (vocabulary is None)):
        log.warning("saved index %s is inconsistent: rebuilding", path)
        return None
    return Prepared(sentences, index, casing, vectors, vocabulary)
