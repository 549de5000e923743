import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest
import requests
from werkzeug.serving import make_server

from qa import create_app
from qa.pipeline.engine import Engine

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"


@pytest.fixture(scope="session")
def engine():
    """The engine over the seed articles, built once for the whole run."""
    return Engine.from_folder(SEEDS)


@pytest.fixture
def app(engine):
    return create_app({"TESTING": True, "QA_ENGINE": engine})


@pytest.fixture
def client(app):
    return app.test_client()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(app):
    """`app` served by werkzeug in a thread on a free port (a test's own engine, in this process);
    the server, whose `server_port` it listens on and whose `shutdown()` stops it."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@contextlib.contextmanager
def gunicorn(log_file: Path | None = None, **settings: str):
    """gunicorn serving the seeds on a free port, as `make run` does (plus
    `settings` in its environment); yields its base URL. Its log goes to
    `log_file` when given (for a test to read), else to a temporary file."""
    port = free_port()
    env = {**os.environ, "QA_BIND": f"127.0.0.1:{port}", "QA_WORKERS": "2",
           "QA_SOURCES": str(ROOT / "seeds"), "QA_DATA_DIR": "", **settings}
    executable = Path(sys.executable).parent / "gunicorn"
    # Its log goes to a file: a pipe nobody reads fills up and stops the server mid-test.
    log = open(log_file, "w+") if log_file else tempfile.TemporaryFile("w+")  # noqa: SIM115  (closed below)
    process = subprocess.Popen([str(executable), "-c", "gunicorn.conf.py", "wsgi:app"], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=log, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if requests.get(url + "/healthz", timeout=1).ok:
                    break
            except (requests.ConnectionError, requests.Timeout):  # not listening yet, or still busy starting
                pass
            if process.poll() is not None:
                log.seek(0)
                pytest.fail("gunicorn exited: " + log.read()[-2000:])
            time.sleep(0.1)
        else:
            pytest.fail("gunicorn did not answer /healthz in 30 s")
        # The first worker answers while the second may still be booting, and a gevent worker
        # told to stop then misses the signal (the stop then takes gunicorn's graceful 10 s).
        time.sleep(1.0)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:  # not expected: gunicorn's graceful timeout is 10 s
            process.kill()
            process.wait(timeout=10)
            raise
        finally:
            log.close()


GENERATOR = ROOT / "eval" / "kit" / "gen-news-corpus.py"  # make kit copies it there
# Above the parallel-ingest (2 MiB) and background-vector (2,000 sentences) thresholds.
ARCHIVE_SENTENCES = 10_000


@pytest.fixture(scope="session")
def archive(tmp_path_factory) -> Path:
    """A news-shaped archive of 10,000 sentences (397 articles, 3.4 MB) from the shared generator."""
    if not GENERATOR.exists() or not Path("/usr/share/dict/dutch").exists():
        pytest.skip(f"needs the corpus generator ({GENERATOR}) and Debian's wdutch word list")
    folder = tmp_path_factory.mktemp("archive")
    subprocess.run([sys.executable, str(GENERATOR), str(folder), str(ARCHIVE_SENTENCES)], check=True)
    return folder


@pytest.fixture(scope="session")
def server():
    """The service as `make run` starts it; its base URL."""
    with gunicorn() as url:
        yield url
