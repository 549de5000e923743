"""Static sentence vectors (qa/semantic/static.py): distilled from the
encoder, mapped into its sentence space, kept beside the saved index, and
chosen by the engine above QA_STATIC_VECTORS_ABOVE sentences."""
import logging
from pathlib import Path

import numpy as np
import pytest

from qa.index import segment, snapshot
from qa.pipeline import engine as engine_module
from qa.pipeline.engine import Engine
from qa.semantic import background, static, static_background
from qa.semantic.encoders import SentenceEncoder

from samples import write_articles

ARTICLES = {  # as test_background.py's
    f"art{n:02d}": f"Kop {n}\n date 2021-07\n\nDe wethouder van stad {n} trad op {n + 1} juli af. "
                   f"Zijn taken gaan naar Anna Bakker {n}. De raad van stad {n} wil een debat.\n"
    for n in range(12)
}

TOPICS = [
    "De wethouder van Amsterdam trad maandag per direct af na klachten over zijn gedrag.",
    "Het museum opent in het voorjaar een nieuwe zaal met schilderijen uit de Gouden Eeuw.",
    "Door de storm vielen in de hele provincie bomen om en lag het treinverkeer stil.",
    "De gemeenteraad stemde in met de bouw van vierhonderd nieuwe woningen aan de rand van de stad.",
    "De voetbalclub won zondag met drie tegen nul van de nummer twee van de competitie.",
    "Het ziekenhuis zoekt dringend verpleegkundigen voor de afdeling spoedeisende hulp.",
    "De prijs van benzine steeg vorige week tot boven de twee euro per liter.",
    "Leerlingen van de basisschool plantten samen met de buurt honderd bomen in het park.",
    "De politie hield na de wedstrijd twaalf supporters aan voor geweld.",
    "Het kabinet wil de belasting op vliegtickets verhogen om het klimaat te sparen.",
    "De boeren protesteerden met hun trekkers op de snelweg tegen de nieuwe stikstofregels.",
    "De haven van Rotterdam sloeg vorig jaar meer containers over dan ooit.",
]
ROOT = Path(__file__).resolve().parent.parent.parent


def news_sentences() -> list[str]:
    """The sentences of the seeds and of the news sets' folders (about 750): the map's fitting."""
    from qa.index import ingest
    from qa.language.analysis import Analyzer
    from qa.sources.documents import list_folders, read_sources

    folders = [ROOT / "seeds", *sorted((ROOT / "eval").glob("fresh*/")), ROOT / "eval" / "other"]
    files, _ = list_folders(folders)
    table = ingest.build(read_sources(files)[0], Analyzer("nl")).sentences
    return [table[i].text for i in range(len(table))]


@pytest.fixture(scope="module")
def encoder():
    return SentenceEncoder()


@pytest.fixture(scope="module")
def model(encoder):
    fit = news_sentences()
    return static.StaticModel.distil(TOPICS, encoder, fit=(fit, encoder.encode(fit)))


def test_static_vectors_rank_a_paraphrase_above_unrelated_sentences(model, encoder):
    vectors = model.sentence_vectors(TOPICS[:12])
    # (none shares a content word with its sentence, and the encoder ranks each first too)
    for question, right in [("Hoeveel fans werden gearresteerd?", 8), ("Who resigned as alderman?", 0),
                            ("Wat kost een liter brandstof?", 6), ("Which club won on Sunday?", 4),
                            ("Wat wil de regering met vliegen doen?", 9)]:
        alone = vectors.similarities(model.encode([question], encoder)[0])
        both = vectors.similarities(static.QuestionEncoder(model, encoder).encode([question])[0])
        assert int(np.argmax(alone)) == right, question
        assert int(np.argmax(both)) == right, question


def test_the_map_brings_static_vectors_near_the_encoder_s(model, encoder):
    held_out = ["De burgemeester opende zaterdag het vernieuwde stadhuis met een feest voor de buurt.",
                "Na de hevige regenval stonden in het dorp tientallen kelders onder water."]
    mapped = model.encode(held_out, encoder)  # (most of their words are not the model's: encoded)
    unmapped = model.means(held_out, encoder)
    unmapped /= np.linalg.norm(unmapped, axis=1, keepdims=True)
    truth = encoder.encode(held_out)
    mapped_cos, unmapped_cos = np.sum(mapped * truth, axis=1), np.sum(unmapped * truth, axis=1)
    assert (mapped_cos > 0.35).all() and (mapped_cos > unmapped_cos + 0.1).all()
    # and each sentence's encoder vector is nearer its own static vector than the other's
    assert np.argmax(mapped @ truth.T, axis=0).tolist() == [0, 1]


def test_the_question_encoder_keeps_the_words_it_encoded(model, encoder, monkeypatch):
    questions = static.QuestionEncoder(model, encoder)
    first = questions.encode(["Hoeveel supporters werden aangehouden?"])
    encoded = []
    real = SentenceEncoder.encode
    monkeypatch.setattr(SentenceEncoder, "encode", lambda self, texts, *a: encoded.extend(texts) or
                        real(self, texts, *a))
    assert np.allclose(questions.encode(["Hoeveel supporters werden aangehouden?"]), first, atol=1e-6)
    assert encoded == ["Hoeveel supporters werden aangehouden?"]  # its words were kept
    monkeypatch.setattr(static, "KEPT_WORDS", 2)
    questions.encode(["Wie won de wedstrijd?"])
    assert list(questions._words) == ["de", "wedstrijd"]  # the least recently used left first


def test_a_frequent_word_weighs_less_and_an_unknown_one_fully(model):
    weights = model.weights_of(["de", "voetbalclub", "onbekendwoord"])
    assert weights[0] < 0.5 < weights[1] < 1.0 == weights[2]


def test_a_saved_model_reloads_the_same(model, encoder, tmp_path):
    path = tmp_path / "index.npz.static.npz"
    model.save(path)
    whole = static.StaticModel.load(path, vectors=True)
    assert whole.name == model.name and whole.words == model.words
    for name in ("keys", "weights", "mapping", "offset"):
        assert np.array_equal(getattr(whole, name), getattr(model, name)), name
    assert np.array_equal(whole.vectors.codes, model.vectors.codes)
    assert np.array_equal(whole.sentence_vectors(TOPICS).codes, model.sentence_vectors(TOPICS).codes)
    serving = static.StaticModel.load(path)
    assert serving.words is None and serving.name == model.name
    # a serving model encodes the words as they come: the same vectors, but for the table's int8 rounding
    assert np.abs(serving.encode(TOPICS[:3], encoder) - model.encode(TOPICS[:3])).max() < 0.01
    assert static.StaticModel.load(tmp_path / "none.npz") is None


def test_a_model_made_before_gives_its_words_vectors(model, encoder, monkeypatch):
    encoded = []
    real = SentenceEncoder.encode
    monkeypatch.setattr(SentenceEncoder, "encode", lambda self, texts, *a: encoded.extend(texts) or
                        real(self, texts, *a))
    again = static.StaticModel.distil(TOPICS + ["Een zin met een nieuw woord: zeppelin."], encoder,
                                      known=model, sample=4)
    words = set(encoded) - set(TOPICS)
    assert "zeppelin" in words and not words & set(model.words)
    assert np.array_equal(again.vectors.codes[again.row["museum"]], model.vectors.codes[model.row["museum"]])


def test_no_words_and_no_sentences(encoder):
    empty = static.StaticModel.distil([], encoder)
    assert len(empty.sentence_vectors([])) == 0
    assert np.isfinite(empty.encode(["", "123"], encoder)).all()


# -- the engine: both sides of QA_STATIC_VECTORS_ABOVE

@pytest.fixture
def archive(tmp_path, monkeypatch):
    folder = tmp_path / "sources"
    folder.mkdir()
    write_articles(folder, ARTICLES)
    monkeypatch.setattr(engine_module, "VECTORS_POLL_S", 0.0)
    monkeypatch.setattr(static, "_kept", {})  # each test finds its models itself
    return folder, tmp_path / "index.npz"


QUESTION = "Wie neemt de taken van de wethouder van stad 3 over?"


def test_above_the_threshold_the_engine_makes_static_vectors(archive):
    folder, index_path = archive
    sentences = len(Engine.from_folder(folder, semantic=False).sentences)
    engine = Engine.from_folder(folder, index_path=index_path, static_above=sentences - 1)
    assert engine.static_model is not None and engine.vectors.source == engine.static_model.name
    assert isinstance(engine.ranker().encoder, static.QuestionEncoder)
    assert static.model_path(index_path).exists() and engine.neighbours is not None
    answer = engine.ask(QUESTION)
    assert "stad 3" in answer.passages[0].text and answer.passages[0].debug["semantic"] is not None
    # a restart finds the model beside the index by the name the saved vectors carry
    static._kept.clear()
    restarted = Engine.from_folder(folder, index_path=index_path, static_above=sentences - 1)
    assert restarted.static_model is not None and restarted.static_model.name == engine.static_model.name
    assert np.array_equal(restarted.vectors.codes, engine.vectors.codes)


def test_up_to_the_threshold_the_encoder_makes_them(archive):
    folder, index_path = archive
    sentences = len(Engine.from_folder(folder, semantic=False).sentences)
    engine = Engine.from_folder(folder, index_path=index_path, static_above=sentences)
    assert engine.static_model is None and engine.vectors.source == ""
    assert isinstance(engine.ranker().encoder, SentenceEncoder)
    assert not static.model_path(index_path).exists()


def test_an_added_article_gets_vectors_from_the_same_model(archive):
    folder, index_path = archive
    engine = Engine.from_folder(folder, index_path=index_path, static_above=0)
    (folder / "new.txt").write_text("Nieuw\n date 2021-08\n\nDe zeppelin van stad 40 landde dinsdag in de "
                                    "haven. Niemand raakte gewond.\n", encoding="utf-8")
    updated = Engine.from_folder(folder, index_path=index_path, static_above=1000, base=engine.origin)
    assert len(updated.sentences) > len(engine.sentences)
    before = {s.text: engine.vectors.codes[i] for i, s in enumerate(engine.sentences)}
    assert all(np.array_equal(updated.vectors.codes[i], before[s.text])  # kept, not made again
               for i, s in enumerate(updated.sentences) if s.text in before)
    assert updated.static_model.name == engine.static_model.name == updated.vectors.source
    new = [i for i, s in enumerate(updated.sentences) if "zeppelin" in s.text]
    made = engine.static_model.sentence_vectors([updated.sentences[new[0]].text], updated.encoder)
    assert np.array_equal(updated.vectors.codes[new[0]], made.codes[0])
    # the same article added while serving (the Library's way: only its file read, into the segment)
    served = engine.with_changes([folder / "new.txt"])
    assert served.vectors.source == engine.static_model.name and served.static_model is not None
    row = next(i for i, s in enumerate(served.sentences) if "zeppelin" in s.text)
    assert np.array_equal(served.vectors.rows(np.array([row])).codes[0], made.codes[0])


def test_without_its_model_the_engine_searches_static_vectors_with_the_encoder_s_question(archive, caplog):
    folder, index_path = archive
    Engine.from_folder(folder, index_path=index_path, static_above=0)
    static.model_path(index_path).unlink()
    static._kept.clear()
    with caplog.at_level(logging.WARNING):
        restarted = Engine.from_folder(folder, index_path=index_path, static_above=0)
    assert restarted.vectors.source and restarted.static_model is None
    assert isinstance(restarted.ranker().encoder, SentenceEncoder)
    assert "is not at" in caplog.text
    assert "stad 3" in restarted.ask(QUESTION).passages[0].text


def test_a_large_archive_gets_its_static_vectors_in_the_background(archive, monkeypatch):
    folder, index_path = archive
    monkeypatch.setattr(engine_module, "BACKGROUND_MIN_SENTENCES", 0)  # a small archive, as a large one
    started = []
    for module, name in ((background, "encoder"), (static_background, "static")):
        monkeypatch.setattr(module, "start", lambda path, parent=None, n=name: started.append((n, path)))
    engine = Engine.from_folder(folder, index_path=index_path, background_vectors=True, static_above=0)
    assert started == [("static", index_path)] and engine.vectors is None
    assert static_background.fill(index_path) == 0
    engine.poll_vectors()
    assert engine.vectors is not None and len(engine.vectors) == len(engine.sentences)
    assert engine.static_model is not None and engine.vectors.source == engine.static_model.name
    assert engine.neighbours is not None and not background.progress_file(index_path).exists()
    assert "stad 3" in engine.ask(QUESTION).passages[0].text
    assert static_background.fill(index_path) == 0  # a second run finds them made
    # the other side of the threshold starts the encoder's process
    index_path.unlink()
    Engine.from_folder(folder, index_path=index_path, background_vectors=True, static_above=10_000)
    assert started[-1] == ("encoder", index_path)


def test_sources_changed_while_the_static_vectors_were_made(archive, monkeypatch):
    folder, index_path = archive
    monkeypatch.setattr(engine_module, "BACKGROUND_MIN_SENTENCES", 0)
    monkeypatch.setattr(static_background, "start", lambda path, parent=None: None)
    Engine.from_folder(folder, index_path=index_path, background_vectors=True, static_above=0)
    real = static_background.distil

    def distil_then_change(texts, encoder, path):  # the service saves an added article meanwhile
        made = real(texts, encoder, path)
        (folder / "late.txt").write_text("Laat\n date 2021-09\n\nDe brug van stad 50 gaat dicht.\n",
                                         encoding="utf-8")
        Engine.from_folder(folder, index_path=index_path, semantic=True, background_vectors=True,
                           static_above=0)
        return made

    monkeypatch.setattr(static_background, "distil", distil_then_change)
    assert static_background.fill(index_path) == 0
    saved = snapshot.load_folder(index_path)  # the index the article was added to, with its vectors
    assert len(saved.prepared.vectors) == len(saved.prepared.sentences)
    assert saved.prepared.vectors.source
    assert [d.id for d in segment.load(segment.path_of(index_path)).documents] == ["late"]  # the addition
    # a restart: the segment's sentences get vectors from the same static model
    engine = Engine.from_folder(folder, index_path=index_path, background_vectors=True, static_above=0)
    assert len(engine.vectors) == len(engine.sentences) > len(saved.prepared.sentences)
    assert engine.vectors.source == saved.prepared.vectors.source
    late = next(i for i, s in enumerate(engine.sentences) if "brug van stad 50" in s.text)
    expected = engine.static_model.sentence_vectors([engine.sentences[late].text], engine.encoder)
    assert np.array_equal(engine.vectors.rows(np.array([late])).codes, expected.codes)
