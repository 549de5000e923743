"""Start the real server (gunicorn, as `make run` does) and ask over HTTP."""
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    port = free_port()
    env = {**os.environ, "QA_BIND": f"127.0.0.1:{port}", "QA_WORKERS": "2",
           "QA_SOURCES": str(ROOT / "seeds")}
    gunicorn = Path(sys.executable).parent / "gunicorn"
    process = subprocess.Popen([str(gunicorn), "-c", "gunicorn.conf.py", "wsgi:app"], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if requests.get(url + "/healthz", timeout=1).ok:
                    break
            except requests.ConnectionError:
                pass
            if process.poll() is not None:
                pytest.fail("gunicorn exited: " + process.stderr.read().decode()[-2000:])
            time.sleep(0.1)
        else:
            pytest.fail("gunicorn did not answer /healthz in 30 s")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stderr.close()


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
