"""GET /api/timeline: the seeds' story in date order, narrowed by topic and source; bad input is a
clear JSON error, never a 500."""
import pytest

from qa import create_app


def dates(response) -> list[str]:
    return [e["date"] for e in response.get_json()["events"]]


def test_the_seeds_story_in_date_order_with_its_outlets(client, engine):
    response = client.get("/api/timeline")
    assert response.status_code == 200
    data = response.get_json()
    found = dates(response)
    assert data["count"] == len(found)
    firsts = [e["first"] for e in data["events"]]
    assert firsts == sorted(firsts)
    for year_or_month in ("2019", "2020", "2021-01", "2021-02", "2021-03"):
        assert any(d.startswith(year_or_month) for d in found), year_or_month
    assert any(d.startswith("2021-07") for d in found)
    resignation = next(e for e in data["events"] if e["date"] == "2021-07-05")
    assert len(resignation["sources"]) >= 2  # reported by several outlets, merged
    for event in data["events"]:
        for s in event["sentences"]:
            assert engine.documents[s["source"]].text[s["start"]:s["end"]] == s["text"]


def test_a_topic_and_a_source_narrow_it(client, engine):
    everything = dates(client.get("/api/timeline"))
    topic = dates(client.get("/api/timeline", query_string={"q": "formele melding"}))
    assert topic and len(topic) < len(everything)
    source = next(iter(engine.documents))
    one = client.get("/api/timeline", query_string={"source": source}).get_json()["events"]
    assert one and all(s["source"] == source for e in one for s in e["sentences"])


@pytest.mark.parametrize(("query", "status", "code"), [
    ({"source": "no-such-source"}, 404, "unknown_source"),
    ({"q": ""}, 400, "empty_question"),
    ({"q": "   "}, 400, "empty_question"),
    ({"q": "x" * 301}, 400, "question_too_long"),
])
def test_bad_input_is_a_clear_error(client, query, status, code):
    response = client.get("/api/timeline", query_string=query)
    assert response.status_code == status
    assert response.get_json()["error"]["code"] == code


def test_a_folder_without_dates_has_an_empty_timeline(tmp_path):
    (tmp_path / "a.txt").write_text("Iets zonder datum\n\nDe brug is mooi. Het water is koud.\n",
                                    encoding="utf-8")
    client = create_app({"TESTING": True, "QA_SOURCES": str(tmp_path), "QA_SEMANTIC": False,
                         "QA_INDEX": "", "QA_DATA_DIR": ""}).test_client()
    response = client.get("/api/timeline")
    assert response.status_code == 200 and response.get_json() == {"events": [], "count": 0}


@pytest.mark.parametrize(("warm_max", "built"), [(0, False), (10_000, True)])
def test_the_timeline_is_built_with_the_engine_up_to_a_size(tmp_path, monkeypatch, warm_max, built):
    from qa.web import store

    monkeypatch.setattr(store, "TIMELINE_WARM_MAX", warm_max)
    (tmp_path / "a.txt").write_text(" date 2021-07\nWeg\n\nIn 2019 kwam een signaal binnen.\n",
                                    encoding="utf-8")
    app = create_app({"TESTING": True, "QA_SOURCES": str(tmp_path), "QA_SEMANTIC": False, "QA_INDEX": "",
                      "QA_DATA_DIR": ""})
    engine = app.extensions["qa.sources"].engine
    assert ("timeline" in vars(engine)) is built
    assert [e["date"] for e in app.test_client().get("/api/timeline").get_json()["events"]] == ["2019"]
