"""The service on a three-node cluster when nodes fail (make test-cluster):
one node killed during a run of questions, then the whole cluster down and
back. The fixture's own command (ES_FIXTURE) kills and restarts the nodes."""
import os
import subprocess
import threading
import time

import pytest
import requests
from conftest import gunicorn

URLS = os.environ.get("ES_URLS", "")
FIXTURE = os.environ.get("ES_FIXTURE", "")
pytestmark = pytest.mark.skipif(not (URLS and FIXTURE), reason="needs a search cluster: make test-cluster")
TIMEOUT_S = 2.0  # QA_SEARCH_TIMEOUT below
QUESTIONS = ["Wanneer trad Ivens af?", "when did the formal reports come in", "Wie is Laurens Ivens?",
             "Waarom trad Ivens af?", "Hoeveel ambtenaren deden een melding?"]


def fixture(*args: str) -> str:
    return subprocess.run([FIXTURE, *args], check=True, capture_output=True, text=True, timeout=300).stdout


def ask(base: str, question: str) -> requests.Response:
    return requests.post(base + "/api/ask", json={"question": question}, timeout=60)


TOKEN = "cluster-fault-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
BEFORE = {"id": "veerpont", "title": "Nachtveer",
          "text": "De veerpont naar Buiksloot vaart voortaan ook 's nachts."}
DURING = {"id": "tram", "title": "Nieuwe tram",
          "text": "Tram 26 rijdt vanaf mei elke vijf minuten naar IJburg."}


@pytest.fixture
def service(tmp_path):
    with gunicorn(QA_SEARCH_URL=URLS, QA_SEARCH_INDEX="t-faults", QA_SEARCH_TIMEOUT=str(TIMEOUT_S),
                  QA_SEMANTIC="0", QA_ADMIN_TOKEN=TOKEN, QA_DATA_DIR=str(tmp_path / "data")) as base:
        yield base
    fixture("start", "3")  # whatever a test killed comes back on its data


def test_with_one_node_killed_every_question_is_still_answered(service):
    statuses, stop = [], threading.Event()

    def keep_asking():
        n = 0
        while not stop.is_set():
            statuses.append(ask(service, QUESTIONS[n % len(QUESTIONS)]).status_code)
            n += 1

    asker = threading.Thread(target=keep_asking)
    asker.start()
    try:
        time.sleep(1.0)
        fixture("kill", "node-2")
        time.sleep(3.0)
    finally:
        stop.set()
        asker.join()
    assert len(statuses) > 20 and set(statuses) == {200}
    health = requests.get(service + "/healthz", timeout=30).json()
    assert health["search"]["status"] in ("yellow", "green") and health["search"]["nodes"] == 2
    assert health["status"] == "ok"


def test_with_the_cluster_down_questions_get_a_503_in_bounded_time_and_recover(service, tmp_path):
    assert ask(service, QUESTIONS[0]).status_code == 200
    assert requests.post(service + "/api/sources", headers=AUTH, json=BEFORE, timeout=60).status_code == 201
    for node in ("node-1", "node-2", "node-3"):
        fixture("kill", node)
    # an add while the cluster is gone: a clear 503 in bounded time, and nothing kept
    started = time.perf_counter()
    refused = requests.post(service + "/api/sources", headers=AUTH, json=DURING, timeout=60)
    assert refused.status_code == 503 and refused.json()["error"]["code"] == "search_unavailable"
    assert time.perf_counter() - started < 6 * TIMEOUT_S + 5
    assert not (tmp_path / "data" / "tram.txt").exists() and (tmp_path / "data" / "veerpont.txt").exists()
    for question in QUESTIONS:
        started = time.perf_counter()
        response = ask(service, question)
        elapsed = time.perf_counter() - started
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "search_unavailable"
        assert elapsed < 3 * TIMEOUT_S + 1  # a timeout per attempt, two retries: never a hang
    health = requests.get(service + "/healthz", timeout=30)
    assert health.status_code == 503 and health.json()["search"]["status"] == "unreachable"

    fixture("start", "3")  # the nodes come back on their data
    deadline = time.monotonic() + 60
    while ask(service, QUESTIONS[0]).status_code != 200:
        assert time.monotonic() < deadline, "no answer a minute after the cluster came back"
        time.sleep(0.5)
    assert all(ask(service, q).status_code == 200 for q in QUESTIONS)
    # every worker is ready again, also one no question reached since (it syncs at its health check)
    for _ in range(10):
        health = requests.get(service + "/healthz", timeout=30)
        assert health.status_code == 200, health.text
    # what was added before the cluster went is still cited; the refused add is not there
    cited = ask(service, "Wanneer vaart de veerpont naar Buiksloot?").json()["passages"][0]["source"]
    assert cited == "veerpont"
    assert requests.get(service + "/api/sources/tram", timeout=30).status_code == 404
