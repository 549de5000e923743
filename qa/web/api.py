"""The JSON API under /api: ask a question, list and read the sources."""
from __future__ import annotations

import logging

from flask import Blueprint, current_app, g, jsonify, request

from ..pipeline.engine import K_DEFAULT, K_MAX, K_MIN
from ..pipeline.question import read_question
from ..timeline.events import TimelineRequestError, event_json
from .errors import ApiError
from .hardening import ask_limit, limiter
from .openapi import validator
from .store import get_engine, get_library

log = logging.getLogger(__name__)
bp = Blueprint("api", __name__, url_prefix="/api")


def json_body() -> dict:
    if not request.is_json:
        raise ApiError("unsupported_media_type", "send the request body as application/json", 415)
    try:
        body = request.get_json(silent=True)
    except RecursionError:
        body = None
    if body is None:
        raise ApiError("invalid_json", "the request body is not valid JSON")
    return body


def validated_body(path: str, explain) -> dict:
    """The JSON object of the request, valid by `path`'s published schema; else
    the ApiError `explain` makes of the first error."""
    body = json_body()
    if not isinstance(body, dict):
        raise ApiError("invalid_request", "the request body must be a JSON object")
    error = next(iter(validator(path).iter_errors(body)), None)
    if error is not None:
        raise explain(error)
    return body


def check_text(value, where: str) -> None:
    # A lone surrogate cannot be encoded as UTF-8: refuse it up front.
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ApiError("invalid_text", f"{where} contains an invalid character (lone surrogate)") from None


def _explain(error) -> ApiError:
    where = "/".join(str(p) for p in error.absolute_path) or "body"
    field = str(error.absolute_path[0]) if error.absolute_path else None
    if error.validator == "required" and not error.absolute_path:
        return ApiError("missing_field", error.message)
    if field == "question" and error.validator == "maxLength":
        return ApiError("question_too_long",
                        f"question is longer than {error.validator_value} characters")
    if field == "question" and error.validator == "pattern":
        return ApiError("empty_question", "question is empty")
    if field == "k":
        return ApiError("invalid_k", f"k must be an integer from {K_MIN} to {K_MAX}")
    if field == "history":
        return ApiError("invalid_history", f"history is malformed at {where}: {error.message[:200]}")
    return ApiError("invalid_request", f"{where}: {error.message[:200]}")


@bp.post("/ask")
@limiter.limit(ask_limit)
def ask():
    body = validated_body("/api/ask", _explain)
    check_text(body["question"], "question")
    history = body.get("history", [])
    for i, turn in enumerate(history):
        check_text(turn["content"], f"history/{i}/content")
    debug = body.get("debug", False)
    if current_app.config["QA_LOG_QUESTIONS"]:
        # Off by default: questions can be personal.
        log.info("request %s asks %r (%d earlier turns)", g.get("request_id"), body["question"], len(history))
    result = get_engine().ask(body["question"], history, int(body.get("k", K_DEFAULT)))
    return jsonify(result.to_json(debug=debug))


@bp.get("/timeline")
def timeline():
    """The story's dated events in date order, optionally about a topic (?q=) and from one source."""
    engine = get_engine()
    topic = request.args.get("q")
    if topic is not None:
        check_text(topic, "q")
    try:
        events = engine.timeline.asked(topic, request.args.get("source"), lambda text: read_question(
            text, (), engine.analyzer, engine.translator, engine.neighbours))
    except TimelineRequestError as exc:
        raise ApiError(exc.code, exc.message, exc.status) from None
    return jsonify({"events": [event_json(engine.corpus, e) for e in events], "count": len(events)})


@bp.get("/sources")
def sources():
    return jsonify({"sources": [entry._asdict() for entry in get_library().list()]})


@bp.get("/sources/<source_id>")
def source(source_id: str):
    engine = get_engine()
    doc = engine.documents.get(source_id)
    if doc is None:
        raise ApiError("not_found", f"no source with id {source_id!r}", 404)
    return jsonify({
        "id": doc.id, "title": doc.title, "date": doc.date, "publisher": doc.publisher,
        "text": doc.text,
        "sentences": [{"sentence": s.index, "start": s.start, "end": s.end, "text": s.text}
                      for s in engine.corpus.sentences_of(doc.id)],
    })
