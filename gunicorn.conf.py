"""gunicorn settings, from the environment with defaults (the QA_* variables,
their types and defaults: qa/settings.py)."""
import os

from qa.settings import value

# One BLAS thread per worker: the workers already use the cores, and OpenBLAS
# threads spinning against each other made /api/ask 4x slower under load
# (45 -> 202 req/s with wrk, 2 workers, 16 connections). Set before the app
# (and numpy) is loaded by preload_app.
for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(variable, "1")

bind = value("QA_BIND")
workers = value("QA_WORKERS")
# gevent: a connection costs a greenlet, not a worker, so clients that send
# slowly or hold a stream open leave the workers free for everyone else. With
# sync workers four clients sending half a body stopped /healthz for 10 s;
# with gevent, 100 of them and 50 open streams leave /healthz and /api/ask
# at the figures in the README (bench/slow_clients.py). An answer is CPU work
# of a few milliseconds and never waits on I/O, so it keeps the worker for
# just that long. QA_WORKER_CLASS=sync (or gthread with QA_THREADS) for the old model.
worker_class = value("QA_WORKER_CLASS")
worker_connections = value("QA_WORKER_CONNECTIONS")
threads = value("QA_THREADS")
# One request per connection, as the sync workers did: a new request then goes
# to whichever worker takes it from the shared backlog, where a kept-alive one
# stays with its worker however busy. make loadtest, gevent, 64 connections:
# p99 380 ms kept alive (2 s), 314 ms with 0 (sync: 282), the same 266 req/s.
keepalive = value("QA_KEEPALIVE")
timeout = value("QA_TIMEOUT")
# How long a stopping worker finishes what it has: answers take milliseconds
# and streams are sent at once. (A gevent worker told to stop while it was
# still booting missed the signal and held the shutdown for this long.)
graceful_timeout = value("QA_GRACEFUL_TIMEOUT")
# Build the index once in the master; forked workers share its memory.
preload_app = True
# Logs to stdout/stderr, where a container runtime collects them.
accesslog = "-"
# One JSON object per request, with the request id the response carries; no
# bodies, so no question or source text, is ever logged.
access_log_format = ('{"remote": "%(h)s", "request_id": "%({x-request-id}o)s", "method": "%(m)s", '
                     '"path": "%(U)s", "status": %(s)s, "bytes": %(B)s, "ms": %(M)s}')
errorlog = "-"
loglevel = value("QA_LOG_LEVEL").lower()

# With several workers gunicorn lets gevent accept one connection per turn of
# its event loop (to spread them over the workers), and a turn first serves
# every request that is ready: under load a burst of new connections waited
# seconds in the backlog (wrk, 64 connections: 51 requests over 2 s, the
# backlog draining at 5 connections/s). 16 a turn measured none over 2 s and
# still 32/32 connections per worker; 4 still left 25 over 2 s.
ACCEPT_PER_TURN = 16


def pre_fork(server, worker):
    # What the preloaded app made is kept for good: out of the collector's way,
    # so that collecting after a change of sources scans only what came since
    # (and the workers' shared pages are not written by collections).
    import gc

    gc.freeze()


def post_worker_init(worker):
    if worker_class == "gevent":
        from gevent.server import StreamServer

        # In this worker process only; gunicorn's run() would set it back to 1.
        StreamServer.max_accept = property(lambda server: ACCEPT_PER_TURN, lambda server, value: None)


def post_request(worker, req, environ, resp):
    # Under gevent, a connection whose next request is already waiting would be
    # served again at once (a read that finds data does not yield), and a few
    # busy connections starved the rest: wrk with 64 connections measured p50
    # 8 ms but p99 1.4 s and 13 timeouts. Yielding after each request puts the
    # others first.
    if worker_class == "gevent":
        import gevent

        gevent.sleep(0)
