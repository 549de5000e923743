"""Stage 1 (docs/architecture.md): read a folder of news articles (.txt) into documents with metadata.

Each document keeps its original text untouched, so that character offsets
computed later always point into exactly what is on disk. Metadata (date,
title, publisher) is read from the text by general rules, and the part of the
text that is page furniture (teasers after a keyword list, photo credits) is
marked so that later stages leave it out of the index.
"""
from __future__ import annotations

import hashlib
import logging
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

# A leading " date 2021-07" marker written by the crawler that collected the
# articles; it is metadata, not article text.
DATE_PREFIX = re.compile(r"^\s*date\s+(\d{4}-\d{2}(?:-\d{2})?)\s*")
# A line holding only a dd.mm.yy(yy) date, as many Dutch sites print it.
DATE_LINE = re.compile(r"^\s*(\d{1,2})[.\-/](\d{1,2})[.\-/](\d{2}|\d{4})\s*$", re.M)
# Headings after which a news page lists tags and unrelated article teasers.
# Everything from such a line on is page furniture, in any article.
FURNITURE_START = re.compile(
    r"^\s*(trefwoorden|tags|lees ook|lees meer|meer nieuws|meer over dit onderwerp|"
    r"gerelateerde artikelen|gerelateerd|related articles|read more|deel dit artikel|"
    r"share this article)\s*:?\s*$",
    re.I | re.M,
)
# Lines that credit a photo rather than say anything ("Foto: X", "Beeld X").
CREDIT_LINE = re.compile(r"^\s*(foto|beeld|image|photo|illustratie)\b[:\s][^\n]{0,80}$", re.I)
# "Dit artikel is afkomstig uit Het Parool", "Bron: NOS", "(c) de Volkskrant".
PUBLISHER = re.compile(
    r"(?:afkomstig uit|overgenomen uit|verscheen eerder in|bron:|source:)\s+"
    r"((?:[A-Z][\w'&-]*|de|het|van)(?:\s+(?:[A-Z][\w'&-]*|de|het|van))*)"
)

MAX_TITLE_CHARS = 200


@dataclass(frozen=True)
class Document:
    """One source article. `text` is the file's text exactly as read."""

    id: str
    text: str
    title: str
    date: str | None
    publisher: str | None = None
    # Character ranges of `text` that are article content (furniture excluded).
    content: tuple[tuple[int, int], ...] = field(default=())
    path: str = ""


def content_key(doc: Document) -> bytes:
    """What makes two articles the same: the words of their content (title and paragraphs, without
    the date line or page furniture), white space aside; a SHA-256 digest of them."""
    return hashlib.sha256(" ".join(" ".join(doc.text[a:b] for a, b in doc.content).split()).encode()).digest()


# A news article is tens of kilobytes; a file far beyond that is not one (and
# sentence splitting it would hold up the start).
MAX_SOURCE_BYTES = 10 * 2**20


class SourceError(Exception):
    """The sources folder itself cannot be used (missing, not a folder)."""


def read_document(path: Path, max_bytes: int = MAX_SOURCE_BYTES) -> Document:
    """Read one article file; raises OSError / UnicodeDecodeError if unreadable
    and ValueError if it is too large or not text."""
    size = path.stat().st_size
    if size > max_bytes:
        raise ValueError(f"too large: {size:,} bytes (the limit is {max_bytes:,}; QA_MAX_SOURCE_BYTES)")
    text = path.read_text(encoding="utf-8")
    if "\x00" in text:
        raise ValueError("not a text file (it holds NUL bytes)")
    return parse_document(path.stem, text, path=str(path))


def parse_document(doc_id: str, text: str, path: str = "") -> Document:
    content_start, content_end = 0, len(text)
    date = None
    prefix = DATE_PREFIX.match(text)
    if prefix:
        date = prefix.group(1)
        content_start = prefix.end()
    furniture = FURNITURE_START.search(text, content_start)
    if furniture:
        content_end = furniture.start()
    if date is None:
        date = _date_from_line(text[content_start:content_end])
    ranges = _content_ranges(text, content_start, content_end)
    title = _title(text, ranges)
    publisher_match = PUBLISHER.search(text, content_start, content_end)
    publisher = publisher_match.group(1).strip() if publisher_match else None
    return Document(id=doc_id, text=text, title=title, date=date, publisher=publisher,
                    content=tuple(ranges), path=path)


def _date_from_line(text: str) -> str | None:
    for m in DATE_LINE.finditer(text):
        day, month, year = int(m.group(1)), int(m.group(2)), m.group(3)
        if len(year) == 2:
            year = "20" + year
        if 1 <= day <= 31 and 1 <= month <= 12:
            return f"{year}-{month:02d}-{day:02d}"
    return None


def _content_ranges(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Split [start, end) into line ranges, dropping date lines and photo credits."""
    ranges: list[tuple[int, int]] = []
    pos = start
    for line in text[start:end].splitlines(keepends=True):
        line_start, line_end = pos, pos + len(line.rstrip("\r\n"))
        pos += len(line)
        body = text[line_start:line_end]
        if not body.strip() or DATE_LINE.fullmatch(body) or CREDIT_LINE.match(body):
            continue
        ranges.append((line_start, line_end))
    return ranges


def _title(text: str, ranges: list[tuple[int, int]]) -> str:
    """The first line when it reads as a headline, else its first sentence."""
    if not ranges:
        return ""
    first = text[ranges[0][0]:ranges[0][1]].strip()
    sentence_end = re.search(r"(?<=[.!?])\s", first)
    if sentence_end:
        first = first[: sentence_end.start()]
    if len(first) > MAX_TITLE_CHARS:
        first = first[:MAX_TITLE_CHARS].rsplit(" ", 1)[0] + "…"
    return first


@dataclass(frozen=True)
class SourceFile:
    """A source file as listed: what tells whether it changed since it was indexed."""

    folder: Path
    name: str
    size: int
    mtime_ns: int

    @property
    def path(self) -> Path:
        return self.folder / self.name  # made when asked for: 40,000 Paths cost 0.4 s of a restart


def list_sources(folder: str | Path) -> list[SourceFile]:
    """The .txt files of `folder`, by name."""
    folder = Path(folder)
    if not folder.is_dir():
        raise SourceError(f"sources folder {str(folder)!r} does not exist or is not a folder")
    files = []
    # os.scandir and names sorted as strings: Path.glob and sorting Paths took 0.9 s for 40,000 files
    with os.scandir(folder) as entries:
        found = sorted((e.name, e) for e in entries if e.name.endswith(".txt"))
    for name, entry in found:
        try:
            stat = entry.stat()  # follows links, as reading does
        except OSError:  # unreadable (a broken link, say): reading it says why
            files.append(SourceFile(folder, name, -1, -1))
            continue
        files.append(SourceFile(folder, name, stat.st_size, stat.st_mtime_ns))
    return files


def list_folders(folders: Sequence[str | Path]) -> tuple[list[SourceFile], list[dict]]:
    """The .txt files of several folders (the read-only sources, then the
    writable data folder). A file name is an article's id, so a name found in
    an earlier folder wins and the later file is skipped, with the reason."""
    files, skipped, seen = [], [], {}
    for folder in folders:
        for f in list_sources(folder):
            if f.name in seen:
                reason = f"an article with this id is in {seen[f.name]}"
                skipped.append({"file": str(f.path), "reason": reason})
                continue
            seen[f.name] = str(folder)
            files.append(f)
    return files, skipped


def read_sources(files: Sequence[SourceFile],
                 max_bytes: int = MAX_SOURCE_BYTES) -> tuple[list[Document], list[dict]]:
    """Read the files. Returns (documents, skipped), where each skipped entry
    names the file and the reason; one bad file never stops the rest."""
    documents, skipped = [], []
    for file in files:
        path = file.path
        try:
            doc = read_document(path, max_bytes)
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            reason = type(exc).__name__ + ": " + str(exc)[:200]
            log.warning("skipping source %s: %s", path.name, reason)
            skipped.append({"file": path.name, "reason": reason})
            continue
        if not doc.content:
            log.warning("skipping source %s: no text", path.name)
            skipped.append({"file": path.name, "reason": "no text"})
            continue
        documents.append(doc)
    return documents, skipped


def load_sources(folder: str | Path, max_bytes: int = MAX_SOURCE_BYTES) -> tuple[list[Document], list[dict]]:
    """Read every .txt file in `folder` (see read_sources)."""
    documents, skipped = read_sources(list_sources(folder), max_bytes)
    if not documents:
        log.warning("no readable .txt sources in %s: every question will be answered with null", folder)
    return documents, skipped
