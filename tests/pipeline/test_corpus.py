"""The corpus the stages read: document ranges, windows, and the per-sentence lookups."""
import re

import numpy as np
import pytest

from qa.language.analysis import Analyzer
from qa.language.sentences import SentenceTable
from qa.pipeline.corpus import Corpus, document_ranges
from qa.pipeline.engine import Engine
from qa.pipeline.question import read_question
from qa.sources.documents import parse_document

ARTICLES = {
    "a": "Brug te duur\n\nDe brug in Zwolle kostte 40 miljoen euro. Dat meldt de gemeente. "
         "De wethouder trad daarna af. Zij wilde niet reageren.\n",
    "b": "Nieuws\n\nIn Deventer opende een museum. Het kostte 3 miljoen euro.\n",
}


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return Engine([parse_document(i, t) for i, t in ARTICLES.items()], semantic=False).corpus


def test_each_document_has_its_consecutive_sentences(corpus):
    (a_first, a_end), (b_first, b_end) = corpus.doc_ranges["a"], corpus.doc_ranges["b"]
    assert a_first == 0 and a_end == b_first and b_end == len(corpus.sentences)
    assert all(s.doc_id == "a" for s in corpus.sentences_of("a"))
    assert corpus.sentences_of("missing") == []
    assert document_ranges(SentenceTable.of([], [])) == {}


def test_a_window_stops_at_its_document(corpus):
    first, end = corpus.doc_ranges["b"]
    assert list(corpus.window(first, 2)) == list(range(first, min(end, first + 3)))
    last_of_a = corpus.doc_ranges["a"][1] - 1
    assert max(corpus.window(last_of_a, 5)) == last_of_a


def test_same_document_and_following_never_cross_an_article(corpus):
    last_of_a = corpus.doc_ranges["a"][1] - 1
    ids = np.array([0, last_of_a])
    assert corpus.same_document(ids, ids + 1).tolist() == [True, False]
    assert corpus.same_document(np.array([0]), np.array([-1])).tolist() == [False]
    assert last_of_a + 1 not in corpus.following(ids).tolist()


def test_headings_are_never_the_answer_sentence_unless_alone(corpus):
    heading = next(i for i in range(len(corpus.sentences)) if corpus.is_heading(np.array([i]))[0])
    assert corpus.answer_sentence(np.array([heading, heading + 1])) == heading + 1
    assert corpus.answer_sentence(np.array([heading])) == heading


def test_a_pattern_is_matched_once_per_sentence_and_kept(corpus):
    pattern = re.compile("miljoen")
    ids = np.arange(len(corpus.sentences))
    first = corpus.matching(pattern, ids)
    assert first.sum() == 2
    assert (corpus.matching(pattern, ids) == first).all()


def test_names_count_as_near_only_within_the_window_or_headline(corpus):
    q = read_question("Hoeveel kostte de brug in Zwolle?", (), Analyzer("nl"))
    named = corpus.named_terms(q)
    assert named  # "Zwolle" is written in the sources
    in_a = corpus.doc_ranges["a"][0] + 1
    in_b = corpus.doc_ranges["b"][0] + 1
    assert corpus.names_near(in_a, named)
    assert not corpus.names_near(in_b, named)
