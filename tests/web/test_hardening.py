"""Headers on every response, request ids, and the optional rate limit."""
import pytest

from qa import create_app


@pytest.mark.parametrize("method, path, body", [
    ("get", "/", None), ("get", "/healthz", None), ("post", "/api/ask", {"question": "Wie?"}),
    ("post", "/api/ask", {"question": ""}), ("get", "/nowhere", None),
])
def test_every_response_carries_the_security_headers(client, method, path, body):
    response = getattr(client, method)(path, json=body) if body is not None else getattr(client, method)(path)
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "http" not in csp  # no inline script, no other origin
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_a_request_id_is_echoed_or_made(client):
    assert client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["X-Request-ID"] == "abc-123"
    made = client.get("/healthz").headers["X-Request-ID"]
    assert len(made) == 32 and made != client.get("/healthz").headers["X-Request-ID"]


@pytest.mark.parametrize("unsafe", ["a b", "x" * 65, "id\u00e9", "a;b"])
def test_an_unsafe_request_id_is_replaced(client, unsafe):
    assert client.get("/healthz", headers={"X-Request-ID": unsafe}).headers["X-Request-ID"] != unsafe


def test_rate_limit_answers_429_in_the_error_shape(engine):
    client = create_app({"TESTING": True, "QA_ENGINE": engine, "QA_RATE_LIMIT": "2 per minute"}).test_client()
    codes = [client.post("/api/ask", json={"question": "Wie?"}).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    response = client.post("/api/ask", json={"question": "Wie?"})
    assert response.get_json()["error"]["code"] == "too_many_requests"
    assert client.get("/healthz").status_code == 200  # only /api/ask is limited


def test_no_rate_limit_by_default(client):
    assert {client.post("/api/ask", json={"question": "Wie?"}).status_code for _ in range(30)} == {200}


def test_questions_are_not_logged_unless_configured(engine, caplog):
    secret = "Wie is mijn buurvrouw Jansen?"
    with caplog.at_level("DEBUG"):
        client = create_app({"TESTING": True, "QA_ENGINE": engine}).test_client()
        client.post("/api/ask", json={"question": secret})
    assert not any("Jansen" in r.getMessage() for r in caplog.records)
    caplog.clear()
    with caplog.at_level("INFO"):
        create_app({"TESTING": True, "QA_ENGINE": engine, "QA_LOG_QUESTIONS": True}).test_client().post(
            "/api/ask", json={"question": secret}, headers={"X-Request-ID": "r1"})
    assert any("Jansen" in r.getMessage() and "r1" in r.getMessage() for r in caplog.records)
