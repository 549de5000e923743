"""Writing a saved index without making anyone wait: by a forked copy of
the serving process, and logged rather than raised when the folder cannot
be written (the service answers from memory either way)."""
from __future__ import annotations

import logging
import os
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..sources.documents import Document, SourceFile
from . import snapshot

log = logging.getLogger(__name__)


def save_in_background(index_path: str | Path, save, then=None) -> int | None:
    """Fork a copy of this process that calls `save()` (and `then()` when it
    saved), and return its pid; None, when the caller should save itself: the
    folder cannot be written, or another thread runs (a fork copies no
    thread, so one holding a lock would leave the copy stuck)."""
    folder = Path(index_path).parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=folder).close()
    except OSError:
        return None
    if threading.active_count() > 1:
        return None
    try:
        pid = os.fork()
    except OSError:
        return None
    if pid:
        return pid
    status = 1
    try:
        if save():
            if then is not None:
                then()
            status = 0
    finally:
        os._exit(status)  # no cleanup of the parent's (copied) state


def save_logged(index_path: str | Path, prepared: snapshot.Prepared, documents: Sequence[Document],
                digest: str, skipped: Sequence[dict], files: Sequence[SourceFile] = (),
                settings: str = "", keys: np.ndarray | None = None) -> bool:
    """snapshot.save, with a failure logged: False when the index could not be written."""
    try:
        snapshot.save(index_path, prepared, documents, digest, skipped, files, settings, keys)
        log.info("saved the index to %s", index_path)
        return True
    except OSError as exc:
        log.warning("could not save the index to %s: %s", index_path, exc)
        return False
