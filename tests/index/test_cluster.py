"""The search-cluster backend, where no cluster is needed: its settings, the
queries and layout it sends, and a service whose cluster does not answer.
With a real three-node cluster: tests/index/cluster (make test-cluster)."""
import time

import numpy as np
import pytest
from conftest import SEEDS, free_port

from qa import create_app
from qa.index import cluster, cluster_sync
from qa.index.base import Index
from qa.index.bm25 import BM25Index, QueryTerm, TermScores


@pytest.mark.parametrize("url, urls", [
    ("http://a:9200", ("http://a:9200",)),
    ("http://a:9200, http://b:9200,", ("http://a:9200", "http://b:9200")),
    ("https://search.example:443", ("https://search.example:443",)),
])
def test_search_url_lists_the_nodes(url, urls):
    assert cluster.ClusterSettings.from_url(url).urls == urls


@pytest.mark.parametrize("url", ["", " , ", "a:9200", "ftp://a:21"])
def test_a_search_url_that_is_not_one_is_refused_with_what_is_expected(url):
    with pytest.raises(ValueError, match="http"):
        cluster.ClusterSettings.from_url(url)


def test_a_plain_term_is_a_term_query_boosted_by_its_weight():
    query = cluster.candidate_query([QueryTerm(("ivens",)), QueryTerm(("ontslag",), weight=0.5)])
    assert query["bool"]["should"] == [{"term": {"terms": {"value": "ivens", "boost": 1.0}}},
                                       {"term": {"terms": {"value": "ontslag", "boost": 0.5}}}]
    assert query["bool"]["minimum_should_match"] == 1


def test_a_synonym_set_is_a_dis_max_of_its_members():
    query = cluster.candidate_query([QueryTerm(("melding", "meld", "melding"), weight=0.7)])
    assert query["bool"]["should"] == [{"dis_max": {"queries": [{"term": {"terms": "melding"}},
                                                                {"term": {"terms": "meld"}}], "boost": 0.7}}]


def test_the_layout_is_explicit_and_the_terms_are_matched_as_they_are():
    layout = cluster_sync.mappings()
    assert layout["dynamic"] == "strict"
    assert layout["_meta"]["format"] == cluster_sync.FORMAT
    terms = layout["properties"]["terms"]
    assert terms == {"type": "text", "analyzer": "index_terms", "similarity": "bm25okapi"}
    settings = cluster_sync.index_settings(cluster.ClusterSettings(("http://a:9200",), shards=5, replicas=2))
    assert (settings["number_of_shards"], settings["number_of_replicas"]) == (5, 2)
    assert settings["analysis"]["analyzer"]["index_terms"] == {"type": "custom", "tokenizer": "whitespace"}
    assert settings["similarity"]["bm25okapi"] == {"type": "BM25", "k1": 1.5, "b": 0.75}


def test_a_source_hash_changes_with_its_text_title_and_date(engine):
    document = next(iter(engine.documents.values()))
    before = cluster_sync.source_hash(document)
    assert cluster_sync.source_hash(document) == before
    for field in ("text", "title", "date"):
        changed = type(document)(**{**document.__dict__, field: "anders"})
        assert cluster_sync.source_hash(changed) != before


def test_the_in_process_index_covers_every_sentence_already():
    index = BM25Index([["a", "b"], ["b"], ["c"]])
    parts = index.parts([QueryTerm(("b",))])
    assert index.covering(parts, np.array([0, 1, 2])) == parts


def test_the_cluster_index_has_every_member_of_the_index_protocol(engine):
    """What the pipeline reads of an index (the in-process one: test_bm25.py); no cluster is asked."""
    index = cluster.ClusterIndex(engine.index, engine.sentences, engine.documents, engine.corpus.doc_ranges,
                                 cluster.ClusterSettings(("http://127.0.0.1:9",)), 100)
    assert isinstance(index, Index)
    members = {m for m in vars(Index) if not m.startswith("_")} | set(Index.__annotations__)
    assert members == {"doc_len", "vocabulary", "parts", "covering", "top", "scores_of", "idf_of"}
    assert all(callable(getattr(index, m)) for m in members if m not in Index.__annotations__)


@pytest.mark.parametrize("sentences, df, occurs", [
    ([], None, False), ([3], None, True), ([], 12, True), ([], 0, False),
])
def test_a_part_says_whether_its_term_occurs_anywhere(sentences, df, occurs):
    part = TermScores(QueryTerm(("x",)), 1.0, np.array(sentences, dtype=np.int64),
                      np.ones(len(sentences)), df=df)
    assert part.occurs is occurs


@pytest.fixture(scope="module")
def unreachable():
    """The service with a cluster nobody answers at (two closed ports)."""
    urls = f"http://127.0.0.1:{free_port()},http://127.0.0.1:{free_port()}"
    app = create_app({"TESTING": True, "QA_SOURCES": str(SEEDS), "QA_DATA_DIR": "", "QA_SEMANTIC": False,
                      "QA_SEARCH_URL": urls})
    return app.test_client()


def test_without_its_cluster_a_question_gets_a_503_at_once(unreachable):
    started = time.perf_counter()
    response = unreachable.post("/api/ask", json={"question": "Wanneer trad Ivens af?"})
    elapsed = time.perf_counter() - started
    assert response.status_code == 503
    assert response.json["error"]["code"] == "search_unavailable"
    assert response.headers["Retry-After"]
    assert elapsed < 2.0


def test_without_its_cluster_the_chat_api_fails_in_openai_shape(unreachable):
    response = unreachable.post("/v1/chat/completions", json={
        "model": "qa", "messages": [{"role": "user", "content": "Wanneer trad Ivens af?"}]})
    assert response.status_code == 503
    assert response.json["error"]["type"] == "server_error"
    assert response.json["error"]["code"] == "search_unavailable"


def test_without_its_cluster_the_service_is_not_ready(unreachable):
    response = unreachable.get("/healthz")
    assert response.status_code == 503
    assert response.json["status"] == "unavailable"
    assert response.json["search"]["status"] == "unreachable"
    assert response.json["search"]["synced"] is False


def test_the_pages_that_need_no_search_still_work_without_it(unreachable):
    assert unreachable.get("/api/sources").status_code == 200
    assert unreachable.get("/").status_code == 200


def test_a_sentences_terms_are_the_same_read_by_ranges_or_from_a_row_major_copy(engine):
    """What a sync writes to the cluster: each sentence's index terms, as often as they occur."""
    index = engine.index
    some = [(0, 3), (40, 45)]
    by_range = cluster_sync.terms_of_rows(index, some)
    by_copy = cluster_sync.terms_of_rows(index, None)
    for first, end in some:
        for i in range(first, end):
            assert sorted(by_range(i).split()) == sorted(by_copy(i).split())
            assert by_copy(i)  # every one of these sentences has terms
    assert sorted(by_copy(0).split()) == sorted(engine.analyzer.index_terms(engine.sentences[0].text).terms)
