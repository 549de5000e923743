"""The story as dated events: every sentence that dates something by a date of
its own (written, or relative to its article's date: "begin dit jaar" in a
July 2021 article is early 2021) is a mention; mentions whose dates meet and
whose words say the same thing, in any outlet, are one event, dated by its
most precise mention. Built once per corpus, when the engine is built; a
request only selects."""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np

from ..language.analysis import shared_terms
from ..language.lexicon import MONTHS, WEEKDAYS
from ..language.spans import DateValue, find_date_values
from ..language.spans.span import PRECISIONS
from ..pipeline.corpus import Corpus
from ..pipeline.question import Question

# What a sentence needs to be read for dates at all, in lower case: a digit, or a word that starts like a
# month, a weekday, "jaar", "week", "gisteren" (more than find_date_values asks, never less; one
# pass over a text).
_NEAR_DAY_WORDS = {"eergister", "gister", "vandaag", "vanavond", "vanmiddag", "vanochtend", "vanmorgen",
                   "today", "tonight", "yesterday"}
_DATING_WORDS = sorted({w.lower() for names in (*MONTHS.values(), *WEEKDAYS.values()) for w in names}
                       | {"jaar", "year", "maand", "month", "week"} | _NEAR_DAY_WORDS, key=len, reverse=True)
MAY_DATE = re.compile(r"\d|(?<![^\W\d_])(?:" + "|".join(map(re.escape, _DATING_WORDS)) + ")")
# How many of BM25's best sentences a topic (?q=) reaches: enough for a story told over hundreds of
# articles, few enough that the selection stays a top-k (ms at 100,000 sentences).
TOPIC_SENTENCES = 1000
# A topic is a few words or a question; its URL, percent-encoded (up to 12 bytes a character), stays
# under gunicorn's request-line limit (4,094 bytes), so that a longer one gets the API's own 400.
TOPIC_MAX_CHARS = 300
# Share of the smaller mention's content terms the other must share for two
# mentions with meeting dates to be one event (chosen on the gold events of
# the seeds and story1, checked on story2: docs/evaluation.md).
SAME_EVENT = 0.3
# Mentions sharing fewer words are still one event when multilingual-e5 puts them this close and
# they share at least PARAPHRASE_OVERLAP: on the gold's pairs with meeting dates, 30 of 49 same-event
# pairs were merged for 5 of 74 different ones, against 20 and 3 by the words alone.
SAME_EVENT_COSINE = 0.89
PARAPHRASE_OVERLAP = 0.1
# (sentence id, sentence id) -> cosine similarity of their meaning
Similarity = Callable[[int, int], float]
# The same, for two mentions of the very same day or month: in one story, one day is mostly one event.
SAME_EVENT_SAME_DAY = 0.15


# Two outlets that date one event differently ("In oktober 2021 werd de eerste paal geslagen", "De bouw
# begon op 12 november 2021 met het slaan van de eerste paal"): mentions from different sources whose
# dates do not meet are one event, its date disputed, when they share at least this share of the
# smaller's words (and two words at least) and their dates, each a day or a month, lie at most
# DISPUTE_DAYS apart.
SAME_EVENT_DISPUTED = 0.5
DISPUTE_DAYS = 62


@dataclass(frozen=True)
class Mention:
    sentence: int  # sentence id
    date: DateValue
    terms: frozenset[str]  # what it says: its index terms, the date's words aside
    source: str = ""  # the document's id: an outlet does not dispute itself
    published: str = ""  # the document's date (ISO, "" when unknown): the most recent support


@dataclass
class Event:
    date: DateValue  # the date most sources give (then the most recent, then the most precise)
    mentions: list[Mention]  # the sentences that report it, first the one that dates it
    disputed: list[DateValue] = field(default_factory=list)  # other dates other sources give

    def sentences(self) -> list[int]:
        return [m.sentence for m in self.mentions]


def mentions_of(corpus: Corpus, ids: Iterable[int]) -> list[Mention]:
    """The sentences of `ids` that date something, each with its first date (news writes the
    date of what it reports first: "Op 5 juli trad Ivens af, nadat ...")."""
    found = []
    for i in ids:
        s = corpus.sentences[i]
        if s.kind == "heading":
            continue
        document = corpus.documents[s.doc_id]
        dates = find_date_values(s.text, document.date)
        if dates:
            found.append(Mention(i, dates[0][1], corpus.content_terms(i), s.doc_id, document.date or ""))
    return found


def maybe_dated(corpus: Corpus) -> Iterator[int]:
    """The sentences that may hold a date (a digit, a month, a weekday, "jaar", ...), found by
    searching each document's text once (at 100,000 news-shaped sentences about 1 s, where asking
    every sentence took 3.9 s)."""
    table = corpus.sentences
    for doc_id, (first, end) in corpus.doc_ranges.items():
        text = corpus.documents[doc_id].text
        starts = table.start[first:end]
        hits = {int(np.searchsorted(starts, m.start(), side="right")) - 1
                for m in MAY_DATE.finditer(text.lower())}
        yield from (first + h for h in sorted(hits) if h >= 0)


def _shared(a: Mention, b: Mention) -> tuple[int, float]:
    """The words two mentions share: how many, and their share of the smaller's."""
    smaller = min(len(a.terms), len(b.terms))
    common = shared_terms(a.terms, b.terms)
    return common, common / smaller if smaller else 0.0


def same_event(a: Mention, b: Mention, similarity: Similarity | None = None) -> bool:
    """Two mentions report one event: their dates meet and they share enough of what they say."""
    if not a.date.meets(b.date):
        return False
    same_day = a.date == b.date and a.date.precision in ("day", "month")
    needed = SAME_EVENT_SAME_DAY if same_day else SAME_EVENT
    shared = _shared(a, b)[1]
    if shared >= needed:
        return True
    # outlets word one event differently ("formele melding", "officiële melding"): then their meaning
    return similarity is not None and shared >= PARAPHRASE_OVERLAP and \
        similarity(a.sentence, b.sentence) >= SAME_EVENT_COSINE


def disputed_event(a: Mention, b: Mention) -> bool:
    """Two outlets report one event on dates that do not meet: most of their words are the same
    and the dates are close."""
    if a.source == b.source or a.date.meets(b.date) or \
            not {a.date.precision, b.date.precision} <= {"day", "month"}:
        return False  # a year or a season next to another is mostly another happening, not a dispute
    common, shared = _shared(a, b)
    return _days_apart(a.date, b.date) <= DISPUTE_DAYS and common >= 2 and shared >= SAME_EVENT_DISPUTED


def _days_apart(a: DateValue, b: DateValue) -> int:
    """Days between two dates' intervals (0 or less where they meet)."""
    return (max(a.first, b.first) - min(a.last, b.last)).days


def dated(mentions: list[Mention]) -> Event:
    """An event of `mentions`: its dates grouped where they meet, the group most sources give
    (then the most recent article, then the most precise) dating it, the others disputed."""
    groups: list[list[Mention]] = []
    for m in sorted(mentions, key=lambda m: (PRECISIONS.index(m.date.precision), m.sentence)):
        group = next((g for g in groups if g[0].date.meets(m.date)), None)
        if group is None:
            groups.append([m])
        else:
            group.append(m)
    groups.sort(key=lambda g: (len({m.source for m in g}), max(m.published for m in g)), reverse=True)
    ordered = [m for g in groups for m in g]
    return Event(groups[0][0].date, ordered, [g[0].date for g in groups[1:]])


def merge(mentions: list[Mention], similarity: Similarity | None = None) -> list[Event]:
    """Mentions grouped into events, in date order (earliest first, the wider date first among
    equals). Each mention joins every event it reports with a mention of (their dates meet and
    they say the same thing, or two outlets date it differently: disputed_event); events it
    joins are one when their dates meet."""
    groups: list[list[Mention]] = []
    for m in sorted(mentions, key=lambda m: (PRECISIONS.index(m.date.precision), m.sentence)):
        joined = [g for g in groups if _days_apart(g[0].date, m.date) <= DISPUTE_DAYS and (
            (g[0].date.meets(m.date) and any(same_event(m, o, similarity) for o in g))
            or any(disputed_event(m, o) for o in g))]
        if not joined:
            groups.append([m])
            continue
        first = joined[0]
        first.append(m)
        for other in joined[1:]:
            if first[0].date.meets(other[0].date):
                first += other
                groups.remove(other)
    events = [dated(g) for g in groups]
    return sorted(events,
                  key=lambda e: (e.date.first, -PRECISIONS.index(e.date.precision), e.mentions[0].sentence))


class TimelineRequestError(ValueError):
    """A timeline request that cannot be met: its error code, message and HTTP status."""

    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


class Timeline:
    """The events of one corpus, and which event each sentence reports."""

    def __init__(self, corpus: Corpus, events: list[Event]):
        self.corpus = corpus
        self.events = events
        self.event_of = np.full(len(corpus.sentences), -1, dtype=np.int64)
        for n, e in enumerate(events):
            for i in e.sentences():
                self.event_of[i] = n

    @classmethod
    def build(cls, corpus: Corpus, similarity: Similarity | None = None) -> Timeline:
        """`similarity(i, j)`: the cosine of two sentences' meaning, where it is at hand."""
        return cls(corpus, merge(mentions_of(corpus, maybe_dated(corpus)), similarity))

    def asked(self, topic: str | None, source: str | None, read: Callable[[str], Question]) -> list[Event]:
        """The events the API and the terminal are asked for: all, or about `topic` (read into a
        question by `read`), from one `source` or all; a request that cannot be met raises
        TimelineRequestError saying why."""
        if source is not None and source not in self.corpus.documents:
            raise TimelineRequestError("unknown_source", f"no source with id {source[:100]!r}", 404)
        if topic is None:
            return self.select(source=source)
        if not topic.strip():
            raise TimelineRequestError("empty_question", "q is empty")
        if len(topic) > TOPIC_MAX_CHARS:
            raise TimelineRequestError("question_too_long", f"q is longer than {TOPIC_MAX_CHARS} characters")
        return self.about(read(topic), source)

    def about(self, question: Question, source: str | None = None) -> list[Event]:
        """The events told by the sentences that match `question` (a topic or a question: BM25's
        best TOPIC_SENTENCES with any of its words), in date order."""
        index = self.corpus.index
        ids, scores = index.top(index.parts(question.query), TOPIC_SENTENCES)
        return self.select(np.asarray(ids)[np.asarray(scores) > 0], source)

    def select(self, sentences: np.ndarray | None = None, source: str | None = None) -> list[Event]:
        """The events reported by any of `sentences` (ids; all when None), in
        date order, with only the mentions from `source` when one is given."""
        chosen = range(len(self.events)) if sentences is None else \
            sorted({int(n) for n in self.event_of[sentences] if n >= 0})
        out = []
        for n in chosen:
            event = self.events[n]
            if source is not None:
                mentions = [m for m in event.mentions if self.corpus.sentences[m.sentence].doc_id == source]
                if not mentions:
                    continue
                event = Event(event.date, mentions, event.disputed)
            out.append(event)
        return out


def event_json(corpus: Corpus, event: Event) -> dict:
    """An event as the API gives it: its date and the sentences it rests on, each with its outlet
    and offsets into the source."""
    sentences = []
    for i in event.sentences():
        s = corpus.sentences[i]
        doc = corpus.documents[s.doc_id]
        sentences.append({"source": s.doc_id, "title": doc.title, "publisher": doc.publisher,
                          "date": doc.date, "sentence": s.index, "start": s.start, "end": s.end,
                          "text": s.text})
    date = event.date
    disputed = [{"date": d.label, "precision": d.precision,
                 "sources": list(dict.fromkeys(corpus.sentences[m.sentence].doc_id for m in event.mentions
                                               if m.date.meets(d) and not m.date.meets(date)))}
                for d in event.disputed]
    return {"date": date.label, "precision": date.precision, "first": date.first.isoformat(),
            "last": date.last.isoformat(), "sentences": sentences,
            "sources": list(dict.fromkeys(s["source"] for s in sentences)), "disputed": disputed}
