"""Faults during a change, on the 10,000-sentence archive under gevent (the
default): a full or read-only data folder, the whole service killed with -9
in the middle of an add, and two adds racing for one id. Each gets a clear
JSON error or a whole result, nothing added before is lost, nothing
half-written is served after a restart, and questions are answered
throughout. (The search cluster lost mid-add: tests/index/cluster, make test-cluster.)"""
import contextlib
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest
import requests
from conftest import gunicorn

TOKEN = "fault-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
TIMEOUT = 30
PROBES = 12
FERRY = {"id": "vlinderpontje", "title": "Nieuw vlinderpontje over het Zwartewater",
         "text": "Het vlinderpontje over het Zwartewater vaart vanaf maandag. "
                 "De gemeente Zwartewaterland betaalde 340.000 euro voor het vlinderpontje."}
ROUTE = {"id": "kwelderroute", "title": "Kwelderfietsroute geopend",
         "text": "De kwelderfietsroute langs de Waddenzee is zaterdag geopend. "
                 "De kwelderfietsroute is 42 kilometer lang en loopt van Harlingen naar Holwerd."}
FERRY_QUESTION = "Hoeveel kostte het vlinderpontje?"
ROUTE_QUESTION = "Hoe lang is de kwelderfietsroute?"


def add(url: str, article: dict) -> requests.Response:
    return requests.post(url + "/api/sources", headers=AUTH, json=article, timeout=TIMEOUT)


def cites(url: str, question: str) -> set:
    answers = [requests.post(url + "/api/ask", json={"question": question}, timeout=TIMEOUT).json()
               for _ in range(PROBES)]
    return {a["passages"][0]["source"] if a["passages"] else None for a in answers}


@contextlib.contextmanager
def asking(url: str, question: str):
    """Questions asked one after another in a thread while the block runs:
    yields the list of (status, seconds) it fills."""
    results, stop = [], threading.Event()

    def ask():
        while not stop.is_set():
            started = time.monotonic()
            try:
                status = requests.post(url + "/api/ask", json={"question": question},
                                       timeout=TIMEOUT).status_code
            except requests.RequestException as exc:
                status = type(exc).__name__
            results.append((status, time.monotonic() - started))

    thread = threading.Thread(target=ask, daemon=True)
    thread.start()
    try:
        yield results
    finally:
        stop.set()
        thread.join(timeout=TIMEOUT + 5)


def _mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True, capture_output=True)


@pytest.fixture
def small_data_folder(tmp_path):
    """A 1 MiB tmpfs of its own as the data folder (root only), unmounted after."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small file system needs root")
    folder = tmp_path / "data"
    folder.mkdir()
    try:
        _mount("-t", "tmpfs", "-o", "size=1m", "tmpfs", str(folder))
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.skip(f"cannot mount a tmpfs here: {exc}")
    yield folder
    subprocess.run(["umount", "-l", str(folder)], check=False)


def _fill(folder: Path) -> Path:
    """Fill the file system until it refuses (the filler is no source: not .txt)."""
    filler = folder / "filler.bin"
    with open(filler, "wb") as f, contextlib.suppress(OSError):
        while True:
            f.write(b"\0" * 65536)
            f.flush()
            os.fsync(f.fileno())
    return filler


def _settings(archive, data, tmp_path) -> dict:
    return {"QA_SOURCES": str(archive), "QA_DATA_DIR": str(data), "QA_INDEX": str(tmp_path / "index.npz"),
            "QA_ADMIN_TOKEN": TOKEN, "QA_WATCH_SECONDS": "0.5"}


def test_a_full_or_read_only_data_folder_is_a_clear_error_and_loses_nothing(archive, small_data_folder,
                                                                            tmp_path):
    data = small_data_folder
    settings = _settings(archive, data, tmp_path)
    log = tmp_path / "gunicorn.log"
    with gunicorn(log_file=log, **settings) as url:
        assert add(url, FERRY).status_code == 201
        with asking(url, FERRY_QUESTION) as asked:
            filler = _fill(data)
            full = add(url, ROUTE)
            assert full.status_code == 507
            assert full.json()["error"]["code"] == "insufficient_storage"
            changed = {**FERRY, "text": "Het vlinderpontje vaart niet meer."}
            replaced = requests.put(url + "/api/sources/vlinderpontje", headers=AUTH, json=changed,
                                    timeout=TIMEOUT)
            assert replaced.status_code == 507
            filler.unlink()
            _mount("-o", "remount,ro", str(data))
            try:
                refused = add(url, ROUTE)
                assert refused.status_code == 503
                assert refused.json()["error"]["code"] == "data_folder_unwritable"
                assert "read-only" in refused.json()["error"]["message"].lower()
                kept = requests.delete(url + "/api/sources/vlinderpontje", headers=AUTH, timeout=TIMEOUT)
                assert kept.status_code == 503
                assert cites(url, FERRY_QUESTION) == {"vlinderpontje"}
            finally:
                _mount("-o", "remount,rw", str(data))
            assert cites(url, FERRY_QUESTION) == {"vlinderpontje"}
            assert "kwelderroute" not in cites(url, ROUTE_QUESTION)
        assert asked and {status for status, _ in asked} == {200}, asked[:5]
        assert add(url, ROUTE).status_code == 201
    with gunicorn(**settings) as url:  # restarted: what was added is there, whole
        assert cites(url, FERRY_QUESTION) == {"vlinderpontje"}
        assert cites(url, ROUTE_QUESTION) == {"kwelderroute"}
        assert "340.000 euro" in requests.get(url + "/api/sources/vlinderpontje", timeout=TIMEOUT).text
    text = log.read_text()
    assert "Traceback" not in text and "WORKER TIMEOUT" not in text, text[-3000:]


def _service_pids(url: str) -> set[int]:
    """The workers' pids and their master's."""
    workers = {requests.get(url + "/healthz", timeout=TIMEOUT).json()["worker"] for _ in range(PROBES)}
    masters = {int(Path(f"/proc/{pid}/stat").read_text().split(")")[1].split()[1]) for pid in workers}
    return workers | masters


@pytest.mark.parametrize("delay", [0.0, 0.05, 0.15, 0.3])
def test_the_service_killed_mid_add_restarts_with_the_article_whole_or_absent(archive, tmp_path, delay):
    data = tmp_path / "data"
    settings = _settings(archive, data, tmp_path)
    with gunicorn(**settings) as url:
        assert add(url, FERRY).status_code == 201
        assert cites(url, FERRY_QUESTION) == {"vlinderpontje"}
        pids = _service_pids(url)

        def add_route():
            with contextlib.suppress(requests.RequestException):  # the connection dies with the service
                add(url, ROUTE)

        adding = threading.Thread(target=add_route, daemon=True)
        adding.start()
        time.sleep(delay)
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        adding.join(timeout=TIMEOUT)
    held = data / "kwelderroute.txt"
    if held.exists():  # written whole or not at all
        assert "Holwerd" in held.read_text(encoding="utf-8")
    with gunicorn(**settings) as url:
        assert cites(url, FERRY_QUESTION) == {"vlinderpontje"}  # what was added before is kept
        route = cites(url, ROUTE_QUESTION)
        assert route == ({"kwelderroute"} if held.exists() else route - {"kwelderroute"})
        sources = {s["id"] for s in requests.get(url + "/api/sources", timeout=TIMEOUT).json()["sources"]}
        assert ("kwelderroute" in sources) == held.exists()
    assert not list(data.glob(".*.tmp"))  # a temporary file left by the kill was cleaned up at start


def test_two_adds_racing_for_one_id_leave_one_whole_article(archive, tmp_path):
    settings = _settings(archive, tmp_path / "data", tmp_path)
    texts = [{**FERRY, "text": FERRY["text"] + f" Versie {n}: de schipper heet Kolkman{n}."} for n in (1, 2)]
    with gunicorn(**settings) as url:
        statuses = [None, None]

        def race(n):
            statuses[n] = add(url, texts[n])

        racers = [threading.Thread(target=race, args=(n,)) for n in (0, 1)]
        for racer in racers:
            racer.start()
        for racer in racers:
            racer.join(timeout=TIMEOUT)
        assert sorted(r.status_code for r in statuses) == [201, 409]
        assert statuses[[r.status_code for r in statuses].index(409)].json()["error"]["code"] == "exists"
        winner = [r.status_code for r in statuses].index(201)
        held = requests.get(url + "/api/sources/vlinderpontje", timeout=TIMEOUT).text
        assert f"Kolkman{winner + 1}" in held and f"Kolkman{2 - winner}" not in held
        assert cites(url, FERRY_QUESTION) == {"vlinderpontje"}
