"""Disagreement: two sources giving different values for the same thing are shown both, each
cited; compatible values and values about different happenings are none."""
import pytest

from qa.pipeline.engine import Engine
from qa.sources.documents import parse_document

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
