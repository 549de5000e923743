"""Sources changed under load: gunicorn as `make run` starts it (2 workers,
a saved index, a data folder), wrk asking questions with 64 connections while
articles are added and deleted; then 200 add/delete cycles and the workers'
memory before and after.

    python bench/live_sources.py [--seconds 30] [--cycles 200]

Prints wrk's figures and failed asks (expected: 0), the time of each add and
delete as the writer sees it, and each worker's PSS before and after."""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from loadtest import WRK_SCRIPT, lua_string, questions, run_wrk, workers_of  # noqa: E402

from bench import serving  # noqa: E402

TOKEN = "bench-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def article(n: int) -> dict:
    return {
        "id": f"bench-{n}",
        "title": f"Bericht {n} over de veerpont",
        "text": f"De veerpont naar Noord vaart vanaf dag {n} ook 's nachts, meldt het GVB.\n\n"
        f"Op dag {n} stapten {n * 7} reizigers over op de nachtboot.",
    }


def cycle(base: str, n: int, timings: dict[str, list[float]]) -> None:
    started = time.perf_counter()
    added = requests.post(base + "/api/sources", headers=AUTH, json=article(n), timeout=60)
    timings["add"].append((time.perf_counter() - started) * 1000)
    if added.status_code != 201:
        raise RuntimeError(f"add {n}: {added.status_code} {added.text[:200]}")
    started = time.perf_counter()
    deleted = requests.delete(base + f"/api/sources/bench-{n}", headers=AUTH, timeout=60)
    timings["delete"].append((time.perf_counter() - started) * 1000)
    if deleted.status_code != 200:
        raise RuntimeError(f"delete {n}: {deleted.status_code} {deleted.text[:200]}")


def pss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--cycles", type=int, default=200)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as tmp,
        serving(QA_ADMIN_TOKEN=TOKEN, QA_DATA_DIR=f"{tmp}/data", QA_INDEX=f"{tmp}/index.npz") as (
            base,
            server,
        ),
    ):
        bodies = (
            "{"
            + ", ".join(
                lua_string(json.dumps({"question": q}))
                for q in questions(ROOT.parent / "shared" / "eval" / "dev.jsonl")
            )
            + "}"
        )
        script = Path(tmp) / "ask.lua"
        script.write_text(WRK_SCRIPT % bodies)
        timings: dict[str, list[float]] = {"add": [], "delete": []}
        stop = threading.Event()
        done = []

        def writer():
            n = 0
            while not stop.is_set():
                cycle(base, n, timings)
                n += 1
                time.sleep(0.5)
            done.append(n)

        thread = threading.Thread(target=writer)
        thread.start()
        loaded = run_wrk(base, script, args.seconds, args.connections)
        stop.set()
        thread.join()
        failed = loaded["non_2xx"] + loaded["socket_errors"]
        print(
            f"under load: {loaded['rps']:.0f} req/s, p50 {loaded['p50_ms']:.0f} ms, "
            f"p99 {loaded['p99_ms']:.0f} ms, {loaded['requests']} asks, failed {failed}; "
            f"{done[0]} add/delete cycles meanwhile"
        )
        for kind, values in timings.items():
            print(f"  {kind}: p50 {statistics.median(values):.0f} ms, max {max(values):.0f} ms (under load)")

        workers = workers_of(server.pid)
        for _ in range(5):  # every worker takes a few requests after the load, before the first measure
            requests.post(base + "/api/ask", json={"question": "Wanneer trad Ivens af?"}, timeout=30)
        before = {pid: pss_mib(pid) for pid in workers}
        timings = {"add": [], "delete": []}
        health: list[float] = []
        cycling = threading.Event()

        def probe_health():  # what everyone else waits while the sources change
            while not cycling.is_set():
                started = time.perf_counter()
                requests.get(base + "/healthz", timeout=30)
                health.append((time.perf_counter() - started) * 1000)
                time.sleep(0.01)

        prober = threading.Thread(target=probe_health)
        prober.start()
        for n in range(args.cycles):
            cycle(base, 10_000 + n, timings)
            requests.post(base + "/api/ask", json={"question": "Wanneer vaart de veerpont?"}, timeout=30)
        cycling.set()
        prober.join()
        health.sort()
        p99 = health[int(0.99 * (len(health) - 1))]
        print(f"/healthz meanwhile: p50 {statistics.median(health):.1f} ms, p99 {p99:.1f} ms, "
              f"max {health[-1]:.1f} ms ({len(health)} requests)")
        for _ in range(5):
            requests.post(base + "/api/ask", json={"question": "Wanneer trad Ivens af?"}, timeout=30)
        after = {pid: pss_mib(pid) for pid in workers if Path(f"/proc/{pid}").exists()}
        print(
            f"{args.cycles} add/delete cycles: add p50 {statistics.median(timings['add']):.0f} ms, "
            f"delete p50 {statistics.median(timings['delete']):.0f} ms"
        )
        for pid in workers:
            if pid not in after:
                print(f"  process {pid}: exited during the cycles")
                continue
            grew = (after[pid] / before[pid] - 1) * 100
            print(f"  worker {pid}: PSS {before[pid]:.1f} -> {after[pid]:.1f} MiB "
                  f"({grew:+.1f} %, target within 10 %)")
        print(f"  processes under the master: {sorted(workers)} before, {workers_of(server.pid)} after")
        sources = len(requests.get(base + "/api/sources", timeout=10).json()["sources"])
        print(f"sources at the end: {sources} (the 5 seeds)")
        ok = failed == 0 and sources == 5 and len(after) == len(before) and \
            all(abs(after[p] / before[p] - 1) <= 0.10 for p in workers)
        print("result:", "ok" if ok else "FAILED")
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
