"""The API contract: one OpenAPI 3.1 document, served at /openapi.json. The
request schema the API validates with is read out of this document, so the
code and the published contract cannot drift apart."""
from __future__ import annotations

import copy

from flask import Blueprint, current_app, jsonify
from jsonschema import Draft202012Validator

from ..pipeline.engine import K_DEFAULT, K_MAX, K_MIN
from ..sources.library import ARTICLE_SCHEMA
from ..timeline.events import TOPIC_MAX_CHARS
from .completions import CHAT_K_DEFAULT

bp = Blueprint("openapi", __name__)

ERROR = {
    "type": "object", "required": ["error"], "additionalProperties": False,
    "properties": {"error": {
        "type": "object", "required": ["code", "message"], "additionalProperties": False,
        "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
    }},
}
CITED = {
    "type": "object", "required": ["source", "sentence", "start", "end"],
    "properties": {"source": {"type": "string"}, "sentence": {"type": "integer"},
                   "start": {"type": "integer"}, "end": {"type": "integer"}},
}
PASSAGE = {
    "type": "object",
    "required": ["source", "title", "date", "sentence", "text", "start", "end", "score", "sources"],
    "properties": {
        "source": {"type": "string"}, "title": {"type": "string"}, "date": {"type": ["string", "null"]},
        "sentence": {"type": "integer", "minimum": 0}, "text": {"type": "string"},
        "start": {"type": "integer", "minimum": 0}, "end": {"type": "integer", "minimum": 0},
        "score": {"type": "number", "minimum": 0, "maximum": 1,
                  "description": "the ranking model's probability that this sentence holds the answer"},
        "sources": {"type": "array", "items": {"$ref": "#/components/schemas/Cited"}, "minItems": 1},
        "debug": {"type": "object"},
    },
}
DISAGREEMENT = {
    "type": ["object", "null"], "required": ["kind", "values"],
    "description": "null when the sources agree; else each value the best passages give for what is "
                   "asked, once, with the passages (positions in `passages`) and sources that give it, the "
                   "value with the most and most recent support first (compatible values, such as 'begin "
                   "2021' and 'februari 2021', are one; values about different events are none)",
    "properties": {"kind": {"enum": ["date", "amount", "name"]},
                   "values": {"type": "array", "minItems": 2, "items": {
                       "type": "object", "required": ["value", "passages", "sources"],
                       "properties": {"value": {"type": "string"},
                                      "passages": {"type": "array",
                                                   "items": {"type": "integer", "minimum": 0}},
                                      "sources": {"type": "array", "items": {"type": "string"}}}}}},
}
EVENT_SENTENCE = {
    "type": "object",
    "required": ["source", "title", "publisher", "date", "sentence", "start", "end", "text"],
    "properties": {"source": {"type": "string"}, "title": {"type": "string"},
                   "publisher": {"type": ["string", "null"]}, "date": {"type": ["string", "null"]},
                   "sentence": {"type": "integer", "minimum": 0}, "start": {"type": "integer", "minimum": 0},
                   "end": {"type": "integer", "minimum": 0}, "text": {"type": "string"}},
}
EVENT = {
    "type": "object",
    "required": ["date", "precision", "first", "last", "sentences", "sources", "disputed"],
    "properties": {
        "date": {"type": "string",
                 "description": "2019, 2021-02, 2021-07-05, or a season: 2021-early, -mid, -late"},
        "precision": {"enum": ["day", "month", "season", "year"]},
        "first": {"type": "string", "format": "date"}, "last": {"type": "string", "format": "date"},
        "sentences": {"type": "array", "minItems": 1, "items": EVENT_SENTENCE,
                      "description": "the sentences that report it, in every outlet, the one that dates "
                                     "it first"},
        "sources": {"type": "array", "items": {"type": "string"}},
        "disputed": {"type": "array",
                     "description": "other dates other outlets give the same event (the event's date is "
                                    "the one most outlets, then the most recent, give)",
                     "items": {"type": "object", "required": ["date", "precision", "sources"], "properties": {
                         "date": {"type": "string"},
                         "precision": {"enum": ["day", "month", "season", "year"]},
                         "sources": {"type": "array", "items": {"type": "string"}}}}},
    },
}
TIMELINE = {"type": "object", "required": ["events", "count"],
            "properties": {"events": {"type": "array", "items": EVENT}, "count": {"type": "integer"}}}
ANSWER = {
    "type": "object", "required": ["answer", "confidence", "passages", "disagreement"],
    "properties": {
        "answer": {"type": ["string", "null"],
                   "description": "short answer (a date, number, name or place), else the best cited "
                                  "sentence; null when the sources do not say"},
        "confidence": {"type": "number", "minimum": 0, "maximum": 1,
                       "description": "the probability that the answer is right (the best passage answers "
                                      "the question and the short answer, if any, is right), fitted and "
                                      "measured on cross-validation"},
        "passages": {"type": "array", "items": {"$ref": "#/components/schemas/Passage"}},
        "disagreement": DISAGREEMENT,
        "debug": {"type": "object"},
    },
}
_SOURCE_FIELDS = {"id": {"type": "string"}, "title": {"type": "string"},
                  "date": {"type": ["string", "null"]}, "publisher": {"type": ["string", "null"]}}
SOURCE = {
    "type": "object", "required": ["id", "title", "date", "publisher", "sentences"],
    "properties": {**_SOURCE_FIELDS, "sentences": {"type": "integer", "description": "how many"}},
}
SOURCE_TEXT = {
    "type": "object", "required": ["id", "title", "date", "publisher", "text", "sentences"],
    "properties": {**_SOURCE_FIELDS, "text": {"type": "string"}, "sentences": {"type": "array", "items": {
        "type": "object", "required": ["sentence", "start", "end", "text"],
        "properties": {"sentence": {"type": "integer"}, "start": {"type": "integer"},
                       "end": {"type": "integer"}, "text": {"type": "string"}}}}},
}


OPENAI_ERROR = {
    "type": "object", "required": ["error"],
    "properties": {"error": {
        "type": "object", "required": ["message", "type", "code"],
        "properties": {"message": {"type": "string"}, "type": {"type": "string"},
                       "param": {"type": ["string", "null"]}, "code": {"type": ["string", "null"]}},
    }},
}
MODEL = {"type": "object", "required": ["id", "object", "created", "owned_by"],
         "properties": {"id": {"type": "string"}, "object": {"const": "model"},
                        "created": {"type": "integer"}, "owned_by": {"type": "string"}}}
MODEL_LIST = {"type": "object", "required": ["object", "data"],
              "properties": {"object": {"const": "list"},
                             "data": {"type": "array", "items": {"$ref": "#/components/schemas/Model"}}}}
URL_CITATION = {
    "type": "object", "required": ["type", "url_citation"],
    "properties": {"type": {"const": "url_citation"}, "url_citation": {
        "type": "object", "required": ["url", "title", "start_index", "end_index"],
        "properties": {"url": {"type": "string", "description": "opens the cited sentence in this service"},
                       "title": {"type": "string"},
                       "start_index": {"type": "integer", "minimum": 0,
                                       "description": "where the marker ([1]) starts in content"},
                       "end_index": {"type": "integer", "minimum": 0}}}},
}
CHAT_COMPLETION = {
    "type": "object", "required": ["id", "object", "created", "model", "choices", "usage", "qa"],
    "properties": {
        "id": {"type": "string"}, "object": {"const": "chat.completion"}, "created": {"type": "integer"},
        "model": {"type": "string"},
        "choices": {"type": "array", "minItems": 1, "maxItems": 1, "items": {
            "type": "object", "required": ["index", "message", "finish_reason"],
            "properties": {"index": {"type": "integer"}, "finish_reason": {"const": "stop"},
                           "message": {"type": "object", "required": ["role", "content", "annotations"],
                                       "properties": {"role": {"const": "assistant"},
                                                      "content": {"type": "string"},
                                                      "annotations": {"type": "array",
                                                                      "items": URL_CITATION}}}}}},
        "usage": {"type": "object", "required": ["prompt_tokens", "completion_tokens", "total_tokens"],
                  "description": "words, not tokens: the service has no model tokenizer",
                  "properties": {k: {"type": "integer", "minimum": 0}
                                 for k in ("prompt_tokens", "completion_tokens", "total_tokens")}},
        "qa": {"$ref": "#/components/schemas/Answer",
               "description": "extension: the /api/ask response, passages with their offsets"},
    },
}


def ask_request_schema(config) -> dict:
    """JSON Schema of the /api/ask request body, with the configured limits."""
    text = {"type": "string", "pattern": r"\S"}
    return {
        "type": "object",
        "required": ["question"],
        "additionalProperties": False,
        "properties": {
            "question": {**text, "maxLength": config["QA_MAX_QUESTION_CHARS"]},
            "history": {
                "type": "array",
                "maxItems": config["QA_MAX_HISTORY_TURNS"],
                "description": "earlier turns, oldest first; the server keeps no conversation state",
                "items": {
                    "type": "object",
                    "required": ["role", "content"],
                    "additionalProperties": False,
                    "properties": {
                        "role": {"enum": ["user", "assistant"]},
                        "content": {"type": "string", "maxLength": config["QA_MAX_TURN_CHARS"]},
                    },
                },
            },
            "k": {"type": "integer", "minimum": K_MIN, "maximum": K_MAX, "default": K_DEFAULT},
            "debug": {"type": "boolean", "default": False},
        },
    }


_NO_NUL = r"^[^\x00]*$"


def source_request_schema() -> dict:
    """JSON Schema of an article sent as JSON to POST /api/sources or PUT /api/sources/{id}
    (the Library's, which checks it)."""
    return copy.deepcopy(ARTICLE_SCHEMA)


_ID = {"type": "string", "pattern": "^[a-z0-9][a-z0-9_-]{0,79}$"}
_DATE = {"type": "string", "pattern": r"^\d{4}-\d{2}(-\d{2})?$"}
_TEXT = {"type": "string", "pattern": _NO_NUL}
SOURCE_QUERY = [{"name": name, "in": "query", "required": False, "schema": schema,
                 "description": "for a document sent as itself: " + what}
                for name, schema, what in (("id", _ID, "the id (default: from the title)"),
                                           ("title", _TEXT, "the title (default: its own)"),
                                           ("date", _DATE, "YYYY-MM-DD (default: the document's)"),
                                           ("publisher", _TEXT, "who published it"))]
SOURCE_BODY = {"required": True, "content": {
    "application/json": {"schema": source_request_schema()},
    "text/plain": {"schema": {"type": "string"}},
    "text/html": {"schema": {"type": "string"}},
    "application/pdf": {"schema": {"type": "string", "format": "binary"}},
}}
STORED = {"type": "object", "required": ["id", "title", "date", "publisher", "sentences"],
          "properties": {**{k: v for k, v in {"id": {"type": "string"}, "title": {"type": "string"},
                                              "date": {"type": ["string", "null"]},
                                              "publisher": {"type": ["string", "null"]}}.items()},
                         "sentences": {"type": "integer", "description": "how many were indexed"}}}
ADMIN = [{"bearerAuth": []}]


def chat_request_schema(config) -> dict:
    """JSON Schema of the /v1/chat/completions request body. Other OpenAI
    parameters (temperature, max_tokens, ...) are accepted and change nothing:
    the answer is chosen from the sources, not sampled."""
    part = {"type": "object", "required": ["type"], "properties": {"type": {"type": "string"},
                                                                   "text": {"type": "string"}}}
    return {
        "type": "object",
        "required": ["model", "messages"],
        "properties": {
            "model": {"type": "string", "description": "one of GET /v1/models"},
            "messages": {
                "type": "array", "minItems": 1, "maxItems": config["QA_MAX_CHAT_MESSAGES"],
                "description": "the last is the user's question; the user and assistant messages before it "
                               "are the conversation (the latest QA_MAX_HISTORY_TURNS); system messages "
                               "are ignored",
                "items": {"type": "object", "required": ["role"], "properties": {
                    "role": {"enum": ["system", "developer", "user", "assistant", "tool", "function"]},
                    "content": {"anyOf": [{"type": "string"}, {"type": "null"},
                                          {"type": "array", "items": part}]},
                    "name": {"type": "string"}}},
            },
            "stream": {"type": ["boolean", "null"], "default": False},
            "stream_options": {"type": ["object", "null"],
                               "properties": {"include_usage": {"type": "boolean"}}},
            "n": {"enum": [1, None], "description": "one answer per request"},
            "k": {"type": "integer", "minimum": K_MIN, "maximum": K_MAX, "default": CHAT_K_DEFAULT,
                  "description": "extension: passages to cite"},
        },
    }


def _json(schema_ref: str, description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema_ref}"}}}}


_ERROR_TEXT = {400: "invalid request", 401: "missing or wrong API key (only with QA_API_KEY set)",
               403: "read-only: no QA_ADMIN_TOKEN or no data folder", 404: "not found",
               405: "method not allowed", 409: "the id exists, is read-only, or the text is a duplicate",
               413: "body too large", 415: "not JSON", 422: "no text could be read from the document",
               429: "rate limit exceeded", 500: "unexpected failure",
               503: "with QA_SEARCH_URL: the search cluster did not answer (Retry-After: when to try again); "
                    "for a change of the sources also: the data folder cannot be written",
               507: "the data folder is full: the change was not made"}


def _errors(*statuses: int, shape: str = "Error") -> dict:
    return {str(s): _json(shape, _ERROR_TEXT[s]) for s in statuses}


def _openai_errors(*statuses: int) -> dict:
    return _errors(*statuses, shape="OpenAIError")


def document(config) -> dict:
    return {
        "openapi": "3.1.0",
        "info": {"title": "Ask the sources", "version": "1.0.0",
                 "description": "Short, cited answers to questions about news sources (English or Dutch)."},
        "paths": {
            "/api/ask": {"post": {
                "operationId": "ask",
                "requestBody": {"required": True, "content": {
                    "application/json": {"schema": ask_request_schema(config)}}},
                "responses": {"200": _json("Answer", "the answer and the passages it rests on"),
                              **_errors(400, 401, 413, 415, 429, 500, 503)},
            }},
            "/v1/models": {"get": {
                "operationId": "listModels",
                "responses": {"200": {"description": "the models /v1/chat/completions answers as",
                                      "content": {"application/json": {"schema": MODEL_LIST}}},
                              **_openai_errors(401, 500)},
            }},
            "/v1/models/{model}": {"get": {
                "operationId": "getModel",
                "parameters": [{"name": "model", "in": "path", "required": True,
                                "schema": {"type": "string"}}],
                "responses": {"200": _json("Model", "the model"), **_openai_errors(401, 404, 500)},
            }},
            "/v1/chat/completions": {"post": {
                "operationId": "createChatCompletion",
                "description": "OpenAI-compatible chat. The answer is followed by a marker per cited passage "
                               "([1][2]) with a url_citation annotation each; usage counts words. With "
                               "stream, text/event-stream of chat.completion.chunk objects ending in "
                               "`data: [DONE]`, the annotations and `qa` arriving with the last chunk.",
                "requestBody": {"required": True, "content": {
                    "application/json": {"schema": chat_request_schema(config)}}},
                "responses": {"200": {"description": "the answer", "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/ChatCompletion"}},
                    "text/event-stream": {"schema": {"type": "string"}}}},
                    **_openai_errors(400, 401, 404, 413, 415, 429, 500, 503)},
            }},
            "/api/timeline": {"get": {
                "operationId": "timeline",
                "description": "The story's dated events across all sources, in date order; each event's "
                               "date comes from its sentences (relative ones read against the article's "
                               "date), and the outlets that report it are merged into it.",
                "parameters": [{"name": "q", "in": "query", "required": False,
                                "schema": {"type": "string", "minLength": 1, "maxLength": TOPIC_MAX_CHARS},
                                "description": "only the events told by sentences that match this topic or "
                                               "question"},
                               {"name": "source", "in": "query", "required": False,
                                "schema": {"type": "string"}, "description": "only this source's sentences"}],
                "responses": {"200": {"description": "the events", "content": {"application/json": {
                    "schema": TIMELINE}}}, **_errors(400, 404, 500)},
            }},
            "/api/sources": {"get": {
                "operationId": "listSources",
                "responses": {"200": {"description": "every indexed source", "content": {"application/json": {
                    "schema": {"type": "object", "required": ["sources"], "properties": {
                        "sources": {"type": "array", "items": {"$ref": "#/components/schemas/Source"}}}}}}},
                    **_errors(500)},
            }, "post": {
                "operationId": "addSource", "security": ADMIN, "parameters": SOURCE_QUERY,
                "description": "Add an article (needs QA_ADMIN_TOKEN); every worker answers from it next.",
                "requestBody": SOURCE_BODY,
                "responses": {"201": _json("Stored", "stored and indexed"),
                              **_errors(400, 401, 403, 409, 413, 415, 422, 500, 503, 507)},
            }},
            "/api/sources/{source_id}": {"get": {
                "operationId": "getSource",
                "parameters": [{"name": "source_id", "in": "path", "required": True,
                                "schema": {"type": "string"}}],
                "responses": {"200": _json("SourceText", "a source's text and its sentences with offsets"),
                              **_errors(404, 500)},
            }, "put": {
                "operationId": "putSource", "security": ADMIN,
                "parameters": [{"name": "source_id", "in": "path", "required": True, "schema": _ID},
                               *SOURCE_QUERY[1:]],
                "requestBody": SOURCE_BODY,
                "responses": {"200": _json("Stored", "replaced"), "201": _json("Stored", "added"),
                              **_errors(400, 401, 403, 409, 413, 415, 422, 500, 503, 507)},
            }, "delete": {
                "operationId": "deleteSource", "security": ADMIN,
                "parameters": [{"name": "source_id", "in": "path", "required": True, "schema": _ID}],
                "responses": {"200": {"description": "removed", "content": {"application/json": {"schema": {
                    "type": "object", "required": ["id", "deleted"],
                    "properties": {"id": {"type": "string"}, "deleted": {"const": True}}}}}},
                    **_errors(401, 403, 404, 409, 500, 503, 507)},
            }},
            "/healthz": {"get": {
                "operationId": "health",
                "responses": {"200": {"description": "the service is up", "content": {"application/json": {
                    "schema": HEALTH}}},
                              "503": {"description": "with QA_SEARCH_URL: the search cluster does not answer "
                                                     "(or is red), so questions would get a 503",
                                      "content": {"application/json": {"schema": HEALTH}}}},
            }},
        },
        "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
                       "schemas": {"Stored": STORED, "Error": ERROR, "Answer": ANSWER, "Passage": PASSAGE,
                                   "Cited": CITED, "Source": SOURCE, "SourceText": SOURCE_TEXT,
                                   "OpenAIError": OPENAI_ERROR, "Model": MODEL,
                                   "ChatCompletion": CHAT_COMPLETION}},
    }


# With the encoder on: how many sentences have their vector. A large archive's
# are made in the background while BM25 answers (done < total until then).
VECTOR_PROGRESS = {"type": "object", "required": ["done", "total"],
                   "properties": {"done": {"type": "integer", "minimum": 0},
                                  "total": {"type": "integer", "minimum": 0}}}


# With QA_SEARCH_URL: the cluster's health (cluster.ClusterIndex.health).
SEARCH_HEALTH = {"type": "object", "required": ["status", "index", "synced"],
                 "properties": {"status": {"enum": ["green", "yellow", "red", "unreachable"]},
                                "index": {"type": "string"}, "synced": {"type": "boolean"},
                                "nodes": {"type": "integer"}, "unassigned_shards": {"type": "integer"},
                                "error": {"type": "string"}}}
HEALTH = {"type": "object", "required": ["status", "sources", "sentences", "skipped"],
          "properties": {"status": {"enum": ["ok", "unavailable"]}, "sources": {"type": "integer"},
                         "sentences": {"type": "integer"}, "skipped": {"type": "integer"},
                         "worker": {"type": "integer", "description": "the process that answered"},
                         "vectors": VECTOR_PROGRESS, "search": SEARCH_HEALTH}}


def spec() -> dict:
    """The document for the running app's configuration (built once per app)."""
    built = current_app.extensions.get("qa.openapi")
    if built is None:
        built = current_app.extensions["qa.openapi"] = document(current_app.config)
    return built


def request_schema(path: str) -> dict:
    return spec()["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]


def ask_schema() -> dict:
    return request_schema("/api/ask")


def validator(path: str) -> Draft202012Validator:
    """The validator of `path`'s JSON request body, made once per app."""
    key = "qa.validator " + path
    found = current_app.extensions.get(key)
    if found is None:
        found = current_app.extensions[key] = Draft202012Validator(request_schema(path))
    return found


@bp.get("/openapi.json")
def openapi_json():
    return jsonify(spec())
