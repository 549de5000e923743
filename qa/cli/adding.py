"""`python -m qa add`: documents posted to POST /api/sources of a running
service over HTTP, or handed to the Library in this process (which writes
into the data folder, brings the saved index up to date and bumps the
folder's generation, so that a service serving that folder switches too).
Either way the Library's checks apply: one set of rules for every way in."""
from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple

from ..sources.extract import HTML, PDF, PLAIN

KINDS = {".txt": PLAIN, ".text": PLAIN, ".html": HTML, ".htm": HTML, ".pdf": PDF, ".json": "application/json"}


class Added(NamedTuple):
    file: str
    ok: bool
    id: str | None = None
    title: str | None = None
    sentences: int | None = None
    error: str | None = None


# (body, content type) -> (status, JSON response)
Poster = Callable[[bytes, str], tuple[int, dict]]


def _add(files: Sequence[Path], post: Poster) -> list[Added]:
    results = []
    for path in files:
        kind = KINDS.get(path.suffix.lower())
        if kind is None:
            results.append(Added(str(path), False, error=f"unknown kind of file; one of {', '.join(KINDS)}"))
            continue
        try:
            body = path.read_bytes()
        except OSError as exc:
            results.append(Added(str(path), False, error=str(exc)))
            continue
        status, answer = post(body, kind)
        if status in (200, 201):
            results.append(Added(str(path), True, answer["id"], answer["title"], answer["sentences"]))
        else:
            error = answer.get("error", {})
            why = f"{status} {error.get('code')}: {error.get('message')}"
            results.append(Added(str(path), False, error=why))
    return results


def add_to_service(files: Sequence[Path], url: str, token: str | None, timeout: float = 120.0) -> list[Added]:
    endpoint = url.rstrip("/") + "/api/sources"

    def post(body: bytes, kind: str) -> tuple[int, dict]:
        headers = {"Content-Type": kind, **({"Authorization": f"Bearer {token}"} if token else {})}
        request = urllib.request.Request(endpoint, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, json.load(response)
        except urllib.error.HTTPError as exc:
            try:
                return exc.code, json.load(exc)
            except ValueError:
                return exc.code, {"error": {"code": "http_error", "message": exc.reason}}
        except (urllib.error.URLError, OSError) as exc:
            return 0, {"error": {"code": "unreachable", "message": f"cannot reach {url}: {exc}"}}

    return _add(files, post)


def add_to_folder(files: Sequence[Path], data_dir: str | Path, sources: str | Path,
                  index: str | Path | None) -> list[Added]:
    from .. import configuration
    from ..index.cluster import SearchUnavailable
    from ..sources.library import Library, LibraryError
    from ..web.store import Sources

    config = configuration({"QA_SOURCES": str(sources), "QA_DATA_DIR": str(data_dir),
                            "QA_INDEX": str(index or ""), "QA_BACKGROUND_VECTORS": False})
    library = Library(Sources(config), config["QA_SOURCES"], config["QA_MAX_SOURCE_BYTES"])

    def post(body: bytes, kind: str) -> tuple[int, dict]:
        try:
            entry, created = library.add(library.read(kind, body))
        except LibraryError as exc:
            return exc.status, {"error": {"code": exc.code, "message": exc.message}}
        except SearchUnavailable as exc:  # (as the API answers it)
            return 503, {"error": {"code": "search_unavailable", "message": f"{exc}; try again shortly"}}
        return 201 if created else 200, entry._asdict()

    return _add(files, post)
