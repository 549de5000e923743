"""Benchmark questions while articles are added, as a user meets it: the
service as `make run` starts it (gunicorn, 2 gevent workers, the encoder on,
a saved index, the vectors of a large archive made in the background) on a
generated archive, with an admin token and a data folder.

For each size: /api/ask latency from CLIENTS concurrent clients while nothing
changes, then while ADDS articles are added one after another (each POST
answered, then cited by both workers before the next); the time each add
took to answer and until both workers cited it.

    python bench/changes.py                  # 10k and 100k sentences (about 5 minutes)
    python bench/changes.py --sizes 10000 --keep /tmp/archives
"""
from __future__ import annotations

import argparse
import contextlib
import json
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from archive import QUESTIONS, generate, service  # noqa: E402

TOKEN = "bench-token"
CLIENTS = 4
ADDS = 10
IDLE_S = 10.0


def _post(url: str, body: dict, token: str | None = None, timeout: float = 120) -> tuple[int, dict]:
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    request = urllib.request.Request(url, json.dumps(body).encode(), headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as exc:
        return exc.code, json.load(exc)


class Askers:
    """CLIENTS threads asking one question after another; latencies by time."""

    def __init__(self, base: str):
        self.base, self.samples, self.errors = base, [], 0
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._ask, args=(n,), daemon=True) for n in range(CLIENTS)]

    def _ask(self, n: int) -> None:
        k = n
        while not self._stop.is_set():
            started = time.perf_counter()
            try:
                question = {"question": QUESTIONS[k % len(QUESTIONS)]}
                status, _ = _post(self.base + "/api/ask", question, timeout=60)
            except OSError:
                status = 0
            ended = time.perf_counter()
            if status == 200:
                self.samples.append((ended, (ended - started) * 1000))
            else:
                self.errors += 1
            k += CLIENTS

    def __enter__(self) -> Askers:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=70)

    def between(self, start: float, end: float) -> list[float]:
        return [ms for at, ms in self.samples if start <= at <= end]


def _cited_by_both(base: str, question: str, source: str, deadline_s: float = 60) -> float:
    started = time.perf_counter()
    workers: dict[int, int] = {}
    while time.perf_counter() - started < deadline_s:
        with urllib.request.urlopen(base + "/healthz", timeout=30) as response:
            health = json.load(response)
        _, answer = _post(base + "/api/ask", {"question": question})
        cited = bool(answer["passages"]) and answer["passages"][0]["source"] == source
        workers[health["worker"]] = health["sources"]
        if cited and len(workers) >= 2 and len(set(workers.values())) == 1:
            return time.perf_counter() - started
    return float("nan")


def _percentiles(values: list[float]) -> str:
    if not values:
        return "-"
    return f"{np.percentile(values, 50):.1f} / {np.percentile(values, 99):.1f} ({len(values)})"


def bench_size(n: int, workdir: Path) -> dict:
    archive = generate(workdir, n)
    index_path = workdir / f"changes-index-{n}.npz"
    index_path.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        data = Path(scratch) / "data"
        with service(archive, index_path, semantic=True, QA_ADMIN_TOKEN=TOKEN, QA_DATA_DIR=str(data)) as \
                (base, started_s, _), Askers(base) as askers:
            time.sleep(IDLE_S)
            idle_end = time.perf_counter()
            adds, until_both = [], []
            for k in range(ADDS):
                word = f"Kwartiermaker{k}x"
                article = {"title": f"Nieuw museum {k}",
                           "text": f"De {word} Zebulon Vlietstra opende gisteren het museum {k}. "
                                   f"Het museum telt {k + 3} zalen."}
                t0 = time.perf_counter()
                status, body = _post(base + "/api/sources", article, TOKEN)
                adds.append(time.perf_counter() - t0)
                if status != 201:
                    raise RuntimeError(f"add {k}: {status} {body}")
                until_both.append(_cited_by_both(base, f"Wat opende de {word}?", body["id"]))
            adds_end = time.perf_counter()
            with urllib.request.urlopen(base + "/healthz", timeout=30) as response:
                vectors = json.load(response).get("vectors")
    return {"size": n, "ready_s": started_s, "idle_ms": askers.between(0, idle_end),
            "during_adds_ms": askers.between(idle_end, adds_end), "errors": askers.errors,
            "add_s": adds, "until_both_s": until_both, "vectors_at_end": vectors}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--keep", help="folder to keep the generated archives in (reused next time)")
    args = parser.parse_args()
    rows = []
    with contextlib.ExitStack() as stack:
        workdir = Path(args.keep) if args.keep else Path(stack.enter_context(tempfile.TemporaryDirectory()))
        workdir.mkdir(parents=True, exist_ok=True)
        for n in (int(x) for x in args.sizes.split(",") if x):
            rows.append(bench_size(n, workdir))
    print(f"\nQuestions while articles are added ({CLIENTS} clients asking, {ADDS} adds one after another; "
          "gunicorn, 2 gevent workers, encoder on, saved index)")
    print("sentences | first /healthz s | /api/ask p50 / p99 ms (n), idle | same, during the adds | errors "
          "| add answered s, p50 / max | until both workers cite it s, p50 / max | vectors at the end")
    for r in rows:
        print(" | ".join([
            f"{r['size']:,}", f"{r['ready_s']:.1f}", _percentiles(r["idle_ms"]),
            _percentiles(r["during_adds_ms"]),
            str(r["errors"]), f"{np.median(r['add_s']):.2f} / {max(r['add_s']):.2f}",
            f"{np.nanmedian(r['until_both_s']):.2f} / {np.nanmax(r['until_both_s']):.2f}",
            json.dumps(r["vectors_at_end"])]))


if __name__ == "__main__":
    main()
