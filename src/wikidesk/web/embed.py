"""Embedding wikidesk in a helpdesk's ticket form on another site: the widget script, the
suggest-as-you-type endpoint, a compact chat for iframes, CORS for the configured origins, and
a demo ticket form that uses all of it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    jsonify,
    make_response,
    render_template,
    request,
    send_from_directory,
    url_for,
)

from ..config import Config
from ..errors import WikideskError

bp = Blueprint("embed", __name__)
demo_bp = Blueprint("demo", __name__)

MAX_SUGGESTIONS = 5
MAX_COMMANDS = 2
WIDGET_MAX_AGE = 300
PREFLIGHT_MAX_AGE = 600


def config() -> Config:
    return current_app.config["WIKIDESK"]


# --------------------------------------------------------------------------- widget and suggest


@bp.get("/widget.js")
def widget() -> Response:
    resp = send_from_directory(current_app.static_folder, "widget.js", max_age=WIDGET_MAX_AGE)
    resp.headers["Content-Type"] = "text/javascript; charset=utf-8"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    resp.cache_control.public = True
    return resp


@bp.get("/api/suggest")
def suggest() -> Response:
    q = request.args.get("q")
    if q is None or not q.strip():
        raise WikideskError("q is missing; call /api/suggest?q=<what the user typed>")
    try:
        n = int(request.args.get("n", MAX_SUGGESTIONS))
    except ValueError as exc:
        raise WikideskError("n must be a whole number") from exc
    if not 1 <= n <= MAX_SUGGESTIONS:
        raise WikideskError(f"n must be between 1 and {MAX_SUGGESTIONS}, got {n}")
    result = current_app.extensions["wikidesk"].ask(q)
    suggestions = suggestions_from(result, request.host_url)[:n] if result["answered"] else []
    resp = jsonify({"query": result["question"], "suggestions": suggestions})
    resp.cache_control.no_store = True
    return resp


def suggestions_from(result: dict[str, Any], host_url: str) -> list[dict[str, Any]]:
    """One suggestion per section the answer quotes, in citation order, each with its own best
    sentence: a ticket form has room for a sentence, not for the whole answer."""
    sentences: dict[int, str] = {}
    for s in sorted(result.get("sentences", []), key=lambda s: -s["score"]):
        sentences.setdefault(s["citation"], s["text"])
    base = host_url.rstrip("/")
    out = []
    for cit in result["citations"]:
        if cit["n"] not in sentences:
            continue
        anchor = cit.get("anchor") or ""
        url = f"{base}/page/{quote(cit['page'])}" + (f"#{anchor}" if cit["section"] and anchor else "")
        out.append(
            {
                "title": cit["title"],
                "section": cit["section"],
                "heading_path": cit["heading_path"],
                "url": url,
                "answer": sentences[cit["n"]],
                "commands": distinct_commands(
                    c["command"] for c in result["commands"] if c["citation"] == cit["n"]
                ),
                "page": cit["page"],
                "anchor": anchor,
            }
        )
    return out


def distinct_commands(commands: Iterable[str], limit: int = MAX_COMMANDS) -> list[str]:
    """The first few commands, leaving out any already contained in a script shown above it."""
    out: list[str] = []
    for command in commands:
        if len(out) == limit:
            break
        if not any(command in shown for shown in out):
            out.append(command)
    return out


# --------------------------------------------------------------------------- iframe chat


@bp.get("/embed")
def embed() -> Response:
    cfg = config()
    ancestors = " ".join(("'self'", *(o.rstrip("/") for o in cfg.allowed_origins)))
    resp = make_response(render_template("embed.html", helpdesk_url=cfg.helpdesk_url))
    resp.headers["Content-Security-Policy"] = (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors {ancestors}"
    )
    return resp


# --------------------------------------------------------------------------- demo ticket form


@demo_bp.get("/demo/ticket-form")
def ticket_form() -> str:
    """A helpdesk's ticket form as it would look on another site, with the widget added."""
    wikidesk = current_app.config.get("DEMO_WIKIDESK_URL")
    widget_src = f"{wikidesk.rstrip('/')}/widget.js" if wikidesk else url_for("embed.widget")
    return render_template(
        "demo_ticket_form.html",
        widget_src=widget_src,
        lang=request.args.get("lang", "en"),
        theme=request.args.get("theme", "auto"),
    )


@demo_bp.post("/demo/ticket-form")
def ticket_received() -> str:
    """The helpdesk's own endpoint, stubbed: it shows exactly what the form sent."""
    return render_template("demo_ticket_form.html", received=request.form.to_dict(flat=True))


@demo_bp.get("/demo/iframe")
def iframe_demo() -> str:
    wikidesk = current_app.config.get("DEMO_WIKIDESK_URL")
    embed_src = f"{wikidesk.rstrip('/')}/embed" if wikidesk else url_for("embed.embed")
    return render_template("demo_ticket_form.html", embed_src=embed_src)


# --------------------------------------------------------------------------- CORS and framing


def cors_headers(origin: str | None, allowed: tuple[str, ...]) -> dict[str, str]:
    """Headers that let `origin` read an API response; none at all for any other origin."""
    if not origin or origin.rstrip("/") not in {a.rstrip("/") for a in allowed}:
        return {}
    return {"Access-Control-Allow-Origin": origin}


def _preflight() -> Response | None:
    if request.method != "OPTIONS" or not request.path.startswith("/api/"):
        return None
    resp = current_app.response_class(status=204)
    if cors_headers(request.headers.get("Origin"), config().allowed_origins):
        resp.headers["Access-Control-Allow-Methods"] = "GET, POST"
        resp.headers["Access-Control-Allow-Headers"] = "Content-Type"
        resp.headers["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE)
    return resp


def _after(resp: Response) -> Response:
    if request.path.startswith("/api/"):
        resp.headers.update(cors_headers(request.headers.get("Origin"), config().allowed_origins))
        resp.vary.add("Origin")
    elif request.path != "/embed" and resp.mimetype == "text/html":
        csp = resp.headers.get("Content-Security-Policy", "")
        if "frame-ancestors" not in csp:
            csp = f"{csp.rstrip('; ')}; frame-ancestors 'self'" if csp else "frame-ancestors 'self'"
            resp.headers["Content-Security-Policy"] = csp
        resp.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
    return resp


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.register_blueprint(demo_bp)
    app.before_request(_preflight)
    app.after_request(_after)


def demo_app(wikidesk_url: str = "") -> Flask:
    """A stand-in for the helpdesk's own site: only the demo form, loading the widget from
    `wikidesk_url` (settable later through config["DEMO_WIKIDESK_URL"])."""
    from . import assets_dir

    app = Flask(__name__, template_folder=str(assets_dir() / "templates"), static_folder=None)
    app.config["DEMO_WIKIDESK_URL"] = wikidesk_url
    app.register_blueprint(demo_bp)
    return app
