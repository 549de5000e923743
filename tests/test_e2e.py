"""The real server (gunicorn, as `make run` starts it; see conftest.server) over HTTP."""
import requests


def test_a_real_question_over_http(server):
    response = requests.post(server + "/api/ask", json={"question": "Wanneer trad Ivens af?"}, timeout=10)
    assert response.status_code == 200
    data = response.json()
    assert "5 juli" in data["answer"]
    assert data["passages"] and "juli" in data["passages"][0]["text"]


def test_errors_over_http_are_json(server):
    response = requests.post(server + "/api/ask", data="nope", headers={"Content-Type": "application/json"},
                             timeout=10)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_json"
