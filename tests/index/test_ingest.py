"""Ingest on every core: the same index as one process builds, and a restart
that reads no source while the folder is unchanged."""

import logging

import numpy as np
import pytest

from qa.index import ingest
from qa.index.bm25 import QueryTerm
from qa.language.analysis import Analyzer
from qa.pipeline.engine import Engine
from qa.semantic.vectors import SentenceVectors
from qa.sources import documents as sources
from qa.sources.documents import list_sources, load_sources

from samples import write_articles

ARTICLES = {
    f"art{n:03d}": f"Kop nummer {n}\n date 2021-{n % 12 + 1:02d}\n\n"
    f"De wethouder van stad {n} trad op {n % 28 + 1} juli af. Zijn taken gaan naar Anna Bakker.\n\n"
    f"Het partijbestuur van de SP steunt dat besluit. ,,Wij staan achter hem'', zei voorzitter "
    f"Jan Visser {n}.\n"
    for n in range(40)
}


@pytest.fixture
def archive(tmp_path):
    folder = tmp_path / "sources"
    folder.mkdir()
    write_articles(folder, ARTICLES)
    return folder


def test_chunks_cover_every_item_once_in_order():
    bounds = ingest.chunk_bounds([5, 1, 1, 1, 9, 2, 3], 3)
    assert bounds[0][0] == 0 and bounds[-1][1] == 7
    assert all(a < b for a, b in bounds) and all(
        bounds[i][1] == bounds[i + 1][0] for i in range(len(bounds) - 1)
    )


def test_worker_processes_build_the_index_one_process_builds(archive, monkeypatch):
    monkeypatch.setattr(ingest, "PARALLEL_MIN_CHARS", 0)  # a small archive, split over processes anyway
    files = list_sources(archive)
    one = ingest.build_folder(files, Analyzer("nl"), workers=1)
    two = ingest.build_folder(files, Analyzer("nl"), workers=2)
    assert [d.id for d in one[0]] == [d.id for d in two[0]] == sorted(ARTICLES)
    a, b = one[2], two[2]
    assert [s.text for s in a.sentences] == [s.text for s in b.sentences]
    assert len(a.sentences) == 40 * 6  # a heading and five sentences each
    # the same terms and scores: a query scores every sentence the same
    assert sorted(a.index.terms) == sorted(b.index.terms)
    for word in ("wethouder", "bakker", "partijbestuur", "bestuur", "aftreden"):
        term = Analyzer("nl").term(word)
        assert np.array_equal(dense_scores(a.index, [term]), dense_scores(b.index, [term])), word
    assert a.casing.upper == b.casing.upper and a.casing.lower == b.casing.lower
    assert a.words == b.words


def test_worker_processes_report_bad_files_like_one_process(archive, monkeypatch):
    monkeypatch.setattr(ingest, "PARALLEL_MIN_CHARS", 0)
    (archive / "bad.txt").write_bytes(b"\xff\xfe not text")
    documents, skipped, built = ingest.build_folder(list_sources(archive), Analyzer("nl"), workers=2)
    assert len(documents) == 40 and [s["file"] for s in skipped] == ["bad.txt"]
    assert {built.sentences[i].doc_id for i in range(len(built.sentences))} == set(ARTICLES)


def test_a_restart_with_the_saved_index_reads_no_source(archive, tmp_path, monkeypatch, caplog):
    index_path = tmp_path / "var" / "index.npz"
    first = Engine.from_folder(archive, semantic=False, index_path=index_path)
    monkeypatch.setattr(sources, "read_document", lambda *a: pytest.fail("read a source file"))
    with caplog.at_level(logging.INFO, logger="qa.pipeline.engine"):
        again = Engine.from_folder(archive, semantic=False, index_path=index_path)
    assert any("loaded the saved index" in r.getMessage() for r in caplog.records)
    assert list(again.documents) == list(first.documents)
    assert again.documents["art007"] == first.documents["art007"]  # text, title, date, content ranges
    question = "Wie neemt de taken van de wethouder van stad 7 over?"
    assert [p.text for p in again.ask(question).passages] == [p.text for p in first.ask(question).passages]


def test_a_changed_added_or_removed_file_is_noticed_at_restart(archive, tmp_path):
    index_path = tmp_path / "index.npz"
    Engine.from_folder(archive, semantic=False, index_path=index_path)
    (archive / "art999.txt").write_text("Nieuw\n\nDe kwartiermaker Zebulon Vlietstra opende het museum.\n")
    added = Engine.from_folder(archive, semantic=False, index_path=index_path)
    assert "art999" in added.documents
    assert "Zebulon" in added.ask("Wie opende het museum?").passages[0].text
    (archive / "art999.txt").write_text("Nieuw\n\nDe burgemeester Tineke Vos opende het museum.\n")
    changed = Engine.from_folder(archive, semantic=False, index_path=index_path)
    assert "Tineke Vos" in changed.ask("Wie opende het museum?").passages[0].text
    (archive / "art999.txt").unlink()
    removed = Engine.from_folder(archive, semantic=False, index_path=index_path)
    assert "art999" not in removed.documents
    assert list(removed.documents) == [d.id for d in load_sources(archive)[0]]


def dense_scores(index, terms):
    """Every sentence's score for `terms` (a plain query term each)."""
    everyone = np.arange(index.N)  # (a part covers what it is asked to: base.Index.covering)
    return index.scores_of(index.covering(index.parts([QueryTerm((t,)) for t in terms]), everyone), everyone)


def scores_by_sentence(engine, words):
    terms = [engine.analyzer.term(w) for w in words]
    scores = dense_scores(engine.index, terms)
    return {(s.doc_id, s.index): round(float(scores[i]), 9) for i, s in enumerate(engine.sentences)}


def test_a_restart_after_a_few_changes_reads_only_the_changed_files(archive, tmp_path, monkeypatch, caplog):
    index_path = tmp_path / "index.npz"
    Engine.from_folder(archive, semantic=False, index_path=index_path)
    (archive / "art999.txt").write_text("Nieuw\n\nDe kwartiermaker Zebulon Vlietstra opende het museum.\n")
    (archive / "art003.txt").write_text("Gewijzigd\n\nDe wethouder van stad 3 blijft toch aan.\n")
    (archive / "art005.txt").unlink()
    read = []
    real_read = sources.read_document
    monkeypatch.setattr(
        sources, "read_document", lambda path, *a: read.append(path.name) or real_read(path, *a)
    )
    with caplog.at_level(logging.INFO, logger="qa.index.segment"):
        updated = Engine.from_folder(archive, semantic=False, index_path=index_path)
    assert sorted(read) == ["art003.txt", "art999.txt"]
    assert any("changes read into the segment" in r.getMessage() for r in caplog.records)
    assert "art005" not in updated.documents and "art999" in updated.documents
    assert "Zebulon" in updated.ask("Wie opende het museum?").passages[0].text
    assert (
        updated.ask("Blijft de wethouder van stad 3 aan?")
        .passages[0]
        .text.startswith("De wethouder van stad 3")
    )
    for s in updated.sentences:  # offsets still point into the right documents
        assert updated.documents[s.doc_id].text[s.start : s.end] == s.text
    scratch = Engine.from_folder(archive, semantic=False)
    for words in (["wethouder"], ["museum", "opende"], ["bakker", "taken"], ["blijft", "stad"]):
        assert scores_by_sentence(updated, words) == scores_by_sentence(scratch, words)
    assert updated.corpus.casing.upper == scratch.corpus.casing.upper \
        and updated.corpus.casing.lower == scratch.corpus.casing.lower
    monkeypatch.setattr(sources, "read_document", lambda *a: pytest.fail("read a source file"))
    again = Engine.from_folder(archive, semantic=False, index_path=index_path)  # the update was saved
    assert list(again.documents) == list(updated.documents)


def test_an_update_encodes_the_new_sentences_and_keeps_the_old_vectors(archive, tmp_path):
    index_path = tmp_path / "index.npz"
    first = Engine.from_folder(archive, index_path=index_path)
    (archive / "art999.txt").write_text("Nieuw\n\nDe kwartiermaker Zebulon Vlietstra opende het museum.\n")
    updated = Engine.from_folder(archive, index_path=index_path)
    assert len(updated.vectors) == len(updated.sentences)
    at = {(s.doc_id, s.index): i for i, s in enumerate(first.sentences)}
    for i, s in enumerate(updated.sentences):
        if s.doc_id == "art999":
            expected = SentenceVectors.quantize(updated.encoder.encode([s.text]))
            assert np.array_equal(updated.vectors.codes[i], expected.codes[0])
        else:
            assert np.array_equal(updated.vectors.codes[i], first.vectors.codes[at[(s.doc_id, s.index)]])
    assert updated.neighbours is not None


class PatchedGevent:
    """gevent.monkey as a gevent worker has it: threading made greenlets."""

    @staticmethod
    def is_module_patched(name):
        return name == "threading"


def test_under_gevent_no_pool_is_forked_and_the_index_is_the_same(archive, monkeypatch):
    monkeypatch.setattr(ingest, "PARALLEL_MIN_CHARS", 0)  # above the threshold
    files = list_sources(archive)
    assert ingest.pool_is_safe()
    pooled = ingest.build_folder(files, Analyzer("nl"), workers=2)
    monkeypatch.setitem(__import__("sys").modules, "gevent.monkey", PatchedGevent())
    assert not ingest.pool_is_safe()
    forked = []
    monkeypatch.setattr(ingest.multiprocessing, "get_context", lambda *a: forked.append(a))
    alone = ingest.build_folder(files, Analyzer("nl"), workers=2)
    assert not forked
    assert [s.text for s in alone[2].sentences] == [s.text for s in pooled[2].sentences]


def test_a_change_updates_the_served_engine_without_reading_the_other_files(archive, monkeypatch):
    """Without a saved index a change reads only the changed files: the served engine is the base."""
    served = Engine.from_folder(archive, semantic=False)
    (archive / "art000.txt").unlink()
    (archive / "nieuw.txt").write_text("Nieuw\n\nDe veerpont naar Buiksloot vaart voortaan ook 's nachts.\n",
                                       encoding="utf-8")
    read = []
    real = sources.read_document
    monkeypatch.setattr(sources, "read_document", lambda path, *a: read.append(path.name) or real(path, *a))
    changed = Engine.from_folder(archive, semantic=False, base=served.origin, ingest_workers=1)
    assert read == ["nieuw.txt"]
    assert "art000" not in changed.documents and "nieuw" in changed.documents
    assert "art000" in served.documents  # the served engine is untouched until the switch
    scratch = Engine.from_folder(archive, semantic=False)
    question = "Wanneer vaart de veerpont naar Buiksloot?"
    assert changed.ask(question).passages[0].text == scratch.ask(question).passages[0].text
    assert sorted(s.text for s in changed.sentences) == sorted(s.text for s in scratch.sentences)
