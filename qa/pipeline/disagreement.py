"""Where the sources disagree: another source's passage, nearly as likely to
answer, gives a different value of the kind asked (a date, a count, an amount,
a person, a place) for the same thing as the answer's passage. Compatible
values are one value ("begin 2021" and "februari 2021", "ruim 90" and "93",
"Halsema" and "Femke Halsema"); values about different happenings are no
disagreement (the passages must say the same thing around their values, and
their own dates, if any, must meet). Conservative by design: a false "sources
differ" costs more trust than a missed one (docs/evaluation.md)."""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .. import answer_kinds
from ..answer_kinds.base import bound_asked
from ..language.lexicon import DATE_WORDS, MONTH_NAME
from ..language.spans import DateValue, find_date_values
from ..language.spans.numbers import YEAR
from ..language.values import Amount, amount_of, same_name
from .corpus import Corpus
from .question import Question

# A passage takes part when the ranking model gives it at least this share of the best passage's
# probability: a value in a passage far below the answer's is no claim about what was asked.
MIN_SUPPORT = 0.5
# Share of the smaller passage's content terms (values and dates aside) the other must share
# to be about the same thing (chosen on the gold disagreements: docs/evaluation.md).
SAME_THING = 0.4
KINDS = {"fit_when": "date", "fit_number": "amount", "fit_name": "name"}


@dataclass
class Value:
    text: str  # as the first passage giving it writes it
    key: DateValue | Amount | str  # what compatibility is judged on
    passages: list[int]  # positions among the answer's passages
    sources: list[str]  # source ids giving it (with the outlets that repeat the passage)
    dates: list[str | None]  # the articles' dates, for the most recent support

    def meets(self, other: Value) -> bool:
        if isinstance(self.key, str):
            return same_name(self.key, other.key)
        return self.key.meets(other.key)

    def to_json(self) -> dict:
        return {"value": self.text, "passages": self.passages, "sources": self.sources}


@dataclass
class Disagreement:
    kind: str  # "date", "amount" or "name"
    values: list[Value]  # the value with most and most recent support first

    def to_json(self) -> dict:
        return {"kind": self.kind, "values": [v.to_json() for v in self.values]}


def _content(corpus: Corpus, i: int, value_words: set[str]) -> frozenset[str]:
    return frozenset(t for t in corpus.term_set(i)
                     if t not in DATE_WORDS and not t.isdigit() and t not in value_words)


def _own_date(corpus: Corpus, i: int) -> DateValue | None:
    s = corpus.sentences[i]
    found = find_date_values(s.text, corpus.documents[s.doc_id].date)
    return found[0][1] if found else None


def _key(kind: str, corpus: Corpus, i: int, span) -> DateValue | Amount | str | None:
    s = corpus.sentences[i]
    if kind == "date":
        if not re.search(r"\d", span.text) and not MONTH_NAME.search(span.text):
            return None  # a weekday or "next week": placed by the article's date, no claim of the source's
        found = [v for (start, end), v in find_date_values(s.text, corpus.documents[s.doc_id].date)
                 if start < span.end and span.start < end]
        return found[0] if found else None
    if kind == "amount":
        if YEAR.match(span.text.strip()):
            return None  # a year the number finder took for a count ("In 2020 en 2021 volgden ...")
        written = s.text[span.start:span.end] if span.end > span.start else span.text
        return amount_of(written, s.text[:span.start])
    return span.text


def find(corpus: Corpus, q: Question, best: np.ndarray, copies: dict[int, list[int]],
         probabilities: np.ndarray) -> Disagreement | None:
    """The disagreement between the answer's passage (the first of `best`: sentence ids, best first,
    with the sentences `copies` folds into each and the ranking model's `probabilities`) and the
    other passages, or None. Conservative: a value conflicts with the answer's only when its passage
    is nearly as likely to answer, comes from another source and says the same thing around it."""
    answer_type = answer_kinds.asked_type(q)
    kind = KINDS.get(answer_type.feature) if answer_type else None
    if kind is None or len(best) < 2:
        return None
    bound = bound_asked(q)
    found: list[tuple[int, int, object, object]] = []  # (position, sentence, span, key)
    for n, i in enumerate(map(int, best)):
        if probabilities[n] < MIN_SUPPORT * probabilities[0]:
            continue
        span = answer_type.find(corpus, q, corpus.sentences[i], bound)
        key = _key(kind, corpus, i, span) if span is not None and not span.vague else None
        if key is not None:
            found.append((n, i, span, key))
        elif n == 0:
            return None  # no value in the answer's passage: nothing to disagree with
    if not found or found[0][0] != 0 or len({corpus.sentences[i].doc_id for _, i, _, _ in found}) < 2:
        return None
    values: list[Value] = []
    terms: dict[int, frozenset[str]] = {}
    for n, i, span, key in found:
        terms[n] = _content(corpus, i, set(corpus.analyzer.terms(span.text)))
        sources = list(dict.fromkeys(corpus.sentences[c].doc_id for c in copies.get(i, [i])))
        dates = [corpus.documents[d].date for d in sources]
        value = Value(span.text, key, [n], sources, dates)
        same = next((v for v in values if v.meets(value)), None)
        if same is None:
            values.append(value)
        else:
            same.passages.append(n)
            same.sources += [d for d in sources if d not in same.sources]
            same.dates += dates
            if _more_precise(key, same.key):
                same.text, same.key = span.text, key
    if len(values) < 2:
        return None
    answer = values[0]  # the answer passage's value
    about_it = [answer] + [v for v in values[1:] if _same_thing(corpus, answer, v, terms, found, kind)]
    if len(about_it) < 2:
        return None
    # the value with the most, then the most recent, support first
    about_it.sort(key=lambda v: (len(v.sources), max(d or "" for d in v.dates), -v.passages[0]), reverse=True)
    return Disagreement(kind, about_it)


def _same_thing(corpus: Corpus, a: Value, b: Value, terms: dict[int, frozenset[str]], found,
                kind: str) -> bool:
    """Some passage of `a` and some of `b` say the same thing around their values, and
    their own dates, if both write one, meet (the dates are the values of a date question)."""
    sentence = {n: i for n, i, _, _ in found}
    for x in a.passages:
        for y in b.passages:
            ta, tb = terms[x], terms[y]
            smaller = min(len(ta), len(tb))
            if not smaller or len(ta & tb) / smaller < SAME_THING:
                continue
            if kind != "date":
                da, db = _own_date(corpus, sentence[x]), _own_date(corpus, sentence[y])
                if da is not None and db is not None and not da.meets(db):
                    continue  # five signals in 2020 are not the four reports of 2021
            return True
    return False


def _more_precise(a, b) -> bool:
    if isinstance(a, DateValue) and isinstance(b, DateValue):
        return a.within(b) and a != b
    if isinstance(a, Amount) and isinstance(b, Amount):
        return a.high - a.low < b.high - b.low
    return isinstance(a, str) and isinstance(b, str) and len(a) > len(b)
