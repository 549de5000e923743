"""The engine as a resource of the Flask app: built once per process in
init_app (gunicorn's preload builds it before forking, so workers share it)."""
from __future__ import annotations

from flask import Flask, current_app

from .engine import Engine

EXTENSION = "qa.engine"


def init_app(app: Flask) -> None:
    engine = app.config.get("QA_ENGINE")  # tests may hand in a ready engine
    if engine is None:
        engine = Engine.from_folder(app.config["QA_SOURCES"], app.config["QA_DICT_DIR"] or None,
                                    semantic=app.config["QA_SEMANTIC"],
                                    index_path=app.config["QA_INDEX"] or None,
                                    max_source_bytes=app.config["QA_MAX_SOURCE_BYTES"],
                                    background_vectors=app.config["QA_BACKGROUND_VECTORS"],
                                    background_save=app.config["QA_BACKGROUND_VECTORS"])
    app.extensions[EXTENSION] = engine


def get_engine() -> Engine:
    return current_app.extensions[EXTENSION]
