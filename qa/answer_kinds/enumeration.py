"""Which things (plural): a sentence that lists three or more; the sentence
itself is the answer."""
from __future__ import annotations

import numpy as np

from ..language.lexicon import ENUMERATION
from ..pipeline.corpus import Corpus
from ..pipeline.question import Question
from .base import AnswerType, register


def asks(q: Question) -> bool:
    return q.answer_type == "what" and q.intent.several


def lists(corpus: Corpus, q: Question, i: int) -> float:
    return float(corpus.matching(ENUMERATION, np.array([i]))[0])


LIST = register(AnswerType(
    "list", "a which-question about a plural noun, and the sentence lists three or more", asks, lists))
