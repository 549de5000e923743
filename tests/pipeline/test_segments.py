"""Changes while serving go into a segment beside the saved index (index/segment.py): the engine
of the index and its segment answers as a rebuild does, another process follows the saved segment
without listing the folders or reading a source, a restart reads it with the index, and a segment
grown to the threshold is merged into the index in the background, keeping what changed meanwhile."""
import numpy as np
import pytest

from qa.index import segment as segments
from qa.index import snapshot
from qa.index.bm25 import QueryTerm
from qa.pipeline import engine as engine_module
from qa.pipeline.engine import Engine
from qa.sources import documents as sources

ARTICLES = {
    f"art{n:03d}": f"Kop nummer {n}\n date 2021-{n % 12 + 1:02d}\n\n"
    f"De wethouder van stad {n} trad op {n % 28 + 1} juli af. Zijn taken gaan naar Anna Bakker.\n\n"
    f"Het partijbestuur van de SP steunt dat besluit. ,,Wij staan achter hem'', zei voorzitter "
    f"Jan Visser {n}.\n"
    for n in range(30)
}
NEW = "Nieuw museum\n\nDe kwartiermaker Zebulon Vlietstra opende gisteren het museum. Het telt negen zalen.\n"
REPLACED = "Gewijzigd\n\nDe wethouder van stad 3 blijft toch aan. Anna Bakker krijgt de taken niet.\n"
QUESTIONS = ["Wie opende het museum?", "Blijft de wethouder van stad 3 aan?", "Wie krijgt de taken?",
             "Wanneer trad de wethouder van stad 7 af?", "Wat zei voorzitter Jan Visser?"]


@pytest.fixture
def folder(tmp_path):
    path = tmp_path / "sources"
    path.mkdir()
    for name, text in ARTICLES.items():
        (path / f"{name}.txt").write_text(text, encoding="utf-8")
    return path


def change(folder):
    """An article added, one replaced, one deleted: the paths written or removed."""
    (folder / "nieuw.txt").write_text(NEW, encoding="utf-8")
    (folder / "art003.txt").write_text(REPLACED, encoding="utf-8")
    (folder / "art005.txt").unlink()
    return [folder / "nieuw.txt", folder / "art003.txt", folder / "art005.txt"]


def served(folder, index_path, **options):
    semantic = options.pop("semantic", False)
    return Engine.from_folder(folder, semantic=semantic, index_path=index_path, **options)


def scores(engine, words):
    """Each sentence's BM25 score for `words`, by (source, position)."""
    index = engine.index
    everyone = np.arange(len(engine.sentences))
    parts = index.covering(index.parts([QueryTerm((engine.analyzer.term(w),)) for w in words]), everyone)
    found = index.scores_of(parts, everyone)
    return {(s.doc_id, s.index): float(found[i]) for i, s in enumerate(engine.sentences)}


def assert_answers_alike(engine, reference):
    for question in QUESTIONS:
        got, expected = engine.ask(question), reference.ask(question)
        assert got.answer == expected.answer, question
        assert [(p.source, p.start, p.end, p.text) for p in got.passages] == \
            [(p.source, p.start, p.end, p.text) for p in expected.passages], question
        assert np.allclose([p.score for p in got.passages], [p.score for p in expected.passages]), question
        assert got.confidence == pytest.approx(expected.confidence)
        for p in got.passages:  # citations point into the right text
            assert engine.documents[p.source].text[p.start:p.end] == p.text


def merged_engine(engine):
    """The engine of the index the engine's index and segment merge into (a rebuild of the same
    sentences, numbered alike)."""
    main = segments.merge(engine.origin, engine.segment)
    return Engine(main.documents, main.skipped, semantic=False, prepared=main.prepared)


def test_a_change_answers_as_a_rebuild(folder, tmp_path):
    engine = served(folder, tmp_path / "index.npz")
    changed = engine.with_changes(change(folder))
    assert changed.segment is not None and changed.segment.removed == ["art003", "art005"]
    assert "nieuw" in changed.documents and "art005" not in changed.documents
    assert "art005" in engine.documents  # the engine served is untouched until the switch
    scratch = Engine.from_folder(folder, semantic=False)
    assert sorted(changed.documents) == sorted(scratch.documents)
    assert sorted(s.text for s in changed.sentences) == sorted(s.text for s in scratch.sentences)
    for words in (["wethouder"], ["museum", "opende"], ["bakker", "taken"], ["blijft", "stad"], ["zebulon"]):
        got, expected = scores(changed, words), scores(scratch, words)
        assert got.keys() == expected.keys()
        assert np.allclose([got[k] for k in expected], list(expected.values()), rtol=1e-12, atol=1e-12)
    assert dict(changed.corpus.casing.upper) == dict(scratch.corpus.casing.upper)
    assert dict(changed.corpus.casing.lower) == dict(scratch.corpus.casing.lower)
    assert changed.folder_digest == scratch.folder_digest  # a listing finds nothing new
    assert_answers_alike(changed, merged_engine(changed))
    assert "Zebulon" in changed.ask("Wie opende het museum?").passages[0].text


def test_another_process_follows_the_saved_segment_without_listing_or_reading(folder, tmp_path,
                                                                               monkeypatch):
    index_path = tmp_path / "index.npz"
    writer, follower = served(folder, index_path), served(folder, index_path)
    changed = writer.with_changes(change(folder))
    assert follower.outdated() and not changed.outdated()
    monkeypatch.setattr(engine_module, "list_folders", lambda *a: pytest.fail("listed the folders"))
    monkeypatch.setattr(sources, "read_document", lambda *a: pytest.fail("read a source"))
    monkeypatch.setattr(snapshot, "load_folder", lambda *a: pytest.fail("loaded the index again"))
    followed = follower.followed()
    assert followed is not follower and not followed.outdated()
    assert followed.origin is follower.origin  # the same index, in memory as it was
    assert followed.folder_digest == changed.folder_digest
    assert_answers_alike(followed, changed)
    assert followed.followed() is followed  # nothing new


def test_a_restart_reads_the_segment_with_the_index(folder, tmp_path, monkeypatch):
    index_path = tmp_path / "index.npz"
    changed = served(folder, index_path).with_changes(change(folder))
    monkeypatch.setattr(sources, "read_document", lambda *a: pytest.fail("read a source"))
    restarted = served(folder, index_path)
    assert restarted.segment is not None and restarted.segment.removed == changed.segment.removed
    assert_answers_alike(restarted, changed)


def test_a_change_by_hand_is_listed_into_the_segment_once(folder, tmp_path):
    index_path = tmp_path / "index.npz"
    first, second = served(folder, index_path), served(folder, index_path)
    change(folder)
    # each process that lists the folders finds the change; the second finds it saved already
    listed = Engine.from_folder(folder, semantic=False, index_path=index_path, base=first.origin,
                                base_segment=first.segment)
    again = Engine.from_folder(folder, semantic=False, index_path=index_path, base=second.origin,
                               base_segment=second.segment)
    assert listed.segment.serials == again.segment.serials
    assert_answers_alike(again, listed)


def test_replaced_twice_and_deleted_articles_leave_the_segment(folder, tmp_path):
    engine = served(folder, tmp_path / "index.npz")
    paths = change(folder)
    engine = engine.with_changes(paths)
    (folder / "nieuw.txt").write_text(NEW.replace("negen", "tien"), encoding="utf-8")
    engine = engine.with_changes([folder / "nieuw.txt"])
    assert [d.id for d in engine.segment.documents] == ["art003", "nieuw"]
    assert "tien zalen" in engine.documents["nieuw"].text
    (folder / "nieuw.txt").unlink()
    (folder / "art003.txt").unlink()
    engine = engine.with_changes([folder / "nieuw.txt", folder / "art003.txt"])
    assert engine.segment.documents == [] and engine.segment.removed == ["art003", "art005"]
    assert len(engine.segment.sentences) == 0 and len(engine.segment.terms) == 0
    scratch = Engine.from_folder(folder, semantic=False)
    assert sorted(engine.documents) == sorted(scratch.documents)
    got, expected = scores(engine, ["wethouder", "stad"]), scores(scratch, ["wethouder", "stad"])
    assert np.allclose([got[k] for k in expected], list(expected.values()))


@pytest.mark.parametrize("margin", [1, 0])
def test_a_segment_is_merged_into_the_index_from_its_threshold_on(folder, tmp_path, margin):
    index_path = tmp_path / "index.npz"
    engine = served(folder, index_path)
    probe = Engine.from_folder(folder, semantic=False)
    paths = change(folder)
    # the change's size: the new sentences, and the sentences of the articles replaced or deleted
    size = len(probe.with_changes(paths).segment)
    scratch = Engine.from_folder(folder, semantic=False)
    assert size == sum(len(engine.corpus.sentences_of(i)) for i in ("art003", "art005")) + \
        sum(len(scratch.corpus.sentences_of(i)) for i in ("art003", "nieuw"))
    engine.segment_max = size + margin
    before = index_path.read_bytes()
    changed = engine.with_changes(paths)
    if margin:
        assert changed.merger is None and index_path.read_bytes() == before
        assert len(segments.load(segments.path_of(index_path))) == size
        return
    assert changed.merger.wait(timeout=120) == 0  # python -m qa merge
    assert snapshot.fingerprint_of(index_path) == changed.folder_digest
    rest = segments.load(segments.path_of(index_path))
    assert rest.base == changed.folder_digest and len(rest) == 0 and not rest.documents
    assert changed.outdated()
    followed = changed.followed()
    assert followed.origin.fingerprint == changed.folder_digest and not followed.outdated()
    assert followed.index is followed.origin.prepared.index  # a plain index again
    assert_answers_alike(followed, changed)


@pytest.mark.parametrize("margin", [1, 0])
def test_without_a_saved_index_a_full_segment_is_merged_in_the_process(folder, margin):
    engine = Engine.from_folder(folder, semantic=False)
    probe = Engine.from_folder(folder, semantic=False)
    paths = change(folder)
    engine.segment_max = len(probe.with_changes(paths).segment) + margin
    changed = engine.with_changes(paths)
    assert (changed.segment is not None) == bool(margin)
    assert_answers_alike(changed, probe.with_changes(paths))


def test_merging_keeps_what_changed_meanwhile(folder, tmp_path, monkeypatch):
    index_path = tmp_path / "index.npz"
    engine = served(folder, index_path)
    main = engine.origin
    engine = engine.with_changes(change(folder))
    real_merge = segments.merge

    def merge_while_an_article_changes(saved, taken):
        merged = real_merge(saved, taken)
        # meanwhile another process changes the sources: its change is saved into the segment
        (folder / "nieuw.txt").unlink()
        (folder / "later.txt").write_text("Later\n\nDe veerpont naar Buiksloot vaart ook 's nachts.\n",
                                          encoding="utf-8")
        (folder / "art007.txt").write_text(REPLACED.replace("stad 3", "stad 7"), encoding="utf-8")
        engine.with_changes([folder / "nieuw.txt", folder / "later.txt", folder / "art007.txt"])
        return merged

    monkeypatch.setattr(segments, "merge", merge_while_an_article_changes)
    assert segments.merge_saved(index_path)
    monkeypatch.setattr(segments, "merge", real_merge)
    assert snapshot.fingerprint_of(index_path) != main.fingerprint
    restarted = served(folder, tmp_path / "index.npz")
    assert restarted.origin.fingerprint != main.fingerprint
    assert sorted(d.id for d in restarted.segment.documents) == ["art007", "later"]
    assert "nieuw" in restarted.segment.removed  # merged into the index, deleted since
    scratch = Engine.from_folder(folder, semantic=False)
    assert sorted(restarted.documents) == sorted(scratch.documents)
    for words in (["wethouder"], ["veerpont"], ["museum"], ["blijft", "stad"]):
        got, expected = scores(restarted, words), scores(scratch, words)
        assert np.allclose([got[k] for k in expected], list(expected.values()), rtol=1e-12, atol=1e-12)
    assert restarted.folder_digest == scratch.folder_digest


def test_the_segment_file_reads_back_as_saved(folder, tmp_path):
    engine = served(folder, tmp_path / "index.npz", semantic=True)
    segment = engine.with_changes(change(folder)).segment
    loaded = segments.load(segments.path_of(tmp_path / "index.npz"))
    for field in ("base", "removed", "documents", "keys", "serials", "terms", "files", "skipped",
                  "fingerprint", "dead", "serial"):
        assert getattr(loaded, field) == getattr(segment, field), field
    for field in ("term_ids", "term_counts", "doc_lengths"):
        assert np.array_equal(getattr(loaded, field), getattr(segment, field)), field
    for column in segments.SENTENCE_COLUMNS:
        assert np.array_equal(getattr(loaded.sentences, column), getattr(segment.sentences, column))
    assert dict(loaded.casing.upper) == dict(segment.casing.upper)
    assert np.array_equal(loaded.vectors.codes, segment.vectors.codes)
    (tmp_path / "bad.segment").write_bytes(b"not a zip file")
    assert segments.load(tmp_path / "bad.segment") is None and segments.load(tmp_path / "none") is None


def test_the_new_sentences_get_their_vectors_and_the_follower_reads_them(folder, tmp_path, monkeypatch):
    index_path = tmp_path / "index.npz"
    writer, follower = served(folder, index_path, semantic=True), served(folder, index_path, semantic=True)
    changed = writer.with_changes(change(folder))
    assert len(changed.vectors) == len(changed.sentences)
    monkeypatch.setattr(follower.encoder, "encode", lambda *a: pytest.fail("encoded in the follower"))
    followed = follower.followed()
    rows = {(s.doc_id, s.index): i for i, s in enumerate(writer.sentences)}
    for i, s in enumerate(followed.sentences):
        vector = followed.vectors.rows(np.array([i])).codes[0]
        if s.doc_id in ("nieuw", "art003"):
            expected = changed.vectors.rows(np.array([i])).codes[0]
        else:
            expected = writer.vectors.rows(np.array([rows[(s.doc_id, s.index)]])).codes[0]
        assert np.array_equal(vector, expected)


def test_the_same_content_is_found_in_the_index_and_the_segment(folder, tmp_path, monkeypatch):
    index_path = tmp_path / "index.npz"
    served(folder, index_path)
    restarted = served(folder, index_path)
    assert restarted.origin.keys is not None  # saved with the index
    art003 = restarted.documents["art003"]
    key = sources.content_key(art003)
    monkeypatch.setattr(snapshot, "content_keys", lambda docs: pytest.fail("made a key of every document"))
    assert restarted.holding(key) == ["art003"]
    monkeypatch.undo()
    changed = restarted.with_changes(change(folder))
    assert changed.holding(sources.content_key(art003)) == []  # replaced
    assert changed.holding(sources.content_key(changed.documents["art003"])) == ["art003"]
    assert changed.holding(sources.content_key(changed.documents["nieuw"])) == ["nieuw"]
    assert changed.holding(sources.content_key(restarted.documents["art005"])) == []  # deleted
    without_keys = Engine.from_folder(folder, semantic=False)  # no saved index: the keys made when asked
    assert without_keys.holding(sources.content_key(changed.documents["nieuw"])) == ["nieuw"]


@pytest.mark.parametrize("changed", [15, 16])
def test_a_start_after_up_to_half_the_files_changed_reads_them_into_the_segment(folder, tmp_path, changed):
    index_path = tmp_path / "index.npz"
    (folder / "nieuw.txt").write_text(NEW, encoding="utf-8")  # (an article in the saved segment already)
    served(folder, index_path).with_changes([folder / "nieuw.txt"])
    assert engine_module.UPDATE_MAX_SHARE * (len(ARTICLES) + 1) == 15.5
    for n in range(changed):
        (folder / f"art{n:03d}.txt").write_text(REPLACED.replace("stad 3", f"stad {n}"), encoding="utf-8")
    before = index_path.read_bytes()
    restarted = served(folder, index_path)
    if changed <= 15:  # the changed files read into the segment, the index as it was
        assert len(restarted.segment.documents) == changed + 1 and index_path.read_bytes() == before
    else:  # rebuilt, and saved
        assert restarted.segment is None and index_path.read_bytes() != before
        assert not segments.path_of(index_path).exists()
    scratch = Engine.from_folder(folder, semantic=False)
    got, expected = scores(restarted, ["wethouder", "stad"]), scores(scratch, ["wethouder", "stad"])
    assert np.allclose([got[k] for k in expected], list(expected.values()), rtol=1e-12, atol=1e-12)
