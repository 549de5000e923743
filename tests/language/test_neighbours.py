"""Encoder neighbours for English words the dictionary cannot place."""
import numpy as np
import pytest

from qa.language.analysis import Analyzer
from qa.language.neighbours import Neighbours, Vocabulary
from qa.pipeline.engine import Engine
from qa.pipeline.question import read_question
from qa.sources.documents import parse_document


class FakeEncoder:
    """Fixed vectors: each vocabulary word random, 'gemeente' close to
    'municipality', 'fiets' a bit closer than the rest to 'bicycle'."""

    def __init__(self, words):
        rng = np.random.default_rng(7)
        self.table = {w: rng.normal(size=64) for w in words}
        self.table["municipality"] = self.table["gemeente"] + 0.2 * rng.normal(size=64)
        self.table["bicycle"] = 0.45 * self.table["fiets"] + rng.normal(size=64)
        self.table["zebra"] = rng.normal(size=64)

    def encode(self, texts):
        vectors = np.array([self.table[t] for t in texts], dtype=np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


@pytest.fixture
def neighbours():
    words = ["gemeente", "fiets"] + [f"woord{chr(97 + i)}{chr(97 + j)}" for i in range(10) for j in range(10)]
    encoder = FakeEncoder(words)
    nl = Analyzer("nl")
    vocabulary = Vocabulary(words, encoder.encode(words))
    in_index = {nl.term(w) for w in words}.__contains__
    return Neighbours(vocabulary, encoder, nl, in_index), nl


def test_a_close_outlier_word_is_the_neighbour(neighbours):
    found, nl = neighbours
    assert found.for_gap("municipality", ["municipality"]) == (nl.term("gemeente"),)


def test_no_neighbour_when_the_sources_use_a_translation(neighbours):
    found, nl = neighbours
    assert found.for_gap("municipality", [nl.term("gemeente")]) == ()


@pytest.mark.parametrize("word", ["bicycle", "zebra"])  # not close enough; nothing close
def test_no_neighbour_below_the_bars(neighbours, word):
    found, _ = neighbours
    assert found.for_gap(word, [word]) == ()


def test_vocabulary_keeps_frequent_content_words_only():
    encoder = FakeEncoder(["gemeente", "fiets"])
    vocabulary = Vocabulary.build(["De gemeente en de fiets.", "De gemeente zegt 10 dingen."],
                                  Analyzer("nl"), encoder, max_words=1)
    assert vocabulary.words == ["gemeente"]  # no stopwords, numbers; the most frequent first
    assert vocabulary.vectors.shape == (1, 64)


ARTICLE = (" date 2021-05 De gemeente Utrecht sluit de bibliotheek aan het Neude.\n\n"
           + " ".join(f"Zin {n} gaat over iets anders dan boeken." for n in range(30)))


def test_english_word_missing_from_the_dictionary_finds_the_dutch_word():
    """FreeDict has no entry for 'municipality'; the encoder knows it is 'gemeente'."""
    engine = Engine([parse_document("a", ARTICLE)])
    question = read_question("What is the municipality closing?", (), engine.analyzer,
                             engine.translator, engine.neighbours)
    municipality = next(t for t in question.terms if t.label == "municipality")
    assert engine.analyzer.term("gemeente") in municipality.members and municipality.known
    assert "gemeente" in engine.ask("What is the municipality closing?").passages[0].text
    without = read_question("What is the municipality closing?", (), engine.analyzer, engine.translator)
    assert engine.analyzer.term("gemeente") not in next(t for t in without.terms
                                                         if t.label == "municipality").members
