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
    return jsonify({"status": "ok", "sources": len(engine.documents),
                    "sentences": len(engine.sentences), "skipped": len(engine.skipped)})
