"""One writer at a time across processes: an exclusive flock on a lock file,
polled rather than waited for, because a blocking wait stops the whole
process, every greenlet of a gevent worker with it (time.sleep is gevent's
there, and lets the others run)."""
from __future__ import annotations

import contextlib
import fcntl
import time
from collections.abc import Iterator
from pathlib import Path

# How often (s) a waiting writer tries the lock again.
POLL_SECONDS = 0.01


@contextlib.contextmanager
def exclusive(lock_file: str | Path) -> Iterator[None]:
    """Hold an exclusive lock on `lock_file` (made when missing) for the block."""
    with open(lock_file, "a+") as lock:
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                time.sleep(POLL_SECONDS)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
