import pytest


def ask(client, **body):
    return client.post("/api/ask", json=body)


def test_ask_returns_the_documented_shape(client, engine):
    response = ask(client, question="Wanneer trad Ivens af?", k=3)
    assert response.status_code == 200
    data = response.get_json()
    assert set(data) == {"answer", "confidence", "passages", "disagreement"}
    assert 0 <= data["confidence"] <= 1
    assert 1 <= len(data["passages"]) <= 3
    scores = [p["score"] for p in data["passages"]]
    assert scores == sorted(scores, reverse=True)
    for p in data["passages"]:
        assert {"source", "title", "date", "sentence", "text", "start", "end", "score"} <= set(p)
        assert engine.documents[p["source"]].text[p["start"]:p["end"]] == p["text"]


def test_ask_answers_with_a_date_and_cites_it(client):
    data = ask(client, question="Wanneer trad Ivens af?").get_json()
    assert "5 juli" in data["answer"]
    assert "5 juli" in data["passages"][0]["text"]


def test_debug_shows_how_the_question_was_read(client):
    data = ask(client, question="Wanneer trad Ivens af?", debug=True).get_json()
    assert data["debug"]["answer_type"] == "when" and data["debug"]["language"] == "nl"
    assert data["debug"]["query"] and "terms" in data["passages"][0]["debug"]


def test_follow_up_uses_the_history(client):
    history = [{"role": "user", "content": "Who is the mayor of Amsterdam?"},
               {"role": "assistant", "content": "Femke Halsema"}]
    plain = ask(client, question="What did she say?", debug=True).get_json()
    followed = ask(client, question="What did she say?", history=history, debug=True).get_json()
    assert not plain["debug"]["follow_up"] and followed["debug"]["follow_up"]
    assert any("halsema" in t["terms"] for t in followed["debug"]["query"])


def test_sources_list_and_one_source(client):
    listing = client.get("/api/sources").get_json()["sources"]
    assert len(listing) == 5 and all(s["sentences"] > 0 for s in listing)
    one = client.get(f"/api/sources/{listing[0]['id']}").get_json()
    assert set(one) >= {"id", "title", "date", "text", "sentences"}
    for s in one["sentences"]:
        assert one["text"][s["start"]:s["end"]] == s["text"]


def test_healthz(client):
    data = client.get("/healthz").get_json()
    assert data["status"] == "ok" and data["sources"] == 5


def test_chat_page_is_served_with_its_assets(client):
    page = client.get("/").get_data(as_text=True)
    assert 'role="log"' in page and '<label for="question"' in page
    with client.get("/static/chat.js") as response:
        script = response.get_data(as_text=True)
    assert "textContent" in script and "innerHTML" not in script


BAD_BODIES = [
    ({}, "missing_field"),
    ({"question": ""}, "empty_question"),
    ({"question": "   "}, "empty_question"),
    ({"question": 42}, "invalid_request"),
    ({"question": None}, "invalid_request"),
    ({"question": "x" * 1001}, "question_too_long"),
    ({"question": "ok", "k": 0}, "invalid_k"),
    ({"question": "ok", "k": 21}, "invalid_k"),
    ({"question": "ok", "k": -1}, "invalid_k"),
    ({"question": "ok", "k": 10**9}, "invalid_k"),
    ({"question": "ok", "k": 2.5}, "invalid_k"),
    ({"question": "ok", "k": "5"}, "invalid_k"),
    ({"question": "ok", "k": True}, "invalid_k"),
    ({"question": "ok", "history": "earlier"}, "invalid_history"),
    ({"question": "ok", "history": [{"role": "system", "content": "x"}]}, "invalid_history"),
    ({"question": "ok", "history": [{"role": "user"}]}, "invalid_history"),
    ({"question": "ok", "history": [{"role": "user", "content": 3}]}, "invalid_history"),
    ({"question": "ok", "history": [{"role": "user", "content": "x"}] * 101}, "invalid_history"),
    ({"question": "ok", "surprise": 1}, "invalid_request"),
    ([1, 2], "invalid_request"),
    ("just a string", "invalid_request"),
]


@pytest.mark.parametrize(("body", "code"), BAD_BODIES)
def test_bad_requests_get_400_and_the_error_shape(client, body, code):
    response = client.post("/api/ask", json=body)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == code
    assert response.get_json()["error"]["message"]


@pytest.mark.parametrize("raw", [b"{not json", b"", b"\xff\xfe", b"[" * 100_000 + b"]" * 100_000])
def test_body_that_is_not_json(client, raw):
    response = client.post("/api/ask", data=raw, content_type="application/json")
    assert response.status_code in (400, 413)
    assert "error" in response.get_json()


def test_lone_surrogate_is_refused_not_a_500(client):
    response = client.post("/api/ask", data=b'{"question": "wie \\ud800 is"}',
                           content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_text"


def test_odd_but_valid_text_is_answered(client):
    for question in ["wie\u0000is Amber", "\u202eWie is Amber?", "Wie\u200b is Amber?", "🙂"]:
        assert ask(client, question=question).status_code == 200


def test_a_history_of_exactly_the_limit_is_answered(client):
    turns = [{"role": "user" if i % 2 == 0 else "assistant", "content": f"vraag {i} over Ivens"}
             for i in range(100)]
    response = client.post("/api/ask", json={"question": "En wie nam het over?", "history": turns})
    assert response.status_code == 200 and "passages" in response.get_json()


def test_wrong_content_type_is_415(client):
    response = client.post("/api/ask", data="question=hi", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert response.get_json()["error"]["code"] == "unsupported_media_type"


def test_body_over_the_limit_is_413(client):
    response = client.post("/api/ask", data=b'{"question": "' + b"a" * 70_000 + b'"}',
                           content_type="application/json")
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "request_entity_too_large"


def test_unknown_path_and_method(client):
    assert client.get("/api/nope").status_code == 404
    assert client.get("/api/nope").get_json()["error"]["code"] == "not_found"
    response = client.get("/api/ask")
    assert response.status_code == 405 and "POST" in response.headers["Allow"]
    assert client.get("/api/sources/nope").status_code == 404


def test_an_unexpected_failure_is_a_json_500_without_a_traceback(app, monkeypatch):
    from qa.web import store

    class Broken:
        def ask(self, *args, **kwargs):
            raise RuntimeError("secret internals")

    monkeypatch.setitem(app.extensions, store.EXTENSION, Broken())
    response = app.test_client().post("/api/ask", json={"question": "hi"})
    assert response.status_code == 500
    assert "secret" not in response.get_data(as_text=True)
    assert response.get_json()["error"]["code"] == "internal_error"
