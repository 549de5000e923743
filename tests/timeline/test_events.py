"""The story as dated events: one event per happening, merged across outlets, in date order."""
import datetime as dt

import numpy as np
import pytest

from qa.language.spans import date_value
from qa.pipeline.engine import Engine
from qa.pipeline.question import read_question
from qa.sources.documents import parse_document
from qa.timeline.events import Mention, event_json, same_event

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
