"""Stage 2: split documents into citable sentences with exact character offsets.

Each content line is a paragraph. Headings (short lines without final
punctuation) and timeline items ("- Oktober 2020: ...") are units of their own;
other paragraphs are split with pysbd, a rule-based splitter that needs no
downloaded data, after a dateline ("DEN HAAG - ") is cut off. Offsets are
found by locating each sentence in the original text, so
`document.text[start:end] == sentence.text` always holds.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import pysbd

from .sources import Document

TIMELINE_ITEM = re.compile(r"^\s*[-–•*]\s+")
# A dateline opening a paragraph: "DEN HAAG - ", "AMSTERDAM (ANP) – ". It says
# where the story was filed, not what happened, and is not cited with the
# first sentence (nor read as a name).
DATELINE = re.compile(r"^\s*[A-Z][A-Z'.-]+(?:\s+[A-Z][A-Z'.-]+)*(?:\s+\([A-Za-z]+\))?\s+[-–—]\s+")
HEADING_MAX_CHARS = 80
# Characters that may close a sentence, including closing quotes.
CLOSING = ".!?:;…\"”’'»)"


@dataclass(frozen=True)
class Sentence:
    doc_id: str
    index: int  # position of the sentence in its document, from 0
    start: int  # character offsets in Document.text
    end: int
    text: str
    kind: str  # "sentence", "heading" or "timeline"


@lru_cache(maxsize=4)
def _segmenter(language: str) -> pysbd.Segmenter:
    return pysbd.Segmenter(language=language, clean=False)


def split_document(doc: Document, language: str = "nl") -> list[Sentence]:
    sentences: list[Sentence] = []
    for para_start, para_end in doc.content:
        for start, end, kind in _split_paragraph(doc.text, para_start, para_end, language):
            sentences.append(Sentence(doc.id, len(sentences), start, end, doc.text[start:end], kind))
    return sentences


def _split_paragraph(text: str, start: int, end: int, language: str):
    para = text[start:end]
    bullet = TIMELINE_ITEM.match(para)
    if bullet:
        yield _trim(text, start + bullet.end(), end) + ("timeline",)
        return
    stripped = para.strip()
    if len(stripped) <= HEADING_MAX_CHARS and not stripped.endswith(tuple(CLOSING)):
        yield _trim(text, start, end) + ("heading",)
        return
    dateline = DATELINE.match(para)
    if dateline:
        start, para = start + dateline.end(), para[dateline.end():]
    cursor = start
    for piece in _segmenter(language).segment(para):
        piece = piece.strip()
        if not piece:
            continue
        found = text.find(piece, cursor, end)
        if found < 0:  # the splitter changed the text: fall back to the whole rest
            yield _trim(text, cursor, end) + ("sentence",)
            return
        cursor = found + len(piece)
        yield found, cursor, "sentence"


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
