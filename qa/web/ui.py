"""The chat page at / (and its timeline view at /timeline) and the health probe."""
from __future__ import annotations

import os

from flask import Blueprint, jsonify, render_template

from ..index.cluster import ClusterIndex
from .errors import ApiError
from .store import get_engine

bp = Blueprint("ui", __name__)


@bp.get("/")
def index():
    return render_template("chat.html")


@bp.get("/timeline")
def timeline_page():
    """The chat page showing the timeline (?q= filters it: the page passes it on to /api/timeline)."""
    return render_template("chat.html")


@bp.get("/sources/<source_id>")
def source_page(source_id: str):
    """The chat page opened on a source; the fragment #<start>-<end> marks a
    sentence (the links of /v1's citations)."""
    if source_id not in get_engine().documents:
        raise ApiError("not_found", f"no source with id {source_id!r}", 404)
    return render_template("chat.html")


@bp.get("/healthz")
def healthz():
    engine = get_engine()
    engine.poll_vectors()
    body = {"status": "ok", "sources": len(engine.documents), "sentences": len(engine.sentences),
            "skipped": len(engine.skipped),
            # which worker answered: each follows a change of the sources on its own next request
            "worker": os.getpid()}
    progress = engine.vector_progress()
    if progress is not None:
        body["vectors"] = progress  # made in the background for a large archive: how far along
    if isinstance(engine.index, ClusterIndex):
        # a cluster that cannot answer makes this replica unready; yellow (a node down) still answers
        body["search"] = engine.index.health()
        if body["search"]["status"] in ("unreachable", "red") or not body["search"]["synced"]:
            body["status"] = "unavailable"
            return jsonify(body), 503
    return jsonify(body)
