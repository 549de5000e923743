"""Benchmark what a user waits for with an archive: a folder of news articles
to a service that answers, at 10k, 100k and 1M sentences.

    python bench/archive.py                       # 10k, 100k, 1M; the encoder on at 10k, 100k
    python bench/archive.py --sizes 10000 --keep /tmp/archives

Archives come from the shared generator (eval/kit/gen-news-corpus.py, copied by make kit:
articles of 15-35 sentences of Dutch words, a title line, a date line,
paragraphs of 1-5 sentences), written once per size into the work folder.
For each size:

1. the ingest stages in a fresh process (`--stages`): list the files, read,
   split and analyse them (worker processes), join the chunks into the BM25
   index, save it; sentences/s and peak RSS (the process and its workers);
2. the service as `make run` starts it (gunicorn, master + 2 workers,
   BM25 with translation, QA_SEMANTIC=0): cold start without a saved index
   until /healthz answers, then a restart from the saved index; PSS of the
   master and workers (what they really use, shared pages counted once);
   /api/ask latency over HTTP on one connection;
3. one article added through the API (POST /api/sources, the admin token, a
   data folder) to the service started from the saved index, until every
   worker answers a question only it answers; the service restarted with the
   article in the segment beside the index; then the article replaced (PUT)
   until every worker answers from the new text, and deleted until no worker
   cites it;
4. one article added to the archive, until it is answerable (a restart
   that finds the folder changed: only the new file is read);
5. with `--vectors` (the sizes given there): the service with the encoder on,
   as `make run` starts it (QA_SEMANTIC=1), what a user waits for while the
   sentence vectors are being made in the background: the first /healthz;
   the sentences encoded per second with no questions; one connection asking
   question after question, in alternating slices with the encoder at work
   and stopped (SIGSTOP: the answers as they would be without it, with the
   same other load on the machine), /api/ask p50/p99 of both and the
   sentences encoded meanwhile; a restart while encoding; then /healthz
   polled until every vector is in place (at most `--wait` s, else estimated
   from the rate), PSS and /api/ask latency with the vectors. `--compare`
   adds the ways the encoder could yield, set on the running encoder in
   turn (as root).

    python bench/archive.py --sizes '' --vectors 100000 --window 30 --compare
    python bench/archive.py --sizes 1000000 --vectors 1000000 --wait 120

Targets from the archive-scale issue; each is printed as met or MISSED.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
GENERATOR = ROOT / "eval" / "kit" / "gen-news-corpus.py"  # make kit copies it there

TARGETS = {  # at 1M sentences, this 2-core machine
    "sentences_per_s": 20_000,
    "cold_start_s": 60.0,
    "restart_s": 3.0,
    "pss_mib": 2048.0,
    "ask_p50_ms": 10.0,
    "add_article_s": 2.0,
    "vectors_min": 15.0,  # every sentence vector in place, from the first start
    "api_add_s": 2.0,
}
TOKEN = "bench-token"
# What the article added through the API says, and a question only it answers (a word no
# generated article has), then what its replacement says instead.
API_ARTICLE = {"title": "Nieuw museum in Vlietstra", "date": "2021-08",
               "text": "De kwartiermaker Zebulon Vlietstra opende gisteren het museum."}
API_QUESTION = "Wie opende het museum van Zebulon?"
API_REPLACEMENT = "De burgemeester Quirijn Zandvoortstra sloot gisteren het museum."
API_QUESTION_REPLACED = "Wie sloot het museum van Quirijn?"
QUESTIONS = [
    "wanneer kwam het rapport",
    "wie is de directeur",
    "waarom stopte de minister",
    "hoeveel mensen werken er",
    "when did the report come out",
    "who is the director",
]


def generate(folder: Path, n: int) -> Path:
    archive = folder / f"archive-{n}"
    if not (archive / ".complete").exists():
        if not GENERATOR.exists():
            sys.exit(f"the archive generator {GENERATOR} is not there")
        subprocess.run([sys.executable, str(GENERATOR), str(archive), str(n)], check=True)
        (archive / ".complete").write_text("")
    return archive


def stages(archive: str, index_path: str) -> None:
    """Child process: the ingest stages one after the other, timed."""
    from qa.index import ingest, snapshot
    from qa.language.analysis import Analyzer
    from qa.sources.documents import MAX_SOURCE_BYTES, list_sources

    t0 = time.perf_counter()
    analyzer = Analyzer("nl")
    analyzer.index_terms("Zij trad af.")  # loads the lemma list, as the service does before it reads
    t1 = time.perf_counter()
    files = list_sources(archive)
    t2 = time.perf_counter()
    # as the service with QA_SEMANTIC=0 (and with background vectors) builds it: no word counts
    documents, skipped, built = ingest.build_folder(files, analyzer, count_words=False)
    t3 = time.perf_counter()
    prepared = snapshot.Prepared(built.sentences, built.index, built.casing, None, None)
    digest = snapshot.folder_fingerprint(files, False, MAX_SOURCE_BYTES)
    snapshot.save(index_path, prepared, documents, digest, skipped)
    t4 = time.perf_counter()
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "sentences": len(built.sentences),
                "documents": len(documents),
                "load language data s": t1 - t0,
                "list files s": t2 - t1,
                **{k + " s": v for k, v in built.timings_s.items()},
                "save s": t4 - t3,
                "total s": t4 - t0,
                "peak RSS MiB (parent)": own,
                "peak RSS MiB (a worker)": workers,
            }
        )
    )


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def service(archive: Path, index_path: Path, timeout_s: float = 1800, semantic: bool = False,
            **settings: str):
    """gunicorn as `make run` starts it on `archive` (with `settings` in its
    environment): yields (base URL, seconds until /healthz answered, master pid)."""
    port = free_port()
    env = {
        **os.environ,
        "QA_BIND": f"127.0.0.1:{port}",
        "QA_LOG_LEVEL": "WARNING",
        "QA_SOURCES": str(archive),
        "QA_INDEX": str(index_path),
        "QA_SEMANTIC": "1" if semantic else "0",
        **settings,
    }
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile("w+") as log:
        started = time.perf_counter()
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
            text=True,
        )
        try:
            while True:
                try:
                    with urllib.request.urlopen(base + "/healthz", timeout=1):
                        break
                except OSError:
                    if server.poll() is not None or time.perf_counter() - started > timeout_s:
                        log.seek(0)
                        raise RuntimeError("gunicorn did not start: " + log.read()[-2000:]) from None
                    time.sleep(0.05)
            yield base, time.perf_counter() - started, server.pid
        finally:
            server.terminate()
            server.wait(60)


def wait_for(path: Path, started_s: float, timeout_s: float = 300) -> float:
    """Seconds since the start (`started_s` ago) until `path` exists."""
    began = time.perf_counter() - started_s
    while not path.exists():
        if time.perf_counter() - began > started_s + timeout_s:
            raise RuntimeError(f"{path} was not written within {timeout_s} s")
        time.sleep(0.1)
    return time.perf_counter() - began


def pss_mib(master: int) -> float:
    """Proportional set size of the master and its workers."""
    pids = [master] + [int(p) for p in Path(f"/proc/{master}/task/{master}/children").read_text().split()]
    total = 0
    for pid in pids:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                total += int(line.split()[1])
    return total / 1024


def ask_latencies(base: str, rounds: int) -> list[float]:
    latencies = []
    for n in range(rounds):
        body = json.dumps({"question": QUESTIONS[n % len(QUESTIONS)]}).encode()
        request = urllib.request.Request(base + "/api/ask", body, {"Content-Type": "application/json"})
        t0 = time.perf_counter()
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
        latencies.append((time.perf_counter() - t0) * 1000)
    return latencies[5:]  # the first few warm caches


def answerable(base: str, question: str, text: str) -> bool:
    request = urllib.request.Request(
        base + "/api/ask", json.dumps({"question": question}).encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        passages = json.load(response)["passages"]
    return any(p["text"] in text for p in passages[:1])


def _call(method: str, url: str, body: dict | None = None, token: str | None = None,
          timeout: float = 120) -> tuple[int, dict]:
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    request = urllib.request.Request(url, json.dumps(body).encode() if body is not None else None, headers,
                                     method=method)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as exc:
        return exc.code, json.load(exc)


class Workers:
    """One kept-alive connection to each gunicorn worker (the service started with
    QA_KEEPALIVE): a worker follows a change of the sources at its next request, so each
    is asked on its own."""

    def __init__(self, base: str, workers: int = 2, tries: int = 100):
        host, port = base.removeprefix("http://").split(":")
        self.connections: dict[int, http.client.HTTPConnection] = {}
        for _ in range(tries):
            connection = http.client.HTTPConnection(host, int(port), timeout=120)
            worker = self._get(connection, "/healthz")["worker"]
            if worker in self.connections:
                connection.close()
            else:
                self.connections[worker] = connection
            if len(self.connections) == workers:
                return
        raise RuntimeError(f"reached {len(self.connections)} of {workers} workers")

    @staticmethod
    def _get(connection: http.client.HTTPConnection, path: str, body: dict | None = None) -> dict:
        if body is None:
            connection.request("GET", path)
        else:
            connection.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
        with connection.getresponse() as response:
            return json.load(response)

    def until_all(self, question: str, source: str, cited: bool, started: float,
                  deadline_s: float = 120) -> tuple[float, float]:
        """Seconds from `started` until the first worker's and the last worker's answer to
        `question` cites `source` as its best passage (`cited`), or no longer does."""
        done: dict[int, float] = {}
        while len(done) < len(self.connections) and time.perf_counter() - started < deadline_s:
            for worker, connection in self.connections.items():
                if worker in done:
                    continue
                passages = self._get(connection, "/api/ask", {"question": question})["passages"]
                if (bool(passages) and passages[0]["source"] == source) == cited:
                    done[worker] = time.perf_counter() - started
        if len(done) < len(self.connections):
            return min(done.values(), default=float("nan")), float("nan")
        return min(done.values()), max(done.values())

    def close(self) -> None:
        for connection in self.connections.values():
            connection.close()


def add_through_api(archive: Path, index_path: Path) -> dict:
    """An article added through the API of the service started from the saved index, then the
    service restarted with it in the segment beside the index, the article replaced and deleted:
    the time each request took, and until every worker answered accordingly."""
    row = {}
    with tempfile.TemporaryDirectory() as scratch:
        data = str(Path(scratch) / "data")
        settings = {"QA_ADMIN_TOKEN": TOKEN, "QA_DATA_DIR": data, "QA_KEEPALIVE": "300"}
        with service(archive, index_path, **settings) as (base, restart_s, master):
            row["api_restart_plain_s"] = restart_s
            row["api_ask_p50_ms_before"] = float(np.percentile(ask_latencies(base, 100), 50))
            row["api_pss_mib_before"] = pss_mib(master)
            workers = Workers(base)
            started = time.perf_counter()
            status, body = _call("POST", base + "/api/sources", API_ARTICLE, TOKEN)
            row["api_add_answered_s"] = time.perf_counter() - started
            if status != 201:
                raise RuntimeError(f"POST /api/sources: {status} {body}")
            source = body["id"]
            row["api_add_first_s"], row["api_add_s"] = workers.until_all(API_QUESTION, source, True, started)
            workers.close()
            # questions while the article is in the segment (scored with the index: SegmentedIndex)
            row["api_ask_p50_ms_segment"] = float(np.percentile(ask_latencies(base, 100), 50))
        with service(archive, index_path, **settings) as (base, restart_s, master):
            row["api_restart_s"] = restart_s  # the index and the segment beside it
            workers = Workers(base)
            started = time.perf_counter()
            status, body = _call("PUT", base + f"/api/sources/{source}",
                                 {**API_ARTICLE, "text": API_REPLACEMENT}, TOKEN)
            row["api_replace_answered_s"] = time.perf_counter() - started
            if status != 200:
                raise RuntimeError(f"PUT /api/sources/{source}: {status} {body}")
            _, row["api_replace_s"] = workers.until_all(API_QUESTION_REPLACED, source, True, started)
            started = time.perf_counter()
            status, body = _call("DELETE", base + f"/api/sources/{source}", token=TOKEN)
            row["api_delete_answered_s"] = time.perf_counter() - started
            if status != 200:
                raise RuntimeError(f"DELETE /api/sources/{source}: {status} {body}")
            _, row["api_delete_s"] = workers.until_all(API_QUESTION_REPLACED, source, False, started)
            workers.close()
            row["api_pss_mib"] = pss_mib(master)
            row["api_ask_p50_ms"] = float(np.percentile(ask_latencies(base, 100), 50))
    return row


def bench_size(n: int, workdir: Path, rounds: int) -> dict:
    archive = generate(workdir, n)
    index_path = workdir / f"index-{n}.npz"
    index_path.unlink(missing_ok=True)
    child = subprocess.run(
        [sys.executable, __file__, "--stages", str(archive), str(index_path)],
        capture_output=True,
        text=True,
        check=True,
    )
    row = {"size": n, "stages": json.loads(child.stdout.splitlines()[-1])}
    index_path.unlink()
    with service(archive, index_path) as (base, cold_s, master):
        row["cold_start_s"] = cold_s
        # the index is written by a forked copy of the master once it is built; the restart is
        # measured from it (stopped before it is written, the service starts cold again)
        row["saved_after_s"] = wait_for(index_path, cold_s)
    with service(archive, index_path) as (base, restart_s, master):
        row["restart_s"] = restart_s
        row["pss_mib"] = pss_mib(master)
        latencies = ask_latencies(base, rounds)
        row["ask_p50_ms"], row["ask_p99_ms"] = (
            float(np.percentile(latencies, 50)),
            float(np.percentile(latencies, 99)),
        )
    row.update(add_through_api(archive, index_path))
    # One article more, with a sentence nothing else has.
    added = archive / "zz-added-article.txt"
    text = "Nieuw bericht\n date 2021-08\n\nDe kwartiermaker Zebulon Vlietstra opende gisteren het museum.\n"
    added.write_text(text, encoding="utf-8")
    try:
        with service(archive, index_path) as (base, added_s, master):
            row["add_article_s"] = added_s
            row["added_answerable"] = answerable(base, "Wie opende het museum?", text)
    finally:
        added.unlink()
        index_path.unlink(missing_ok=True)
    return row


def bench_api_add(n: int, workdir: Path) -> dict:
    """--api-add: only the changes through the API, on the archive and saved index kept in
    `workdir` (made by a first start when missing)."""
    archive = generate(workdir, n)
    index_path = workdir / f"index-{n}.npz"
    if not index_path.exists():
        with service(archive, index_path) as (base, cold_s, master):
            pass
        while not index_path.exists():  # written by a forked copy of the master
            time.sleep(0.5)
    return {"size": n, **add_through_api(archive, index_path)}


def report_api(rows: list[dict]) -> None:
    print("\nChanges through the API (gunicorn master + 2 workers, from the saved index; "
          "s from the request until every worker answers accordingly)")
    print("sentences | POST answered s | first worker s | every worker s | "
          "restart s, without / with the segment | PUT answered / every worker s | "
          "DELETE answered / every worker s | PSS MiB before / after | "
          "/api/ask p50 ms before / with the segment / after")
    for r in rows:
        print(" | ".join([f"{r['size']:,}", f"{r['api_add_answered_s']:.2f}", f"{r['api_add_first_s']:.2f}",
                          f"{r['api_add_s']:.2f}",
                          f"{r['api_restart_plain_s']:.1f} / {r['api_restart_s']:.1f}",
                          f"{r['api_replace_answered_s']:.2f} / {r['api_replace_s']:.2f}",
                          f"{r['api_delete_answered_s']:.2f} / {r['api_delete_s']:.2f}",
                          f"{r['api_pss_mib_before']:.0f} / {r['api_pss_mib']:.0f}",
                          f"{r['api_ask_p50_ms_before']:.1f} / {r['api_ask_p50_ms_segment']:.1f} / "
                          f"{r['api_ask_p50_ms']:.1f}"]))
    largest = max(rows, key=lambda r: r["size"])
    size = f"{largest['size'] // 10**6}M" if largest["size"] >= 10**6 else f"{largest['size'] // 1000}k"
    print(f"  article added through the API until answerable at {size}: "
          f"{largest['api_add_s']:.2f} s (target {TARGETS['api_add_s']:.0f} s): "
          f"{mark(largest['api_add_s'], TARGETS['api_add_s'])}")


def health(base: str) -> dict:
    with urllib.request.urlopen(base + "/healthz", timeout=10) as response:
        return json.load(response)


def vectors_done(base: str) -> int:
    return health(base).get("vectors", {}).get("done", 0)


def encoder_pids(index_path: Path) -> list[int]:
    """The background encoders at work on `index_path` (`python -m qa vectors INDEX`)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            arguments = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"vectors" in arguments and str(index_path).encode() in arguments:
            found.append(int(entry.name))
    return found


def scheduling(pid: int) -> str:
    """How the kernel schedules a process's threads: their policies and nice values, counted."""
    policies = {os.SCHED_OTHER: "normal", os.SCHED_IDLE: "SCHED_IDLE", os.SCHED_BATCH: "SCHED_BATCH"}
    seen: dict[str, int] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            tid = int(task.name)
            policy, nice = os.sched_getscheduler(tid), os.getpriority(os.PRIO_PROCESS, tid)
            name = f"{policies.get(policy, '?')} nice {nice}"
        except OSError:
            continue
        seen[name] = seen.get(name, 0) + 1
    return ", ".join(f"{n} thread{'s' if n > 1 else ''} {name}" for name, n in seen.items())


def wait_for_encoding(base: str, timeout_s: float = 300) -> None:
    """Until the background encoder has written its first batch (its model is loaded)."""
    started = time.perf_counter()
    while vectors_done(base) == 0:
        if time.perf_counter() - started > timeout_s:
            raise RuntimeError("the background encoder wrote nothing")
        time.sleep(0.5)


def ask_for(base: str, seconds: float) -> list[float]:
    """One question after another on one connection for `seconds`: latencies in ms."""
    latencies: list[float] = []
    ends = time.perf_counter() + seconds
    while time.perf_counter() < ends:
        latencies.extend(ask_latencies(base, 25)[-20:])
    return latencies


def encoding_rate(base: str, seconds: float) -> float:
    """Sentences encoded per second over `seconds` with no questions."""
    before, started = vectors_done(base), time.perf_counter()
    time.sleep(seconds)
    return (vectors_done(base) - before) / (time.perf_counter() - started)


# Slices of the asking window, alternately with the encoder at work and stopped: other work on
# the machine then falls on both alike.
SLICE_S = 5.0


def asking_while_encoding(base: str, index_path: Path, seconds: float) -> dict:
    """One connection asking for `seconds` with the encoder at work and as long
    with it stopped, in alternating slices: the latencies of both, and the
    sentences encoded per second while asked (to within a batch of 256)."""
    working: list[float] = []
    stopped: list[float] = []
    encoded, working_s = 0, 0.0
    for _ in range(max(1, round(seconds / SLICE_S))):
        before, started = vectors_done(base), time.perf_counter()
        working += ask_for(base, SLICE_S)
        encoded += vectors_done(base) - before
        working_s += time.perf_counter() - started
        with encoder_stopped(index_path):
            stopped += ask_for(base, SLICE_S)
    return {
        "ask_ms_encoding": percentiles(working),
        "ask_ms_stopped": percentiles(stopped),
        "encoded_per_s_asked": encoded / working_s,
        "stopped_s": seconds,  # the encoder's time stopped, left out of the time the vectors took
    }


@contextlib.contextmanager
def encoder_stopped(index_path: Path):
    """The background encoder stopped (SIGSTOP) and continued after: the answers as
    they are without it, the comparison for the answers while it works."""
    pids = encoder_pids(index_path)
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)


# The ways the encoder could yield, compared on one running encoder (--compare, as root: taking
# SCHED_IDLE back needs it): its threads' scheduling class, and the pause while requests are answered
# (the busy marker there, or removed: the encoder then does not wait and the workers mark nothing).
YIELDING = {
    "SCHED_IDLE + pause (as started)": (True, True),
    "SCHED_IDLE": (True, False),
    "nice 10 + pause": (False, True),
    "nice 10 (before)": (False, False),
}


def set_yielding(index_path: Path, idle: bool, pause: bool) -> None:
    marker = Path(str(index_path) + ".vectors.busy")  # semantic/background.busy_file
    if pause:
        marker.touch()
    else:
        marker.unlink(missing_ok=True)
    for pid in encoder_pids(index_path):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError):
                tid = int(task.name)
                os.sched_setscheduler(tid, os.SCHED_IDLE if idle else os.SCHED_OTHER, os.sched_param(0))
                os.setpriority(os.PRIO_PROCESS, tid, 0 if idle else 10)


def compare_yielding(base: str, index_path: Path, seconds: float) -> dict:
    """One connection asking for `seconds` under each way of yielding, and with
    the encoder stopped, in alternating slices: latencies and sentences encoded per second."""
    conditions = [*YIELDING, "encoder stopped"]
    latencies: dict[str, list[float]] = {c: [] for c in conditions}
    encoded = dict.fromkeys(conditions, 0)
    timed = dict.fromkeys(conditions, 0.0)
    try:
        for _ in range(max(1, round(seconds / SLICE_S))):
            for condition in conditions:
                set_yielding(index_path, *YIELDING.get(condition, (True, True)))
                before, started = vectors_done(base), time.perf_counter()
                if condition == "encoder stopped":
                    with encoder_stopped(index_path):
                        latencies[condition] += ask_for(base, SLICE_S)
                else:
                    latencies[condition] += ask_for(base, SLICE_S)
                encoded[condition] += vectors_done(base) - before
                timed[condition] += time.perf_counter() - started
    finally:
        set_yielding(index_path, True, True)
    return {c: {"ask_ms": percentiles(latencies[c]), "encoded_per_s": encoded[c] / timed[c]}
            for c in conditions}


def report_comparison(rows: list[dict]) -> None:
    for r in rows:
        if "compared" not in r:
            continue
        print(f"\nWays of yielding at {r['sentences']:,} sentences (alternating {SLICE_S:.0f} s slices, "
              "one connection asking throughout; encoded to within a batch of 256)")
        print("the encoder | /api/ask p50 / p99 ms | encoded sentences/s")
        for condition, m in r["compared"].items():
            print(f"{condition} | {m['ask_ms'][0]:.1f} / {m['ask_ms'][1]:.1f} | {m['encoded_per_s']:,.0f}")


def end_encoders(index_path: Path) -> None:
    """The encoders the benchmark's service started, ended (they would stop at their next
    batch once the service is gone, and meanwhile take the cores from the next measurement)."""
    for pid in encoder_pids(index_path):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGCONT)
            os.kill(pid, signal.SIGTERM)


def percentiles(latencies: list[float]) -> tuple[float, float]:
    return float(np.percentile(latencies, 50)), float(np.percentile(latencies, 99))


def bench_vectors(n: int, workdir: Path, window_s: float, wait_s: float, compare: bool = False) -> dict:
    """The encoder on, as `make run` starts it: the first answer, the answers and the
    encoding while the vectors are made (and with the encoder stopped, for comparison),
    a restart meanwhile, then every vector in place (waited for at most `wait_s`);
    with `compare`, the ways the encoder could yield (compare_yielding)."""
    archive = generate(workdir, n)
    index_path = workdir / f"index-{n}-vectors.npz"
    for leftover in workdir.glob(index_path.name + "*"):
        leftover.unlink()
    row: dict = {"size": n}
    first_start = time.perf_counter()
    try:
        with service(archive, index_path, semantic=True) as (base, cold_s, master):
            row["cold_start_s"] = cold_s
            wait_for_encoding(base)
            row["encoder"] = "; ".join(scheduling(pid) for pid in encoder_pids(index_path))
            row["encoded_per_s_idle"] = encoding_rate(base, window_s)
            row.update(asking_while_encoding(base, index_path, window_s))
            if compare:
                row["compared"] = compare_yielding(base, index_path, window_s)
                row["stopped_s"] += window_s * 5  # left out of the time the vectors took, as the stops
        with service(archive, index_path, semantic=True) as (base, restart_s, master):
            row["restart_s"] = restart_s  # from the saved index, its vectors still being made
            started = time.perf_counter()
            while True:
                progress = health(base).get("vectors", {})
                if progress and progress["done"] == progress["total"]:
                    row["vectors_s"] = time.perf_counter() - first_start - row["stopped_s"]
                    break
                if time.perf_counter() - started > wait_s:
                    break
                time.sleep(5)
            row["sentences"] = progress["total"]
            row["vectors_done"] = progress["done"]
            if "vectors_s" in row:
                time.sleep(2)  # every worker takes them on its next request
                ask_latencies(base, 20)
                row["pss_mib"] = pss_mib(master)
                row["ask_ms_vectors"] = percentiles(ask_for(base, window_s / 2))
    finally:
        end_encoders(index_path)
        for leftover in workdir.glob(index_path.name + "*"):
            leftover.unlink()
    return row


def report_vectors(rows: list[dict]) -> None:
    print("\nWith the encoder (QA_SEMANTIC=1, vectors made in the background), as `make run` starts it")
    print(
        "sentences | first /healthz s | /api/ask p50 / p99 ms while encoding | same, encoder stopped"
        " | encoded sentences/s, no questions / one connection asking | restart while encoding s"
        " | all vectors in place after s | PSS MiB | /api/ask p50 / p99 ms with the vectors"
    )
    for r in rows:
        done = r.get("vectors_s")
        print(
            " | ".join(
                [
                    f"{r['sentences']:,}",
                    f"{r['cold_start_s']:.1f}",
                    "{:.1f} / {:.1f}".format(*r["ask_ms_encoding"]),
                    "{:.1f} / {:.1f}".format(*r["ask_ms_stopped"]),
                    f"{r['encoded_per_s_idle']:,.0f} / {r['encoded_per_s_asked']:,.0f}",
                    f"{r['restart_s']:.1f}",
                    f"{done:.0f}" if done else f"({r['vectors_done']:,} done when the wait ended)",
                    f"{r['pss_mib']:.0f}" if done else "-",
                    "{:.1f} / {:.1f}".format(*r["ask_ms_vectors"]) if done else "-",
                ]
            )
        )
        print(f"  the encoder's threads: {r['encoder']}")
    largest = max(rows, key=lambda r: r["size"])
    print(f"\nTargets at {largest['sentences']:,} sentences, the encoder on:")
    vectors_s = largest.get("vectors_s")
    if vectors_s is None:  # not waited for: at the rate measured with no questions
        vectors_s = largest["cold_start_s"] + largest["sentences"] / largest["encoded_per_s_idle"]
    checks = [
        ("first /healthz after a cold start, no saved index, s", largest["cold_start_s"],
         TARGETS["cold_start_s"]),
        ("restart with the saved index while encoding, s", largest["restart_s"], TARGETS["restart_s"]),
        (
            "/api/ask p50 over HTTP, 1 connection, while encoding, ms",
            largest["ask_ms_encoding"][0],
            TARGETS["ask_p50_ms"],
        ),
        (
            "all sentence vectors in place, min" + ("" if "vectors_s" in largest else " (estimated)"),
            vectors_s / 60,
            TARGETS["vectors_min"],
        ),
    ]
    if "pss_mib" in largest:
        checks.append(("PSS with the vectors, MiB", largest["pss_mib"], TARGETS["pss_mib"]))
    for name, value, target in checks:
        print(f"  {name}: {value:,.1f} (<= {target:,}): {mark(value, target)}")


def mark(value: float, target: float, higher_is_better: bool = False) -> str:
    return "met" if (value >= target if higher_is_better else value <= target) else "MISSED"


def report(rows: list[dict]) -> None:
    print("\nArchive: folder -> answering (gunicorn master + 2 workers, BM25 with translation)")
    print(
        "sentences | read, split, analyse s | index s | save s | sentences/s | peak RSS MiB (parent / worker)"
        " | cold start s | restart s | PSS MiB | /api/ask p50 / p99 ms | one article added s"
    )
    for r in rows:
        s = r["stages"]
        print(
            " | ".join(
                [
                    f"{s['sentences']:,}",
                    f"{s['read, split and analyse s']:.1f}",
                    f"{s['index s']:.1f}",
                    f"{s['save s']:.1f}",
                    f"{s['sentences'] / s['total s']:,.0f}",
                    f"{s['peak RSS MiB (parent)']:.0f} / {s['peak RSS MiB (a worker)']:.0f}",
                    f"{r['cold_start_s']:.1f}",
                    f"{r['restart_s']:.1f}",
                    f"{r['pss_mib']:.0f}",
                    f"{r['ask_p50_ms']:.1f} / {r['ask_p99_ms']:.1f}",
                    f"{r['add_article_s']:.1f}" + ("" if r["added_answerable"] else " (not found!)"),
                ]
            )
        )
    largest = max(rows, key=lambda r: r["size"])
    s = largest["stages"]
    rate = s["sentences"] / s["total s"]
    print(f"\nTargets at {s['sentences']:,} sentences:")
    checks = [
        (
            "ingest, sentences/s (list, read, split, analyse, index, save)",
            rate,
            TARGETS["sentences_per_s"],
            True,
        ),
        (
            "first /healthz after a cold start, no saved index, s",
            largest["cold_start_s"],
            TARGETS["cold_start_s"],
            False,
        ),
        ("restart with the saved index, s", largest["restart_s"], TARGETS["restart_s"], False),
        ("PSS, master + workers, MiB (without vectors)", largest["pss_mib"], TARGETS["pss_mib"], False),
        ("/api/ask p50 over HTTP, 1 connection, ms", largest["ask_p50_ms"], TARGETS["ask_p50_ms"], False),
        ("one article added until answerable, s", largest["add_article_s"], TARGETS["add_article_s"], False),
    ]
    for name, value, target, higher in checks:
        print(
            f"  {name}: {value:,.1f} ({'>=' if higher else '<='} {target:,}): {mark(value, target, higher)}"
        )


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--stages":
        stages(sys.argv[2], sys.argv[3])
        return
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--rounds", type=int, default=200, help="questions asked over HTTP per size")
    parser.add_argument("--keep", help="folder to keep the generated archives in (reused next time)")
    parser.add_argument("--api-add", action="store_true",
                        help="only the changes through the API (at --sizes; keep the index with --keep)")
    parser.add_argument(
        "--vectors",
        default="10000,100000",
        help="sizes to measure with the encoder on ('' for none)",
    )
    parser.add_argument(
        "--window",
        type=float,
        default=30.0,
        help="seconds of each measurement while encoding (encoding with no questions, with questions)",
    )
    parser.add_argument(
        "--wait",
        type=float,
        default=900.0,
        help="seconds to wait for every vector after the restart (past it the time is estimated)",
    )
    parser.add_argument(
        "--compare",
        action="store_true",
        help="compare the ways the encoder could yield, on the running encoder (as root)",
    )
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        workdir = Path(args.keep) if args.keep else Path(stack.enter_context(tempfile.TemporaryDirectory()))
        workdir.mkdir(parents=True, exist_ok=True)
        rows = []
        if args.api_add:
            for n in (int(x) for x in args.sizes.split(",") if x):
                row = bench_api_add(n, workdir)
                print(json.dumps(row), flush=True)
                rows.append(row)
            report_api(rows)
            return
        for n in (int(x) for x in args.sizes.split(",") if x):
            row = bench_size(n, workdir, args.rounds)
            print(json.dumps(row), flush=True)
            rows.append(row)
        vector_rows = []
        for n in (int(x) for x in args.vectors.split(",") if x):
            row = bench_vectors(n, workdir, args.window, args.wait, args.compare)
            print(json.dumps(row), flush=True)
            vector_rows.append(row)
    if rows:
        report(rows)
        report_api(rows)
    if vector_rows:
        report_vectors(vector_rows)
        report_comparison(vector_rows)


if __name__ == "__main__":
    main()
