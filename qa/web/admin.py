"""Changing the sources while the service runs: POST /api/sources adds an
article, PUT /api/sources/<id> adds or replaces one, DELETE removes one.

Only with QA_ADMIN_TOKEN set (else 403: the API is read-only) and with
"Authorization: Bearer <token>" (else 401). An article comes as JSON
({"id"?, "title", "date"?, "publisher"?, "text"}) or as the document itself
(text/plain, text/html, application/pdf; metadata from the document or the
query string). A thin view: the checks, the naming and the writing are the
Library's (qa.sources.library), whose errors carry the code and status
answered here."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from flask import Blueprint, current_app, jsonify, request

from ..sources.library import LibraryError, valid_id
from .errors import ApiError
from .hardening import key_matches
from .store import get_library

bp = Blueprint("admin", __name__, url_prefix="/api")


@bp.before_request
def require_admin_token():
    token = current_app.config["QA_ADMIN_TOKEN"]
    if not token:
        raise ApiError(
            "read_only", "this service's sources cannot be changed: QA_ADMIN_TOKEN is not set", 403
        )
    if not key_matches(request.headers.get("Authorization", ""), token):
        raise ApiError("invalid_admin_token", "send the admin token as 'Authorization: Bearer <token>'", 401)
    if not get_library().writable:
        raise ApiError("read_only", "this service has no writable data folder (QA_DATA_DIR)", 403)
    # An article may be larger than a question: up to the size of a source file.
    request.max_content_length = current_app.config["QA_MAX_SOURCE_BYTES"]


@contextlib.contextmanager
def _answered() -> Iterator[None]:
    """The Library's refusal as the API's JSON error, with the same code and status."""
    try:
        yield
    except LibraryError as exc:
        raise ApiError(exc.code, exc.message, exc.status) from None


def _store(source_id: str | None, replace: bool):
    library = get_library()
    with _answered():
        article = library.read(request.mimetype or "", request.get_data, request.args, source_id)
        entry, created = library.add(article, replace=replace)
    response = jsonify(entry._asdict())
    response.status_code = 201 if created else 200
    return response


@bp.post("/sources")
def add_source():
    return _store(None, replace=False)


@bp.put("/sources/<source_id>")
def replace_source(source_id: str):
    if not valid_id(source_id):
        raise ApiError("invalid_id", f"{source_id[:100]!r} is not a valid id", 400)
    return _store(source_id, replace=True)


@bp.delete("/sources/<source_id>")
def delete_source(source_id: str):
    with _answered():
        get_library().delete(source_id)
    return jsonify({"id": source_id, "deleted": True})
