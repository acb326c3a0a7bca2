"""The Flask app factory. The app knows nothing about the CLI; it gets a config (or reads the
default one) and shares one read-only index across all requests of the process."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

from ..config import Config, load_config
from ..errors import WikideskError
from ..service import Wikidesk, open_index
from ..store import Store

MAX_BODY_BYTES = 64 * 1024
API_ROUTES = "POST /api/ask, GET /api/search?q=, POST /api/feedback, GET /healthz"


def assets_dir() -> Path:
    """Templates and static files: packaged beside the code in a wheel, top-level `web/` in a checkout."""
    packaged = Path(__file__).resolve().parent.parent / "_web"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parents[3] / "web"


def create_app(config: Config | None = None, desk: Wikidesk | None = None) -> Flask:
    config = config or load_config()
    assets = assets_dir()
    app = Flask(
        __name__,
        template_folder=str(assets / "templates"),
        static_folder=str(assets / "static"),
        static_url_path="/static",
    )
    app.config["WIKIDESK"] = config
    app.config["JSON_SORT_KEYS"] = False
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.extensions["wikidesk"] = desk or Wikidesk(open_index(config), config)
    app.extensions["wikidesk.store"] = Store(config.feedback_db)

    from . import api, embed, pages

    app.register_blueprint(api.bp)
    app.register_blueprint(pages.bp)
    embed.init_app(app)
    _register_errors(app)
    return app


def _wants_json() -> bool:
    return (
        request.path.startswith(("/api/", "/healthz")) or request.accept_mimetypes.best == "application/json"
    )


def _describe(exc: HTTPException) -> str:
    """A message a developer can act on, rather than werkzeug's generic sentence."""
    if exc.code == 404:
        return f"no endpoint {request.method} {request.path}; the API has {API_ROUTES}"
    if exc.code == 405:
        allowed = ", ".join(
            m for m in getattr(exc, "valid_methods", None) or () if m not in ("HEAD", "OPTIONS")
        )
        return f"{request.method} is not allowed on {request.path}; use {allowed or 'another method'}"
    if exc.code == 413:
        return f"request body is larger than {MAX_BODY_BYTES // 1024} KiB; send a shorter question or history"
    return exc.description or exc.name


def _register_errors(app: Flask) -> None:
    @app.errorhandler(WikideskError)
    def user_error(exc: WikideskError):
        if not _wants_json():
            return _html_error(exc.status, str(exc))
        return jsonify({"error": str(exc), "status": exc.status}), exc.status

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        code = exc.code or 500
        message = _describe(exc)
        if not _wants_json():
            return _html_error(code, message, exc)
        response = jsonify({"error": message, "status": code})
        if code == 405 and getattr(exc, "valid_methods", None):
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        return response, code

    @app.errorhandler(InternalServerError)
    def server_error(exc: InternalServerError):
        message = "the server failed to answer; the error is in its log, please report it"
        if not _wants_json():
            return _html_error(500, message)
        return jsonify({"error": message, "status": 500}), 500


def _html_error(code: int, message: str, exc: HTTPException | None = None):
    title = exc.name if exc is not None else ("Not found" if code == 404 else "Something went wrong")
    if code == 404:
        message = "There is no wiki page or view at this address."
    return render_template("error.html", code=code, title=title, message=message), code
