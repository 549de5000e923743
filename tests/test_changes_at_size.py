"""Changes while serving, at every size and under every worker class.

An add to a 10,000-sentence collection once hung its gevent worker: the
rebuild crossed the parallel-ingest threshold and waited on a forked pool whose
threads gevent had made greenlets. So every change (add as JSON, add as HTML,
replace, delete, a file dropped into and removed from the data folder) is made
here against gunicorn with two workers of each class, on collections below and
above each size threshold in the code (and with every change merged into the
saved index), and each must be answered by both workers within a bounded time,
with no worker timeout or traceback in the log.
The sizes check that they do lie on the side of each threshold they claim."""
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from conftest import ARCHIVE_SENTENCES, gunicorn

from qa.index import ingest
from qa.pipeline import engine as engine_module
from qa.sources.documents import list_sources

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "size-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
# Seconds a change may take to be answered (the write's response, then both workers).
DEADLINE = 30.0
# Each question is asked this often, every time on a new connection, so both workers answer.
PROBES = 12
WORKER_CLASSES = {"gevent": {}, "gthread": {"QA_THREADS": "4"}, "sync": {}}

FERRY = {"title": "Nieuw vlinderpontje over het Zwartewater",
         "date": "2021-06-02",
         "text": "Het vlinderpontje over het Zwartewater vaart vanaf maandag. "
                 "De gemeente Zwartewaterland betaalde 340.000 euro voor het vlinderpontje.\n\n"
                 "Schipper Gerda Kolkman vaart elk half uur."}
FERRY_REPLACED = {**FERRY, "text": "Het vlinderpontje over het Zwartewater vaart pas vanaf juli. "
                                   "De reigerkade bij het veer wordt eerst hersteld.\n\n"
                                   "Schipper Gerda Kolkman wacht op de reigerkade."}
PAGE = """<!doctype html><html><head><title>Kwelderfietsroute geopend</title>
<meta property="article:published_time" content="2021-08-14"></head><body><main><article>
<h1>Kwelderfietsroute geopend</h1>
<p>De kwelderfietsroute langs de Waddenzee is zaterdag geopend door gedeputeerde Anke Zwiers.</p>
<p>De kwelderfietsroute is 42 kilometer lang en loopt van Harlingen naar Holwerd.</p>
</article></main></body></html>"""
DROPPED = ("date 2021-09 Stormvloedkering getest\n\n"
           "De stormvloedkering bij Ramspol werd dinsdag getest met de nieuwe balgstuw.\n\n"
           "De balgstuw sloot in veertig minuten.\n")


@pytest.fixture(scope="module")
def encoded_index(archive, tmp_path_factory) -> Path:
    """The archive's saved index with every sentence vector made (by `python -m qa index`)."""
    out = tmp_path_factory.mktemp("encoded") / "index.npz"
    subprocess.run([sys.executable, "-m", "qa", "index", str(archive), "--out", str(out)], check=True,
                   cwd=ROOT, capture_output=True)
    return out


def _chars(folder: Path) -> int:
    return sum(f.size for f in list_sources(folder))


def _size_settings(size: str, request, tmp_path: Path) -> dict:
    """The collection and settings of one size, checked against the thresholds."""
    index = tmp_path / "index.npz"
    if size == "seeds":
        assert _chars(ROOT / "seeds") < ingest.PARALLEL_MIN_CHARS
        return {"QA_SOURCES": str(ROOT / "seeds"), "QA_INDEX": str(index)}
    if size == "seeds-merging":  # every change fills the segment: merged into the index by a forked worker
        return {"QA_SOURCES": str(ROOT / "seeds"), "QA_INDEX": str(index), "QA_SEGMENT_MAX_SENTENCES": "1"}
    archive = request.getfixturevalue("archive")
    assert _chars(archive) >= ingest.PARALLEL_MIN_CHARS  # a rebuild would read it on every core
    # its vectors are made in the background
    assert ARCHIVE_SENTENCES >= engine_module.BACKGROUND_MIN_SENTENCES
    if size == "archive":
        return {"QA_SOURCES": str(archive), "QA_INDEX": str(index)}
    # every vector made, and the encoder over BM25's candidates only (the archive is above the limit)
    shutil.copy(request.getfixturevalue("encoded_index"), index)
    limit = ARCHIVE_SENTENCES // 2
    assert limit < engine_module.SEMANTIC_SEARCH_MAX
    return {"QA_SOURCES": str(archive), "QA_INDEX": str(index), "QA_SEMANTIC_SEARCH_MAX": str(limit)}


def _within(deadline: float, check, what: str) -> float:
    """Seconds until `check()` returns (True, _), for at most `deadline` seconds."""
    started, last = time.monotonic(), None
    while time.monotonic() - started < deadline:
        done, last = check()
        if done:
            return time.monotonic() - started
        time.sleep(0.2)
    pytest.fail(f"{what}: not within {deadline:.0f} s (last: {last!r})")


def _workers_report(url: str, sources: int) -> tuple[bool, dict]:
    """Whether two workers each report `sources` sources (asking a few times), and what they reported."""
    seen = {}
    for _ in range(PROBES):
        health = requests.get(url + "/healthz", timeout=DEADLINE).json()
        seen[health["worker"]] = health["sources"]
    return len(seen) >= 2 and set(seen.values()) == {sources}, seen


def _first_sources(url: str, question: str) -> set:
    answers = [requests.post(url + "/api/ask", json={"question": question}, timeout=DEADLINE).json()
               for _ in range(PROBES)]
    return {a["passages"][0]["source"] if a["passages"] else None for a in answers}


def _answered(url: str, sources: int, question: str, cited: str | None, gone: str | None = None) -> float:
    """Seconds until both workers have `sources` sources and every answer to
    `question` cites `cited` first (or, with `gone`, never cites it)."""
    took = _within(DEADLINE, lambda: _workers_report(url, sources), f"both workers at {sources} sources")
    if gone is None:
        found = _first_sources(url, question)
        assert found == {cited}, f"{question!r} cited {found}, not {cited!r}"
    else:
        found = _first_sources(url, question)
        assert gone not in found, f"{question!r} still cites {gone!r}"
    return took


def _timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


@pytest.mark.parametrize("worker_class", list(WORKER_CLASSES))
@pytest.mark.parametrize("size", ["seeds", "seeds-merging", "archive", "archive-encoded"])
def test_every_change_is_answered_by_both_workers(size, worker_class, request, tmp_path):
    settings = _size_settings(size, request, tmp_path)
    data = tmp_path / "data"
    log = tmp_path / "gunicorn.log"
    env = {**settings, "QA_DATA_DIR": str(data), "QA_ADMIN_TOKEN": TOKEN, "QA_WATCH_SECONDS": "0.5",
           "QA_WORKER_CLASS": worker_class, **WORKER_CLASSES[worker_class]}
    timings = {}
    with gunicorn(log_file=log, **env) as url:
        health = requests.get(url + "/healthz", timeout=DEADLINE).json()
        start = health["sources"]
        if size == "archive-encoded":  # the encoder answers from the start, over BM25's candidates
            assert health["vectors"]["done"] == health["vectors"]["total"] == health["sentences"]

        added, timings["add JSON"] = _timed(lambda: requests.post(
            url + "/api/sources", headers=AUTH, json=FERRY, timeout=DEADLINE))
        assert added.status_code == 201, added.text
        ferry = added.json()["id"]
        timings["add JSON, both workers"] = _answered(
            url, start + 1, "Hoeveel kostte het vlinderpontje?", ferry)

        page, timings["add HTML"] = _timed(lambda: requests.post(
            url + "/api/sources", headers={**AUTH, "Content-Type": "text/html"}, data=PAGE.encode(),
            timeout=DEADLINE))
        assert page.status_code == 201, page.text
        page_id = page.json()["id"]
        timings["add HTML, both workers"] = _answered(
            url, start + 2, "Hoe lang is de kwelderfietsroute?", page_id)

        replaced, timings["replace"] = _timed(lambda: requests.put(
            url + f"/api/sources/{ferry}", headers=AUTH, json=FERRY_REPLACED, timeout=DEADLINE))
        assert replaced.status_code == 200, replaced.text
        timings["replace, both workers"] = _answered(
            url, start + 2, "Wat wordt er hersteld aan de reigerkade?", ferry)
        assert "340.000" not in requests.get(url + f"/api/sources/{ferry}", timeout=DEADLINE).text

        deleted, timings["delete"] = _timed(lambda: requests.delete(
            url + f"/api/sources/{page_id}", headers=AUTH, timeout=DEADLINE))
        assert deleted.status_code == 200, deleted.text
        timings["delete, both workers"] = _answered(url, start + 1, "Hoe lang is de kwelderfietsroute?", None,
                                                    gone=page_id)

        staged = data / ".stormvloedkering.tmp"
        staged.write_text(DROPPED, encoding="utf-8")
        staged.rename(data / "stormvloedkering.txt")  # as a careful copy does: whole or not at all
        timings["folder drop, both workers"] = _answered(
            url, start + 2, "Hoe snel sloot de balgstuw bij Ramspol?", "stormvloedkering")
        (data / "stormvloedkering.txt").unlink()
        timings["folder removal, both workers"] = _answered(
            url, start + 1, "Hoe snel sloot de balgstuw bij Ramspol?", None, gone="stormvloedkering")
        if size == "archive-encoded":  # the added sentences' vectors were made as they came
            vectors = requests.get(url + "/healthz", timeout=DEADLINE).json()["vectors"]
            assert vectors["done"] == vectors["total"]
    text = log.read_text()
    assert "WORKER TIMEOUT" not in text and "Traceback" not in text, text[-3000:]
    assert ("sentences of changes into" in text) == (size == "seeds-merging")  # (the merges logged)
    print(f"{size} {worker_class}: " + ", ".join(f"{k} {v:.2f} s" for k, v in timings.items()))
