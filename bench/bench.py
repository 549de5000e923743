"""Benchmark: the BM25 index against rank-bm25 at 10k, 100k and 1M sentences,
and HTTP throughput of /api/ask against /healthz on the same server.

    make bench                      # everything (about 10 minutes on 2 cores)
    python bench/bench.py --sizes 10000,100000 --no-http

Corpora are synthetic: sentences of 8-30 words drawn Zipf(s=1.1) from Debian's
`wdutch` word list with a fixed seed, so every run sees the same text. Queries
are 3-8 words drawn from the same distribution. Each size's index is built
here, saved, and loaded again in a fresh process, which measures start-up
time, resident memory and query latency as a serving process would see them.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.index.bm25 import BM25Index, QueryTerm, top_k  # noqa: E402

WORDLIST = Path("/usr/share/dict/dutch")
SEED = 20210705
ZIPF_S = 1.1
TARGETS = {"p50_ms": 5.0, "speedup": 100.0, "build_s": 60.0, "rss_mib": 2048.0, "load_s": 2.0,
           "http_ratio": 0.5, "structured_p50_ms": 10.0}


def words() -> list[str]:
    if not WORDLIST.exists():
        sys.exit(f"{WORDLIST} is missing: install Debian's wdutch (apt-get install wdutch)")
    lines = WORDLIST.read_text(encoding="utf-8").splitlines()
    found = sorted({w.strip().lower() for w in lines if w.strip()})
    rng = np.random.default_rng(SEED)
    rng.shuffle(found)  # which word is frequent is random, not alphabetical
    return found


def zipf_probabilities(n: int) -> np.ndarray:
    p = 1.0 / np.arange(1, n + 1) ** ZIPF_S
    return p / p.sum()


def make_corpus(n: int, vocabulary: list[str], seed: int = SEED) -> list[list[str]]:
    rng = np.random.default_rng(seed + n)
    lengths = rng.integers(8, 31, size=n)
    ids = rng.choice(len(vocabulary), size=int(lengths.sum()), p=zipf_probabilities(len(vocabulary)))
    tokens = [vocabulary[i] for i in ids.tolist()]
    bounds = np.concatenate([[0], np.cumsum(lengths)]).tolist()
    return [tokens[bounds[i]:bounds[i + 1]] for i in range(n)]


def make_queries(count: int, vocabulary: list[str]) -> list[list[str]]:
    rng = np.random.default_rng(SEED - 1)
    p = zipf_probabilities(len(vocabulary))
    return [[vocabulary[i] for i in rng.choice(len(vocabulary), size=int(rng.integers(3, 9)), p=p)]
            for _ in range(count)]


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def rss_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def serve_index(path: str, queries_file: str) -> None:
    """Child process: load the saved index, answer the queries, print figures."""
    queries = json.loads(Path(queries_file).read_text())
    before = rss_mib()
    t0 = time.perf_counter()
    with np.load(path, allow_pickle=False) as arrays:
        index = BM25Index.from_arrays(arrays)
    load_s = time.perf_counter() - t0
    loaded = rss_mib()
    for query in queries[:10]:  # warm-up
        index.top(index.parts([QueryTerm((t,)) for t in query]), 10)
    latencies, results = [], []
    for query in queries:
        t0 = time.perf_counter()
        ids, _ = index.top(index.parts([QueryTerm((t,)) for t in query]), 10)
        latencies.append((time.perf_counter() - t0) * 1000)
        results.append(ids.tolist())
    # What the question pipeline sends: synonym sets (an English word's Dutch
    # translations, here 4 words of similar frequency) and two terms carried
    # over from an earlier turn at weight 0.3.
    structured, same = [], 0
    for query in queries:
        terms = [QueryTerm(tuple(query[i:i + 4])) for i in range(0, min(len(query), 8), 4)]
        terms += [QueryTerm((t,), weight=0.3) for t in query[-2:]]
        t0 = time.perf_counter()
        parts = index.parts(terms)
        ids, scores = index.top(parts, 10)
        structured.append((time.perf_counter() - t0) * 1000)
        # MaxScore's top against every sentence scored: the same sentences and floats
        every_ids, every_scores = index.every_sentence([p for p in parts if p.size], 10)
        same += np.array_equal(ids, every_ids) and np.array_equal(scores, every_scores)
    print(json.dumps({"load_s": load_s, "rss_mib": loaded - before, "p50_ms": percentile(latencies, 50),
                      "p99_ms": percentile(latencies, 99), "structured_p50_ms": percentile(structured, 50),
                      "structured_p99_ms": percentile(structured, 99),
                      "structured_same": f"{same}/{len(queries)}", "top10": results}))


def bench_size(n: int, vocabulary: list[str], queries: list[list[str]], reference_queries: int,
               workdir: Path) -> dict:
    t0 = time.perf_counter()
    corpus = make_corpus(n, vocabulary)
    generate_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    index = BM25Index(corpus)
    build_s = time.perf_counter() - t0
    path = workdir / f"index-{n}.npz"
    np.savez(path, **index.arrays())
    del index
    queries_file = workdir / "queries.json"
    queries_file.write_text(json.dumps(queries))
    child = subprocess.run([sys.executable, __file__, "--serve-index", str(path), str(queries_file)],
                           capture_output=True, text=True, check=True)
    served = json.loads(child.stdout)
    row = {"sentences": n, "generate_s": generate_s, "build_s": build_s,
           "disk_mib": path.stat().st_size / 2**20, **{k: v for k, v in served.items() if k != "top10"}}

    from rank_bm25 import BM25Okapi

    t0 = time.perf_counter()
    reference = BM25Okapi(corpus)
    row["ref_build_s"] = time.perf_counter() - t0
    latencies, same = [], 0
    measured = queries[:reference_queries]
    for query, ours in zip(measured, served["top10"], strict=False):
        t0 = time.perf_counter()
        scores = reference.get_scores(query)
        best = top_k(scores, 10)
        latencies.append((time.perf_counter() - t0) * 1000)
        same += best.tolist() == ours
    row.update(ref_queries=len(measured), ref_p50_ms=percentile(latencies, 50),
               ref_p99_ms=percentile(latencies, 99), same_top10=f"{same}/{len(measured)}",
               speedup=percentile(latencies, 50) / row["p50_ms"])
    del reference
    row.update(bench_tantivy(corpus, queries))
    row["tantivy_ratio"] = row["p50_ms"] / row["tantivy_p50_ms"]
    row["tantivy_structured_ratio"] = row["structured_p50_ms"] / row["tantivy_structured_p50_ms"]
    del corpus
    return row


def bench_tantivy(corpus: list[list[str]], queries: list[list[str]]) -> dict:
    """tantivy (Lucene-like, in Rust) on the same sentences and queries, one
    query at a time on one thread, top-10: a yardstick, since absolute times
    move with the machine's load. Its BM25 is Lucene's, so its top-10 differs.
    The structured queries as a search engine would run them: each synonym set
    a dis_max of its words, the history terms boosted by 0.3."""
    import tantivy

    builder = tantivy.SchemaBuilder()
    builder.add_text_field("body", stored=False, tokenizer_name="whitespace", index_option="freq")
    schema = builder.build()
    with tempfile.TemporaryDirectory() as folder:
        t0 = time.perf_counter()
        index = tantivy.Index(schema, path=folder)
        writer = index.writer(heap_size=500_000_000, num_threads=1)
        for terms in corpus:
            writer.add_document(tantivy.Document(body=" ".join(terms)))
        writer.commit()
        writer.wait_merging_threads()
        index.reload()
        build_s = time.perf_counter() - t0
        searcher = index.searcher()

        def term(word: str, boost: float = 1.0):
            query = tantivy.Query.term_query(schema, "body", word)
            return query if boost == 1.0 else tantivy.Query.boost_query(query, boost)

        def plain(query: list[str]):
            return tantivy.Query.boolean_query([(tantivy.Occur.Should, term(w)) for w in query])

        def structured(query: list[str]):
            sets = [query[i:i + 4] for i in range(0, min(len(query), 8), 4)]
            clauses = [(tantivy.Occur.Should, tantivy.Query.disjunction_max_query([term(w) for w in words]))
                       for words in sets]
            clauses += [(tantivy.Occur.Should, term(w, 0.3)) for w in query[-2:]]
            return tantivy.Query.boolean_query(clauses)

        timings = {}
        for name, make in (("tantivy", plain), ("tantivy_structured", structured)):
            built = [make(q) for q in queries]
            for query in built[:10]:  # warm-up
                searcher.search(query, 10)
            latencies = []
            for query in built:
                t0 = time.perf_counter()
                hits = searcher.search(query, 10).hits  # the top 10, as our search returns them
                latencies.append((time.perf_counter() - t0) * 1000)
                assert len(hits) <= 10
            timings[name + "_p50_ms"] = percentile(latencies, 50)
            timings[name + "_p99_ms"] = percentile(latencies, 99)
        del searcher, index, writer
    return {"tantivy_build_s": build_s, **timings}


def bench_stages() -> dict:
    """Milliseconds per stage of Engine.ask on the seeds (second pass, caches warm)."""
    from qa.pipeline.engine import Engine

    engine = Engine.from_folder(ROOT / "seeds")
    for question in HTTP_QUESTIONS:
        engine.ask(question)
    laps: dict[str, list[float]] = {}
    for question in HTTP_QUESTIONS:
        for stage, ms in engine.ask(question).timings_ms.items():
            laps.setdefault(stage, []).append(ms)
    return {stage: (percentile(v, 50), percentile(v, 99)) for stage, v in laps.items()}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


HTTP_QUESTIONS = [
    "when did the formal reports come in", "Wanneer trad Ivens af?", "Who is Peter Teesink?",
    "Welke partijen willen een spoeddebat?", "How many reports came in during 2020?",
    "Why did Ivens resign?", "Wie neemt de portefeuilles van Ivens waar?",
    "What did the mayor say about the investigation?", "Sinds wanneer was Ivens wethouder?",
    "Which newspaper wrote about the messages?", "Wat is de hoofdstad van Frankrijk?",
    "When did the investigation end?",
]
WRK_SCRIPT = """
local questions = %s
local n = 0
request = function()
  n = n + 1
  local body = '{"question": "' .. questions[(n %% #questions) + 1] .. '"}'
  return wrk.format("POST", "/api/ask", {["Content-Type"] = "application/json"}, body)
end
"""


def wrk(url: str, seconds: int, connections: int, script: str | None = None) -> float:
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", url]
    if script:
        cmd[1:1] = ["-s", script]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    line = next(line for line in out.splitlines() if line.startswith("Requests/sec:"))
    errors = [line for line in out.splitlines() if "Non-2xx" in line or "Socket errors" in line]
    if errors:
        print("  wrk:", "; ".join(errors))
    return float(line.split()[1])


@contextlib.contextmanager
def serving(**settings: str):
    """gunicorn serving the seeds on a free port, as `make run` does: yields
    (base URL, gunicorn master process); stopped on exit."""
    port = free_port()
    env = {**os.environ, "QA_BIND": f"127.0.0.1:{port}", "QA_LOG_LEVEL": "WARNING", **settings}
    base = f"http://127.0.0.1:{port}"
    # gunicorn's log goes to a file, not a pipe nobody reads during the load (a full pipe would stall it).
    with tempfile.TemporaryFile("w+") as log:
        server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
                                  cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log, text=True)
        try:
            deadline = time.time() + 120
            while True:
                try:
                    with urllib.request.urlopen(base + "/healthz", timeout=1):
                        break
                except OSError:
                    if server.poll() is not None or time.time() > deadline:
                        log.seek(0)
                        raise RuntimeError("gunicorn did not start: " + log.read()[-2000:]) from None
                    time.sleep(0.2)
            yield base, server
        finally:
            server.terminate()
            server.wait(30)


def bench_http(seconds: int, connections: int, workdir: Path) -> dict:
    if not shutil.which("wrk"):
        return {"error": "wrk is not installed (apt-get install wrk)"}
    with serving() as (base, _):
        script = workdir / "ask.lua"
        questions = "{" + ", ".join(json.dumps(q) for q in HTTP_QUESTIONS) + "}"
        script.write_text(WRK_SCRIPT % questions)
        wrk(base + "/healthz", 2, connections)  # warm-up
        wrk(base + "/", 2, connections, str(script))
        healthz = wrk(base + "/healthz", seconds, connections)
        ask = wrk(base + "/", seconds, connections, str(script))
    return {"healthz_rps": healthz, "ask_rps": ask, "http_ratio": ask / healthz,
            "workers": int(os.environ.get("QA_WORKERS", "2")), "connections": connections}


def mark(value: float, target: float, higher_is_better: bool = False) -> str:
    ok = value >= target if higher_is_better else value <= target
    return "ok" if ok else "MISSED"


def report(rows: list[dict], http: dict | None, stages: dict | None) -> None:
    print("\nIndex: BM25Okapi scores (k1 1.5, b 0.75, epsilon 0.25), top-10, one query at a time")
    head = ("sentences", "build s", "disk MiB", "RSS MiB", "load s", "p50 ms", "p99 ms",
            "structured p50 / p99 ms",
            "rank-bm25 build s", "rank-bm25 p50 ms", "rank-bm25 p99 ms", "queries", "same top-10", "speed-up")
    print(" | ".join(head))
    for r in rows:
        print(" | ".join([f"{r['sentences']:,}", f"{r['build_s']:.1f}", f"{r['disk_mib']:.0f}",
                          f"{r['rss_mib']:.0f}", f"{r['load_s']:.2f}", f"{r['p50_ms']:.2f}",
                          f"{r['p99_ms']:.2f}",
                          f"{r['structured_p50_ms']:.2f} / {r['structured_p99_ms']:.2f}",
                          f"{r['ref_build_s']:.1f}", f"{r['ref_p50_ms']:.1f}",
                          f"{r['ref_p99_ms']:.1f}", str(r["ref_queries"]), r["same_top10"],
                          f"{r['speedup']:.0f}x"]))
    print("\ntantivy on the same sentences and queries (its own BM25, one thread): build s | p50 / p99 ms | "
          "structured p50 / p99 ms | ours / tantivy p50, plain and structured")
    for r in rows:
        print(f"{r['sentences']:,} | {r['tantivy_build_s']:.1f} | {r['tantivy_p50_ms']:.2f} / "
              f"{r['tantivy_p99_ms']:.2f} | {r['tantivy_structured_p50_ms']:.2f} / "
              f"{r['tantivy_structured_p99_ms']:.2f} | {r['tantivy_ratio']:.2f}x, "
              f"{r['tantivy_structured_ratio']:.2f}x")
    largest = max(rows, key=lambda r: r["sentences"])
    print(f"\nTargets at {largest['sentences']:,} sentences:")
    structured = largest["structured_p50_ms"]
    print(f"  structured queries p50 {structured:.2f} ms (<= {TARGETS['structured_p50_ms']}): "
          f"{mark(structured, TARGETS['structured_p50_ms'])}"
          f" (p99 {largest['structured_p99_ms']:.2f} ms; the same top as every sentence scored: "
          f"{largest['structured_same']})")
    print(f"  top-10 p50 {largest['p50_ms']:.2f} ms (<= {TARGETS['p50_ms']}): "
          f"{mark(largest['p50_ms'], TARGETS['p50_ms'])}")
    print(f"  speed-up over rank-bm25 {largest['speedup']:.0f}x (>= {TARGETS['speedup']:.0f}x): "
          f"{mark(largest['speedup'], TARGETS['speedup'], True)}")
    print(f"  build {largest['build_s']:.1f} s (<= {TARGETS['build_s']:.0f}): "
          f"{mark(largest['build_s'], TARGETS['build_s'])}")
    print(f"  resident memory {largest['rss_mib']:.0f} MiB (<= {TARGETS['rss_mib']:.0f}): "
          f"{mark(largest['rss_mib'], TARGETS['rss_mib'])}")
    print(f"  start-up from the saved index {largest['load_s']:.2f} s (<= {TARGETS['load_s']}): "
          f"{mark(largest['load_s'], TARGETS['load_s'])}")
    if stages:
        print("\nEngine.ask on the seeds, per stage (p50 / p99 ms): " +
              ", ".join(f"{stage} {p50:.2f} / {p99:.2f}" for stage, (p50, p99) in stages.items()))
    if http:
        if "error" in http:
            print(f"\nHTTP: skipped: {http['error']}")
        else:
            print(f"\nHTTP (gunicorn, {http['workers']} workers, wrk 2 threads, {http['connections']} "
                  f"connections, seeds): /healthz {http['healthz_rps']:.0f} req/s, /api/ask "
                  f"{http['ask_rps']:.0f} req/s, ratio {http['http_ratio']:.2f} "
                  f"(>= {TARGETS['http_ratio']}): {mark(http['http_ratio'], TARGETS['http_ratio'], True)}")


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--serve-index":
        serve_index(sys.argv[2], sys.argv[3])
        return
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--reference-queries-1m", type=int, default=5,
                        help="rank-bm25 takes seconds per query at 1M: time only this many there")
    parser.add_argument("--no-http", action="store_true", help="skip the engine stages and the HTTP load")
    parser.add_argument("--http-seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    vocabulary = words()
    queries = make_queries(args.queries, vocabulary)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in (int(s) for s in args.sizes.split(",")):
            reference_queries = args.queries if n < 1_000_000 else args.reference_queries_1m
            row = bench_size(n, vocabulary, queries, reference_queries, Path(tmp))
            print(json.dumps(row), flush=True)
            rows.append(row)
        stages = None if args.no_http else bench_stages()
        http = None if args.no_http else bench_http(args.http_seconds, args.connections, Path(tmp))
    report(rows, http, stages)


if __name__ == "__main__":
    main()
