"""When: a date, else a weekday, else a time of day (first when asked for),
else a time told from an event ("na drie weken")."""
from __future__ import annotations

from ..language import spans as answers
from ..language.analysis import normalize
from ..language.sentences import Sentence
from ..pipeline.corpus import Corpus
from ..pipeline.question import Question
from .base import AnswerType, closest_to_question, fit_of_span, of_kind, register

# A time told only by its distance from an event ("na twee dagen") may answer
# when-questions but is no sign of a passage about when: a headline "Staking na
# twee dagen voorbij" outranked "De cao loopt tot 1 januari 2025".
RELATIVE_TIME_FIT = 0.0


def find(corpus: Corpus, q: Question, p: Sentence, bound=None):
    article_date = corpus.documents[p.doc_id].date
    dates = answers.find_dates(p.text, article_date, q.language)
    weekdays = answers.find_weekdays(p.text, q.language)
    times = answers.find_times(p.text, q.language)
    base = answers.article_base(article_date)
    if base and q.intent.future:  # "When will it open?" is not answered by a month gone by
        dates = [d for d in dates if not answers.before_article(d, base)]
    relative = answers.find_relative_times(p.text, q.language)
    kinds = (times, dates, weekdays, relative) if q.intent.time_of_day else \
        (dates, weekdays, times, relative)
    if bound:  # only those written after the bound asked about: "tot eind 2026", "tot 22.00 uur"
        kinds = tuple([s for s in kind if bound[1].search(p.text[:s.start])] for kind in kinds)
    spans = next((found for found in ([s for s in kind if normalize(s.text) not in q.asked]
                                      for kind in kinds) if found), [])
    return closest_to_question(corpus, q, p, spans)


WHEN = register(AnswerType(
    "fit_when", "a when-question, and the sentence holds a date or time (1), or only a vague one",
    of_kind("when"), fit_of_span(find, RELATIVE_TIME_FIT), find))
