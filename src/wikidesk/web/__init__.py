"""The Flask app factory. The app knows nothing about the CLI; it gets a config (or reads the
default one) and shares one read-only index across all requests of the process."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

from ..config import Config, load_config
from ..errors import WikideskError
from ..service import Wikidesk, open_index


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
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    app.extensions["wikidesk"] = desk or Wikidesk(open_index(config), config)

    from . import api, embed, pages

    app.register_blueprint(api.bp)
    app.register_blueprint(pages.bp)
    embed.init_app(app)
    _register_errors(app)
    return app


def _wants_json() -> bool:
    return request.path.startswith(("/api/", "/healthz")) or request.accept_mimetypes.best == "application/json"


def _register_errors(app: Flask) -> None:
    @app.errorhandler(WikideskError)
    def user_error(exc: WikideskError):
        return jsonify({"error": str(exc), "status": exc.status}), exc.status

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if not _wants_json():
            return exc
        return jsonify({"error": exc.description, "status": exc.code}), exc.code
