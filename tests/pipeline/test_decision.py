"""The one path from a ranking to the answer: the passages without repeats,
the short answer, the abstention signals, and the answer given or null."""
from dataclasses import replace

import numpy as np
import pytest

from qa.pipeline import abstain, decision
from qa.pipeline.dedupe import distinct
from qa.pipeline.engine import Engine
from qa.pipeline.model import LEXICAL_MODEL_FILE, Models
from qa.sources.documents import parse_document

QUOTE = "Hij zei: \u201cIk heb fouten gemaakt bij de aanbesteding van de nieuwe brug.\u201d "
ARTICLES = {
    "a": " date 2021-03 De minister Jan de Vries is op 4 maart afgetreden. " + QUOTE +
         "De brug kostte 40 miljoen euro.\n",
    "b": " date 2021-03 Minister weg\n\n" + QUOTE + "De Vries was twee jaar minister.\n",
    # other news, so that the question's words are rare enough to score (BM25's idf)
    "c": " ".join(f"Zin {n} gaat over iets anders." for n in range(20)),
}


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine([parse_document(i, t) for i, t in ARTICLES.items()], semantic=False)


def test_the_same_quote_in_two_outlets_is_one_passage_with_both_sources(engine):
    ranking = engine.rank("Wat zei de minister over de aanbesteding van de brug?")
    best, copies = distinct(engine.corpus, ranking.ids[ranking.order], 5)
    quoted = [i for i in best.tolist() if "aanbesteding" in engine.sentences[i].text]
    assert len(quoted) == 1
    assert {engine.sentences[c].doc_id for c in copies[quoted[0]]} == {"a", "b"}


def test_read_keeps_k_passages_and_their_rows(engine):
    ranking = engine.rank("Wat zei de minister over de brug?")
    every = decision.read(engine.corpus, ranking, 5)
    assert len(every.best) >= 2
    reading = decision.read(engine.corpus, ranking, 1)
    assert reading.best.tolist() == every.best[:1].tolist() and len(reading.probabilities) == 1
    assert [int(ranking.ids[n]) for n in reading.rows] == reading.best.tolist()
    assert len(reading.signals) == len(abstain.names())


def test_the_short_answer_is_drawn_from_the_passages_read(engine):
    reading = decision.read(engine.corpus, engine.rank("Wanneer trad de minister af?"), 5)
    assert reading.short is not None and reading.short.text == "4 maart 2021"


def test_the_service_answers_as_decide_does(engine):
    question = "Hoeveel kostte de brug?"
    ranking = engine.rank(question)
    decided = decision.decide(engine.corpus, ranking, decision.read(engine.corpus, ranking, 5), engine.models)
    result = engine.ask(question)
    assert (result.answer, result.confidence) == (decided.answer, decided.confidence)


def test_below_the_threshold_the_answer_is_null_with_its_confidence(engine):
    models = Models.load(LEXICAL_MODEL_FILE)
    never = replace(models, abstain=replace(models.abstain, threshold=1.01))
    ranking = engine.rank("Hoeveel kostte de brug?")
    decided = decision.decide(engine.corpus, ranking, decision.read(engine.corpus, ranking, 5), never)
    assert decided.answer is None and 0.0 < decided.confidence <= 1.0


def test_no_passage_is_no_answer(engine):
    ranking = engine.rank("Hoeveel kostte de brug?")
    empty = replace(ranking, ids=np.zeros(0, dtype=np.int64), order=np.zeros(0, dtype=np.int64))
    reading = decision.read(engine.corpus, empty, 5)
    assert reading.short is None and not reading.signals.any()
    assert decision.decide(engine.corpus, empty, reading, engine.models) == decision.Decision(None, 0.0)
