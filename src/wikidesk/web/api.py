"""The JSON API: ask, search, feedback, health. Every error is JSON with a 4xx status."""

from __future__ import annotations

import time
from typing import Any

from flask import Blueprint, current_app, jsonify, request

from ..errors import WikideskError

bp = Blueprint("api", __name__)


def desk():
    return current_app.extensions["wikidesk"]


def json_body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise WikideskError('expected a JSON object body, e.g. {"question": "..."}')
    return data


@bp.post("/api/ask")
def ask():
    data = json_body()
    history = data.get("history", [])
    if not isinstance(history, list):
        raise WikideskError("history must be a list of {\"question\": str}")
    previous = [h.get("question", "") if isinstance(h, dict) else str(h) for h in history][-5:]
    return jsonify(desk().ask(data.get("question"), history=previous))


@bp.get("/api/search")
def search():
    try:
        k = int(request.args.get("k", 10))
    except ValueError as exc:
        raise WikideskError("k must be a whole number") from exc
    if not 1 <= k <= 50:
        raise WikideskError("k must be between 1 and 50")
    return jsonify({"query": request.args.get("q", ""), "results": desk().search(request.args.get("q", ""), k)})


@bp.post("/api/feedback")
def feedback():
    data = json_body()
    current_app.logger.info("feedback: %s", data)
    return jsonify({"ok": True}), 201


@bp.get("/healthz")
def healthz():
    d = desk()
    created = d.index.meta.get("created", 0)
    return jsonify(
        {
            "status": "ok",
            "pages": len(d.index.pages),
            "chunks": d.index.n_chunks,
            "index_age_seconds": round(time.time() - created, 1) if created else None,
        }
    )
