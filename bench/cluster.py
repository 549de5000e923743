"""The search-cluster backend against the in-process index, side by side in
one run: answer quality on the dev set, the indexing rate and /api/ask
latency at 100k news-shaped sentences, on a 1-node and a 3-node cluster.

    python bench/cluster.py [--size 100000] [--rounds 300] [--keep DIR]

Needs root and the es-fixture (../shared/tools/es-fixture/cluster, or
ES_FIXTURE): it stops any cluster the fixture runs, starts one of 1, then
of 3 nodes, and stops it at the end. The service runs as `make run` starts
it (gunicorn, master + 2 workers, BM25 with translation, QA_SEMANTIC=0 for the
archive; the encoder on for the dev set), asked over HTTP on one connection.
The cluster index has the service's defaults: 3 shards, 1 replica each (on
one node the replicas stay unassigned: the cluster is yellow).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from archive import ask_latencies, generate, health, service  # noqa: E402

FIXTURE = Path(os.environ.get("ES_FIXTURE", ROOT.parent / "shared" / "tools" / "es-fixture" / "cluster"))
EVAL = ROOT.parent / "shared" / "eval"
QUALITY = ("hit@1", "hit@3", "mrr@10", "answer", "abstain", "false_abstain")


def fixture(*args: str) -> str:
    return subprocess.run([str(FIXTURE), *args], check=True, capture_output=True, text=True).stdout.strip()


def start_cluster(nodes: int) -> str:
    fixture("stop")
    return fixture("start", str(nodes))


def build_in_cluster(archive: Path, index_path: Path, urls: str) -> dict:
    """The saved index loaded, then every sentence bulk-indexed into a new
    cluster index and the alias switched (python -m qa index --search-url)."""
    from qa.index import cluster
    from qa.pipeline.engine import Engine
    from qa.pipeline.ranking import CANDIDATES

    engine = Engine.from_folder(archive, semantic=False, index_path=index_path)
    index = cluster.ClusterIndex(engine.index, engine.sentences, engine.documents, engine.corpus.doc_ranges,
                                 cluster.ClusterSettings.from_url(urls), CANDIDATES)
    report = index.sync(force_rebuild=True)
    return {"sentences": report.sentences, "seconds": report.seconds,
            "sentences_per_s": report.sentences / report.seconds}


def agreement(archive: Path, index_path: Path, urls: str, count: int = 150) -> dict:
    """How often the cluster's candidates hold what the in-process index ranks
    first, on questions of four words drawn from random sentences (the exact
    BM25Okapi top 10 against the top 10 of Lucene's best OVERFETCH x 100,
    rescored as BM25Okapi), and the candidate search's own time."""
    import functools
    import random

    from qa.index import cluster
    from qa.pipeline.engine import Engine
    from qa.pipeline.question import read_question
    from qa.pipeline.ranking import CANDIDATES

    local = Engine.from_folder(archive, semantic=False, index_path=index_path)
    backend = functools.partial(cluster.connect_index, settings=cluster.ClusterSettings.from_url(urls),
                                candidates=CANDIDATES)
    remote = Engine.from_folder(archive, semantic=False, index_path=index_path, index_backend=backend)
    rng = random.Random(7)
    same, recall, times = [], [], []
    for i in rng.sample(range(len(local.sentences)), count):
        words = [w for w in local.sentences[i].text.split() if len(w) > 3]
        if len(words) < 4:
            continue
        q = read_question(" ".join(rng.sample(words, 4)), [], local.analyzer, local.translator, None)
        exact, _ = local.index.top(local.index.parts(q.query), CANDIDATES)
        started = time.perf_counter()
        found, _ = remote.index.top(remote.index.parts(q.query), CANDIDATES)
        times.append((time.perf_counter() - started) * 1000)
        same.append(list(exact[:10]) == list(found[:10]))
        recall.append(len(set(exact[:10]) & set(found)) / max(1, len(exact[:10])))
    return {"questions": len(same), "top10_identical": float(np.mean(same)),
            "top10_recall": float(np.mean(recall)), "search_p50_ms": float(np.median(times))}


def latencies(archive: Path, index_path: Path, rounds: int, **settings: str) -> dict:
    with service(archive, index_path, **settings) as (base, start_s, _):
        times = ask_latencies(base, rounds)
        sentences = health(base)["sentences"]
    return {"start_s": start_s, "sentences": sentences, "p50_ms": float(np.percentile(times, 50)),
            "p99_ms": float(np.percentile(times, 99))}


def dev_figures(workdir: Path, **settings: str) -> dict:
    """run_eval.py's figures on the dev set, the seeds served as `make run` serves them."""
    index_path = workdir / f"seeds-{len(settings)}.npz"
    with service(ROOT / "seeds", index_path, semantic=True, QA_DATA_DIR="", **settings) as (base, _, _):
        out = subprocess.run([sys.executable, str(EVAL / "run_eval.py"), "--url", base], check=True,
                             capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=300, help="questions asked over HTTP per backend")
    parser.add_argument("--keep", help="folder to keep the generated archive in (reused next time)")
    args = parser.parse_args()
    if not FIXTURE.exists():
        sys.exit(f"no cluster fixture at {FIXTURE} (set ES_FIXTURE)")
    rows: dict[str, dict] = {}
    with contextlib.ExitStack() as stack:
        workdir = Path(args.keep) if args.keep else Path(stack.enter_context(tempfile.TemporaryDirectory()))
        workdir.mkdir(parents=True, exist_ok=True)
        archive = generate(workdir, args.size)
        index_path = workdir / f"index-{args.size}.npz"
        stack.callback(fixture, "stop")

        # in process, from no saved index: reading, splitting, analysing and indexing are its start
        index_path.unlink(missing_ok=True)
        local = latencies(archive, index_path, args.rounds)
        local["build"] = {"sentences": local["sentences"], "seconds": local["start_s"],
                          "sentences_per_s": local["sentences"] / local["start_s"]}
        rows["in process"] = {"dev": dev_figures(workdir), **local}
        for nodes in (1, 3):
            urls = start_cluster(nodes)
            started = time.perf_counter()
            build = build_in_cluster(archive, index_path, urls)
            print(f"{nodes} node(s): built in {time.perf_counter() - started:.1f} s: {build}", flush=True)
            rows[f"{nodes} node{'s' if nodes > 1 else ''}"] = {
                "build": build, **latencies(archive, index_path, args.rounds, QA_SEARCH_URL=urls),
                **({"dev": dev_figures(workdir, QA_SEARCH_URL=urls),
                    "agreement": agreement(archive, index_path, urls)} if nodes == 3 else {})}
            print(json.dumps(rows), flush=True)

    print(f"\n{args.size:,} news-shaped sentences; /api/ask over HTTP, one connection, "
          f"{args.rounds} questions")
    print("(in process: the service's cold start, no saved index; on a cluster: the bulk indexing of the "
          "loaded index, and the service's start from the saved index once the cluster holds it)")
    print("backend     | indexing, sentences/s | /api/ask p50 ms | p99 ms | service start s")
    for name, row in rows.items():
        rate = f"{row['build']['sentences_per_s']:,.0f}"
        print(f"{name:11} | {rate:>21} | {row['p50_ms']:15.1f} | {row['p99_ms']:6.1f} | {row['start_s']:.1f}")
    local, remote = rows["in process"]["dev"], rows["3 nodes"]["dev"]
    print("\ndev set (run_eval.py), in process vs 3 nodes:")
    worst = 0.0
    for metric in QUALITY:
        worst = max(worst, abs(local[metric] - remote[metric]))
        print(f"  {metric:14} {local[metric]:.3f}  {remote[metric]:.3f}")
    print(f"  latency_p50_ms {local['latency_p50_ms']:.1f}  {remote['latency_p50_ms']:.1f}")
    print(f"largest difference {worst:.3f} (target <= 0.02): {'met' if worst <= 0.02 else 'MISSED'}")
    a = rows["3 nodes"]["agreement"]
    print(f"\nLucene's candidates against the exact ranking, {a['questions']} questions at {args.size:,}: "
          f"top 10 identical in {a['top10_identical']:.3f}, the exact top 10 among the candidates "
          f"{a['top10_recall']:.3f}; candidate search p50 {a['search_p50_ms']:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
