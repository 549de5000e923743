"""What someone said or wrote: a sentence with a quotation; the sentence
itself is the answer."""
from __future__ import annotations

import numpy as np

from ..language.lexicon import QUOTATION
from ..pipeline.corpus import Corpus
from ..pipeline.question import Question
from .base import AnswerType, register


def asks(q: Question) -> bool:
    return q.answer_type == "what" and q.intent.quote


def quotes(corpus: Corpus, q: Question, i: int) -> float:
    return float(corpus.matching(QUOTATION, np.array([i]))[0])


QUOTE = register(AnswerType("quotation", "'what did X say/write', and the sentence holds a quotation", asks,
                            quotes))
