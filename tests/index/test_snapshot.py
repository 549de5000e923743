"""The saved index: used when it matches the sources, rebuilt when not."""
import logging
from pathlib import Path

import numpy as np
import pytest

from qa.index.packing import pack_strings, unpack_strings
from qa.index.snapshot import MappedArrays
from qa.pipeline.engine import Engine
from qa.sources.documents import parse_document

from samples import write_articles

TEXTS = {
    "a": " date 2021-03 De minister van Verkeer Jan de Vries is op 4 maart afgetreden. "
         "Zijn taken worden waargenomen door staatssecretaris Anna Bakker.\n",
    "b": "Brug\n\nUit onderzoek bleek dat de brug 40 miljoen te duur was.\n",
}


def documents(texts=TEXTS):
    return [parse_document(i, t) for i, t in texts.items()]


def folder_of(path, texts=TEXTS):
    path.mkdir(exist_ok=True)
    write_articles(path, texts)
    return path


def served(tmp_path, index_path, semantic=False):
    """An engine as the service makes it: from the folder, with its saved index."""
    return Engine.from_folder(tmp_path / "sources", semantic=semantic, index_path=index_path)


@pytest.fixture
def saved(tmp_path):
    folder_of(tmp_path / "sources")
    path = tmp_path / "index.npz"
    served(tmp_path, path)
    return path


def test_saved_index_gives_the_same_answers(tmp_path, saved, caplog):
    built = Engine(documents(), semantic=False)
    with caplog.at_level(logging.INFO, logger="qa.pipeline.engine"):
        loaded = served(tmp_path, saved)
    assert any("loaded the saved index" in r.getMessage() for r in caplog.records)
    assert [s.text for s in loaded.sentences] == [s.text for s in built.sentences]
    for question in ["Wie neemt de taken van Jan de Vries waar?", "Hoeveel te duur was de brug?"]:
        a, b = built.ask(question), loaded.ask(question)
        assert a.answer == b.answer and [p.text for p in a.passages] == [p.text for p in b.passages]
        assert [p.score for p in a.passages] == [p.score for p in b.passages]


def test_saved_index_keeps_the_encoder_vectors_and_vocabulary(tmp_path):
    folder_of(tmp_path / "sources")
    built = served(tmp_path, tmp_path / "index.npz", semantic=True)
    loaded = served(tmp_path, tmp_path / "index.npz", semantic=True)
    assert np.array_equal(loaded.vectors.codes, built.vectors.codes)
    assert np.array_equal(loaded.vectors.scales, built.vectors.scales)
    assert loaded.neighbours.vocabulary.words == built.neighbours.vocabulary.words
    assert "staatssecretaris" in loaded.neighbours.vocabulary.words
    assert np.array_equal(loaded.neighbours.vocabulary.vectors, built.neighbours.vocabulary.vectors)


def test_changed_sources_go_into_a_segment_saved_beside_the_index(tmp_path, saved, caplog):
    before = saved.read_bytes()
    folder_of(tmp_path / "sources", {"b": TEXTS["b"].replace("40", "50")})
    with caplog.at_level(logging.INFO):
        engine = served(tmp_path, saved)
    assert any("changes read into the segment" in r.getMessage() for r in caplog.records)
    assert saved.read_bytes() == before and Path(str(saved) + ".segment").is_file()
    assert any("50 miljoen" in s.text for s in engine.sentences)
    assert not any("40 miljoen" in s.text for s in engine.sentences)
    caplog.clear()
    with caplog.at_level(logging.INFO):
        served(tmp_path, saved)
    assert any("loaded the saved index" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("content", [b"not a zip file", b""])
def test_unreadable_index_file_is_rebuilt(tmp_path, content, caplog):
    folder_of(tmp_path / "sources")
    path = tmp_path / "index.npz"
    path.write_bytes(content)
    engine = served(tmp_path, path)
    assert "Anna Bakker" in engine.ask("Wie neemt de taken van Jan de Vries waar?").passages[0].text
    assert any("unreadable" in r.getMessage() for r in caplog.records)
    assert np.load(path, allow_pickle=False)["fingerprint"].size == 1  # rewritten, readable


def test_pickled_objects_in_an_index_file_are_not_loaded(tmp_path, saved, caplog):
    with np.load(saved, allow_pickle=False) as f:
        arrays = {k: f[k] for k in f.files}
    arrays["sentence_doc"] = np.array([object()] * len(arrays["sentence_doc"]), dtype=object)
    np.savez(saved, **arrays)  # writes a pickle for the object array
    engine = served(tmp_path, saved)
    assert any("unreadable" in r.getMessage() for r in caplog.records)
    assert len(engine.sentences) == len(Engine(documents(), semantic=False).sentences)


def test_a_truncated_index_file_is_rebuilt(tmp_path, saved, caplog):
    saved.write_bytes(saved.read_bytes()[: saved.stat().st_size // 2])
    engine = served(tmp_path, saved)
    assert any("unreadable" in r.getMessage() for r in caplog.records)
    assert "Anna Bakker" in engine.ask("Wie neemt de taken van Jan de Vries waar?").passages[0].text


def test_unwritable_index_path_still_serves(tmp_path, caplog):
    folder_of(tmp_path / "sources")
    blocker = tmp_path / "file"
    blocker.write_text("x")
    engine = served(tmp_path, blocker / "index.npz")
    assert "Anna Bakker" in engine.ask("Wie neemt de taken van Jan de Vries waar?").passages[0].text
    assert any("could not save" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("strings", [[], [""], ["a", "", "bc"], ["één", "café’s", "", "x\ny"],
                                     ["ascii", "only"]])
def test_strings_are_packed_and_unpacked_unchanged(strings):
    packed = pack_strings(strings)
    assert unpack_strings(packed["bytes"], packed["offsets"]) == strings


def test_a_mapped_index_file_refuses_arrays_of_python_objects(tmp_path):
    path = tmp_path / "evil.npz"
    np.savez(path, fine=np.arange(3), evil=np.array([{"a": 1}], dtype=object))
    with MappedArrays(path) as f:
        assert f["fine"].tolist() == [0, 1, 2]
        with pytest.raises(ValueError, match="Python objects"):
            f["evil"]
