"""How many / how much: a number of the kind asked, with its scale and unit:
money, a share, a count of the thing asked about, an age, a measure."""
from __future__ import annotations

import re

from ..language import spans as answers
from ..language.analysis import normalize
from ..language.lexicon import GENERIC_COUNTS, TIME_UNIT
from ..language.sentences import Sentence
from ..pipeline.corpus import Corpus
from ..pipeline.question import Question
from .base import AnswerType, closest_to_question, fit_of_span, of_kind, register

# A Dutch count's noun is looked for among this many words after the number.
COUNTED_WITHIN = 3


def with_time_unit(sentence: str, number, language: str):
    """The number with the unit of time written after it ("vier maanden": "4 months")."""
    unit = re.match(r"\s+(" + TIME_UNIT.pattern + r")", sentence[number.end:], re.I)
    if not unit:
        return number
    return answers.Span(f"{number.text} {answers.unit_in(unit.group(1), language)}", number.start,
                        number.end + unit.end())


def counts(corpus: Corpus, q: Question, counted: str, sentence: str, number) -> bool:
    """Whether `number` counts what a Dutch question counts: "hoeveel
    toeschouwers" is not answered by "2000 supporters". The counted noun
    is one of the three words after the number ("10.000 middeldure
    huurwoningen": a compound ending in it counts); a number followed by
    no such word may count anything. English questions are not checked:
    their noun's translations may miss the sources' word."""
    if q.language != "nl" or normalize(counted) in GENERIC_COUNTS:
        return True
    analyzer = corpus.analyzer
    term = analyzer.term(normalize(counted))
    after = answers.WORD.findall(sentence[number.end:])[:COUNTED_WITHIN]
    if not after or not after[0].islower() or analyzer.is_stopword(after[0]):
        return True
    return any((t := analyzer.term(normalize(w))) == term or (len(term) >= 4 and t.endswith(term))
               for w in after)


def find(corpus: Corpus, q: Question, p: Sentence, bound=None):
    numbers = answers.find_numbers(p.text, q.language)
    if q.intent.share:  # "What share of the costs ...?": a percentage
        numbers = [n for n in numbers if answers.is_share(n)]
    elif q.intent.money:  # "How much did the repairs cost?" is not answered by a count
        numbers = [n for n in numbers if answers.is_money(n, share=q.intent.change, sentence=p.text)]
        free = not numbers and answers.FREE.search(p.text)
        if free:  # "De vaccinatie is gratis"
            word = "gratis" if q.language == "nl" else "free"
            numbers = [answers.Span(word, free.start(), free.end())]
    elif q.intent.counted:  # nor "How many visitors ...?" by money or a percentage, nor by "twee jaar"
        counted = q.intent.counted
        counts_time = TIME_UNIT.match(counted)
        numbers = [n for n in numbers if not answers.is_money(n) and not answers.is_share(n)
                   and (counts_time or not TIME_UNIT.match(p.text[n.end:].lstrip()))
                   and counts(corpus, q, counted, p.text, n)]
    elif q.intent.age:  # "How old ...?": a number written as an age ("5 juli" is none)
        numbers = [with_time_unit(p.text, n, q.language) for n in numbers if answers.is_age(p.text, n)]
    else:
        measure = q.intent.measure
        if measure:  # "How deep ...?": a number with a unit of length, shown with it
            numbers = [answers.Span(f"{n.text} {answers.unit_in(unit.group(0).strip(), q.language)}",
                                    n.start, unit.end())
                       for n in numbers for unit in [measure.match(p.text, n.end)] if unit]
    # "van 250 miljoen naar 380 miljoen euro": the new amount, unless the old one is asked for
    roles = {id(n): answers.range_role(p.text, n) for n in numbers}
    wanted = "from" if q.intent.earlier else "to"
    if any(roles.values()):
        numbers = [n for n in numbers if roles[id(n)] in (None, wanted)]
    return closest_to_question(corpus, q, p, [n for n in numbers if normalize(n.text) not in q.asked])


NUMBER = register(AnswerType(
    "fit_number", "a how-many/how-much question, and the sentence holds a number of the kind asked (money, "
                  "a share, a count, an age, a measure; less for 'tientallen')",
    of_kind("how_many"), fit_of_span(find), find))
