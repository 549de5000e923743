"""Sources changed while gunicorn runs with two workers, as `make run` starts
it: an article added as JSON, HTML or PDF is cited by the next answer from
every worker, survives a restart and is gone from all when deleted; a file
dropped into a folder is served within 5 s; a writer killed mid-write leaves
the old state or the new one."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from conftest import gunicorn

from samples import MELIANI, PAGE, pdf_bytes

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "live-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
# Each request on a new connection, so that both workers answer some.
PROBES = 20


@pytest.fixture
def settings(tmp_path):
    return {"QA_ADMIN_TOKEN": TOKEN, "QA_DATA_DIR": str(tmp_path / "data"),
            "QA_INDEX": str(tmp_path / "index.npz"), "QA_SOURCES": str(ROOT / "seeds")}


def cited(url, question):
    sources = set()
    for _ in range(PROBES):
        answer = requests.post(url + "/api/ask", json={"question": question}, timeout=30).json()
        sources.add(answer["passages"][0]["source"] if answer["passages"] else None)
    return sources


def test_added_articles_are_cited_by_every_worker_survive_a_restart_and_go_when_deleted(settings):
    with gunicorn(**settings) as url:
        added = requests.post(url + "/api/sources", headers=AUTH, json=MELIANI, timeout=30)
        assert added.status_code == 201
        assert cited(url, "Wie is de nieuwe wethouder Wonen?") == {"meliani-nieuwe-wethouder-wonen"}
        page = requests.post(url + "/api/sources", headers={**AUTH, "Content-Type": "text/html"},
                             data=PAGE.encode(), timeout=30).json()
        assert cited(url, "Hoe lang gaat de Berlagebrug dicht?") == {page["id"]}
        pdf = requests.post(url + "/api/sources?id=sneeuw", data=pdf_bytes(
            "Sneeuwval", "Op zondag 7 februari viel er in Amsterdam twintig centimeter sneeuw."),
            headers={**AUTH, "Content-Type": "application/pdf"}, timeout=30)
        assert pdf.status_code == 201
        assert cited(url, "Hoeveel sneeuw viel er in Amsterdam?") == {"sneeuw"}
    with gunicorn(**settings) as url:  # restarted
        assert cited(url, "Hoeveel sneeuw viel er in Amsterdam?") == {"sneeuw"}
        assert len(requests.get(url + "/api/sources", timeout=10).json()["sources"]) == 8
        assert requests.delete(url + "/api/sources/sneeuw", headers=AUTH, timeout=30).status_code == 200
        assert "sneeuw" not in cited(url, "Hoeveel sneeuw viel er in Amsterdam?")
        counts = {requests.get(url + "/healthz", timeout=10).json()["sources"] for _ in range(PROBES)}
        assert counts == {7}


def test_without_the_token_nothing_changes(settings):
    with gunicorn(**{**settings, "QA_ADMIN_TOKEN": ""}) as url:
        refused = requests.post(url + "/api/sources", headers=AUTH, json=MELIANI, timeout=30)
        assert refused.status_code == 403
        assert len(requests.get(url + "/api/sources", timeout=10).json()["sources"]) == 5


def test_a_file_dropped_into_the_folder_is_served_within_5_seconds(settings, tmp_path):
    sources = tmp_path / "sources"
    sources.mkdir()
    for seed in (ROOT / "seeds").glob("*.txt"):
        (sources / seed.name).write_bytes(seed.read_bytes())
    with gunicorn(**{**settings, "QA_SOURCES": str(sources)}) as url:
        requests.post(url + "/api/ask", json={"question": "warm"}, timeout=30)
        (sources / "veerpont.txt").write_text(
            "Veerpont\n\nDe veerpont naar Noord vaart vanaf juni ook 's nachts.\n", encoding="utf-8")
        dropped = time.monotonic()
        while cited(url, "Wanneer vaart de veerpont ook 's nachts?") != {"veerpont"}:
            assert time.monotonic() - dropped < 5, "not served 5 s after it was dropped"
        (sources / "veerpont.txt").unlink()
        removed = time.monotonic()
        while "veerpont" in cited(url, "Wanneer vaart de veerpont ook 's nachts?"):
            assert time.monotonic() - removed < 5, "still served 5 s after it was removed"


# A writer that stops (SIGSTOP) at a chosen point of an add, to be killed there.
WRITER = """
import os, signal, sys
from qa.sources.library import DataFolder
data = DataFolder(sys.argv[1])
stage = sys.argv[2]
real_replace = os.replace
def replace(src, dst):
    if stage == "before-rename":
        os.kill(os.getpid(), signal.SIGSTOP)
    real_replace(src, dst)
    if stage == "after-rename":
        os.kill(os.getpid(), signal.SIGSTOP)
os.replace = replace
with data.locked():
    data.write("killed", "Gestopt\\n\\n" + "Dit artikel werd halverwege het schrijven gestopt. " * 20000)
    data.bump()
"""


@pytest.mark.parametrize("stage, kept", [("before-rename", False), ("after-rename", True)])
def test_a_writer_killed_mid_add_leaves_the_old_state_or_the_new_one(tmp_path, stage, kept):
    from qa import create_app

    data = tmp_path / "data"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(data), stage], cwd=ROOT)
    try:
        for _ in range(600):  # wait until it stopped itself at the chosen point
            if Path(f"/proc/{writer.pid}/stat").read_text().split(")")[1].split()[0] == "T":
                break
            time.sleep(0.05)
        else:
            pytest.fail("the writer did not reach " + stage)
        os.kill(writer.pid, signal.SIGKILL)
    finally:
        writer.wait(timeout=10)
    assert (data / "killed.txt").exists() == kept
    if kept:  # the file is whole: the rename is the last step of a write
        assert (data / "killed.txt").read_text(encoding="utf-8").count("halverwege") == 20000
    app = create_app({"TESTING": True, "QA_SOURCES": str(ROOT / "seeds"), "QA_DATA_DIR": str(data),
                      "QA_SEMANTIC": False})  # a restart on what was left
    ids = {s["id"] for s in app.test_client().get("/api/sources").get_json()["sources"]}
    assert ("killed" in ids) == kept and len(ids) == 5 + kept
    assert not list(data.glob(".*.tmp"))  # the unfinished temporary file was cleaned up at start


def write_documents(folder: Path) -> list[Path]:
    folder.mkdir(exist_ok=True)
    tram = folder / "tram.txt"
    tram.write_text("Nieuwe tram naar IJburg\n\nVanaf mei rijdt tram 26 elke vijf minuten naar IJburg.\n",
                    encoding="utf-8")
    page = folder / "brug.html"
    page.write_text(PAGE, encoding="utf-8")
    pdf = folder / "sneeuw.pdf"
    pdf.write_bytes(pdf_bytes("Sneeuwval", "Op 7 februari viel er in Amsterdam twintig centimeter sneeuw."))
    return [tram, page, pdf]


def add_command(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "qa", "add", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)


def test_the_add_command_adds_to_a_running_service(settings, tmp_path):
    files = write_documents(tmp_path / "docs")
    with gunicorn(**settings) as url:
        done = add_command(*map(str, files), "--url", url, "--token", TOKEN)
        assert done.returncode == 0, done.stderr
        assert done.stdout.count("added ") == 3
        assert cited(url, "Hoeveel sneeuw viel er in Amsterdam?") == {"sneeuwval"}
        refused = add_command(str(files[0]), "--url", url, "--token", "wrong")
        assert refused.returncode == 1 and "401 invalid_admin_token" in refused.stderr


def test_the_add_command_adds_to_the_data_folder_and_a_service_on_it_switches(settings, tmp_path):
    files = write_documents(tmp_path / "docs")
    with gunicorn(**settings) as url:
        done = add_command(*map(str, files), "--data-dir", settings["QA_DATA_DIR"],
                           "--index", settings["QA_INDEX"], "--sources", settings["QA_SOURCES"])
        assert done.returncode == 0, done.stderr
        assert cited(url, "Hoe lang gaat de Berlagebrug dicht?") == {"berlagebrug-dicht"}
        again = add_command(str(files[0]), "--data-dir", settings["QA_DATA_DIR"],
                            "--sources", settings["QA_SOURCES"])
        assert again.returncode == 1 and "409 duplicate" in again.stderr
