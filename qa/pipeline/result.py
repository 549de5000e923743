"""What a question gets back: the answer (or null), its confidence, and the
cited passages with their offsets into the sources."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .corpus import Corpus
from .disagreement import Disagreement
from .question import Question


@dataclass
class Passage:
    source: str
    title: str
    date: str | None
    sentence: int
    text: str
    start: int
    end: int
    score: float
    sources: list[dict] = field(default_factory=list)  # every outlet with this sentence
    debug: dict | None = None

    def to_json(self, debug: bool = False) -> dict:
        # By hand: dataclasses.asdict deep-copies, which cost a tenth of a request.
        out = {"source": self.source, "title": self.title, "date": self.date, "sentence": self.sentence,
               "text": self.text, "start": self.start, "end": self.end, "score": self.score,
               "sources": [dict(s) for s in self.sources]}
        if debug:
            out["debug"] = self.debug
        return out


@dataclass
class Result:
    answer: str | None
    passages: list[Passage]
    question: Question
    coverage: float = 0.0
    confidence: float = 0.0
    timings_ms: dict[str, float] = field(default_factory=dict)  # per stage of ask()
    disagreement: Disagreement | None = None  # the sources give different values for what is asked

    def to_json(self, debug: bool = False) -> dict:
        out = {"answer": self.answer, "confidence": round(self.confidence, 4),
               "passages": [p.to_json(debug) for p in self.passages],
               "disagreement": None if self.disagreement is None else self.disagreement.to_json()}
        if debug:
            q = self.question
            out["debug"] = {
                "language": q.language, "answer_type": q.answer_type, "follow_up": q.follow_up,
                "coverage": round(self.coverage, 4), "confidence": round(self.confidence, 4),
                "query": [{"label": t.label, "terms": list(t.members), "weight": t.weight}
                          for t in q.query],
                "timings_ms": {stage: round(ms, 3) for stage, ms in self.timings_ms.items()},
            }
        return out


def passage_of(corpus: Corpus, i: int, score: float, parts, lexical: float, semantic: float | None,
               copies: list[int]) -> Passage:
    """Sentence i as a cited passage, with the outlets of its `copies` and what scored it (debug)."""
    s = corpus.sentences[i]
    doc = corpus.documents[s.doc_id]
    matched = {}
    for part in parts:
        at = np.searchsorted(part.sentences, i)
        if at < len(part.sentences) and part.sentences[at] == i:
            matched[part.term.label] = round(float(part.scores[at]), 6)
    return Passage(s.doc_id, doc.title, doc.date, s.index, s.text, s.start, s.end, score,
                   sources=[{"source": corpus.sentences[c].doc_id, "sentence": corpus.sentences[c].index,
                             "start": corpus.sentences[c].start, "end": corpus.sentences[c].end}
                            for c in copies],
                   debug={"bm25": round(lexical, 6), "terms": matched,
                          "semantic": None if semantic is None else round(semantic, 6)})
