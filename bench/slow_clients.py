"""Slow and long-lived connections against a running service: while `slow`
clients have sent a request's headers and only part of its body, and
`streams` clients have asked for a streamed answer and read none of it,
how long do /healthz and /api/ask take for everyone else?

    python bench/slow_clients.py [--url http://127.0.0.1:8000] [--slow 100] [--streams 50] [--probes 100]

Without --url it starts the service as `make run` does (bench.serving).
tests/web/test_slow_clients.py runs the same with a bound on p99."""

from __future__ import annotations

import argparse
import http.client
import json
import math
import socket
import statistics
import sys
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
QUESTION = "when did the formal reports come in"


def address(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname, parts.port or 80


def request_bytes(method: str, path: str, body: bytes, headers: dict) -> bytes:
    head = [
        f"{method} {path} HTTP/1.1",
        "Host: qa",
        *(f"{k}: {v}" for k, v in headers.items()),
        f"Content-Length: {len(body)}",
        "",
        "",
    ]
    return "\r\n".join(head).encode() + body


@contextmanager
def held_connections(url: str, slow: int, streams: int, timeout: float = 10.0):
    """Opens `slow` connections that send the headers of an /api/ask request and
    half its body, then `streams` that ask /v1/chat/completions to stream and
    read nothing; all stay open until the block ends."""
    where = address(url)
    ask = json.dumps({"question": QUESTION}).encode()
    chat = json.dumps(
        {"model": "qa", "stream": True, "messages": [{"role": "user", "content": QUESTION}]}
    ).encode()
    with ExitStack() as stack:
        for _ in range(slow):
            conn = stack.enter_context(socket.create_connection(where, timeout=timeout))
            whole = request_bytes("POST", "/api/ask", ask, {"Content-Type": "application/json"})
            conn.sendall(whole[: len(whole) - len(ask) // 2])  # the rest never comes
        for _ in range(streams):
            conn = stack.enter_context(socket.create_connection(where, timeout=timeout))
            conn.sendall(
                request_bytes("POST", "/v1/chat/completions", chat, {"Content-Type": "application/json"})
            )
        time.sleep(0.5)  # let the server take them all in
        yield


def timed(url: str, method: str, path: str, body: dict | None = None, timeout: float = 5.0) -> float:
    """Milliseconds for one request on a new connection (as a new visitor makes it);
    infinite when it got no answer within `timeout` seconds."""
    host, port = address(url)
    started = time.perf_counter()
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        data = json.dumps(body).encode() if body is not None else None
        conn.request(method, path, body=data, headers={"Content-Type": "application/json"} if data else {})
        response = conn.getresponse()
        response.read()
    except TimeoutError:
        return math.inf
    else:
        if response.status != 200:
            raise RuntimeError(f"{method} {path}: HTTP {response.status}")
    finally:
        conn.close()
    return (time.perf_counter() - started) * 1000


def p99(values: list[float]) -> float:
    return sorted(values)[min(len(values) - 1, int(round(0.99 * (len(values) - 1))))]


def probe(url: str, probes: int) -> dict[str, list[float]]:
    health, ask = [], []
    for _ in range(probes):
        health.append(timed(url, "GET", "/healthz"))
        ask.append(timed(url, "POST", "/api/ask", {"question": QUESTION}))
    return {"/healthz": health, "/api/ask": ask}


def report(label: str, figures: dict[str, list[float]]) -> None:
    for path, values in figures.items():
        print(
            f"{label:<28} {path:<10} p50 {statistics.median(values):6.1f} ms  p99 {p99(values):7.1f} ms  "
            f"max {max(values):7.1f} ms  ({len(values)} requests)"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url")
    parser.add_argument("--slow", type=int, default=100)
    parser.add_argument("--streams", type=int, default=50)
    parser.add_argument("--probes", type=int, default=100)
    args = parser.parse_args(argv)
    with ExitStack() as stack:
        url = args.url
        if url is None:
            sys.path.insert(0, str(ROOT / "bench"))
            from bench import serving

            url, _ = stack.enter_context(serving())
        report("idle", probe(url, args.probes))
        with held_connections(url, args.slow, args.streams):
            figures = probe(url, args.probes)
        report(f"{args.slow} slow + {args.streams} streams", figures)
        worst = max(p99(v) for v in figures.values())
        verdict = "met" if worst < 100 else "MISSED"
        print(f"p99 under held connections: {worst:.1f} ms (target < 100 ms): {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
