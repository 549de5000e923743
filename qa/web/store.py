"""The engine as a resource of the Flask app, and how it follows the sources.

Built once per process in init_app (gunicorn's preload builds it before
forking, so workers share it). Sources can change while the service runs:
through the API (a write bumps the data folder's generation) or by a file
dropped into a folder. Before each answer a worker reads the generation, and
at most every QA_WATCH_SECONDS lists the folders; when either changed it builds
the new engine aside, from the one it serves (only the changed files read, in
this process), and then switches to it with one assignment, so no request
ever sees half of one."""
from __future__ import annotations

import contextlib
import ctypes
import functools
import gc
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from flask import Flask, current_app

from ..index import cluster, snapshot
from ..pipeline.engine import SEGMENT_MAX_SENTENCES, Engine
from ..pipeline.ranking import CANDIDATES
from ..semantic import background
from ..sources.catalog import Catalog, mirror
from ..sources.documents import SourceError, list_folders
from ..sources.library import DataFolder, Library, valid_id

log = logging.getLogger(__name__)
# Up to this many sentences the timeline is built with the engine at start (about 2 s per 100,000
# news sentences); above it, and after a change of the sources (an added article waits for no
# timeline), at the first request for it.
TIMELINE_WARM_MAX = 200_000
# A look at the folders (every QA_WATCH_SECONDS) stats every file: 0.3 s at 40,000 files, which
# held the request that made it (and, in a gevent worker, every other). From this many sources on
# the listing runs in an OS thread and the first request after it acts on it; below, in the
# request (about 7 ms at 1,000), which then already answers from what it found.
LIST_ASIDE_FROM = 1000
T = TypeVar("T")
EXTENSION = "qa.sources"
LIBRARY = "qa.library"


class Sources:
    """The current engine of the folders, rebuilt when they change."""

    def __init__(self, config, engine: Engine | None = None):
        """`engine`: a ready one (tests), served as it is: no folder is watched."""
        self.config = config
        self.fixed = engine is not None
        data_dir = config.get("QA_DATA_DIR") or ""
        self.data = DataFolder(data_dir) if data_dir and not self.fixed else None
        if self.data is not None:
            try:
                self.data.path.mkdir(parents=True, exist_ok=True)
                with self.data.locked():
                    self.data.clean()
            except OSError as exc:  # a read-only file system: serve the sources, accept no additions
                log.warning("data folder %s cannot be made (%s): adding sources is off", data_dir, exc)
                self.data = None
        self.folders = [config["QA_SOURCES"]] + ([str(self.data.path)] if self.data else [])
        self._locks_of: int | None = None  # the process the locks below were made in
        self.generation = self.data.generation() if self.data else 0
        self.checked = time.monotonic()
        self._shared_signature: tuple[int, int] | None = None  # of the catalog, when last copied
        self._aside = None  # (engine followed from, started, its poll): an engine being made in a thread
        self._listing = None  # (engine served, its poll): the folders being listed in a thread
        self.engine = engine if engine is not None else self.build(initial=True)

    def _locks(self) -> tuple[threading.Lock, threading.Lock]:
        """(rebuild, write) locks of this process, made in it: a lock made before
        gunicorn forks its gevent workers is an OS lock, and a greenlet that
        waits on it while another holds it (and yields, joining a thread)
        stops the worker until it is killed (measured: WORKER TIMEOUT)."""
        if self._locks_of != os.getpid():
            self._rebuild_lock, self._write_lock = threading.Lock(), threading.Lock()
            self._locks_of = os.getpid()
        return self._rebuild_lock, self._write_lock

    @contextlib.contextmanager
    def writing(self):
        """One change at a time: in this process, then across processes."""
        with self._locks()[1], self.data.locked():
            yield

    def build(self, initial: bool = False, changed: Sequence[Path] | None = None,
              follow: bool = False) -> Engine:
        """The engine of the folders. After the start, from the engine served: `changed`, the
        files a change through the Library wrote or removed (only they are read, into the
        segment saved beside the index); `follow`, what another process saved (its segment, or
        the index it merged). Otherwise, or without a saved index to follow, the folders are
        listed and what differs from the engine served is read."""
        config = self.config
        served = None if initial else self.engine
        # (with a search cluster, the folders: it is brought up to date as the engine is made)
        segments = served is not None and not config["QA_SEARCH_URL"]
        if segments and changed is not None and (config["QA_INDEX"] or self.generation == self._generation()):
            return served.with_changes(changed)
        if segments and follow and config["QA_INDEX"]:
            return served.followed()
        # After the start, a change is built in the worker that serves: from the engine it
        # serves (only the changed files read), in this process (a pool would hang a gevent
        # worker), and with the vectors of many sentences left to the background encoder.
        # With a search cluster, it is brought to these sources (in place for an added article),
        # then answers.
        backend = functools.partial(cluster.connect_index, settings=search_settings(config),
                                    candidates=CANDIDATES) if config["QA_SEARCH_URL"] else None
        engine = Engine.from_folder(self.folders, config["QA_DICT_DIR"] or None,
                                    semantic=config["QA_SEMANTIC"], index_path=config["QA_INDEX"] or None,
                                    max_source_bytes=config["QA_MAX_SOURCE_BYTES"],
                                    background_vectors=config["QA_BACKGROUND_VECTORS"],
                                    background_save=initial and config["QA_BACKGROUND_VECTORS"],
                                    base=None if served is None else served.origin,
                                    base_segment=None if served is None else served.segment,
                                    ingest_workers=None if initial else 1, index_backend=backend,
                                    static_above=config["QA_STATIC_VECTORS_ABOVE"],
                                    segment_max=config["QA_SEGMENT_MAX_SENTENCES"] or SEGMENT_MAX_SENTENCES)
        if config["QA_SEMANTIC_SEARCH_MAX"] is not None:
            engine.semantic_search_max = config["QA_SEMANTIC_SEARCH_MAX"]
        if initial and len(engine.sentences) <= TIMELINE_WARM_MAX:
            engine.timeline  # noqa: B018  built now, before gunicorn forks, not on a first request
        return engine

    def _generation(self) -> int:
        return self.data.generation() if self.data else 0

    def current(self) -> Engine:
        """The engine to answer with: the newest, if the sources changed. While
        another request of this process rebuilds, the one before (it is whole)."""
        if self.fixed or self._locks()[0].locked():
            return self.engine
        if self._aside is not None:
            self._switch_aside()
        if self._listing is not None:
            self._listed_aside()
        if self.data is not None and self.data.generation() != self.generation:
            self.reload("the data folder's generation changed", announced=True)
        elif time.monotonic() - self.checked >= self.config["QA_WATCH_SECONDS"] and \
                not (self.data is not None and self.data.busy()):
            # (while a writer works, its file may be listed already: it announces the change when
            # its index is saved, which this process then loads instead of building its own)
            self.checked = time.monotonic()
            if self._copy_shared():
                return self.reload("another replica added or deleted an article", announced=True)
            if self._aside is None and self.engine.outdated():
                # (a change is announced: this is the segment merged into the index)
                self._follow_aside()
            if self.engine.folder_digest is not None and self._listing is None:
                if len(self.engine.documents) < LIST_ASIDE_FROM:
                    self._act_on_listing(self.engine, self._listed_digest())
                else:
                    self._listing = (self.engine, _in_a_thread(self._listed_digest))
        return self.engine

    def _listed_aside(self) -> None:
        """Act on the listing made in a thread, once it is done."""
        served, poll = self._listing
        try:
            digest = poll()
        except Exception:  # (the next look lists again)
            log.exception("could not list the sources")
            self._listing = None
            return
        if digest is not None:
            self._listing = None
            self._act_on_listing(served, digest)

    def _act_on_listing(self, served: Engine, digest: str | None) -> None:
        """Read what changed in the folders, when their listing differs from what `served` read
        (and `served` is still the engine: one made meanwhile read the folders itself)."""
        if served is self.engine and digest != served.folder_digest:
            self._share_dropped()
            self.reload("a file in the folders changed")

    def _follow_aside(self) -> None:
        """Start following what another process saved (the index its segment was merged into:
        loading it takes seconds at a million sentences) in an OS thread, while this one goes on
        answering with the engine it has; the next request after it is done switches."""
        served = self.engine
        started = time.perf_counter()
        self._aside = (served, started, _in_a_thread(served.followed))

    def _switch_aside(self) -> None:
        served, started, poll = self._aside
        try:
            engine = poll()
        except Exception:  # (it is retried by the next look)
            log.exception("could not follow the saved index")
            self._aside = None
            return
        if engine is None:
            return
        self._aside = None
        with self._locks()[0]:
            if self.engine is not served:  # (a change came meanwhile, and was followed)
                return
            self.engine = engine
            _release_freed_memory()
        log.info("sources reloaded (the saved changes were merged into the index): %d sources, %d sentences "
                 "in %.2f s, aside", len(engine.documents), len(engine.sentences),
                 time.perf_counter() - started)

    def _listed_digest(self) -> str | None:
        try:
            files, _ = list_folders(self.folders)
        except SourceError as exc:  # a folder was removed: keep serving what was read
            log.warning("cannot list the sources: %s", exc)
            return self.engine.folder_digest
        config = self.config
        return snapshot.folder_fingerprint(files, config["QA_SEMANTIC"], config["QA_MAX_SOURCE_BYTES"])

    def reload(self, why: str, announced: bool = False, announce: bool = False,
               changed: Sequence[Path] | None = None, follow: bool = False) -> Engine:
        """Build the engine of the folders aside and switch to it. `announced`:
        for a bumped generation, which another request of this process may have
        followed already while this one waited (what the other process saved is
        followed). `announce`: after a write to the data folder (inside its lock),
        tell the other workers by bumping the generation once this process
        serves the change. `changed`: the files that write changed (only they
        are read); `follow`: take what another process saved (build)."""
        with self._locks()[0]:  # one rebuild per process at a time (meanwhile current() serves the old one)
            generation = self._generation()
            if announced and generation == self.generation:
                return self.engine
            started = time.perf_counter()
            # aside: requests go on with the old engine until the switch
            engine = self.build(changed=changed, follow=follow or announced)
            if announce:
                self.data.bump()
                generation = self.data.generation()
            self.engine, self.generation = engine, generation
            _release_freed_memory()
            self.checked = time.monotonic()
            log.info("sources reloaded (%s): %d sources, %d sentences in %.2f s", why, len(engine.documents),
                     len(engine.sentences), time.perf_counter() - started)
            return engine

    def _catalog(self) -> Catalog | None:
        index = self.engine.index
        return index.catalog if isinstance(index, cluster.ClusterIndex) and self.data is not None else None

    def share(self, source_id: str) -> None:
        """With a search cluster: tell the other replicas what the data folder
        now holds for `source_id` (call inside `writing`, before reload(), whose
        sync then writes its sentences)."""
        catalog = self._catalog()
        if catalog is not None:
            held = self.data.file(source_id)
            catalog.publish(source_id, held.read_text(encoding="utf-8") if held.is_file() else None)

    def _share_dropped(self) -> None:
        """With a search cluster: an article put into the data folder by hand
        (or by `python -m qa add --data-dir`) is shared as one added through
        the API is. (What was just copied from the catalog equals it already.)"""
        catalog = self._catalog()
        if catalog is None:
            return
        try:
            shared = catalog.listing()
            for path in sorted(self.data.path.glob("*.txt")):
                text = path.read_text(encoding="utf-8", errors="replace")
                if valid_id(path.stem) and shared.get(path.stem) != text:
                    catalog.publish(path.stem, text)
        except (cluster.SearchUnavailable, OSError) as exc:
            log.warning("cannot share the articles put into %s: %s", self.data.path, exc)

    def _copy_shared(self) -> bool:
        """With a search cluster: copy what other replicas added or deleted into
        the data folder (and announce it); whether anything changed."""
        catalog = self._catalog()
        if catalog is None:
            return False
        try:
            signature = catalog.signature()
            if signature == self._shared_signature:
                return False
            with self.data.locked():
                changed = mirror(catalog.listing(), self.data)
                if changed:
                    self.data.bump()
            self._shared_signature = signature
        except cluster.SearchUnavailable as exc:  # questions say so; the sources stay as they are
            log.warning("cannot read the shared articles: %s", exc)
            return False
        if changed:
            log.info("copied %d added or deleted articles from the search cluster", changed)
        return bool(changed)


def _in_a_thread(work: Callable[[], T]) -> Callable[[], T | None]:
    """Run `work` in an OS thread (in a gevent worker, one of gevent's pool of real threads: a
    greenlet would hold the worker all along); its poll: the result once done, else None (or the
    exception it raised)."""
    monkey = sys.modules.get("gevent.monkey")
    if monkey is not None and monkey.is_module_patched("threading"):
        import gevent

        result = gevent.get_hub().threadpool.spawn(work)
        return lambda: result.get() if result.ready() else None
    outcome: list = []

    def run() -> None:
        try:
            outcome.append((work(), None))
        except Exception as exc:
            outcome.append((None, exc))

    threading.Thread(target=run, daemon=True).start()

    def poll() -> T | None:
        if not outcome:
            return None
        result, error = outcome[0]
        if error is not None:
            raise error
        return result

    return poll


def search_settings(config) -> cluster.ClusterSettings:
    return cluster.ClusterSettings.from_url(
        config["QA_SEARCH_URL"], index=config["QA_SEARCH_INDEX"], shards=config["QA_SEARCH_SHARDS"],
        replicas=config["QA_SEARCH_REPLICAS"], timeout=config["QA_SEARCH_TIMEOUT"])


def _release_freed_memory() -> None:
    """Collect what replaced engines left in reference cycles and give the heap
    back to the system (glibc keeps it otherwise): without this, 200 add/delete
    cycles grew a worker's PSS by 20-28 %. The objects of the start are frozen
    before gunicorn forks (gunicorn.conf.py), so a collection scans little."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to give back
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def init_app(app: Flask) -> None:
    sources = Sources(app.config, app.config.get("QA_ENGINE"))  # tests may hand one in
    app.extensions[EXTENSION] = sources
    app.extensions[LIBRARY] = Library(sources, app.config["QA_SOURCES"], app.config["QA_MAX_SOURCE_BYTES"])
    if app.config["QA_INDEX"] and app.config["QA_SEMANTIC"]:
        mark_requests_for_the_encoder(app, background.busy_file(app.config["QA_INDEX"]))


def mark_requests_for_the_encoder(app: Flask, marker) -> None:
    """Each request's start and end marked for the background encoder, which
    waits while the service answers (semantic/background.py)."""
    app.before_request(lambda: background.mark_busy(marker, under_way=True))
    app.teardown_request(lambda error: background.mark_busy(marker, under_way=False))


def get_sources() -> Sources:
    return current_app.extensions[EXTENSION]


def get_library() -> Library:
    return current_app.extensions[LIBRARY]


def get_engine() -> Engine:
    return get_sources().current()

