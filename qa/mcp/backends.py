"""What answers the tools: the engine in this process (LocalBackend) or a running service over its
HTTP API (RemoteBackend, `--url`). Both give the HTTP API's JSON (docs/api.md), so the tools read one
shape whichever answers, and neither changes a source."""
from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from typing import Protocol

from ..pipeline.engine import Engine
from ..pipeline.question import read_question
from ..timeline.events import TimelineRequestError, event_json


class BackendError(Exception):
    """A request the backend cannot meet (unknown source, bad topic, service unreachable): its
    error code, as the API names it, and a message for the assistant to read."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


class Backend(Protocol):
    def ask(self, question: str, history: Sequence[dict], k: int) -> dict:
        """The /api/ask response."""

    def sources(self) -> list[dict]:
        """The /api/sources entries: id, title, date, publisher, sentences."""

    def source(self, source_id: str) -> dict:
        """The /api/sources/<id> response (id, title, date, publisher, text); BackendError
        "not_found" for an unknown id."""

    def publishers(self, source_ids: Sequence[str]) -> dict[str, str | None]:
        """The publisher (outlet) of each source in `source_ids` that exists."""

    def timeline(self, topic: str | None, source_id: str | None) -> dict:
        """The /api/timeline response."""


class LocalBackend:
    """The engine in this process, built from the same sources, saved index and settings as the
    service's (python -m qa builds it as `ask` does)."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def ask(self, question: str, history: Sequence[dict], k: int) -> dict:
        return self.engine.ask(question, history, k).to_json()

    def sources(self) -> list[dict]:
        corpus = self.engine.corpus
        return [{"id": d.id, "title": d.title, "date": d.date, "publisher": d.publisher,
                 "sentences": len(corpus.sentences_of(d.id))} for d in self.engine.documents.values()]

    def source(self, source_id: str) -> dict:
        doc = self.engine.documents.get(source_id)
        if doc is None:
            raise BackendError("not_found", f"no source with id {source_id[:100]!r}")
        return {"id": doc.id, "title": doc.title, "date": doc.date, "publisher": doc.publisher,
                "text": doc.text}

    def publishers(self, source_ids: Sequence[str]) -> dict[str, str | None]:
        documents = self.engine.documents
        return {i: documents[i].publisher for i in source_ids if i in documents}

    def timeline(self, topic: str | None, source_id: str | None) -> dict:
        engine = self.engine
        try:
            events = engine.timeline.asked(topic, source_id, lambda text: read_question(
                text, (), engine.analyzer, engine.translator, engine.neighbours))
        except TimelineRequestError as exc:
            raise BackendError(exc.code, exc.message) from None
        return {"events": [event_json(engine.corpus, e) for e in events], "count": len(events)}


class RemoteBackend:
    """A running service (a remote deployment too), through its HTTP API."""

    def __init__(self, url: str, api_key: str | None = None, timeout: float = 30.0):
        if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
            raise ValueError(f"the service's URL must be http:// or https://, not {url!r}")
        self.url = url.rstrip("/")
        self.api_key = api_key
        self.timeout = timeout
        self._publishers: dict[str, str | None] = {}  # by source id: the listing, fetched when one is missing

    def ask(self, question: str, history: Sequence[dict], k: int) -> dict:
        return self._request("/api/ask", {"question": question, "history": list(history), "k": k})

    def sources(self) -> list[dict]:
        listed = self._request("/api/sources")["sources"]
        self._publishers = {s["id"]: s["publisher"] for s in listed}
        return listed

    def source(self, source_id: str) -> dict:
        return self._request("/api/sources/" + urllib.parse.quote(source_id, safe=""))

    def publishers(self, source_ids: Sequence[str]) -> dict[str, str | None]:
        if any(i not in self._publishers for i in source_ids):  # an article added since: list again
            self.sources()
        return {i: self._publishers[i] for i in source_ids if i in self._publishers}

    def timeline(self, topic: str | None, source_id: str | None) -> dict:
        query = {name: v for name, v in (("q", topic), ("source", source_id)) if v is not None}
        return self._request("/api/timeline" + ("?" + urllib.parse.urlencode(query) if query else ""))

    def _request(self, path: str, body: dict | None = None) -> dict:
        """GET `path`, or POST `body` as JSON; the service's error becomes a BackendError."""
        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, headers=headers,
                                         method="GET" if body is None else "POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.load(response)
        except urllib.error.HTTPError as exc:
            try:
                error = json.load(exc)["error"]
                code, message = error["code"], error["message"]
            except (ValueError, KeyError, TypeError):
                code, message = f"http_{exc.code}", str(exc.reason)
            raise BackendError(code, f"the service answered {exc.code}: {message}") from None
        except (urllib.error.URLError, OSError, ValueError) as exc:  # ValueError: not JSON
            reason = getattr(exc, "reason", exc)
            raise BackendError("unavailable", f"cannot use the service at {self.url}: {reason}") from None
