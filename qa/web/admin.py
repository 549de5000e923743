"""Changing the sources while the service runs: POST /api/sources adds an
article, PUT /api/sources/<id> adds or replaces one, DELETE removes one.

Only with QA_ADMIN_TOKEN set (else 403: the API is read-only) and with
"Authorization: Bearer <token>" (else 401). An article comes as JSON
({"id"?, "title", "date"?, "publisher"?, "text"}) or as the document itself
(text/plain, text/html, application/pdf; metadata from the document or the
query string). It is written into the data folder (QA_DATA_DIR) and every
worker answers from the new set on its next request (store.Sources)."""

from __future__ import annotations

import contextlib
import errno
import logging
import re
from collections.abc import Iterator
from pathlib import Path

from flask import Blueprint, current_app, jsonify, request

from ..index.cluster import SearchUnavailable
from ..sources import extract
from ..sources.documents import parse_document
from ..sources.library import Article, content_hash, render, slug, valid_id
from .errors import ApiError
from .hardening import key_matches
from .openapi import validator
from .store import get_sources

log = logging.getLogger(__name__)
bp = Blueprint("admin", __name__, url_prefix="/api")
FULL = {errno.ENOSPC, errno.EDQUOT}
DATE = re.compile(r"^\d{4}-\d{2}(-\d{2})?$")
ID_RULE = "an id is 1-80 lower-case letters, digits, '-' or '_', not starting with '-' or '_'"


@bp.before_request
def require_admin_token():
    token = current_app.config["QA_ADMIN_TOKEN"]
    if not token:
        raise ApiError(
            "read_only", "this service's sources cannot be changed: QA_ADMIN_TOKEN is not set", 403
        )
    if not key_matches(request.headers.get("Authorization", ""), token):
        raise ApiError("invalid_admin_token", "send the admin token as 'Authorization: Bearer <token>'", 401)
    if get_sources().data is None:
        raise ApiError("read_only", "this service has no writable data folder (QA_DATA_DIR)", 403)
    # An article may be larger than a question: up to the size of a source file.
    request.max_content_length = current_app.config["QA_MAX_SOURCE_BYTES"]


def _media_type() -> str:
    return (request.mimetype or "").lower()


def _article(source_id: str | None) -> Article:
    """The article in the request, whichever way it came."""
    kind = _media_type()
    query = request.args
    if "date" in query and not DATE.match(query["date"]):
        raise ApiError("invalid_date", "date must be YYYY-MM-DD or YYYY-MM")
    if "id" in query and not valid_id(query["id"]):
        raise ApiError("invalid_id", ID_RULE)
    if kind == "application/json":
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise ApiError("invalid_json", "the request body is not a JSON object")
        error = next(iter(validator("/api/sources").iter_errors(body)), None)
        if error is not None:
            where = "/".join(str(p) for p in error.absolute_path) or "body"
            raise ApiError("invalid_request", f"{where}: {error.message[:200]}")
        fields, text = body, extract.Extracted(extract.paragraphs(body["text"]), None, None)
    elif kind in extract.CONTENT_TYPES:
        fields = request.args
        try:
            text = extract.extract(request.get_data(), kind)
        except extract.ExtractionError as exc:
            raise ApiError("unreadable_document", str(exc), 422) from None
    else:
        raise ApiError(
            "unsupported_media_type",
            "send the article as application/json, text/plain, text/html or application/pdf",
            415,
        )
    for value in (*fields.values(), text.text):
        if isinstance(value, str) and ("\x00" in value or _has_surrogate(value)):
            raise ApiError("invalid_text", "the article contains an invalid character")
    if not text.text.strip():
        raise ApiError("empty_article", "the article has no text", 422)
    title = (fields.get("title") or text.title or "").strip() or _first_line(text.text)
    date = fields.get("date") or text.date
    if date is not None and not DATE.match(str(date)):
        raise ApiError("invalid_date", "date must be YYYY-MM-DD or YYYY-MM")
    given = fields.get("id")
    chosen = source_id or given
    if chosen is not None and not valid_id(chosen):
        raise ApiError("invalid_id", ID_RULE)
    return Article(chosen or "", title, date, fields.get("publisher") or None, text.text)


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _first_line(text: str) -> str:
    return text.strip().split("\n", 1)[0][:200]


def _content_key(text: str, source_id: str) -> str:
    """What makes two articles the same: the words of their content (title and
    paragraphs, without the date line or page furniture)."""
    doc = parse_document(source_id, text)
    return content_hash(" ".join(text[a:b] for a, b in doc.content))


def _duplicate_of(engine, text: str, source_id: str) -> str | None:
    key = _content_key(text, source_id)
    for doc in engine.documents.values():
        if doc.id != source_id and content_hash(" ".join(doc.text[a:b] for a, b in doc.content)) == key:
            return doc.id
    return None


def _read_only(source_id: str) -> bool:
    return (Path(current_app.config["QA_SOURCES"]) / f"{source_id}.txt").exists()


def _described(engine, source_id: str, status: int, **extra):
    doc = engine.documents[source_id]
    body = {
        "id": doc.id,
        "title": doc.title,
        "date": doc.date,
        "publisher": doc.publisher,
        "sentences": len(engine.corpus.sentences_of(doc.id)),
        **extra,
    }
    response = jsonify(body)
    response.status_code = status
    return response


@contextlib.contextmanager
def _storage_errors(undo=None) -> Iterator[None]:
    """A data folder that cannot be written (full, read-only, gone) answers
    507 or 503 with what happened, never a 500; `undo` puts back what was
    written before the failure, so that nothing half-done stays."""
    try:
        yield
    except OSError as exc:
        log.warning("the data folder cannot be written: %s", exc)
        if undo is not None:
            try:
                undo()
            except OSError as again:
                log.error("could not put back the data folder as it was: %s", again)
        if exc.errno in FULL:
            raise ApiError("insufficient_storage", "the data folder is full: the change was not made", 507) \
                from None
        raise ApiError("data_folder_unwritable",
                       f"the data folder cannot be written ({exc.strerror or exc}): the change was not made",
                       503) from None


def _store(article: Article, replace: bool):
    sources = get_sources()
    data = sources.data
    with _storage_errors(), sources.writing():  # one writer at a time, in every process
        engine = sources.engine
        if not article.id:
            base = slug(article.title)
            article = article._replace(id=base)
            n = 2
            while article.id in engine.documents or data.holds(article.id):
                article, n = article._replace(id=f"{base}-{n}"), n + 1
        if _read_only(article.id):
            raise ApiError(
                "read_only_source", f"{article.id!r} is in the read-only sources folder; change it there", 409
            )
        exists = data.holds(article.id)
        if exists and not replace:
            raise ApiError(
                "exists",
                f"a source with id {article.id!r} exists; PUT /api/sources/{article.id} replaces it",
                409,
            )
        text = render(article)
        duplicate = _duplicate_of(engine, text, article.id)
        if duplicate is not None:
            raise ApiError("duplicate", f"the same text is already source {duplicate!r}", 409)
        previous = data.file(article.id).read_text(encoding="utf-8") if exists else None
        data.write(article.id, text)  # whole or not at all: a failure here changed nothing
        with _storage_errors(undo=lambda: _put_back(data, article.id, previous)):
            try:
                sources.share(article.id)
            except SearchUnavailable:  # not shared, so not kept: the client is told to try again
                _put_back(data, article.id, previous)
                raise
            engine = sources.switch()
        if article.id not in engine.documents:  # written but refused on reading: put back what was there
            reason = next(
                (s["reason"] for s in engine.skipped if s["file"].endswith(f"/{article.id}.txt")), ""
            )
            _put_back(data, article.id, previous)
            # (the 422 is the answer; a cluster lost just now leaves the other replicas a text they skip)
            with contextlib.suppress(SearchUnavailable):
                sources.share(article.id)
            sources.switch()
            raise ApiError("not_indexed", f"the article cannot be indexed: {reason}", 422)
    return _described(engine, article.id, 200 if exists else 201)


def _put_back(data, source_id: str, previous: str | None) -> None:
    if previous is None:
        data.remove(source_id)
    else:
        data.write(source_id, previous)


@bp.post("/sources")
def add_source():
    return _store(_article(None), replace=False)


@bp.put("/sources/<source_id>")
def replace_source(source_id: str):
    if not valid_id(source_id):
        raise ApiError("invalid_id", f"{source_id[:100]!r} is not a valid id", 400)
    return _store(_article(source_id), replace=True)


@bp.delete("/sources/<source_id>")
def delete_source(source_id: str):
    sources = get_sources()
    data = sources.data
    with _storage_errors(), sources.writing():
        if not data.holds(source_id):
            if _read_only(source_id):
                raise ApiError(
                    "read_only_source",
                    f"{source_id!r} is in the read-only sources folder; remove it there",
                    409,
                )
            raise ApiError("not_found", f"no source with id {source_id[:100]!r}", 404)
        previous = data.file(source_id).read_text(encoding="utf-8")
        data.remove(source_id)
        with _storage_errors(undo=lambda: _put_back(data, source_id, previous)):
            try:
                sources.share(source_id)
            except SearchUnavailable:
                _put_back(data, source_id, previous)
                raise
            sources.switch()
    return jsonify({"id": source_id, "deleted": True})
