"""HTML pages: the chat and the wiki page view."""

from __future__ import annotations

import re
from collections.abc import Iterator

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for

from ..corpus import Page, link_resolver
from ..markup import WIKILINK_RE
from ..service import Wikidesk
from .render import Resolver, render_page

bp = Blueprint("pages", __name__)

EXAMPLES = 4
_SKIP_HEADINGS = {"references", "notes", "see also", "general", "other", "external links", "top"}
_GERUNDS = {
    "accelerating": "accelerate",
    "compiling": "compile",
    "creating": "create",
    "installing": "install",
    "loading": "load",
    "moving": "move",
    "running": "run",
    "setting": "set",
    "speeding": "speed",
    "submitting": "submit",
    "transferring": "transfer",
    "using": "use",
    "writing": "write",
}


def desk() -> Wikidesk:
    return current_app.extensions["wikidesk"]


def resolver() -> Resolver:
    ext = current_app.extensions
    if "wikidesk.resolve" not in ext:
        ext["wikidesk.resolve"] = link_resolver(desk().index.pages.values())
    return ext["wikidesk.resolve"]


# Only this server's own scripts, styles and requests, which also keeps the pages intranet-safe.
CSP = "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'"


@bp.after_request
def security_headers(response):
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    return response


@bp.get("/")
def chat():
    config = desk().config
    return render_template(
        "chat.html",
        examples=example_questions(),
        helpdesk_url=config.helpdesk_url,
        max_question_chars=config.max_question_chars,
        pages=len(desk().index.pages),
        follow_up=_follow_up_example(config),
    )


def _follow_up_example(config) -> str:
    clusters = [*config.retired_clusters, *config.current_clusters]
    return f"and on {clusters[0]}?" if clusters else "what about GPUs?"


@bp.get("/page/<path:page_id>")
def page(page_id: str):
    pages = desk().index.pages
    p = pages.get(page_id)
    if p is None:
        hit = resolver()(page_id)
        if hit is None:
            abort(404)
        return redirect(_page_url(hit[0], hit[1]), code=301)
    if p.redirect and request.args.get("redirect") != "no":
        hit = redirect_target(p)
        if hit and hit[0] != p.id:
            return redirect(_page_url(hit[0], hit[1], **_kept_args()), code=302)
    section = request.args.get("section", "")
    sections = render_page(
        p,
        resolver(),
        wiki_base_url=desk().config.wiki_base_url,
        highlight=request.args.get("hl", "")[:500],
        highlight_section=section,
    )
    return render_template(
        "page.html",
        page=p,
        sections=sections,
        cited=section,
        contents=[s for s in sections if 2 <= s.level <= 3 and s.heading],
        redirect_target=p.redirect,
        wiki_url=_wiki_url(p, desk().config.wiki_base_url),
    )


def _wiki_url(p: Page, base: str) -> str:
    """The page on the original wiki, when its address is configured."""
    if not base:
        return ""
    return f"{base.rstrip('/')}/{p.permalink.strip('/') or p.title.replace(' ', '_')}"


def redirect_target(p: Page) -> tuple[str, str] | None:
    """(page id, anchor) of a redirect's target; the anchor comes from the page's own wikilink,
    since Page.redirect keeps only the page."""
    resolve = resolver()
    hit = resolve(p.redirect or "")
    m = WIKILINK_RE.search(p.markdown)
    full = resolve(m.group(2)) if m else None
    return full if hit and full and full[0] == hit[0] else hit


def _kept_args() -> dict[str, str]:
    return {k: v for k, v in request.args.items() if k in ("hl", "section")}


def _page_url(page_id: str, anchor: str = "", **args: str) -> str:
    return url_for("pages.page", page_id=page_id, **args) + (f"#{anchor}" if anchor else "")


# --------------------------------------------------------------------------- example questions


def example_questions() -> list[str]:
    """A few questions this corpus answers, derived from its section headings and checked by
    asking them: each kept one is answered and cites the section it came from."""
    ext = current_app.extensions
    if "wikidesk.examples" not in ext:
        ext["wikidesk.examples"] = find_examples(desk(), EXAMPLES)
    return ext["wikidesk.examples"]


def find_examples(d: Wikidesk, limit: int) -> list[str]:
    chosen: list[str] = []
    seen_pages: dict[str, int] = {}
    per_page = -(-limit // max(1, len(d.index.pages)))  # spread over pages when there are enough
    tried = 0
    for _, page_id, anchor, question in sorted(_candidates(d), key=lambda c: c[0]):
        if len(chosen) >= limit or tried >= 60:
            break
        if seen_pages.get(page_id, 0) >= per_page:
            continue
        tried += 1
        result = d.ask(question)
        top = result["citations"][0] if result["citations"] else None
        cites_source = bool(top) and top["page"] == page_id and top["anchor"] == anchor
        if result["answered"] and cites_source and not result["warnings"]:
            chosen.append(question)
            seen_pages[page_id] = seen_pages.get(page_id, 0) + 1
    return chosen


def _candidates(d: Wikidesk) -> Iterator[tuple[tuple[int, int], str, str, str]]:
    """(priority, page, anchor, question) for every section heading that reads as a topic."""
    config = d.config
    current = [c.lower() for c in config.current_clusters]
    retired = [c.lower() for c in config.retired_clusters]
    for order, p in enumerate(d.index.pages.values()):
        if p.redirect:
            continue
        common = _common_words(p)
        for s in p.sections:
            path = [h.lower() for h in s.heading_path]
            if not s.heading or any(r in h for h in path for r in retired) or not s.text.strip():
                continue
            for rank, question in _questions_for(p, s.heading, path, current, common):
                yield (rank, order), p.id, s.anchor, question


def _common_words(p: Page) -> set[str]:
    """Words the page's prose writes in lower case; a capitalised heading word that is not
    among them is a name (Numba, Python) and keeps its capital in a question."""
    words = set()
    for s in p.sections:
        for b in s.blocks:
            if b.kind != "code":
                words.update(w for w in re.findall(r"[A-Za-z]+", b.text) if w.islower())
    return words - {w.lower() for w in re.findall(r"[A-Za-z]+", p.title)}


def _questions_for(
    p: Page, heading: str, path: list[str], current: list[str], common: set[str]
) -> Iterator[tuple[int, str]]:
    words = heading.split()
    low = heading.lower().strip()
    cluster = next((c for c in current if c in path), "")
    cluster_name = cluster.capitalize() if cluster else ""
    if low in _SKIP_HEADINGS or low in current or len(words) > 7:
        return
    if low.startswith(("recommend", "which ")) and cluster_name:
        yield 0, f"Which {p.title} should I use on {cluster_name}?"
        return
    if low.startswith("how to "):
        yield 1, f"How do I {heading[7:].strip().rstrip('?')}?"
        return
    verb = _GERUNDS.get(words[0].lower())
    if verb:
        rest = " ".join(_mine(w) for w in words[1:])
        yield 1, f"How do I {verb} {_lower_words(rest, common)}?".replace("  ", " ")
        return
    if len(words) >= 2 and re.search(r"[A-Za-z]", heading):
        where = f" on {cluster_name}" if cluster_name and cluster not in low else ""
        yield 2, f"How do I use {_lower_words(heading, common)}{where}?"


def _mine(word: str) -> str:
    return {"your": "my", "yours": "mine", "you": "I"}.get(word.lower(), word)


def _lower_words(text: str, common: set[str]) -> str:
    return " ".join(w.lower() if len(w) > 1 and w.lower() in common else w for w in text.split())
