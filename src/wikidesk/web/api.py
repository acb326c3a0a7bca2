"""The JSON API: ask, search, feedback, health. Every error is JSON with a 4xx status and a
message that says what was expected and what was sent."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Blueprint, current_app, jsonify, request
from werkzeug.exceptions import UnsupportedMediaType

from ..errors import IndexProblem, WikideskError
from ..index import read_meta
from ..service import Wikidesk, validate_question
from ..store import KINDS, Feedback, Store, StoreError

bp = Blueprint("api", __name__)

HISTORY_TURNS = 5
MAX_HISTORY_ITEMS = 50
MAX_FIELD_CHARS = 300
MAX_COMMENT_CHARS = 2000


def desk() -> Wikidesk:
    return current_app.extensions["wikidesk"]


def store() -> Store:
    return current_app.extensions["wikidesk.store"]


def json_body() -> dict[str, Any]:
    """The request's JSON object, or a 4xx that says what is wrong with it."""
    if not request.is_json:
        sent = request.mimetype or "no Content-Type"
        raise UnsupportedMediaType(f"send the body as JSON with Content-Type: application/json (got {sent})")
    raw = request.get_data(cache=True)
    if not raw.strip():
        raise WikideskError('the body is empty; send a JSON object, e.g. {"question": "..."}')
    try:
        data = json.loads(raw)
    except UnicodeDecodeError as exc:
        raise WikideskError("the body is not UTF-8 encoded JSON") from exc
    except json.JSONDecodeError as exc:
        raise WikideskError(
            f"the body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from exc
    if not isinstance(data, dict):
        raise WikideskError(f'expected a JSON object, e.g. {{"question": "..."}}, got a {_json_type(data)}')
    return data


def _json_type(value: Any) -> str:
    names = {list: "list", str: "string", bool: "boolean", int: "number", float: "number"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


def history_questions(value: Any) -> list[str]:
    """The previous questions, oldest first; the last few are enough to rewrite a follow-up."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise WikideskError(f'history must be a list of {{"question": str}}, got a {_json_type(value)}')
    if len(value) > MAX_HISTORY_ITEMS:
        raise WikideskError(f"history has {len(value)} turns; send at most the last {MAX_HISTORY_ITEMS}")
    out = []
    for i, item in enumerate(value):
        question = item.get("question") if isinstance(item, dict) else item
        if not isinstance(question, str):
            raise WikideskError(
                f'history[{i}] must be {{"question": str}}, got {json.dumps(item, ensure_ascii=False)[:80]}'
            )
        out.append(question.strip()[: desk().config.max_question_chars])
    return [q for q in out if q][-HISTORY_TURNS:]


def text_field(data: dict[str, Any], name: str, limit: int = MAX_FIELD_CHARS) -> str:
    value = data.get(name, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise WikideskError(f"{name} must be a string, got a {_json_type(value)}")
    if len(value) > limit:
        raise WikideskError(f"{name} is {len(value)} characters long; the limit is {limit}")
    return value.strip()


@bp.post("/api/ask")
def ask():
    data = json_body()
    if "question" not in data:
        raise WikideskError('question is missing; send {"question": "your question"}')
    history = history_questions(data.get("history"))
    result = desk().ask(data["question"], history=history)
    _log_question(result)
    return jsonify(result)


def _log_question(result: dict[str, Any]) -> None:
    """Asked questions feed `wikidesk report`; a store problem never costs the user the answer."""
    top = result["citations"][0]["page"] if result["citations"] else ""
    try:
        store().add_question(
            result.get("interpreted_as") or result["question"],
            result["answered"],
            top,
            result.get("confidence"),
        )
    except StoreError as exc:
        current_app.logger.warning("%s", exc)


@bp.get("/api/search")
def search():
    q = request.args.get("q")
    if q is None:
        raise WikideskError("q is missing; call /api/search?q=your+words&k=10")
    raw_k = request.args.get("k", "10")
    try:
        k = int(raw_k)
    except ValueError as exc:
        raise WikideskError(f"k must be a whole number between 1 and 50, got {raw_k!r}") from exc
    if not 1 <= k <= 50:
        raise WikideskError(f"k must be between 1 and 50, got {k}")
    return jsonify({"query": q, "results": desk().search(q, k)})


@bp.post("/api/feedback")
def feedback():
    data = json_body()
    kind = data.get("kind", "helpful")
    if kind not in KINDS:
        raise WikideskError(f"kind must be one of {', '.join(KINDS)}, got {json.dumps(kind)[:40]}")
    if "question" not in data:
        raise WikideskError("question is missing; send the question the feedback is about")
    question = validate_question(data["question"], desk().config)
    helpful = data.get("helpful")
    if kind == "deflection" and helpful is None:
        helpful = True
    if not isinstance(helpful, bool):
        raise WikideskError(f"helpful must be true or false, got {json.dumps(helpful)[:40]}")
    origin = text_field(data, "origin") or request.headers.get("Origin", "")[:MAX_FIELD_CHARS]
    fb = Feedback(
        question=question,
        helpful=helpful,
        page=text_field(data, "page"),
        section=text_field(data, "section"),
        kind=kind,
        origin=origin,
        comment=text_field(data, "comment", MAX_COMMENT_CHARS),
    )
    row = store().add_feedback(fb)
    current_app.logger.info("feedback %s: %s helpful=%s page=%s", row, kind, helpful, fb.page)
    return jsonify({"ok": True, "id": row}), 201


def index_created() -> float | None:
    """When the loaded index was written; a freshly built one only has it in its meta.json."""
    ext = current_app.extensions
    if "wikidesk.index_created" not in ext:
        created = desk().index.meta.get("created")
        if not created:
            try:
                meta = read_meta(Path(desk().config.index)) or {}
            except IndexProblem:
                meta = {}
            created = meta.get("created") if meta.get("n_chunks") == desk().index.n_chunks else None
        ext["wikidesk.index_created"] = created
    return ext["wikidesk.index_created"]


@bp.get("/healthz")
def healthz():
    d = desk()
    created = index_created()
    return jsonify(
        {
            "status": "ok",
            "index_loaded": True,
            "pages": len(d.index.pages),
            "sections": sum(len(p.sections) for p in d.index.pages.values()),
            "chunks": d.index.n_chunks,
            "index_created": datetime.fromtimestamp(created, UTC).isoformat() if created else None,
            "index_age_seconds": round(time.time() - created, 1) if created else None,
        }
    )
