"""The ranking features: one registry, each feature a named column with a value per candidate."""
import numpy as np
import pytest

from qa.pipeline import features
from qa.pipeline.engine import Engine
from qa.sources.documents import parse_document

FILLER = " ".join(f"Zin {n} gaat over iets anders." for n in range(30))
ARTICLE = ("Wethouder treedt af\n\n"
           "De wethouder is op 5 juli afgetreden. Aanleiding is een rapport over zijn gedrag. "
           "Hij zei: \u201cIk heb fouten gemaakt.\u201d " + FILLER)


@pytest.fixture(scope="module")
def engine():
    return Engine([parse_document("a", ARTICLE)], semantic=False)


def columns(engine, question, history=()):
    """Each feature's value per candidate sentence text."""
    ranking = engine.rank(question, history, full=True)
    return {engine.sentences[int(i)].text: dict(zip(features.names(), row, strict=True))
            for i, row in zip(ranking.ids, ranking.X, strict=True)}


def test_names_are_unique_and_stage_one_comes_first():
    names = features.names()
    assert len(names) == len(set(names))
    assert names[:len(features.names(stage=1))] == features.names(stage=1)
    assert all(f.stage == 1 for f in features.FEATURES[:len(features.names(stage=1))])


def test_registering_a_name_twice_or_a_stage_that_does_not_exist_is_refused():
    with pytest.raises(ValueError, match="twice"):
        features.feature("bm25", "again")(lambda c, rows: rows)
    with pytest.raises(ValueError, match="stage must be 1 or 2"):
        features.feature("new", "x", stage=3)


def test_every_feature_gives_a_finite_value_per_candidate(engine):
    for values in columns(engine, "Waarom is de wethouder afgetreden?").values():
        assert all(np.isfinite(v) for v in values.values())


def test_the_best_bm25_match_scores_one_and_the_headline_is_marked(engine):
    found = columns(engine, "Wanneer is de wethouder afgetreden?")
    assert max(v["bm25"] for v in found.values()) == pytest.approx(1.0)
    assert found["Wethouder treedt af"]["heading"] == 1
    assert found["De wethouder is op 5 juli afgetreden."]["heading"] == 0


def test_a_date_fits_a_when_question_and_only_that(engine):
    when = columns(engine, "Wanneer is de wethouder afgetreden?")
    assert when["De wethouder is op 5 juli afgetreden."]["fit_when"] == 1
    who = columns(engine, "Wie is afgetreden?")
    assert who["De wethouder is op 5 juli afgetreden."]["fit_when"] == 0


def test_a_reason_after_the_event_carries_the_event_sentence_score(engine):
    found = columns(engine, "Waarom is de wethouder afgetreden?")
    follows = found["Aanleiding is een rapport over zijn gedrag."]["reason_follows"]
    assert follows == pytest.approx(found["De wethouder is op 5 juli afgetreden."]["bm25"])
    assert found["De wethouder is op 5 juli afgetreden."]["reason_follows"] == 0


def test_a_quotation_fits_what_someone_said(engine):
    found = columns(engine, "Wat zei de wethouder over fouten?")
    assert found["Hij zei: \u201cIk heb fouten gemaakt.\u201d"]["quotation"] == 1


def test_a_follow_up_marks_the_sentences_cited_for_the_previous_question(engine):
    history = [{"role": "user", "content": "Wanneer is de wethouder afgetreden?"},
               {"role": "assistant", "content": "5 juli"}]
    found = columns(engine, "En waarom deed hij dat?", history)
    assert found["De wethouder is op 5 juli afgetreden."]["previous"] == 1
    assert all(v["previous"] == 0 for v in columns(engine, "Waarom is de wethouder afgetreden?").values())
