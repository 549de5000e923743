"""The text of an article handed in as plain text, HTML or PDF.

HTML goes through trafilatura (the page's main text, title and date; menus,
cookie banners, footers and scripts left out), PDF through pypdf (the text of
each page). What comes out is what is stored and what offsets refer to."""
from __future__ import annotations

import io
import logging
import re
from typing import NamedTuple

log = logging.getLogger(__name__)

PLAIN, HTML, PDF = "text/plain", "text/html", "application/pdf"
CONTENT_TYPES = (PLAIN, HTML, PDF)


class Extracted(NamedTuple):
    text: str  # paragraphs separated by a blank line
    title: str | None
    date: str | None  # YYYY-MM-DD or YYYY-MM, when the document says


class ExtractionError(ValueError):
    """The document is not what it claims to be, or holds no text; the message says which."""


def extract(body: bytes, content_type: str) -> Extracted:
    """The article in `body`, read as `content_type` (one of CONTENT_TYPES)."""
    if content_type == PLAIN:
        return Extracted(paragraphs(_decode(body)), None, None)
    if content_type == HTML:
        return _html(_decode(body))
    if content_type == PDF:
        return _pdf(body)
    raise ValueError(f"unsupported content type {content_type!r}; one of: {', '.join(CONTENT_TYPES)}")


def _decode(body: bytes) -> str:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ExtractionError(f"the text is not valid UTF-8 (byte {exc.start})") from None
    if "\x00" in text:
        raise ExtractionError("the text holds NUL bytes: not a text document")
    return text.lstrip("\ufeff")


def paragraphs(text: str) -> str:
    """Paragraphs separated by one blank line, each with its lines joined as written."""
    blocks = re.split(r"\n\s*\n", text.replace("\r\n", "\n").replace("\r", "\n"))
    return "\n\n".join(b.strip() for b in blocks if b.strip())


def _html(html: str) -> Extracted:
    import trafilatura  # imported on first use: only adding an HTML page needs it

    document = trafilatura.bare_extraction(html, with_metadata=True, include_comments=False,
                                           include_tables=False)
    text = document.text if document is not None else ""
    if not text or not text.strip():
        raise ExtractionError("no article text found in the HTML")
    title = (document.title or "").strip() or None
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    if title and lines and lines[0] == title:
        lines = lines[1:]  # the headline is stored once, as the title
    return Extracted("\n\n".join(lines), title, document.date or None)


def _pdf(body: bytes) -> Extracted:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    if not body.startswith(b"%PDF-"):
        raise ExtractionError("not a PDF (it does not start with %PDF-)")
    try:
        reader = PdfReader(io.BytesIO(body))
        pages = [page.extract_text() or "" for page in reader.pages]
        title = (reader.metadata.title if reader.metadata else None) or None
    except (PyPdfError, ValueError, KeyError, TypeError, OSError) as exc:
        raise ExtractionError(f"the PDF cannot be read: {str(exc)[:200]}") from None
    text = paragraphs("\n\n".join(pages))
    if not text:
        raise ExtractionError("the PDF holds no text (a scan without a text layer?)")
    return Extracted(text, title.strip() if title and title.strip() else None, None)
