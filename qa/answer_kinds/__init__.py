"""The kinds of answer a question may ask for, one module each, in one
registry (base.TYPES): which questions ask for it, how well a sentence fits
it (each is a ranking feature of its own name) and, for a short answer, the
span that answers it. Adding a kind: a module that registers an AnswerType,
imported below, and its test; then `make train`."""
from . import enumeration, name, number, quotation, reason, when  # noqa: F401  (they register themselves)
from .base import TYPES, AnswerType, asked_type, register
from .choose import ANSWER_DEPTH, Short, short_answer, span_names, span_signals

__all__ = ["ANSWER_DEPTH", "TYPES", "AnswerType", "Short", "asked_type", "register", "short_answer",
           "span_names", "span_signals"]
