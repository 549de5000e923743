"""Sentence vectors made in the background: the engine answers with BM25 at
once, takes the vectors when they are in place, and an interrupted encoding
resumes where it stopped. The encoding yields to the service: SCHED_IDLE for
every thread, and steps that wait while requests are answered."""
import ast
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from qa.index import segment, snapshot
from qa.pipeline import engine as engine_module
from qa.pipeline.engine import Engine
from qa.pipeline.model import Models, model_file
from qa.semantic import background
from qa.semantic.encoders import SentenceEncoder

from samples import write_articles

ARTICLES = {
    f"art{n:02d}": f"Kop {n}\n date 2021-07\n\nDe wethouder van stad {n} trad op {n + 1} juli af. "
                   f"Zijn taken gaan naar Anna Bakker {n}. De raad van stad {n} wil een debat.\n"
    for n in range(12)
}


@pytest.fixture
def archive(tmp_path, monkeypatch):
    folder = tmp_path / "sources"
    folder.mkdir()
    write_articles(folder, ARTICLES)
    monkeypatch.setattr(engine_module, "BACKGROUND_MIN_SENTENCES", 0)  # a small archive, as a large one
    monkeypatch.setattr(engine_module, "VECTORS_POLL_S", 0.0)
    started = []
    # the test runs the encoding itself
    monkeypatch.setattr(background, "start", lambda path, parent=None: started.append(path))
    return folder, tmp_path / "index.npz", started


def test_the_engine_answers_before_the_vectors_and_with_them_after(archive):
    folder, index_path, started = archive
    engine = Engine.from_folder(folder, index_path=index_path, background_vectors=True)
    assert started == [index_path]
    assert engine.vectors is None and engine.encoder is not None
    assert np.array_equal(engine.models.retrieve.coef, fitted(encoder=False).retrieve.coef)
    assert engine.vector_progress() == {"done": 0, "total": len(engine.sentences)}
    before = engine.ask("Wie neemt de taken van de wethouder van stad 3 over?")
    assert before.passages and "stad 3" in before.passages[0].text + before.passages[1].text
    assert background.fill(index_path) == 0
    engine.poll_vectors()
    assert engine.vectors is not None and len(engine.vectors) == len(engine.sentences)
    assert engine.neighbours is not None
    assert engine.vector_progress() == {"done": len(engine.sentences), "total": len(engine.sentences)}
    assert np.array_equal(engine.models.retrieve.coef, fitted(encoder=True).retrieve.coef)
    after = engine.ask("Wie neemt de taken van de wethouder van stad 3 over?")
    assert after.passages[0].debug["semantic"] is not None
    # and what was written is what a synchronous build makes
    synchronous = Engine.from_folder(folder)
    assert np.array_equal(engine.vectors.codes, synchronous.vectors.codes)
    restarted = Engine.from_folder(folder, index_path=index_path, background_vectors=True)
    assert restarted.vectors is not None and started == [index_path]  # nothing left to do


def fitted(encoder: bool) -> Models:
    """The package's models for an engine with or without the encoder (with the dictionaries)."""
    return Models.load(model_file(encoder, True))


def test_an_interrupted_encoding_resumes_where_it_stopped(archive, monkeypatch):
    folder, index_path, _ = archive
    engine = Engine.from_folder(folder, index_path=index_path, background_vectors=True)
    total = len(engine.sentences)
    monkeypatch.setattr(background, "BATCH", 10)
    checks = iter([True, True])  # the service is there for two batches, then gone
    monkeypatch.setattr(background, "alive", lambda pid: next(checks, False))
    monkeypatch.setattr(background, "run_when_idle", lambda: "")  # not the test process (and the suite after)
    assert background.fill(index_path, parent=12345) == 0
    assert background.read_progress(index_path)["done"] == 20
    engine.poll_vectors()
    assert engine.vectors is None and engine.vector_progress() == {"done": 20, "total": total}
    encoded = []
    real_encode = SentenceEncoder.encode
    monkeypatch.setattr(SentenceEncoder, "encode", lambda self, texts, *a: encoded.extend(texts) or
                        real_encode(self, texts, *a))
    assert background.fill(index_path) == 0
    sentence_texts = [s.text for s in engine.sentences]
    assert sentence_texts[20:] == [t for t in encoded if t in sentence_texts][: total - 20]
    assert not background.progress_file(index_path).exists()
    assert not background.partial_file(index_path).exists()
    engine.poll_vectors()
    assert np.array_equal(engine.vectors.codes, Engine.from_folder(folder).vectors.codes)


def test_the_health_probe_reports_the_progress(archive):
    from qa import create_app

    folder, index_path, _ = archive
    app = create_app({"QA_SOURCES": str(folder), "QA_INDEX": str(index_path), "TESTING": True,
                      "QA_DATA_DIR": str(index_path.parent / "added")})
    saver = app.extensions["qa.sources"].engine.saver
    assert saver is not None and os.waitpid(saver, 0)[1] == 0  # the index is saved by a forked copy
    body = app.test_client().get("/healthz").get_json()
    assert body["vectors"] == {"done": 0, "total": body["sentences"]}
    background.fill(index_path)
    body = app.test_client().get("/healthz").get_json()
    assert body["vectors"] == {"done": body["sentences"], "total": body["sentences"]}



def one_article_index(tmp_path, semantic: bool):
    """The index of a folder of one article, saved in tmp_path (with its vectors when `semantic`)."""
    folder = tmp_path / "sources"
    folder.mkdir()
    (folder / "a.txt").write_text(ARTICLES["art01"], encoding="utf-8")
    index_path = tmp_path / "index.npz"
    Engine.from_folder(folder, semantic=semantic, index_path=index_path)
    return index_path

def test_the_command_makes_the_vectors_and_a_second_one_leaves_them(tmp_path):
    index_path = one_article_index(tmp_path, semantic=True)
    saved = snapshot.load_folder(index_path)
    saved.prepared.vectors = saved.prepared.vocabulary = None  # as a background build leaves it
    snapshot.save(index_path, saved.prepared, saved.documents, saved.fingerprint, saved.skipped,
                  saved.listing, saved.settings)
    run = subprocess.run([sys.executable, "-m", "qa", "vectors", str(index_path)], capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert snapshot.load_folder(index_path).prepared.vectors is not None
    again = subprocess.run([sys.executable, "-m", "qa", "vectors", str(index_path)], capture_output=True,
                           text=True, timeout=120)
    assert again.returncode == 0


def test_past_the_search_limit_the_encoder_scores_bm25s_candidates_only(tmp_path, monkeypatch):
    folder = tmp_path / "sources"
    folder.mkdir()
    write_articles(folder, ARTICLES)
    engine = Engine.from_folder(folder)
    question = "Wie neemt de taken van de wethouder van stad 3 over?"
    everywhere = engine.rank(question)
    engine.semantic_search_max = 10  # QA_SEMANTIC_SEARCH_MAX in the service
    searched = []
    real = type(engine.vectors).similarities
    monkeypatch.setattr(type(engine.vectors), "similarities", lambda self, v: searched.append(len(self)) or
                        real(self, v))
    limited = engine.rank(question)
    assert searched and max(searched) == len(limited.ids) < len(engine.sentences)
    assert set(limited.ids) <= set(everywhere.ids)
    at = {int(i): n for n, i in enumerate(everywhere.ids)}
    assert np.allclose(limited.semantic, [everywhere.semantic[at[int(i)]] for i in limited.ids])


def test_without_a_writable_index_the_vectors_are_made_before_serving(archive):
    folder, _, started = archive
    blocker = folder.parent / "not-a-folder"
    blocker.write_text("")
    engine = Engine.from_folder(folder, index_path=blocker / "index.npz", background_vectors=True)
    assert started == [] and engine.vectors is not None and len(engine.vectors) == len(engine.sentences)


def test_a_forked_copy_saves_the_index_and_starts_the_encoding(archive, monkeypatch):
    folder, index_path, _ = archive
    marker = index_path.with_name("started")
    monkeypatch.setattr(background, "start", lambda path, parent=None: marker.write_text(f"{path} {parent}"))
    engine = Engine.from_folder(folder, index_path=index_path, background_vectors=True, background_save=True)
    assert engine.saver is not None and engine.vectors is None
    assert os.waitpid(engine.saver, 0)[1] == 0
    assert marker.read_text() == f"{index_path} {os.getpid()}"  # started by the copy, after saving
    saved = snapshot.load_folder(index_path)
    assert saved is not None and len(saved.prepared.sentences) == len(engine.sentences)
    background.fill(index_path)
    engine.poll_vectors()
    assert engine.vectors is not None


def test_without_background_saving_the_index_is_written_before_the_engine_returns(archive):
    folder, index_path, _ = archive
    engine = Engine.from_folder(folder, index_path=index_path, background_vectors=True)
    assert engine.saver is None and snapshot.load_folder(index_path) is not None


def test_an_article_added_while_encoding_is_encoded_and_the_rest_carried_over(archive, monkeypatch):
    """The service saves an updated index (an article added) while the background
    encoder works on the one before: the encoder's save must not undo the
    addition, and the vectors it made are kept for the sentences still there."""
    folder, index_path, started = archive
    served = Engine.from_folder(folder, index_path=index_path, background_vectors=True)
    from qa.language import neighbours

    real_build = neighbours.Vocabulary.build
    changed = []

    def add_meanwhile(*args, **kwargs):  # after the encoding, before the encoder saves
        if not changed:
            (folder / "art00.txt").unlink()
            (folder / "nieuw.txt").write_text("Nieuw\n\nDe veerpont naar Buiksloot vaart ook 's nachts.\n",
                                              encoding="utf-8")
            changed.append(Engine.from_folder(folder, index_path=index_path, background_vectors=True,
                                              base=served.origin, ingest_workers=1))
        return real_build(*args, **kwargs)

    monkeypatch.setattr(neighbours.Vocabulary, "build", add_meanwhile)
    assert background.fill(index_path) == 0
    engine = changed[0]
    assert engine.vectors is None  # it was left to the encoder at work
    engine.poll_vectors()
    assert engine.vectors is not None and len(engine.vectors) == len(engine.sentences)
    assert "nieuw" in engine.documents and "art00" not in engine.documents
    synchronous = Engine.from_folder(folder)  # every vector made in one go, of the same sentences
    by_text = {s.text: i for i, s in enumerate(synchronous.sentences)}
    rows = [by_text[s.text] for s in engine.sentences]
    assert np.array_equal(engine.vectors.codes, synchronous.vectors.codes[rows])
    saved = snapshot.load_folder(index_path)  # the index the article was added to, with its vectors
    assert saved.fingerprint == engine.origin.fingerprint and saved.prepared.vectors is not None
    assert [d.id for d in segment.load(segment.path_of(index_path)).documents] == ["nieuw"]  # the addition


# Yielding to the service: SCHED_IDLE for every thread, and a pause while requests are answered.

needs_sched_idle = pytest.mark.skipif(not hasattr(os, "SCHED_IDLE"), reason="no SCHED_IDLE on this system")

THREADS_BEFORE_AND_AFTER = """
import json, os, threading
from qa.semantic import background
stop = threading.Event()
threading.Thread(target=stop.wait).start()  # a thread that exists before the class is set
before = background.scheduling_of_threads()
background.run_when_idle()
threading.Thread(target=stop.wait).start()  # and one started after
after = background.scheduling_of_threads()
stop.set()
print(json.dumps([before, after]))
"""


@needs_sched_idle
def test_every_thread_of_the_encoding_process_runs_under_sched_idle():
    run = subprocess.run([sys.executable, "-c", THREADS_BEFORE_AND_AFTER], capture_output=True, text=True,
                         timeout=60, env={**os.environ, "OPENBLAS_NUM_THREADS": "2"})
    assert run.returncode == 0, run.stderr
    before, after = json.loads(run.stdout)
    assert "SCHED_IDLE" not in before and before["normal"] >= 2  # the main thread and the first one
    assert list(after) == ["SCHED_IDLE"] and after["SCHED_IDLE"] >= 3


@needs_sched_idle
def test_the_command_the_service_starts_encodes_under_sched_idle(tmp_path):
    index_path = one_article_index(tmp_path, semantic=False)
    # as background.start runs it, with the log at INFO
    command = [sys.executable, "-m", "qa", "vectors", str(index_path), "--parent", str(os.getpid()), "-v"]
    run = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    line = next(x for x in run.stderr.splitlines() if "encoding" in x and "threads" in x)
    threads = ast.literal_eval(line.split("threads: ", 1)[1])
    assert list(threads) == ["SCHED_IDLE"] and threads["SCHED_IDLE"] >= 2  # the main one and an encoding one
    assert snapshot.load_folder(index_path).prepared.vectors is not None
    assert not background.busy_file(index_path).exists()  # removed when done


def test_a_request_marks_the_service_busy_while_under_way_and_quiet_after(tmp_path):
    import time

    from flask import Flask

    from qa.web.store import mark_requests_for_the_encoder

    marker = tmp_path / "index.npz.vectors.busy"
    app = Flask(__name__)
    mark_requests_for_the_encoder(app, marker)
    seen = []
    app.add_url_rule("/ask", "ask", lambda: seen.append(background.quiet(marker, time.time())) or "ok")
    assert app.test_client().get("/ask").status_code == 200  # no encoder at work: no marker, no error
    assert seen == [True] and not marker.exists()
    marker.touch()  # an encoder at work
    assert app.test_client().get("/ask").status_code == 200
    assert seen[-1] is False  # under way
    ended = marker.stat().st_mtime
    assert ended <= time.time()  # the end is marked
    assert not background.quiet(marker, ended + background.QUIET_S * 0.9)
    assert background.quiet(marker, ended + background.QUIET_S * 1.1)


def test_the_encoder_waits_for_a_quiet_moment_at_most_max_wait(tmp_path):
    marker = tmp_path / "busy"
    marker.touch()
    clock = [1000.0]

    def sleep(seconds):
        clock[0] += seconds

    os.utime(marker, (clock[0], clock[0] - background.QUIET_S / 2))  # a request ended a moment ago
    waited = background.wait_for_quiet(marker, lambda: clock[0], sleep)
    assert 0 < waited <= background.QUIET_S
    os.utime(marker, (clock[0], clock[0] - background.QUIET_S * 2))  # none for a while
    assert background.wait_for_quiet(marker, lambda: clock[0], sleep) == 0
    os.utime(marker, (clock[0], clock[0] + background.IN_FLIGHT_S))  # one under way, never ending
    waited = background.wait_for_quiet(marker, lambda: clock[0], sleep)
    assert background.MAX_WAIT_S <= waited < background.MAX_WAIT_S + background.QUIET_S
    marker.unlink()  # the encoder's own marker gone: nothing to wait for
    assert background.wait_for_quiet(marker, lambda: clock[0], sleep) == 0


def test_the_steps_spread_over_threads_give_the_vectors_in_order(tmp_path, monkeypatch):
    class Fake:
        def encode(self, texts):
            return np.array([[len(t), sum(map(ord, t))] for t in texts], dtype=np.float32).reshape(-1, 2)

    looks = []
    monkeypatch.setattr(background, "STEP", 3)
    monkeypatch.setattr(background, "wait_for_quiet", lambda marker: looks.append(marker) or 0.0)
    texts = [f"zin {n} " * (n % 4 + 1) for n in range(20)]
    encoder = background.YieldingEncoder(Fake(), threads=2, marker=tmp_path / "busy")
    try:
        assert np.array_equal(encoder.encode(texts), Fake().encode(texts))
    finally:
        encoder.close()
    assert len(looks) == 7  # a look at the marker before each step of 3


def test_a_restarted_services_encoder_waits_for_the_one_before_and_takes_over(archive, monkeypatch):
    import fcntl

    folder, index_path, _ = archive
    Engine.from_folder(folder, index_path=index_path, background_vectors=True)
    monkeypatch.setattr(background, "run_when_idle", lambda: "")
    monkeypatch.setattr(background, "LOCK_POLL_S", 0.0)
    with open(background.lock_file(index_path), "w") as before:  # the encoder of the service before
        fcntl.flock(before, fcntl.LOCK_EX)
        assert background.fill(index_path) == 0  # run by hand: leaves it to the one at work
        monkeypatch.setattr(background, "alive", lambda pid: False)
        assert background.fill(index_path, parent=4242) == 0  # its service gone while it waited: it stops
        assert snapshot.load_folder(index_path).prepared.vectors is None
        looks = []

        def alive(pid):  # the one before stops at the third look
            looks.append(pid)
            if len(looks) == 3:
                before.close()
            return True

        monkeypatch.setattr(background, "alive", alive)
        assert background.fill(index_path, parent=4242) == 0
    assert looks[:3] == [4242] * 3
    assert snapshot.load_folder(index_path).prepared.vectors is not None
