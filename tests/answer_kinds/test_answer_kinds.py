"""The answer types: one registry entry each, each a ranking feature of its own name."""
import numpy as np
import pytest

from qa import answer_kinds
from qa.pipeline import features
from qa.pipeline.dedupe import distinct
from qa.pipeline.engine import Engine
from qa.pipeline.question import read_question
from qa.sources.documents import parse_document

FILLER = " ".join(f"Zin {n} gaat over iets anders." for n in range(30))
ARTICLE = (" date 2021-07 De wethouder Jan Smit is op 5 juli afgetreden. "
           "Aanleiding is een rapport over zijn gedrag. "
           "De brug kostte 40 miljoen euro. "
           "Hij zei: \u201cIk heb fouten gemaakt.\u201d "
           "Hij was wethouder van Wonen, Groen en Verkeer. " + FILLER)


@pytest.fixture(scope="module")
def engine():
    return Engine([parse_document("a", ARTICLE)], semantic=False)


def sentence_id(engine, start):
    return next(i for i, s in enumerate(engine.sentences) if s.text.startswith(start))


def test_every_answer_type_is_a_ranking_feature_once():
    names = [t.feature for t in answer_kinds.TYPES]
    assert len(names) == len(set(names))
    assert set(names) <= set(features.names(stage=2)) - set(features.names(stage=1))


def test_registering_a_type_twice_is_refused():
    with pytest.raises(ValueError, match="twice"):
        answer_kinds.register(answer_kinds.TYPES[0])


@pytest.mark.parametrize(("question", "feature", "start"), [
    ("Wanneer is de wethouder afgetreden?", "fit_when", "De wethouder Jan Smit"),
    ("Hoeveel kostte de brug?", "fit_number", "De brug kostte"),
    ("Wie is afgetreden?", "fit_name", "De wethouder Jan Smit"),
    ("Waarom is de wethouder afgetreden?", "reason", "Aanleiding is"),
    ("Wat zei de wethouder?", "quotation", "Hij zei"),
    ("Welke afdelingen had de wethouder?", "list", "Hij was wethouder van"),
])
def test_each_type_is_asked_by_its_questions_and_fits_its_sentence(engine, question, feature, start):
    q = read_question(question, analyzer=engine.analyzer)
    (answer_type,) = [t for t in answer_kinds.TYPES if t.feature == feature]
    others = [t.feature for t in answer_kinds.TYPES if t.asks(q)]
    assert others == [feature]  # one kind of answer per question
    assert answer_type.fit(engine.corpus, q, sentence_id(engine, start)) > 0
    assert answer_type.fit(engine.corpus, q, sentence_id(engine, "Zin 3")) == 0


@pytest.mark.parametrize(("question", "short"), [
    ("Wanneer is de wethouder afgetreden?", "5 juli 2021"),
    ("Hoeveel kostte de brug?", "40 miljoen euro"),
    ("Wie is afgetreden?", "Jan Smit"),
    ("Waarom is de wethouder afgetreden?", None),  # no short answer: the sentence is the answer
])
def test_a_short_answer_comes_from_the_type_the_question_asks_for(engine, question, short):
    ranking = engine.rank(question)
    best, _ = distinct(engine.corpus, ranking.ids[ranking.order], 3)
    found = answer_kinds.short_answer(engine.corpus, ranking.question, best)
    assert (found.text if found else None) == short


def test_the_span_signals_describe_the_short_answer(engine):
    ranking = engine.rank("Wanneer is de wethouder afgetreden?")
    best, _ = distinct(engine.corpus, ranking.ids[ranking.order], 3)
    found = answer_kinds.short_answer(engine.corpus, ranking.question, best)
    signals = dict(zip(answer_kinds.span_names(),
                       answer_kinds.span_signals(found, ranking.question, np.array([0.9, 0.2, 0.1]), 0.8),
                       strict=True))
    assert signals["kind_fit_when"] == 1 and signals["kind_fit_name"] == 0
    assert signals["passage"] == 0 and signals["passage_probability"] == 0.9
    assert signals["dated"] == 1 and signals["confidence"] == 0.8 and signals["words"] == 3


@pytest.mark.parametrize(("sentence", "holder"), [
    # the holder shares a word with the question, and the organisation asked about follows him
    ("Directeur Sjoerd Hoekstra van Bouwbedrijf Hoekstra uit Lemmer zat op de tribune.", "Sjoerd Hoekstra"),
    ("Directeur Jelle Hoekstra van het bouwbedrijf was er niet.", "Jelle Hoekstra"),
    ("Bouwbedrijf Hoekstra uit Lemmer bouwt het zwembad.", None),  # only the question's own words
])
def test_the_holder_of_a_role_may_share_a_word_with_the_question(sentence, holder):
    text = " date 2023-03\nZwembad\n\n" + sentence + " " + FILLER
    built = Engine([parse_document("a", text)], semantic=False)
    q = built.ranker().rank("Wie is de directeur van Bouwbedrijf Hoekstra?").question
    sentence_at = built.sentences[sentence_id(built, sentence[:12])]
    span = answer_kinds.asked_type(q).find(built.corpus, q, sentence_at)
    assert (span.text if span else None) == holder
