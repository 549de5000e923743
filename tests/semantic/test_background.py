"""Sentence vectors made in the background: the engine answers with BM25 at
once, takes the vectors when they are in place, and an interrupted encoding
resumes where it stopped."""
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

ARTICLES = {
    f"art{n:02d}": f"Kop {n}\n date 2021-07\n\nDe wethouder van stad {n} trad op {n + 1} juli af. "
                   f"Zijn taken gaan naar Anna Bakker {n}. De raad van stad {n} wil een debat.\n"
    for n in range(12)
}


@pytest.fixture
def archive(tmp_path, monkeypatch):
    folder = tmp_path / "sources"
    folder.mkdir()
    for name, text in ARTICLES.items():
        (folder / f"{name}.txt").write_text(text, encoding="utf-8")
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
    monkeypatch.setattr(background, "_alive", lambda pid: next(checks, False))
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


def test_the_command_makes_the_vectors_and_a_second_one_leaves_them(tmp_path):
    folder = tmp_path / "sources"
    folder.mkdir()
    (folder / "a.txt").write_text(ARTICLES["art01"], encoding="utf-8")
    index_path = tmp_path / "index.npz"
    Engine.from_folder(folder, semantic=True, index_path=index_path)
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
    for name, text in ARTICLES.items():
        (folder / f"{name}.txt").write_text(text, encoding="utf-8")
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
