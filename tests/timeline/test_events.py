"""The story as dated events: one event per happening, merged across outlets, in date order."""
import datetime as dt

import numpy as np
import pytest

from qa.language.spans import date_value
from qa.pipeline.engine import Engine
from qa.pipeline.question import read_question
from qa.sources.documents import parse_document
from qa.timeline.events import (
    DISPUTE_DAYS,
    MAY_DATE,
    Mention,
    disputed_event,
    event_json,
    merge,
    same_event,
)

from samples import PILE

ARTICLES = {
    "a": " date 2021-07-05\nWethouder weg\n\nIn 2019 kwam een eerste signaal binnen over de wethouder. "
         "Begin dit jaar deden vier medewerkers een formele melding over de wethouder. "
         "Op 5 juli trad de wethouder af.\n",
    "b": " date 2021-10\nTerugblik\n\n"
         "Burgemeester Halsema kreeg in 2019 een eerste signaal over de wethouder binnen. "
         "Februari 2021: vier medewerkers doen een formele melding over de wethouder. "
         "De wethouder besloot op 5 juli af te treden.\n",
    "c": " date 2021-08\nAnder nieuws\n\n" + " ".join(f"Zin {n} gaat over iets anders." for n in range(15)),
}


@pytest.fixture(scope="module")
def engine():
    return Engine([parse_document(i, t) for i, t in ARTICLES.items()], semantic=False)


def test_each_happening_is_one_event_with_every_outlet_in_date_order(engine):
    events = [event_json(engine.corpus, e) for e in engine.timeline.events]
    assert [e["date"] for e in events] == ["2019", "2021-02", "2021-07-05"]
    assert all(e["sources"] == ["a", "b"] or set(e["sources"]) == {"a", "b"} for e in events)
    reports = events[1]
    assert reports["precision"] == "month"  # the most precise of "begin dit jaar" and "februari 2021"
    for e in events:
        for s in e["sentences"]:
            assert engine.documents[s["source"]].text[s["start"]:s["end"]] == s["text"]


def test_a_sentence_without_a_date_of_its_own_is_no_event(engine):
    dated = {i for e in engine.timeline.events for i in e.sentences()}
    assert all("Zin" not in engine.sentences[i].text for i in dated)
    undated = np.array([i for i, s in enumerate(engine.sentences) if "Zin" in s.text])
    assert not engine.timeline.select(undated)


def test_a_topic_and_a_source_narrow_the_timeline(engine):
    topic = engine.timeline.about(read_question("formele melding", (), engine.analyzer))
    assert [e.date.label for e in topic] == ["2021-02"]
    only_a = engine.timeline.select(source="a")
    assert only_a and all(engine.sentences[m.sentence].doc_id == "a" for e in only_a for m in e.mentions)


def test_a_folder_without_dates_has_an_empty_timeline():
    engine = Engine([parse_document("c", ARTICLES["c"])], semantic=False)
    assert engine.timeline.events == []


def _mention(sentence: int, terms: set[str]) -> Mention:
    return Mention(sentence, date_value(dt.datetime(2021, 2, 1), "month"), frozenset(terms))


@pytest.mark.parametrize(("shared", "cosine", "same"), [
    ({"vier", "melding", "formeel", "ambtenar"}, None, True),  # enough words: no meaning asked
    ({"vier"}, 0.95, True),  # few words, close in meaning
    ({"vier"}, 0.80, False),  # few words, not close enough
    (set(), 0.99, False),  # no word in common: never, however close
])
def test_mentions_worded_differently_are_one_event_only_when_close_in_meaning(shared, cosine, same):
    a = _mention(1, shared | {"melding", "formeel", "ambtenar", "ontstemd", "zak", "gang", "vrouwelijk"})
    many = {"medewerker", "formeel", "melding", "overlapt", "signal", "eerder", "alsnog"}
    other = many if len(shared) > 2 else {"officieel", "dien", "klacht", "bel", "trekken", "opnieuw"}
    b = _mention(2, shared | other)
    similarity = None if cosine is None else (lambda i, j: cosine)
    assert same_event(a, b, similarity) is same


@pytest.mark.parametrize(("warm_max", "compared"), [(0, False), (10_000, True)])
def test_meaning_is_compared_only_where_passage_vectors_are_made_at_build(monkeypatch, warm_max, compared):
    from qa.pipeline import engine as engine_module

    seen = []
    monkeypatch.setattr(engine_module, "PASSAGE_WARM_MAX", warm_max)
    def build(cls, corpus, similarity=None):
        seen.append(similarity)
        return cls(corpus, [])

    monkeypatch.setattr(engine_module.Timeline, "build", classmethod(build))
    built = Engine([parse_document(i, t) for i, t in ARTICLES.items()])
    assert built.timeline.events == [] and (seen[0] is not None) is compared


def _dated(sentence: int, day: dt.date, terms: set[str], source: str, published: str = "2024-01-01",
           precision: str = "day") -> Mention:
    return Mention(sentence, date_value(dt.datetime(day.year, day.month, day.day), precision),
                   frozenset(terms), source, published)


PILE_TERMS = {"eerst", "paal", "slaan"}


@pytest.mark.parametrize(("other_day", "other_source", "terms", "disputed"), [
    (dt.date(2021, 11, 12), "b", PILE_TERMS | {"bouw"}, True),  # two outlets, close dates, the same words
    (dt.date(2021, 10, 1) + dt.timedelta(days=DISPUTE_DAYS + 31), "b", PILE_TERMS, False),  # too far apart
    (dt.date(2021, 11, 12), "a", PILE_TERMS, False),  # one outlet does not dispute itself
    (dt.date(2021, 11, 12), "b", {"eerst", "opening", "zwembad"}, False),  # other words: another event
])
def test_two_outlets_dating_one_event_differently_dispute_its_date(other_day, other_source, terms, disputed):
    october = _dated(1, dt.date(2021, 10, 1), PILE_TERMS | {"grond"}, "a", precision="month")
    other = _dated(2, other_day, terms, other_source)
    assert disputed_event(october, other) is disputed
    events = merge([october, other])
    assert len(events) == (1 if disputed else 2)


def test_a_disputed_event_is_dated_by_most_sources_then_the_most_recent():
    october = _dated(1, dt.date(2021, 10, 1), PILE_TERMS | {"grond"}, "a", "2023-03-16", precision="month")
    november = _dated(2, dt.date(2021, 11, 12), PILE_TERMS | {"bouw"}, "b", "2024-09-09")
    [event] = merge([october, november])
    assert event.date.label == "2021-11-12" and [d.label for d in event.disputed] == ["2021-10"]
    also_october = _dated(3, dt.date(2021, 10, 20), PILE_TERMS, "c", "2022-01-01")
    [event] = merge([october, november, also_october])
    assert event.date.label == "2021-10-20"  # two outlets in October (its most precise) against one
    assert [d.label for d in event.disputed] == ["2021-11-12"]


def test_a_mention_that_reports_two_events_joins_them_when_their_dates_meet():
    # the season mention comes last and reports both: one event, dated by its most precise mention
    february = _dated(1, dt.date(2021, 2, 1), {"vier", "melding", "formeel", "ambtenar"}, "a",
                      precision="month")
    early = Mention(2, date_value(dt.datetime(2021, 1, 1), "year", "early"),
                    frozenset({"medewerker", "alsnog", "deels", "overlap"}), "b")  # nothing of February's
    bridge = Mention(3, date_value(dt.datetime(2021, 1, 1), "year", "early"),
                     frozenset({"medewerker", "alsnog", "melding", "formeel", "ambtenar"}), "c")
    assert len(merge([february, early])) == 2
    events = merge([february, early, bridge])
    assert len(events) == 1 and events[0].date.label == "2021-02"
    march = _dated(4, dt.date(2021, 3, 1), {"vier", "medewerker", "onderzoek"}, "d", precision="month")
    assert len(merge([february, march, bridge])) == 2  # February and March do not meet: not one event


@pytest.mark.parametrize("sentence", [
    "Kallio maakte het besluit gisteren bekend.", "Eergisteren sloot de fabriek.", "Vandaag opent het bad.",
    "The plant closed yesterday.", "Het concern nam de fabriek zes jaar geleden over.",
])
def test_the_prefilter_lets_through_every_date_the_finder_reads(sentence):
    from qa.language.spans import find_date_values

    assert find_date_values(sentence, "2023-01-18") and MAY_DATE.search(sentence.lower())


def test_the_terminal_and_the_api_show_a_disputed_date():
    from qa.cli.timeline import render

    built = Engine([parse_document(i, t) for i, t in PILE.items()], semantic=False)
    [event] = [event_json(built.corpus, e) for e in built.timeline.events]
    assert event["date"] == "2021-11-12"
    assert event["disputed"] == [{"date": "2021-10", "precision": "month", "sources": ["a"]}]
    assert "(sources differ: October 2021 according to Zwembad duurder)" in render([event])  # its outlet
