"""OpenAI-compatible routes under /v1, for the chat front ends and SDKs that
speak Chat Completions: GET /v1/models, GET /v1/models/<id> and POST
/v1/chat/completions (with "stream": true, server-sent events). The answer
is the engine's, as on /api/ask; qa.completions gives it OpenAI's shape."""
from __future__ import annotations

import json
import logging
import time

from flask import Blueprint, Response, current_app, g, jsonify, request, url_for

from . import completions
from .api import check_text, validated_body
from .errors import ApiError
from .hardening import ask_limit, limiter
from .store import get_engine

log = logging.getLogger(__name__)
bp = Blueprint("v1", __name__, url_prefix="/v1")
# When the service started: the `created` of its one model.
STARTED = int(time.time())


@bp.before_request
def allow_long_conversations():
    # A chat front end sends the whole conversation every time: more than /api/ask's body limit.
    request.max_content_length = current_app.config["QA_MAX_CHAT_BODY_BYTES"]


def _model() -> dict:
    return {"id": current_app.config["QA_MODEL"], "object": "model", "created": STARTED, "owned_by": "qa"}


@bp.get("/models")
def models():
    return jsonify({"object": "list", "data": [_model()]})


@bp.get("/models/<path:model>")
def model(model: str):
    if model != current_app.config["QA_MODEL"]:
        raise _unknown_model(model)
    return jsonify(_model())


def _unknown_model(model: str) -> ApiError:
    return ApiError("model_not_found", f"The model {model[:100]!r} does not exist; GET /v1/models lists "
                    f"the one there is ({current_app.config['QA_MODEL']!r}).", 404, param="model")


def _explain(error) -> ApiError:
    where = ".".join(str(p) for p in error.absolute_path) or None
    return ApiError("invalid_request", f"{where or 'body'}: {error.message[:200]}", param=where)


def sentence_url(source_id: str, start: int, end: int) -> str:
    """Opens the chat page on the source with the sentence marked."""
    return url_for("ui.source_page", source_id=source_id, _anchor=f"{start}-{end}", _external=True)


@bp.post("/chat/completions")
@limiter.limit(ask_limit)
def chat_completions():
    body = validated_body("/v1/chat/completions", _explain)
    if body["model"] != current_app.config["QA_MODEL"]:
        raise _unknown_model(body["model"])
    config = current_app.config
    try:
        asked = completions.conversation(body["messages"], config["QA_MAX_HISTORY_TURNS"],
                                         config["QA_MAX_TURN_CHARS"])
    except completions.ConversationError as exc:
        raise ApiError("invalid_messages", str(exc), param="messages") from None
    if len(asked.question) > config["QA_MAX_QUESTION_CHARS"]:
        raise ApiError("question_too_long", f"the question is longer than {config['QA_MAX_QUESTION_CHARS']} "
                       "characters", param="messages")
    check_text(asked.question, "the question")
    for turn in asked.history:
        check_text(turn["content"], "messages")
    if config["QA_LOG_QUESTIONS"]:
        log.info("request %s asks %r (%d earlier turns)", g.get("request_id"), asked.question,
                 len(asked.history))
    # Answered before any byte is sent: an error here is still an ordinary JSON error.
    result = get_engine().ask(asked.question, asked.history, int(body.get("k", completions.CHAT_K_DEFAULT)))
    messages, name = body["messages"], body["model"]
    if not body.get("stream"):
        return jsonify(completions.completion(result, name, messages, sentence_url))
    include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
    events = [f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n"
              for chunk in completions.chunks(result, name, messages, sentence_url, include_usage)]

    def stream():
        yield from events
        yield "data: [DONE]\n\n"

    return Response(stream(), mimetype="text/event-stream",
                    headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
