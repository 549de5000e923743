"""Conversational question answering over news sources.

The engine (qa.engine.Engine) is a library; create_app wraps it in a small
Flask app: a JSON API under /api, a chat page at /, and /healthz."""
from __future__ import annotations

import logging
import os

from flask import Flask

DEFAULTS = {
    "QA_SOURCES": "seeds",
    "QA_DATA_DIR": "var/sources",  # writable folder of articles added while running ("" = none)
    "QA_ADMIN_TOKEN": "",  # when set, POST/PUT/DELETE /api/sources need "Authorization: Bearer <token>"
    # A file dropped into a folder is noticed at the first request this many seconds after the last look
    # (a look is a stat of every file: for a folder of very many files, look less often)
    "QA_WATCH_SECONDS": 2.0,
    "QA_DICT_DIR": "/usr/share/dictd",
    "QA_INDEX": "",  # saved index file ("" = build in memory at every start)
    "QA_SEMANTIC": True,  # the multilingual sentence encoder next to BM25
    # with QA_INDEX: a large archive's sentence vectors are made in the background while BM25 answers
    "QA_BACKGROUND_VECTORS": True,
    "QA_MAX_SOURCE_BYTES": 10 * 2**20,  # larger source files are skipped
    # above this many sentences the encoder scores BM25's candidates only (a search of every
    # vector costs about 10 ms per 100,000 sentences); default: engine.SEMANTIC_SEARCH_MAX
    "QA_SEMANTIC_SEARCH_MAX": None,
    "QA_LOG_QUESTIONS": False,  # log each question at INFO (off: questions can be personal)
    "QA_RATE_LIMIT": "",  # per client address on /api/ask, e.g. "60 per minute"; "" = off
    "MAX_CONTENT_LENGTH": 64 * 1024,  # request body limit in bytes (413 above it)
    "QA_MAX_QUESTION_CHARS": 1000,
    "QA_MAX_HISTORY_TURNS": 100,
    "QA_MAX_TURN_CHARS": 4000,
    "QA_API_KEY": "",  # when set, /v1/* and /api/ask need "Authorization: Bearer <key>"
    "QA_MODEL": "qa",  # the model name /v1/models lists and /v1/chat/completions accepts
    "QA_MAX_CHAT_MESSAGES": 1000,  # messages in one /v1/chat/completions request
    "QA_MAX_CHAT_BODY_BYTES": 2**20,  # its body limit: chat front ends send the whole conversation
    # OpenSearch / Elasticsearch nodes holding the index ("" = in this process), comma-separated
    "QA_SEARCH_URL": "",
    "QA_SEARCH_INDEX": "qa-sentences",  # the alias the service reads (and switches after a rebuild)
    "QA_SEARCH_SHARDS": 3,
    "QA_SEARCH_REPLICAS": 1,
    "QA_SEARCH_TIMEOUT": 2.0,  # seconds per request to a node; one other node is tried after a failure
}
# Environment variable -> (config key, type)
ENVIRONMENT = {
    "QA_SOURCES": ("QA_SOURCES", str),
    "QA_DATA_DIR": ("QA_DATA_DIR", str),
    "QA_ADMIN_TOKEN": ("QA_ADMIN_TOKEN", str),
    "QA_WATCH_SECONDS": ("QA_WATCH_SECONDS", float),
    "QA_DICT_DIR": ("QA_DICT_DIR", str),
    "QA_INDEX": ("QA_INDEX", str),
    "QA_SEMANTIC": ("QA_SEMANTIC", lambda v: _boolean(v)),
    "QA_BACKGROUND_VECTORS": ("QA_BACKGROUND_VECTORS", lambda v: _boolean(v)),
    "QA_MAX_BODY_BYTES": ("MAX_CONTENT_LENGTH", int),
    "QA_MAX_QUESTION_CHARS": ("QA_MAX_QUESTION_CHARS", int),
    "QA_MAX_HISTORY_TURNS": ("QA_MAX_HISTORY_TURNS", int),
    "QA_RATE_LIMIT": ("QA_RATE_LIMIT", str),
    "QA_LOG_QUESTIONS": ("QA_LOG_QUESTIONS", lambda v: _boolean(v)),
    "QA_MAX_SOURCE_BYTES": ("QA_MAX_SOURCE_BYTES", int),
    "QA_SEMANTIC_SEARCH_MAX": ("QA_SEMANTIC_SEARCH_MAX", int),
    "QA_API_KEY": ("QA_API_KEY", str),
    "QA_MODEL": ("QA_MODEL", str),
    "QA_MAX_CHAT_BODY_BYTES": ("QA_MAX_CHAT_BODY_BYTES", int),
    "QA_SEARCH_URL": ("QA_SEARCH_URL", str),
    "QA_SEARCH_INDEX": ("QA_SEARCH_INDEX", str),
    "QA_SEARCH_SHARDS": ("QA_SEARCH_SHARDS", int),
    "QA_SEARCH_REPLICAS": ("QA_SEARCH_REPLICAS", int),
    "QA_SEARCH_TIMEOUT": ("QA_SEARCH_TIMEOUT", float),
}


YES = ("1", "true", "yes", "on")
NO = ("0", "false", "no", "off", "")


def _boolean(value: str) -> bool:
    """One reading of a yes/no setting for all of them; anything else is refused."""
    word = value.strip().lower()
    if word in YES or word in NO:
        return word in YES
    raise ValueError(f"{value!r} is neither yes ({', '.join(YES)}) nor no ({', '.join(NO[:-1])})")


class SettingError(ValueError):
    """An environment variable the service cannot read."""


def configuration(overrides: dict | None = None) -> dict:
    """The settings: defaults, then the environment, then `overrides` (a test's)."""
    config = dict(DEFAULTS)
    for variable, (key, kind) in ENVIRONMENT.items():
        if variable in os.environ:
            try:
                config[key] = kind(os.environ[variable])
            except ValueError as exc:
                raise SettingError(f"{variable}={os.environ[variable]!r}: {exc}") from None
    config.update(overrides or {})
    return config


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__, template_folder="web/templates", static_folder="web/static")
    app.config.from_mapping(configuration(test_config))
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    logging.basicConfig(level=os.environ.get("QA_LOG_LEVEL", "INFO"),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    from .web import admin, api, errors, hardening, openai_api, openapi, ui
    from .web.store import init_app

    init_app(app)
    errors.init_app(app)
    hardening.init_app(app)
    app.register_blueprint(api.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(openai_api.bp)
    app.register_blueprint(ui.bp)
    app.register_blueprint(openapi.bp)
    return app
