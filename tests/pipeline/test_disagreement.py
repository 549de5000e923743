"""Disagreement: two sources giving different values for the same thing are shown both, each
cited; compatible values and values about different happenings are none."""
import numpy as np
import pytest

from qa.pipeline.engine import Engine
from qa.sources.documents import parse_document

from samples import PILE

OTHER = " date 2023-05-01\nAnder nieuws\n\n" + " ".join(f"Zin {n} gaat over iets anders." for n in range(20))


def engine_of(a: str, b: str) -> Engine:
    return Engine([parse_document("a", " date 2023-05-02\nNieuwe brug kost meer\n\n" + a + "\n"),
                   parse_document("b", " date 2023-05-03\nBrug duurder dan gedacht\n\n" + b + "\n"),
                   parse_document("c", OTHER)], semantic=False)


@pytest.fixture(scope="module")
def differing():
    return engine_of("De nieuwe brug over de Waal kost 14 miljoen euro, meldt de gemeente.",
                     "De nieuwe brug over de Waal kost 16 miljoen euro, zegt de provincie.")


@pytest.mark.parametrize("question", ["Hoeveel kost de nieuwe brug over de Waal?",
                                      "How much does the new bridge over the Waal cost?"])
def test_two_amounts_for_the_same_thing_are_both_shown_each_cited(differing, question):
    result = differing.ask(question)
    found = result.to_json()["disagreement"]
    assert found is not None and found["kind"] == "amount"
    assert {tuple(v["sources"]) for v in found["values"]} == {("a",), ("b",)}
    for v in found["values"]:
        cited = [result.passages[n] for n in v["passages"]]
        assert cited and all(p.source in v["sources"] for p in cited)
        assert any(v["value"].split()[0] in p.text for p in cited)
    # the short answer is the best-supported value (here: the more recent), and the conflict lowers confidence
    assert result.answer == found["values"][0]["value"]
    alone = engine_of("De nieuwe brug over de Waal kost 14 miljoen euro, meldt de gemeente.",
                      "De nieuwe brug over de Waal kost 14 miljoen euro, zegt de provincie.").ask(question)
    assert alone.disagreement is None and result.confidence < alone.confidence


def test_compatible_values_are_no_disagreement():
    engine = engine_of("De nieuwe brug over de Waal kost ruim 14 miljoen euro, meldt de gemeente.",
                       "De nieuwe brug over de Waal kost 14,5 miljoen euro, zegt de provincie.")
    assert engine.ask("Hoeveel kost de nieuwe brug over de Waal?").disagreement is None


def test_a_question_without_a_value_asked_has_none(differing):
    assert differing.ask("Wat zegt de provincie over de brug?").disagreement is None


@pytest.fixture(scope="module")
def seeds():
    return Engine.from_folder("seeds")  # as the service answers, with the encoders


def test_the_formal_reports_are_counted_without_claiming_a_disagreement_with_earlier_signals(seeds):
    result = seeds.ask("how many employees made formal reports")
    assert result.disagreement is None
    assert result.answer in ("4", "vier", "four")


def test_a_conflicting_passage_below_the_answers_passages_is_added_to_them_to_be_cited():
    filler = " ".join(f"De brug over de Waal krijgt {w} rijstroken en een fietspad." for w in
                      ("twee", "drie", "vier", "vijf"))
    engine = engine_of("De nieuwe brug over de Waal kost 14 miljoen euro, meldt de gemeente. " + filler,
                       "De nieuwe brug over de Waal kost 16 miljoen euro, zegt de provincie.")
    result = engine.ask("Hoeveel kost de nieuwe brug over de Waal?", k=1)
    found = result.to_json()["disagreement"]
    assert found is not None and len(result.passages) == 2  # the one asked for, and the one it cites
    cited = {n for v in found["values"] for n in v["passages"]}
    assert cited == {0, 1}
    assert {result.passages[n].source for n in cited} == {"a", "b"}


def test_millions_without_their_currency_disagree_with_other_millions_of_euros():
    engine = engine_of("In juni 2020 trok de raad voor de brug een krediet van 14,5 miljoen euro uit.",
                       "In 2020 trok de raad voor de brug een krediet uit; het ging nog om 13,8 miljoen.")
    found = engine.ask("Hoe groot was het krediet voor de brug?").to_json()["disagreement"]
    assert found is not None and {v["value"].split()[0] for v in found["values"]} == {"14,5", "13,8"}


def test_a_day_of_a_date_is_no_amount():
    engine = engine_of("De gemeenteraad trok 2,7 miljoen euro extra uit voor de brug over de Waal.",
                       "De gemeenteraad beslist op 6 juli over het extra geld voor de brug over de Waal.")
    assert engine.ask("How much extra money did the bridge over the Waal need?").disagreement is None


def test_outlets_that_date_the_answers_event_otherwise_disagree_however_low_they_rank():
    from qa.pipeline import disagreement

    engine = Engine([parse_document(i, t) for i, t in PILE.items()] + [parse_document("c", OTHER)],
                    semantic=False)
    q = engine.ranker().rank("Wanneer werd de eerste paal geslagen?").question
    pile = [i for i, s in enumerate(engine.sentences) if "paal" in s.text]
    october = next(i for i in pile if engine.sentences[i].doc_id == "a")
    others = [i for i, s in enumerate(engine.sentences) if s.doc_id == "c"][:5]
    ranked = np.array([october, *others])  # the other outlet's sentence is not among the candidates
    probabilities = np.linspace(0.9, 0.5, len(ranked))
    assert disagreement.find(engine.corpus, q, ranked, probabilities, 3) is None  # no timeline: none
    found = disagreement.find(engine.corpus, q, ranked, probabilities, 3, timeline=engine.timeline)
    assert found is not None and found.kind == "date"
    assert {tuple(v.sources) for v in found.values} == {("a",), ("b",)}
    [(extra, _)] = found.extra.items()  # cited after the three shown
    assert engine.sentences[extra].doc_id == "b" and {3} in [set(v.passages) for v in found.values]
