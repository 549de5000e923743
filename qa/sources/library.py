"""The writable data folder (QA_DATA_DIR): articles added while the service
runs, kept as .txt files beside the read-only sources folder, and the Library
that changes them (the one way in for the admin API, `python -m qa add` and
the tests).

Each change is one file written atomically (a temporary file, fsync, rename,
fsync of the folder), under an exclusive lock so that writers in different
processes take turns, and then announced by bumping the folder's generation
file, which every worker checks before answering. A `kill -9` at any point
leaves the old file or the new one, never half of one: a temporary file is
not a .txt file, so no listing ever sees it."""
from __future__ import annotations

import contextlib
import errno
import fcntl
import functools
import hashlib
import json
import logging
import os
import re
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import NamedTuple, Protocol

from .documents import Document, content_key, parse_document
from .locks import exclusive

log = logging.getLogger(__name__)

GENERATION = ".generation"
LOCK = ".lock"
# Ids are file names too: lower-case letters, digits, '-' and '_', 1-80 characters, not starting with '.'.
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,79}$")
MAX_SLUG_CHARS = 60


class Article(NamedTuple):
    id: str
    title: str
    date: str | None
    publisher: str | None
    text: str  # the article's body: paragraphs separated by a blank line


def slug(title: str) -> str:
    """An id made from a title: 'Wethouder Ivens treedt af' -> 'wethouder-ivens-treedt-af'."""
    import unicodedata

    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_title.lower())
    made = "-".join(words)[:MAX_SLUG_CHARS].rstrip("-")
    return made or "article"


def valid_id(source_id: str) -> bool:
    return bool(ID_PATTERN.match(source_id))


def render(article: Article) -> str:
    """The file's text: the date line the sources use, the title as the first
    paragraph, then the body (qa.sources.parse_document reads it back)."""
    head = f"date {article.date} " if article.date else ""
    # lower-case "bron:" is how qa.sources recognises the publisher's line
    publisher = f"\n\nbron: {article.publisher}" if article.publisher else ""
    return f"{head}{article.title.strip()}\n\n{article.text.strip()}{publisher}\n"


def content_hash(text: str) -> str:
    """Of the words only: the same article with other spacing is the same article (as
    documents.content_key digests a document's content)."""
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()


class DataFolder:
    def __init__(self, path: str | Path):
        self.path = Path(path)

    def file(self, source_id: str) -> Path:
        if not valid_id(source_id):
            raise ValueError(f"invalid id {source_id!r}: lower-case letters, digits, '-' and '_' only")
        return self.path / f"{source_id}.txt"

    def clean(self) -> int:
        """Remove what writers killed mid-write left: their temporary files (call at start)."""
        removed = 0
        for leftover in self.path.glob(".*.tmp"):
            leftover.unlink(missing_ok=True)
            removed += 1
        return removed

    def holds(self, source_id: str) -> bool:
        return valid_id(source_id) and self.file(source_id).is_file()

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """One writer at a time, across processes."""
        self.path.mkdir(parents=True, exist_ok=True)
        with exclusive(self.path / LOCK):
            yield

    def busy(self) -> bool:
        """Whether a writer holds the lock now (it will announce its change)."""
        try:
            with open(self.path / LOCK, "a+") as lock:
                try:
                    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    return True
                fcntl.flock(lock, fcntl.LOCK_UN)
                return False
        except OSError:
            return False

    def write(self, source_id: str, text: str) -> Path:
        """Write the file atomically (call inside `locked`)."""
        target = self.file(source_id)
        fd, tmp = tempfile.mkstemp(dir=self.path, prefix=f".{source_id}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self._sync_folder()
        return target

    def remove(self, source_id: str) -> bool:
        try:
            self.file(source_id).unlink()
        except FileNotFoundError:
            return False
        self._sync_folder()
        return True

    def _sync_folder(self) -> None:
        fd = os.open(self.path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def bump(self) -> None:
        """Tell every worker that the sources changed (call inside `locked`)."""
        fd, tmp = tempfile.mkstemp(dir=self.path, prefix=".generation.", suffix=".tmp")
        with os.fdopen(fd, "w") as f:
            f.write(str(self.generation() + 1))
        os.replace(tmp, self.path / GENERATION)

    def generation(self) -> int:
        """How many changes were announced; read before every answer (an open and a
        read of a few bytes: about 10 us)."""
        try:
            with open(self.path / GENERATION) as f:
                return int(f.read() or 0)
        except (FileNotFoundError, ValueError):
            return 0


# --- The Library: what the admin API, `python -m qa add` and the tests change the sources through ---

DATE = re.compile(r"^\d{4}-\d{2}(-\d{2})?$")
ID_RULE = "an id is 1-80 lower-case letters, digits, '-' or '_', not starting with '-' or '_'"
FULL = {errno.ENOSPC, errno.EDQUOT}
_NO_NUL = r"^[^\x00]*$"
_SOME_TEXT = r"^[^\x00]*[^\s\x00][^\x00]*$"  # something besides white space, and no NUL
# An article sent as JSON (the OpenAPI document shows this schema for POST/PUT /api/sources).
ARTICLE_SCHEMA = {
    "type": "object", "required": ["title", "text"], "additionalProperties": False,
    "properties": {
        "id": {"type": "string", "pattern": ID_PATTERN.pattern,
               "description": "default: made from the title; on PUT the URL's id is the id"},
        "title": {"type": "string", "maxLength": 500, "pattern": _SOME_TEXT},
        "date": {"type": ["string", "null"], "pattern": DATE.pattern},
        "publisher": {"type": ["string", "null"], "maxLength": 200, "pattern": _NO_NUL},
        "text": {"type": "string", "pattern": _SOME_TEXT,
                 "description": "paragraphs separated by a blank line"},
    },
}
JSON = "application/json"


class LibraryError(Exception):
    """A change refused or not made. `code` and `status` are what the admin API
    answers ({"error": {"code", "message"}} with that HTTP status) and what
    `python -m qa add` prints: one contract for every way in."""

    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


class Entry(NamedTuple):
    """A source as listed and as answered after a change."""
    id: str
    title: str
    date: str | None
    publisher: str | None
    sentences: int


class Split(Protocol):
    def sentences_of(self, doc_id: str) -> Sequence: ...  # a source's indexed sentences


class Indexed(Protocol):
    """What the Library reads of the engine that serves the sources (pipeline.engine.Engine)."""

    documents: Mapping[str, Document]  # by id, as indexed
    skipped: list[dict]  # the files that could not be read, with the reason
    corpus: Split

    def holding(self, key: bytes) -> list[str]: ...  # the sources whose content_key is `key`


class Served(Protocol):
    """What the Library needs of what serves the sources (web.store.Sources)."""

    data: DataFolder | None  # None: the sources cannot be changed
    engine: Indexed  # the engine served now (read inside `writing`)

    def current(self) -> Indexed: ...  # the engine to answer with (the newest)

    def writing(self) -> contextlib.AbstractContextManager[None]: ...  # one writer, in every process

    def share(self, source_id: str) -> None: ...  # tell other replicas (a search cluster)

    # rebuild; announce: tell the workers; changed: the files written or removed (only they are read)
    def reload(self, why: str, *, announce: bool = False,
               changed: Sequence[Path] | None = None) -> Indexed: ...


class Library:
    """Adding, replacing, deleting and listing the articles of the data folder:
    the checks, the naming and the writing. A change is written whole (or not
    at all) under the data folder's lock, the engine rebuilt and every worker
    told; what fails half-way is put back."""

    def __init__(self, served: Served, read_only_folder: str | Path, max_bytes: int):
        self.served = served
        self.read_only_folder = Path(read_only_folder)
        self.max_bytes = max_bytes

    @property
    def writable(self) -> bool:
        return self.served.data is not None

    def list(self) -> list[Entry]:
        engine = self.served.current()
        return [_entry(engine, doc_id) for doc_id in engine.documents]

    def read(self, media_type: str, body: bytes | Callable[[], bytes],
             fields: Mapping[str, str] | None = None, source_id: str | None = None) -> Article:
        """The article in `body`: JSON ({"id"?, "title", "date"?, "publisher"?, "text"}) or the
        document itself (text/plain, text/html, application/pdf) with `fields` (id, title, date,
        publisher) for what it does not say. `body` may be a function that reads it: a request's
        is read only once its kind and fields are accepted. `source_id`: the id it must have."""
        from . import extract

        query = fields or {}
        if "date" in query and not DATE.match(query["date"]):
            raise LibraryError("invalid_date", "date must be YYYY-MM-DD or YYYY-MM")
        if "id" in query and not valid_id(query["id"]):
            raise LibraryError("invalid_id", ID_RULE)
        media_type = media_type.lower()
        if media_type != JSON and media_type not in extract.CONTENT_TYPES:
            raise LibraryError(
                "unsupported_media_type",
                "send the article as application/json, text/plain, text/html or application/pdf", 415)
        raw = body() if callable(body) else body
        if len(raw) > self.max_bytes:  # (the API refuses it while reading: this is for the CLI)
            raise LibraryError("request_entity_too_large",
                               "The data value transmitted exceeds the capacity limit.", 413)
        if media_type == JSON:
            try:
                given = json.loads(raw)
            except ValueError:
                given = None
            if not isinstance(given, dict):
                raise LibraryError("invalid_json", "the request body is not a JSON object")
            error = next(iter(_article_validator().iter_errors(given)), None)
            if error is not None:
                where = "/".join(str(p) for p in error.absolute_path) or "body"
                raise LibraryError("invalid_request", f"{where}: {error.message[:200]}")
            meta, text = given, extract.Extracted(extract.paragraphs(given["text"]), None, None)
        else:
            meta = query
            try:
                text = extract.extract(raw, media_type)
            except extract.ExtractionError as exc:
                raise LibraryError("unreadable_document", str(exc), 422) from None
        for value in (*meta.values(), text.text):
            if isinstance(value, str) and ("\x00" in value or _has_surrogate(value)):
                raise LibraryError("invalid_text", "the article contains an invalid character")
        if not text.text.strip():
            raise LibraryError("empty_article", "the article has no text", 422)
        title = (meta.get("title") or text.title or "").strip() or _first_line(text.text)
        date = meta.get("date") or text.date
        if date is not None and not DATE.match(str(date)):
            raise LibraryError("invalid_date", "date must be YYYY-MM-DD or YYYY-MM")
        chosen = source_id or meta.get("id")
        if chosen is not None and not valid_id(chosen):
            raise LibraryError("invalid_id", ID_RULE)
        return Article(chosen or "", title, date, meta.get("publisher") or None, text.text)

    def add(self, article: Article, replace: bool = False) -> tuple[Entry, bool]:
        """Store `article` (an empty id: one made from its title) and serve it;
        (what it became, whether it is new). `replace`: an article of that id in
        the data folder is replaced rather than refused."""
        from ..index.cluster import SearchUnavailable  # (here: the cluster module imports this package)

        data = self._data()
        with _storage_errors(), self.served.writing():
            engine = self.served.engine
            if not article.id:
                base = slug(article.title)
                article = article._replace(id=base)
                n = 2
                while article.id in engine.documents or data.holds(article.id):
                    article, n = article._replace(id=f"{base}-{n}"), n + 1
            if self._read_only(article.id):
                raise LibraryError("read_only_source",
                                   f"{article.id!r} is in the read-only sources folder; change it there", 409)
            exists = data.holds(article.id)
            if exists and not replace:
                raise LibraryError("exists", f"a source with id {article.id!r} exists; "
                                             f"PUT /api/sources/{article.id} replaces it", 409)
            text = render(article)
            duplicate = _duplicate_of(engine, text, article.id)
            if duplicate is not None:
                raise LibraryError("duplicate", f"the same text is already source {duplicate!r}", 409)
            previous = data.file(article.id).read_text(encoding="utf-8") if exists else None
            data.write(article.id, text)  # whole or not at all: a failure here changed nothing
            with _storage_errors(undo=lambda: _put_back(data, article.id, previous)):
                try:
                    self.served.share(article.id)
                except SearchUnavailable:  # not shared, so not kept: the client is told to try again
                    _put_back(data, article.id, previous)
                    raise
                engine = self.served.reload(f"{article.id} added", announce=True,
                                            changed=[data.file(article.id)])
            if article.id not in engine.documents:  # written but refused on reading: put back what was there
                reason = next((s["reason"] for s in engine.skipped
                               if s["file"].endswith(f"/{article.id}.txt")), "")
                _put_back(data, article.id, previous)
                # (the 422 is the answer; a cluster lost just now leaves the other replicas a text they skip)
                with contextlib.suppress(SearchUnavailable):
                    self.served.share(article.id)
                self.served.reload(f"{article.id} put back", announce=True, changed=[data.file(article.id)])
                raise LibraryError("not_indexed", f"the article cannot be indexed: {reason}", 422)
        return _entry(engine, article.id), not exists

    def delete(self, source_id: str) -> None:
        from ..index.cluster import SearchUnavailable

        data = self._data()
        with _storage_errors(), self.served.writing():
            if not data.holds(source_id):
                if self._read_only(source_id):
                    raise LibraryError(
                        "read_only_source",
                        f"{source_id!r} is in the read-only sources folder; remove it there", 409)
                raise LibraryError("not_found", f"no source with id {source_id[:100]!r}", 404)
            previous = data.file(source_id).read_text(encoding="utf-8")
            data.remove(source_id)
            with _storage_errors(undo=lambda: _put_back(data, source_id, previous)):
                try:
                    self.served.share(source_id)
                except SearchUnavailable:
                    _put_back(data, source_id, previous)
                    raise
                self.served.reload(f"{source_id} deleted", announce=True, changed=[data.file(source_id)])

    def _data(self) -> DataFolder:
        if self.served.data is None:
            raise LibraryError("read_only", "this service has no writable data folder (QA_DATA_DIR)", 403)
        return self.served.data

    def _read_only(self, source_id: str) -> bool:
        return (self.read_only_folder / f"{source_id}.txt").exists()


@functools.cache
def _article_validator():
    from jsonschema import Draft202012Validator

    return Draft202012Validator(ARTICLE_SCHEMA)


def _entry(engine: Indexed, source_id: str) -> Entry:
    doc = engine.documents[source_id]
    return Entry(doc.id, doc.title, doc.date, doc.publisher, len(engine.corpus.sentences_of(doc.id)))


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _first_line(text: str) -> str:
    return text.strip().split("\n", 1)[0][:200]


def _duplicate_of(engine: Indexed, text: str, source_id: str) -> str | None:
    """Another source with the same content (documents.content_key): looked up, not compared
    with every source (that took 2 s at a million sentences)."""
    key = content_key(parse_document(source_id, text))
    return next((other for other in engine.holding(key) if other != source_id), None)


def _put_back(data: DataFolder, source_id: str, previous: str | None) -> None:
    if previous is None:
        data.remove(source_id)
    else:
        data.write(source_id, previous)


@contextlib.contextmanager
def _storage_errors(undo=None) -> Iterator[None]:
    """A data folder that cannot be written (full, read-only, gone) is a 507 or
    503 with what happened, never a 500; `undo` puts back what was written
    before the failure, so that nothing half-done stays."""
    try:
        yield
    except OSError as exc:
        log.warning("the data folder cannot be written: %s", exc)
        if undo is not None:
            try:
                undo()
            except OSError as again:
                log.error("could not put back the data folder as it was: %s", again)
        if exc.errno in FULL:
            raise LibraryError("insufficient_storage", "the data folder is full: the change was not made",
                               507) from None
        raise LibraryError(
            "data_folder_unwritable",
            f"the data folder cannot be written ({exc.strerror or exc}): the change was not made",
            503) from None
