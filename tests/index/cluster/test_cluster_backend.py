"""The search-cluster backend against a real three-node Elasticsearch cluster
(make test-cluster starts one and sets ES_URLS): the same answers as in
process, the index layout, rebuilds behind an alias, in-place updates, and
articles added through the API while the service runs."""
import functools
import json
import os
import shutil
import subprocess
import sys
import threading
import time

import pytest
import requests
from conftest import ROOT, SEEDS, gunicorn
from opensearchpy import OpenSearch

from qa.index import cluster, cluster_sync
from qa.pipeline.engine import Engine
from qa.pipeline.ranking import CANDIDATES

URLS = os.environ.get("ES_URLS", "")
pytestmark = pytest.mark.skipif(not URLS, reason="needs a search cluster: make test-cluster")


def settings(alias: str) -> cluster.ClusterSettings:
    return cluster.ClusterSettings.from_url(URLS, index=alias, timeout=10.0)


def from_cluster(folder, alias: str) -> Engine:
    """The engine of `folder` answered from the cluster, as the service makes it with QA_SEARCH_URL."""
    return Engine.from_folder(folder, semantic=False, index_backend=functools.partial(
        cluster.connect_index, settings=settings(alias), candidates=CANDIDATES))


@pytest.fixture(scope="module")
def es():
    return OpenSearch(hosts=URLS.split(","), timeout=30)


@pytest.fixture(scope="module", autouse=True)
def no_test_indices_yet(es):
    """Each test starts from no index of its name (the cluster may be an earlier run's)."""
    es.indices.delete(index="t-*")


def questions(name: str) -> list[tuple[str, list[dict]]]:
    lines = (ROOT / "eval" / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()
    return [(q["question"], [{"role": "user", "content": t} for t in q.get("history", [])])
            for q in map(json.loads, lines)]


def answers(engine: Engine, asked: list[tuple[str, list[dict]]]) -> list:
    """What a user sees of each answer: the short answer and the passages with their scores."""
    out = []
    for question, history in asked:
        result = engine.ask(question, history)
        out.append((result.answer, [(p.source, p.sentence, round(p.score, 6)) for p in result.passages]))
    return out


@pytest.mark.parametrize("sources, name", [(SEEDS, "extra"), (ROOT / "eval" / "other", "other")])
def test_the_cluster_gives_the_answers_the_process_gives(sources, name):
    asked = questions(name)
    in_process = Engine.from_folder(sources, semantic=False)
    served = from_cluster(sources, f"t-same-{name}")
    assert served.index.synced is not None and served.index.synced.rebuilt
    assert answers(served, asked) == answers(in_process, asked)


def test_the_index_has_explicit_mappings_shards_and_a_replica_each(es):
    engine = from_cluster(SEEDS, "t-layout")
    (name,) = es.indices.get_alias(name="t-layout")
    assert name != "t-layout"  # an index behind the alias
    mapping = es.indices.get_mapping(index=name)[name]["mappings"]
    assert mapping["dynamic"] == "strict" and mapping["_meta"]["format"] == cluster_sync.FORMAT
    index_settings = es.indices.get_settings(index=name)[name]["settings"]["index"]
    assert (index_settings["number_of_shards"], index_settings["number_of_replicas"]) == ("3", "1")
    assert es.count(index="t-layout")["count"] == len(engine.sentences)
    first = engine.sentences[0]
    stored = es.get(index="t-layout", id=f"{first.doc_id}/0")["_source"]
    assert stored["text"] == first.text and (stored["start"], stored["end"]) == (first.start, first.end)
    assert set(stored["terms"].split()) == set(engine.analyzer.index_terms(first.text).terms)


def test_a_rebuild_switches_the_alias_and_readers_never_see_half_an_index(es):
    engine = from_cluster(SEEDS, "t-switch")
    (before,) = es.indices.get_alias(name="t-switch")
    counts, done = set(), threading.Event()

    def read():
        while not done.is_set():
            counts.add(es.count(index="t-switch")["count"])

    reader = threading.Thread(target=read)
    reader.start()
    try:
        report = engine.index.sync(force_rebuild=True)
    finally:
        done.set()
        reader.join()
    (after,) = es.indices.get_alias(name="t-switch")
    assert report.rebuilt and after != before
    assert not es.indices.exists(index=before)  # the old index is removed
    assert counts == {len(engine.sentences)}


def test_an_unchanged_cluster_is_left_as_it_is(es):
    from_cluster(SEEDS, "t-same-twice")
    (name,) = es.indices.get_alias(name="t-same-twice")
    again = from_cluster(SEEDS, "t-same-twice")
    assert again.index.synced.sentences == 0 and not again.index.synced.rebuilt
    assert list(es.indices.get_alias(name="t-same-twice")) == [name]


def test_a_process_whose_sync_failed_syncs_at_its_health_check_once_the_cluster_answers(es):
    """A worker that followed a change while the cluster was down must not stay unready until a
    question happens to land on it (nor wait out the pause questions keep after a failed sync)."""
    engine = Engine.from_folder(SEEDS, semantic=False, index_backend=functools.partial(
        cluster.connect_index, settings=settings("t-late-sync"), candidates=CANDIDATES, sync=False))
    engine.index._sync_failed_at = time.monotonic()  # as a sync that just failed leaves it
    assert not es.indices.exists_alias(name="t-late-sync")
    health = engine.index.health()
    assert health["synced"] is True and health["status"] in ("green", "yellow")
    assert es.count(index="t-late-sync")["count"] == len(engine.sentences)
    assert engine.ask("Wanneer trad Ivens af?").passages


ARTICLE = ("Veerpont\n2021-08-01\n\nDe nieuwe veerpont naar Noord heet Klaprozenboot, meldt het GVB.\n\n"
           "Vanaf september vaart de Klaprozenboot ook 's nachts.\n")


def test_an_added_changed_or_removed_source_is_updated_in_place(tmp_path, es):
    folder = tmp_path / "sources"
    shutil.copytree(SEEDS, folder)
    from_cluster(folder, "t-update")
    (name,) = es.indices.get_alias(name="t-update")
    seeds = es.count(index="t-update")["count"]

    (folder / "veerpont.txt").write_text(ARTICLE, encoding="utf-8")
    added = from_cluster(folder, "t-update")
    assert (added.index.synced.rebuilt, added.index.synced.added) == (False, 1)
    assert es.count(index="t-update")["count"] == seeds + len(added.corpus.sentences_of("veerpont"))
    assert added.ask("Hoe heet de nieuwe veerpont?").answer is not None
    assert added.ask("Hoe heet de nieuwe veerpont?").passages[0].source == "veerpont"

    (folder / "veerpont.txt").write_text(ARTICLE.split("\n\nVanaf")[0] + "\n", encoding="utf-8")
    changed = from_cluster(folder, "t-update")
    assert (changed.index.synced.rebuilt, changed.index.synced.added) == (False, 1)
    assert es.count(index="t-update", body={"query": {"term": {"source": "veerpont"}}})["count"] == \
        len(changed.corpus.sentences_of("veerpont"))

    (folder / "veerpont.txt").unlink()
    removed = from_cluster(folder, "t-update")
    assert (removed.index.synced.rebuilt, removed.index.synced.removed) == (False, 1)
    assert es.count(index="t-update")["count"] == seeds
    assert list(es.indices.get_alias(name="t-update")) == [name]  # no rebuild on the way


def test_an_article_added_through_the_api_is_answered_by_every_worker(tmp_path, es):
    token = "cluster-test-token"
    with gunicorn(QA_SEARCH_URL=URLS, QA_SEARCH_INDEX="t-live", QA_ADMIN_TOKEN=token,
                  QA_DATA_DIR=str(tmp_path / "data"), QA_SEMANTIC="0") as base:
        health = requests.get(base + "/healthz", timeout=10).json()
        assert health["search"]["status"] == "green" and health["search"]["nodes"] == 3
        before = es.count(index="t-live")["count"]
        added = requests.post(base + "/api/sources", headers={"Authorization": f"Bearer {token}"},
                              json={"id": "veerpont", "title": "Veerpont", "date": "2021-08-01",
                                    "text": ARTICLE.split("\n\n", 1)[1]}, timeout=60)
        assert added.status_code == 201, added.text
        assert es.count(index="t-live")["count"] == before + added.json()["sentences"]
        # each connection goes to whichever worker is free: asked often enough, both answer
        for _ in range(20):
            answer = requests.post(base + "/api/ask", json={"question": "Hoe heet de nieuwe veerpont?"},
                                   timeout=30).json()
            assert answer["passages"][0]["source"] == "veerpont"


def test_an_article_added_on_one_replica_is_cited_by_another_with_its_own_data_folder(tmp_path, es):
    token = "cluster-test-token"
    auth = {"Authorization": f"Bearer {token}"}
    replica = {"QA_SEARCH_URL": URLS, "QA_SEARCH_INDEX": "t-replicas", "QA_ADMIN_TOKEN": token,
               "QA_SEMANTIC": "0", "QA_WATCH_SECONDS": "0.2"}
    question = {"question": "Hoe heet de nieuwe veerpont?"}
    with gunicorn(QA_DATA_DIR=str(tmp_path / "a"), **replica) as a, \
            gunicorn(QA_DATA_DIR=str(tmp_path / "b"), **replica) as b:
        added = requests.post(a + "/api/sources", headers=auth, timeout=60, json={
            "id": "veerpont", "title": "Veerpont", "text": ARTICLE.split("\n\n", 1)[1]})
        assert added.status_code == 201, added.text
        sentences = es.count(index="t-replicas")["count"]

        def cited_by_b() -> bool:
            passages = requests.post(b + "/api/ask", json=question, timeout=30).json()["passages"]
            return bool(passages) and passages[0]["source"] == "veerpont"

        assert eventually(cited_by_b), "replica b never cited the article replica a added"
        assert (tmp_path / "b" / "veerpont.txt").read_text(encoding="utf-8") == \
            (tmp_path / "a" / "veerpont.txt").read_text(encoding="utf-8")
        assert es.count(index="t-replicas")["count"] == sentences  # b's own sync took nothing away

        assert requests.delete(a + "/api/sources/veerpont", headers=auth, timeout=60).status_code == 200
        assert eventually(lambda: not cited_by_b()), "replica b kept citing a deleted article"
        # (b asked again: each question may be the one that looks at the shared articles)
        assert eventually(lambda: not cited_by_b() and not (tmp_path / "b" / "veerpont.txt").exists())
        assert es.count(index="t-replicas", body={"query": {"term": {"source": "veerpont"}}})["count"] == 0


def eventually(check, seconds: float = 20.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return False


def test_the_command_line_builds_a_new_index_and_switches_the_alias(es):
    command = [sys.executable, "-m", "qa", "index", str(SEEDS), "--search-url", URLS,
               "--search-index", "t-cli", "--no-semantic", "--data-dir", ""]
    first = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    assert "alias t-cli switched" in first.stdout
    (before,) = es.indices.get_alias(name="t-cli")
    again = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    (after,) = es.indices.get_alias(name="t-cli")
    sentences = len(Engine.from_folder(SEEDS, semantic=False).sentences)
    assert after != before and es.count(index="t-cli")["count"] == sentences


def test_an_article_put_into_one_replicas_data_folder_is_cited_by_another(tmp_path, es):
    replica = {"QA_SEARCH_URL": URLS, "QA_SEARCH_INDEX": "t-dropped", "QA_SEMANTIC": "0",
               "QA_WATCH_SECONDS": "0.2"}
    (tmp_path / "a").mkdir()
    with gunicorn(QA_DATA_DIR=str(tmp_path / "a"), **replica) as a, \
            gunicorn(QA_DATA_DIR=str(tmp_path / "b"), **replica) as b:
        (tmp_path / "a" / "veerpont.txt").write_text(ARTICLE, encoding="utf-8")

        def cited_by(base: str) -> bool:
            passages = requests.post(base + "/api/ask", json={"question": "Hoe heet de nieuwe veerpont?"},
                                     timeout=30).json()["passages"]
            return bool(passages) and passages[0]["source"] == "veerpont"

        assert eventually(lambda: cited_by(a)), "the replica whose folder holds it never cited it"
        assert eventually(lambda: cited_by(b)), "the other replica never cited it"
        assert (tmp_path / "b" / "veerpont.txt").read_text(encoding="utf-8") == ARTICLE
