"""The OpenAI-compatible API driven by OpenAI's own Python client (the
`openai` package from PyPI) against gunicorn, started as `make run` does,
with an API key set."""
import openai
import pytest
import requests
from conftest import gunicorn

KEY = "test-key-0123456789"
QUESTION = "when did the formal reports come in"


@pytest.fixture(scope="module")
def base_url():
    with gunicorn(QA_API_KEY=KEY) as url:
        yield url


@pytest.fixture
def client(base_url):
    return openai.OpenAI(base_url=base_url + "/v1", api_key=KEY, max_retries=0, timeout=30)


def ask(client, *messages, **options):
    return client.chat.completions.create(model="qa", messages=list(messages), **options)


def user(text):
    return {"role": "user", "content": text}


def test_the_models_list_names_the_service(client):
    assert [m.id for m in client.models.list()] == ["qa"]
    assert client.models.retrieve("qa").id == "qa"


def test_an_answer_with_annotations_that_open_the_cited_sentences(client, base_url):
    completion = ask(client, user(QUESTION))
    message = completion.choices[0].message
    assert message.content.startswith(("early 2021 [1]", "February 2021 [1]"))
    assert len(message.annotations) == 3
    passages = completion.qa["passages"]  # the extra field, kept by the client
    for n, (annotation, passage) in enumerate(zip(message.annotations, passages, strict=True), 1):
        cited = annotation.url_citation
        assert annotation.type == "url_citation"
        assert message.content[cited.start_index:cited.end_index] == f"[{n}]"
        assert requests.get(cited.url, timeout=10).status_code == 200  # the page that marks the sentence
        path, _, span = cited.url.partition("#")
        start, end = map(int, span.split("-"))
        source = requests.get(base_url + "/api/sources/" + path.rsplit("/", 1)[1], timeout=10).json()
        assert source["text"][start:end] == passage["text"]
    assert completion.usage.completion_tokens == len(message.content.split())


def test_streaming_gives_the_same_text_and_the_annotations_last(client):
    plain = ask(client, user(QUESTION)).choices[0].message
    stream = ask(client, user(QUESTION), stream=True, stream_options={"include_usage": True})
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == plain.content
    last = next(c for c in reversed(chunks) if c.choices)
    assert last.choices[0].finish_reason == "stop"
    assert [a["url_citation"]["url"] for a in last.choices[0].delta.annotations] == \
        [a.url_citation.url for a in plain.annotations]
    assert chunks[-1].usage.completion_tokens == len(plain.content.split())


def test_a_follow_up_over_two_turns(client):
    first = ask(client, user("Wanneer trad Ivens af?"))
    assert "juli" in first.choices[0].message.content
    second = ask(client, user("Wanneer trad Ivens af?"),
                 {"role": "assistant", "content": first.choices[0].message.content},
                 user("En wie neemt zijn taken over?"))
    # The follow-up names nobody; read with the first turn, it is about Ivens's portfolios.
    texts = " ".join(p["text"] for p in second.qa["passages"])
    assert "Ivens" in texts or "portefeuille" in texts


def test_when_the_sources_do_not_say_the_answer_says_so(client):
    message = ask(client, user("What is the capital of France?")).choices[0].message
    assert message.content == "The sources do not say." and message.annotations == []


def test_a_wrong_key_is_refused(base_url):
    wrong = openai.OpenAI(base_url=base_url + "/v1", api_key="not-the-key", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as refused:
        ask(wrong, user(QUESTION))
    assert refused.value.status_code == 401 and refused.value.code == "invalid_api_key"
    with pytest.raises(openai.AuthenticationError):
        wrong.models.list()


def test_an_unknown_model_is_not_found(client):
    with pytest.raises(openai.NotFoundError) as missing:
        client.chat.completions.create(model="gpt-4o", messages=[user(QUESTION)])
    assert missing.value.code == "model_not_found"


def test_a_bad_request_is_a_bad_request_error(client):
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model="qa", messages=[{"role": "assistant", "content": "hi"}])
