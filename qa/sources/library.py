"""The writable data folder (QA_DATA_DIR): articles added while the service
runs, kept as .txt files beside the read-only sources folder.

Each change is one file written atomically (a temporary file, fsync, rename,
fsync of the folder), under an exclusive lock so that writers in different
processes take turns, and then announced by bumping the folder's generation
file, which every worker checks before answering. A `kill -9` at any point
leaves the old file or the new one, never half of one: a temporary file is
not a .txt file, so no listing ever sees it."""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

from .locks import exclusive

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
    """Of the words only: the same article with other spacing is the same article."""
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
