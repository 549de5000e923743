"""The chat page at / and the health probe."""
from __future__ import annotations

from flask import Blueprint, jsonify, render_template

from .store import get_engine

bp = Blueprint("ui", __name__)


@bp.get("/")
def index():
    return render_template("chat.html")


@bp.get("/healthz")
def healthz():
    engine = get_engine()
    engine.poll_vectors()
    body = {"status": "ok", "sources": len(engine.documents), "sentences": len(engine.sentences),
            "skipped": len(engine.skipped)}
    progress = engine.vector_progress()
    if progress is not None:
        body["vectors"] = progress  # made in the background for a large archive: how far along
    return jsonify(body)
