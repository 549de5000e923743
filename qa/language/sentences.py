"""Stage 2 (docs/architecture.md): split documents into citable sentences with exact character offsets.

Each content line is a paragraph. Headings (short lines without final
punctuation) and timeline items ("- Oktober 2020: ...") are units of their own;
other paragraphs are split with sentencex (Wikimedia's rule-based splitter,
compiled, linear in the length of the text, no downloaded data), after a
dateline ("DEN HAAG - ") is cut off. Its pieces cover the paragraph end to
end, so offsets are running sums of their lengths and
`document.text[start:end] == sentence.text` always holds.

sentencex breaks after every full stop its Dutch abbreviation list lacks
("o.a.", "mln.", the initial in "A. de Vries"); JOIN_RULES put such pieces
back together, and BREAK_RULES cut where it runs on. Measured against pysbd,
the splitter used before, on every paragraph of the seeds, our news sets and
the XQuAD-nl sources longer than 80 characters: the same sentences in 247 of
254 paragraphs (most of the other 7 now split better: "de St. Johns River",
"zegt Dr. Who"); pysbd 411 sentences/s, sentencex about 980,000, with the
rules about 160,000.
"""
from __future__ import annotations

import operator
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import overload

import numpy as np
import sentencex
import simplemma

from ..sources.documents import Document

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
    kind: str  # one of KINDS: "sentence", "heading" or "timeline"


# When two of sentencex's pieces are one sentence: (what the first ends with,
# what the next starts with). A sentence never starts in lower case ("1,5
# mln. | euro"); an initial or a dotted abbreviation ("A. | de Vries",
# "o.a. | Jansen") does not end one.
# None: anything. They look at TAIL characters either side of the break.
TAIL = 16
JOIN_RULES = (
    ("lower case next", None, re.compile(r"[\s\"'“‘(]*[a-zà-ÿ]")),
    ("initial", re.compile(r"(?:^|[\s(])[^\W\d_]\.\s*$"), None),
    ("dotted abbreviation", re.compile(r"(?:^|[\s(])(?:[^\W\d_]\.){2,}\s*$"), None),
)


# Where a sentence starts that sentencex runs on past: (name, pattern whose
# match ends at the break, condition on the match or None). The opening quote
# Dutch newspapers print as two commas (",,Klanten ...''); and a full stop
# after a word sentencex's list takes for an abbreviation that the Dutch
# lemma list knows as a word ("met de pers. Zij ...", "voor de min. Dan").
BREAK_RULES = (
    ("Dutch opening quote", re.compile(r"(?<=[.!?])\s+(?=,,\s*[A-ZÀ-Ý])"), None),
    ("word, not abbreviation", re.compile(r"\.\s+(?=[A-ZÀ-Ý])"), lambda m: _word_taken_for_abbreviation(
        _LAST_WORD.search(m.string, max(0, m.start() - 30), m.start()))),
)
_LAST_WORD = re.compile(r"(?<![\w.])[a-zà-ÿ]{3,}$")


def _word_taken_for_abbreviation(found: re.Match | None) -> bool:
    return found is not None and _abbreviation_and_word(found.group(0))


@lru_cache(maxsize=65536)
def _abbreviation_and_word(word: str) -> bool:
    # (sentencex also keeps quoted sentences together: only its abbreviations are second-guessed)
    return len(sentencex.segment("nl", f"Een {word}. Twee")) == 1 and simplemma.is_known(word, lang="nl")


def split_sentences(text: str, language: str = "nl") -> list[tuple[int, int]]:
    """(start, end) of the sentences of one paragraph, whitespace trimmed."""
    pieces: list[tuple[int, int]] = []
    start = 0
    for piece in _pieces(text, language):
        end = start + len(piece)
        # the join rules read the end of the piece before (a tail is enough) and the start of this one
        if pieces and _joined(text[max(pieces[-1][0], start - TAIL):start], text[start:start + TAIL]):
            pieces[-1] = (pieces[-1][0], end)
        elif piece.strip():
            pieces.append((start, end))
        start = end
    if start != len(text):  # the splitter changed the text: keep the paragraph whole
        return [_trim(text, 0, len(text))] if text.strip() else []
    return [_trim(text, a, b) for a, b in pieces]


def _pieces(text: str, language: str) -> list[str]:
    """sentencex's pieces, cut further where a break rule says (they still cover `text`)."""
    cut = []
    for piece in sentencex.segment(language, text):
        at = 0
        for end in sorted({m.end() for _, rule, holds in BREAK_RULES for m in rule.finditer(piece)
                           if holds is None or holds(m)}):
            cut.append(piece[at:end])
            at = end
        cut.append(piece[at:])
    return cut


def _joined(before: str, after: str) -> bool:
    return any((ends is None or ends.search(before)) and (starts is None or starts.match(after))
               for _, ends, starts in JOIN_RULES)


def split_document(doc: Document, language: str = "nl") -> list[Sentence]:
    return [Sentence(doc.id, n, start, end, doc.text[start:end], kind)
            for n, (start, end, kind) in enumerate(sentence_spans(doc, language))]


def sentence_spans(doc: Document, language: str = "nl") -> Iterator[tuple[int, int, str]]:
    """(start, end, kind) of each sentence of `doc`, in order."""
    for para_start, para_end in doc.content:
        yield from _split_paragraph(doc.text, para_start, para_end, language)


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
    for a, b in split_sentences(para, language):
        yield start + a, start + b, "sentence"


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


KINDS = ("sentence", "heading", "timeline")


class SentenceTable(Sequence[Sentence]):
    """The sentences of many documents as arrays (a million Sentence objects
    would cost about a gigabyte and seconds to make); a Sentence is made when
    one is asked for. Sentences of a document are consecutive, in order."""

    def __init__(self, documents: Sequence[Document], doc: np.ndarray, index: np.ndarray,
                 start: np.ndarray, end: np.ndarray, kind: np.ndarray):
        if not len(doc) == len(index) == len(start) == len(end) == len(kind):
            raise ValueError("the sentence arrays differ in length")
        self.documents = documents
        self.doc, self.index, self.start, self.end, self.kind = doc, index, start, end, kind

    @classmethod
    def of(cls, documents: Sequence[Document], sentences: Iterable[Sentence]) -> SentenceTable:
        number = {d.id: n for n, d in enumerate(documents)}
        rows = [(number[s.doc_id], s.index, s.start, s.end, KINDS.index(s.kind)) for s in sentences]
        columns = list(zip(*rows, strict=True)) if rows else [(), (), (), (), ()]
        return cls(documents, *(np.array(c, dtype=t) for c, t in zip(columns, ARRAY_TYPES, strict=True)))

    def __len__(self) -> int:
        return len(self.doc)

    @overload
    def __getitem__(self, i: int) -> Sentence: ...
    @overload
    def __getitem__(self, i: slice) -> list[Sentence]: ...
    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        i = operator.index(i)
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError("sentence number out of range")
        d = self.documents[self.doc[i]]
        start, end = int(self.start[i]), int(self.end[i])
        return Sentence(d.id, int(self.index[i]), start, end, d.text[start:end], KINDS[self.kind[i]])

    def __iter__(self) -> Iterator[Sentence]:
        return (self[i] for i in range(len(self)))


def document_ranges(table: SentenceTable) -> dict[str, tuple[int, int]]:
    """Each document's sentences, which are consecutive: [first, end) by document id, in sentence order."""
    if not len(table):
        return {}
    firsts = np.flatnonzero(np.r_[True, table.doc[1:] != table.doc[:-1]])
    ends = np.r_[firsts[1:], len(table)].astype(np.int64)
    return {table.documents[int(table.doc[f])].id: (int(f), int(e))
            for f, e in zip(firsts.tolist(), ends.tolist(), strict=True)}


# dtypes of the SentenceTable's arrays: doc, index, start, end, kind
ARRAY_TYPES = (np.int32, np.int32, np.int64, np.int64, np.int8)
