"""Conversational question answering over news sources.

The engine (qa.engine.Engine) is a library; create_app wraps it in a small
Flask app: a JSON API under /api, a chat page at /, and /healthz."""
from __future__ import annotations

import logging

from flask import Flask

# The settings' table (names, variables, types, defaults, meanings) and how it is read: qa/settings.py.
from .settings import SettingError, configuration

__all__ = ["SettingError", "configuration", "create_app"]


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__, template_folder="web/templates", static_folder="web/static")
    app.config.from_mapping(configuration(test_config))
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    logging.basicConfig(level=app.config["QA_LOG_LEVEL"],
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
