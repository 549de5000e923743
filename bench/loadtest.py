"""Load and fault test: `make loadtest`.

Starts the service under gunicorn (as `make run` does), drives /api/ask with
wrk at 64 connections for 30 s with a mix of questions, and prints requests/s,
p50/p99 latency and errors (expected: 0). Then runs again and kills one
gunicorn worker half-way: the master must start a new one, and only requests
in flight on the killed worker may fail.

    python bench/loadtest.py [--seconds 30] [--connections 64] [--questions FILE.jsonl]
"""
from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from bench import serving  # noqa: E402  (the same server start-up as the benchmark)

DEV_SET = ROOT.parent / "shared" / "eval" / "dev.jsonl"
FALLBACK_QUESTIONS = [
    "when did the formal reports come in", "Wanneer trad Ivens af?", "Who is Peter Teesink?",
    "Welke partijen willen een spoeddebat?", "How many reports came in during 2020?",
    "Why did Ivens resign?", "What is the capital of France?", "Sinds wanneer was Ivens wethouder?",
]
WRK_SCRIPT = """
local bodies = %s
local n = 0
request = function()
  n = n + 1
  local headers = {["Content-Type"] = "application/json"}
  return wrk.format("POST", "/api/ask", headers, bodies[(n %% #bodies) + 1])
end
"""


def questions(path: Path) -> list[str]:
    if path.exists():
        with open(path, encoding="utf-8") as f:
            return [json.loads(line)["question"] for line in f if line.strip()]
    return FALLBACK_QUESTIONS


def lua_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def workers_of(master: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == master:
                found.append(int(entry.name))
    return sorted(found)


def connections_of(pid: int) -> int:
    """The client connections a worker holds: its sockets but the listening one."""
    fds = Path(f"/proc/{pid}/fd")
    sockets = sum(1 for fd in fds.iterdir() if os.readlink(fd).startswith("socket:"))
    return max(sockets - 1, 0)


def run_wrk(url: str, script: Path, seconds: int, connections: int) -> dict:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s", "--latency",
               "-s", str(script), url]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout

    def number(pattern: str, default: float = 0.0) -> float:
        m = re.search(pattern, out)
        return float(m.group(1)) if m else default

    def ms(label: str) -> float:
        m = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not m:
            return float("nan")
        return float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]

    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {"requests": int(number(r"(\d+) requests in")), "rps": number(r"Requests/sec:\s+([\d.]+)"),
            "p50_ms": ms("50"), "p99_ms": ms("99"),
            "non_2xx": int(number(r"Non-2xx or 3xx responses: (\d+)")),
            "socket_errors": sum(map(int, socket_errors.groups())) if socket_errors else 0}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--questions", type=Path, default=DEV_SET,
                        help="JSON lines with a 'question' field (default: the dev set, if present)")
    args = parser.parse_args()
    workers = os.environ.get("QA_WORKERS", "2")
    with serving(QA_WORKERS=workers) as (base, server):
        asked = questions(args.questions)
        bodies = "{" + ", ".join(lua_string(json.dumps({"question": q})) for q in asked) + "}"
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
            f.write(WRK_SCRIPT % bodies)
        script = Path(f.name)
        print(f"{len(asked)} questions, {args.connections} connections, {args.seconds} s, "
              f"{workers} gunicorn workers")

        steady = run_wrk(base, script, args.seconds, args.connections)
        errors = steady["non_2xx"] + steady["socket_errors"]
        print(f"steady:      {steady['rps']:.0f} req/s, p50 {steady['p50_ms']:.0f} ms, "
              f"p99 {steady['p99_ms']:.0f} ms, {steady['requests']} requests, errors {errors} "
              f"(non-2xx {steady['non_2xx']}, socket {steady['socket_errors']})")

        before = workers_of(server.pid)
        killed: list[int] = []

        held: list[int] = []

        def kill_one():
            time.sleep(args.seconds / 2)
            victim = workers_of(server.pid)[0]
            held.append(connections_of(victim))
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)

        killer = threading.Thread(target=kill_one)
        killer.start()
        faulty = run_wrk(base, script, args.seconds, args.connections)
        killer.join()
        time.sleep(2)
        after = workers_of(server.pid)
        errors_kill = faulty["non_2xx"] + faulty["socket_errors"]
        replaced = len(after) == len(before) and killed[0] not in after
        print(f"worker kill: {faulty['rps']:.0f} req/s, p50 {faulty['p50_ms']:.0f} ms, "
              f"p99 {faulty['p99_ms']:.0f} ms, {faulty['requests']} requests, errors {errors_kill} "
              f"(non-2xx {faulty['non_2xx']}, socket {faulty['socket_errors']}); "
              f"killed worker {killed[0]} of {before}, "
              f"workers after: {after}: {'replaced' if replaced else 'NOT replaced'}")
        # A gevent worker serves many connections: at most one request was in flight on each it held.
        ok = errors == 0 and replaced and errors_kill <= held[0]
        print("result:", "ok" if ok else "FAILED", "(expected: 0 errors; after the kill, a replaced worker "
              f"and at most the requests in flight on the {held[0]} connections it held lost)")
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
