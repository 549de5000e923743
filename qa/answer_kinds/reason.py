"""Why: a sentence that gives a reason for what the question asks about; the
sentence itself is the answer."""
from __future__ import annotations

from ..language.lexicon import CAUSE_FOLLOWS, REASON
from ..pipeline.corpus import Corpus
from ..pipeline.question import Question
from .base import AnswerType, of_kind, register


def explains(corpus: Corpus, q: Question, i: int) -> float:
    """1 when sentence i gives a reason for what the question asks about: a
    causal word, and not with the question's words only after it ("We doen
    geen onderzoek, omdat de wethouder is afgetreden" gives a reason for not
    investigating, not for resigning)."""
    text = corpus.sentences[i].text
    reason = REASON.search(text)
    if not reason:
        return 0.0
    if not CAUSE_FOLLOWS.fullmatch(reason.group(0)):  # "De reden is ...", "Daardoor ...": it states one
        return 1.0
    # the event's words, not who it is about
    members = {m for t in q.terms if t.label not in q.intent.names for m in t.members}
    before = set(corpus.analyzer.terms(text[:reason.start()])) & members
    after = set(corpus.analyzer.terms(text[reason.end():])) & members
    return float(bool(before) or not after)


REASON_TYPE = register(AnswerType(
    "reason", "a why-question, and the sentence gives a reason for what is asked", of_kind("why"), explains))
