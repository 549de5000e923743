"""Where the sources disagree: another source's passage, likely enough to
answer, gives a different value of the kind asked (a date, a count, an amount,
a person, a place) for the same thing as the answer's passage. Compatible
values are one value ("begin 2021" and "februari 2021", "ruim 90" and "93",
"Halsema" and "Femke Halsema"); values about different happenings are no
disagreement (the passages must say the same thing around their values, and
their own dates, if any, must meet). Conservative by design: a false "sources
differ" costs more trust than a missed one (docs/evaluation.md)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from .. import answer_kinds
from ..answer_kinds.base import bound_asked
from ..language.lexicon import MONTH_NAME
from ..language.spans import DateValue, find_date_values
from ..language.spans.numbers import YEAR
from ..language.values import Amount, amount_of, same_name
from .corpus import Corpus
from .dedupe import distinct
from .question import Question

if TYPE_CHECKING:  # built from the corpus after it (qa.timeline); passed in where it is built
    from ..timeline.events import Timeline

# How many distinct candidates, best first, are read for other values: the answer's passages and
# the next ones (within the RERANK_DEPTH the ranking model reads closely, so their probabilities
# compare); a conflicting one beyond the answer's passages is added to them, to be cited.
DEPTH = 10
# A passage takes part when the ranking model gives it at least this share of the answer passage's
# probability: a value in a passage far below the answer's is no claim about what was asked.
# Share of the smaller passage's content terms (values and dates aside) the other must share to be
# about the same thing. Both chosen on the gold disagreements (seeds, story1, story2; a sweep of
# 0.5/0.25/0.1 by 0.3-0.6, and with compounds counted for their heads, which added false ones):
# docs/evaluation.md.
MIN_SUPPORT = 0.25
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

    def comparable(self, other: Value) -> bool:
        """Values of one thing (two amounts in one unit of one counted thing); names and dates are."""
        return not isinstance(self.key, Amount) or self.key.comparable(other.key)

    def to_json(self) -> dict:
        return {"value": self.text, "passages": self.passages, "sources": self.sources}


@dataclass
class Disagreement:
    kind: str  # "date", "amount" or "name"
    values: list[Value]  # the value with most and most recent support first
    # passages cited beyond the answer's, in order: sentence id -> the sentences folded into it
    extra: dict[int, list[int]] = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"kind": self.kind, "values": [v.to_json() for v in self.values]}


def _content(corpus: Corpus, i: int, value_words: set[str]) -> frozenset[str]:
    return corpus.content_terms(i) - value_words


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
        dates = find_date_values(s.text, corpus.documents[s.doc_id].date)
        if any(start < span.end and span.start < end for (start, end), _ in dates):
            return None  # the day of a date ("op 6 juli"), not an amount
        written = s.text[span.start:span.end] if span.end > span.start else span.text
        return amount_of(written, s.text[:span.start], s.text[span.end:])
    return span.text


def find(corpus: Corpus, q: Question, ranked: np.ndarray, probabilities: np.ndarray, shown: int,
         anchor: int = 0, timeline: Timeline | None = None) -> Disagreement | None:
    """The disagreement between the answer's passage and the other candidates, or None.
    `ranked`: the candidates' sentence ids, best first, and their ranking-model `probabilities`;
    the first `shown` distinct ones are the answer's passages, `anchor` the one the answer is
    drawn from. Conservative: a value conflicts with the answer's only when its passage is at least
    MIN_SUPPORT as likely to answer, comes from another source, counts the same thing and says the
    same thing around it. Passages
    beyond the shown ones that take part come out as Disagreement.extra, numbered after them.
    For a date, the `timeline` (where built) adds the outlets that date the answer's event
    otherwise, however far down the ranking they are: it has found them to be one event."""
    answer_type = answer_kinds.asked_type(q)
    kind = KINDS.get(answer_type.feature) if answer_type else None
    if kind is None:
        return None
    best, copies = distinct(corpus, ranked, max(DEPTH, shown))
    if len(best) < 2 or anchor >= min(shown, len(best)):
        return None
    probability = dict(zip(map(int, ranked), map(float, probabilities), strict=True))
    bound = bound_asked(q)
    floor = MIN_SUPPORT * probability[int(best[anchor])]
    found: list[tuple[int, int, object, object]] = []  # (position, sentence, span, key)
    for n, i in enumerate(map(int, best)):
        if n != anchor and probability[i] < floor:
            continue
        span = answer_type.find(corpus, q, corpus.sentences[i], bound)
        key = _key(kind, corpus, i, span) if span is not None and not span.vague else None
        if key is not None:
            found.append((n, i, span, key))
        elif n == anchor:
            return None  # no value in the answer's passage: nothing to disagree with
    best, one_event = list(map(int, best)), set()
    if kind == "date" and timeline is not None:
        answer_date = next((key for n, _, _, key in found if n == anchor), None)
        for i in _dated_otherwise(timeline, best[anchor], answer_date):
            if i not in best:
                best.append(i)
                copies[i] = [i]
            span = answer_type.find(corpus, q, corpus.sentences[i], bound)
            key = _key(kind, corpus, i, span) if span is not None and not span.vague else None
            n = best.index(i)
            if key is not None and all(f[0] != n for f in found):
                found.append((n, i, span, key))
                one_event.add(n)
    found.sort(key=lambda f: f[0] != anchor)  # the answer's value first
    if len({corpus.sentences[i].doc_id for _, i, _, _ in found}) < 2:
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
    about_it = [answer] + [v for v in values[1:] if answer.comparable(v) and (
        one_event.intersection(v.passages) or _same_thing(corpus, answer, v, terms, found, kind))]
    if len(about_it) < 2:
        return None
    # the value with the most, then the most recent, support first
    about_it.sort(key=lambda v: (len(v.sources), max(d or "" for d in v.dates), -v.passages[0]), reverse=True)
    return _cited(Disagreement(kind, about_it), best, copies, shown)


def _dated_otherwise(timeline: Timeline, answer_sentence: int, answer_date: DateValue | None) -> list[int]:
    """The sentences of the answer sentence's event whose dates do not meet the answer's."""
    n = int(timeline.event_of[answer_sentence])
    if n < 0 or answer_date is None or not timeline.events[n].disputed:
        return []
    return [m.sentence for m in timeline.events[n].mentions if not m.date.meets(answer_date)]


def _cited(found: Disagreement, best: list[int], copies: dict[int, list[int]], shown: int) -> Disagreement:
    """`found` with its passages beyond the first `shown` numbered after them, in order, as extra."""
    beyond = sorted({n for v in found.values for n in v.passages if n >= shown})
    number = {n: shown + m for m, n in enumerate(beyond)}
    for v in found.values:
        v.passages = sorted(number.get(n, n) for n in v.passages)
    found.extra = {best[n]: copies[best[n]] for n in beyond}
    return found


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
