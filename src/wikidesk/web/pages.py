"""HTML pages: the chat and the wiki page view."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template_string

bp = Blueprint("pages", __name__)


@bp.get("/")
def chat():
    return render_template_string("<!doctype html><title>wikidesk</title><p>wikidesk chat: POST /api/ask</p>")


@bp.get("/page/<path:page_id>")
def page(page_id: str):
    p = current_app.extensions["wikidesk"].index.pages.get(page_id)
    if p is None:
        abort(404)
    return render_template_string("<!doctype html><title>{{ p.title }}</title><pre>{{ p.markdown }}</pre>", p=p)
