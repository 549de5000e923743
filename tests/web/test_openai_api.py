"""/v1: the OpenAI-compatible routes, through Flask's test client. The same
routes driven by the real `openai` client over gunicorn: test_openai_client.py."""
import json

import pytest

from qa import create_app

QUESTION = {"role": "user", "content": "when did the formal reports come in"}


def chat(client, **body):
    return client.post("/v1/chat/completions", json={"model": "qa", "messages": [QUESTION], **body})


def events(response) -> list:
    lines = [line for line in response.get_data(as_text=True).split("\n\n") if line]
    assert all(line.startswith("data: ") for line in lines)
    assert lines[-1] == "data: [DONE]"
    return [json.loads(line[len("data: "):]) for line in lines[:-1]]


def test_models_lists_the_one_model(client):
    body = client.get("/v1/models").get_json()
    assert body["object"] == "list" and [m["id"] for m in body["data"]] == ["qa"]
    assert client.get("/v1/models/qa").get_json()["id"] == "qa"


def test_an_answer_cites_its_passages_with_links_that_open_them(client):
    body = chat(client).get_json()
    message = body["choices"][0]["message"]
    assert message["content"].startswith(body["qa"]["answer"] + " [1]")
    annotations = message["annotations"]
    assert len(annotations) == len(body["qa"]["passages"]) == 3
    for n, (annotation, passage) in enumerate(zip(annotations, body["qa"]["passages"], strict=True), 1):
        cited = annotation["url_citation"]
        assert message["content"][cited["start_index"]:cited["end_index"]] == f"[{n}]"
        assert cited["url"] == f"http://localhost/sources/{passage['source']}#{passage['start']}-{passage['end']}"
        page = client.get(cited["url"])
        assert page.status_code == 200 and "text/html" in page.content_type
        text = client.get(f"/api/sources/{passage['source']}").get_json()["text"]
        assert text[passage["start"]:passage["end"]] == passage["text"]


def test_k_chooses_how_many_passages_are_cited(client):
    body = chat(client, k=1).get_json()
    assert body["choices"][0]["message"]["content"].endswith("[1]")
    assert len(body["qa"]["passages"]) == 1


def test_unanswerable_says_the_sources_do_not_say(client):
    body = client.post("/v1/chat/completions", json={"model": "qa", "messages": [
        {"role": "user", "content": "What is the capital of France?"}]}).get_json()
    assert body["choices"][0]["message"] == {"role": "assistant", "content": "The sources do not say.",
                                             "refusal": None, "annotations": []}


def test_a_follow_up_reads_the_earlier_turns_as_api_ask_does(client):
    first = client.post("/v1/chat/completions", json={"model": "qa", "messages": [
        {"role": "user", "content": "What happened in February 2021?"}]}).get_json()
    turns = [{"role": "user", "content": "What happened in February 2021?"},
             {"role": "assistant", "content": first["choices"][0]["message"]["content"]},
             {"role": "user", "content": "And the month after that?"}]
    follow_up = client.post("/v1/chat/completions", json={"model": "qa", "messages": turns}).get_json()
    asked = client.post("/api/ask", json={"question": "And the month after that?", "k": 3, "history": [
        {"role": "user", "content": "What happened in February 2021?"},
        {"role": "assistant", "content": first["qa"]["answer"] or ""}]}).get_json()
    assert follow_up["qa"] == asked
    assert "Maart 2021" in follow_up["qa"]["passages"][0]["text"]


def test_streaming_sends_the_same_text_and_the_citations_last(client):
    plain = chat(client).get_json()
    response = chat(client, stream=True)
    assert response.status_code == 200 and response.mimetype == "text/event-stream"
    chunks = events(response)
    assert "".join(c["choices"][0]["delta"].get("content", "") for c in chunks) == \
        plain["choices"][0]["message"]["content"]
    assert chunks[-1]["choices"][0]["delta"]["annotations"] == plain["choices"][0]["message"]["annotations"]
    assert chunks[-1]["qa"] == plain["qa"]


def test_stream_options_include_usage_adds_a_usage_chunk(client):
    chunks = events(chat(client, stream=True, stream_options={"include_usage": True}))
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["prompt_tokens"] == 7


def test_other_openai_parameters_are_accepted(client):
    response = chat(client, temperature=0.2, max_tokens=50, top_p=1, user="u1", n=1, stream=False)
    assert response.status_code == 200


@pytest.mark.parametrize("body, status, code, param", [
    ({"model": "gpt-4o", "messages": [QUESTION]}, 404, "model_not_found", "model"),
    ({"messages": [QUESTION]}, 400, "invalid_request", None),
    ({"model": "qa", "messages": []}, 400, "invalid_request", "messages"),
    ({"model": "qa", "messages": [{"role": "assistant", "content": "hi"}]}, 400, "invalid_messages",
     "messages"),
    ({"model": "qa", "messages": [{"role": "user", "content": " "}]}, 400, "invalid_messages", "messages"),
    ({"model": "qa", "messages": [{"role": "robot", "content": "hi"}]}, 400, "invalid_request",
     "messages.0.role"),
    ({"model": "qa", "messages": [{"role": "user", "content": "x" * 1001}]}, 400, "question_too_long",
     "messages"),
    ({"model": "qa", "messages": [QUESTION], "n": 2}, 400, "invalid_request", "n"),
    ({"model": "qa", "messages": [QUESTION], "k": 0}, 400, "invalid_request", "k"),
])
def test_errors_come_in_openai_shape_with_the_right_status(client, body, status, code, param):
    response = client.post("/v1/chat/completions", json=body)
    assert response.status_code == status
    error = response.get_json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["code"] == code and error["param"] == param and error["message"]
    assert error["type"] == "invalid_request_error"


def test_an_error_of_a_stream_request_is_an_ordinary_json_error(client):
    response = client.post("/v1/chat/completions",
                           json={"model": "nope", "messages": [QUESTION], "stream": True})
    assert response.status_code == 404 and response.is_json


@pytest.mark.parametrize("request_args, status", [
    ({"data": "{", "content_type": "application/json"}, 400),
    ({"data": "hello", "content_type": "text/plain"}, 415),
    ({"json": [1, 2]}, 400),
])
def test_malformed_bodies_are_openai_errors(client, request_args, status):
    response = client.post("/v1/chat/completions", **request_args)
    assert response.status_code == status and response.get_json()["error"]["type"] == "invalid_request_error"


def test_unknown_routes_and_models_under_v1_are_404_in_openai_shape(client):
    for path in ("/v1/embeddings", "/v1/models/gpt-4o"):
        response = client.get(path)
        assert response.status_code == 404 and set(response.get_json()["error"]) >= {"message", "type"}


def test_a_long_conversation_fits_the_chat_body_limit_but_not_a_larger_one(engine):
    app = create_app({"TESTING": True, "QA_ENGINE": engine, "QA_MAX_CHAT_BODY_BYTES": 200_000})
    client = app.test_client()
    turns = [{"role": "user", "content": "Wie is Ivens? " * 100},
             {"role": "assistant", "content": "x " * 500}]
    messages = turns * 60 + [QUESTION]  # ~ 130 kB: over /api/ask's 64 KiB, under this limit
    assert client.post("/v1/chat/completions", json={"model": "qa", "messages": messages}).status_code == 200
    response = client.post("/v1/chat/completions", json={"model": "qa", "messages": messages * 2})
    assert response.status_code == 413 and response.get_json()["error"]["type"] == "invalid_request_error"


class TestApiKey:
    @pytest.fixture
    def client(self, engine):
        return create_app({"TESTING": True, "QA_ENGINE": engine, "QA_API_KEY": "s3cret"}).test_client()

    @pytest.mark.parametrize("authorization",
                             [None, "Bearer wrong", "s3cret", "Basic s3cret", "Bearer s3cre"])
    def test_without_the_key_v1_answers_401_in_openai_shape(self, client, authorization):
        headers = {"Authorization": authorization} if authorization else {}
        for response in (client.get("/v1/models", headers=headers),
                         client.post("/v1/chat/completions", headers=headers,
                                     json={"model": "qa", "messages": [QUESTION]})):
            assert response.status_code == 401
            assert response.get_json()["error"]["code"] == "invalid_api_key"
            assert response.get_json()["error"]["type"] == "authentication_error"
            assert response.headers["WWW-Authenticate"].startswith("Bearer")

    def test_without_the_key_api_ask_answers_401_in_its_own_shape(self, client):
        response = client.post("/api/ask", json={"question": "Wie is Ivens?"})
        assert response.status_code == 401
        assert response.get_json() == {"error": {"code": "invalid_api_key", "message": response.get_json()[
            "error"]["message"]}}

    def test_with_the_key_everything_answers(self, client):
        headers = {"Authorization": "Bearer s3cret"}
        assert client.get("/v1/models", headers=headers).status_code == 200
        assert client.post("/api/ask", headers=headers, json={"question": "Wie is Ivens?"}).status_code == 200
        assert client.post("/v1/chat/completions", headers={"Authorization": "bearer s3cret"},
                           json={"model": "qa", "messages": [QUESTION]}).status_code == 200

    @pytest.mark.parametrize("path", ["/", "/healthz", "/openapi.json", "/api/sources"])
    def test_the_page_the_sources_and_health_stay_open(self, client, path):
        assert client.get(path).status_code == 200


def test_without_a_key_configured_everything_is_open(client):
    assert client.get("/v1/models").status_code == 200
    assert client.post("/api/ask", json={"question": "Wie is Ivens?"}).status_code == 200
