"""The widget and the iframe chat on a helpdesk site of another origin, in real Chromium.

Three local servers: wikidesk (over the seed page and a conda fixture page), the helpdesk's
demo ticket form on an allowed origin, and the same form on an origin that is not allowed."""

from __future__ import annotations

import contextlib
import json
import shutil
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from wikidesk.config import Config
from wikidesk.service import Wikidesk, build
from wikidesk.store import Store

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
CONDA_PAGE = ROOT / "tests" / "fixtures" / "embed" / "conda_in_jobs.md"
CONDA = "conda activate not found in my job script"
CONDA_SECTION = "conda activate not found in a job script"
CONDA_ANCHOR = "conda-activate-not-found-in-a-job-script"
PANEL = "wikidesk-suggestions .panel"
CARD = "wikidesk-suggestions .card"
TICKET = {
    "name": "Ada Lovelace",
    "email": "ada@example.edu",
    "category": "software",
    "subject": "Job fails at conda activate",
}


@dataclass(frozen=True)
class Exchange:
    path: str
    origin: str
    status: int
    headers: dict[str, str]


@dataclass(frozen=True)
class Sites:
    wikidesk: str
    helpdesk: str
    stranger: str
    config: Config
    exchanges: list[Exchange]


def recording(app, exchanges: list[Exchange]):
    """WSGI middleware keeping what wikidesk answered, since Chromium hides CORS-blocked responses."""

    def wrapped(environ, start_response):
        def start(status, headers, exc_info=None):
            exchanges.append(
                Exchange(environ["PATH_INFO"], environ.get("HTTP_ORIGIN", ""), int(status[:3]), dict(headers))
            )
            return start_response(status, headers, exc_info)

        return app(environ, start)

    return wrapped


@contextmanager
def serving(app) -> Iterator[tuple[str, object]]:
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", app
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sites]:
    """The helpdesk's origins exist before wikidesk starts, so wikidesk can allow one of them."""
    from wikidesk.web import create_app
    from wikidesk.web.embed import demo_app

    base = tmp_path_factory.mktemp("embed-live")
    corpus = base / "corpus"
    corpus.mkdir()
    shutil.copy(ROOT / "corpus" / "python.md", corpus)
    shutil.copy(CONDA_PAGE, corpus)
    with ExitStack() as stack:
        helpdesk, helpdesk_app = stack.enter_context(serving(demo_app()))
        stranger, stranger_app = stack.enter_context(serving(demo_app()))
        config = Config(
            corpus=corpus, index=base / "index", data_dir=base / "data", allowed_origins=(helpdesk,)
        )
        index, _ = build(config)
        exchanges: list[Exchange] = []
        app = recording(create_app(config, desk=Wikidesk(index, config)), exchanges)
        wikidesk, _ = stack.enter_context(serving(app))
        helpdesk_app.config["DEMO_WIKIDESK_URL"] = stranger_app.config["DEMO_WIKIDESK_URL"] = wikidesk
        yield Sites(wikidesk, helpdesk, stranger, config, exchanges)


@dataclass
class Watched:
    page: object
    console: list[tuple[str, str]]
    errors: list[str]
    suggest: list[object]
    external: list[str]


@pytest.fixture
def watched(browser, sites: Sites) -> Iterator[Watched]:
    """A fresh desktop context that talks to the three local servers only.

    Requests are watched, not routed: with routing on, Playwright answers CORS preflights
    itself, and the preflight is part of what these tests check."""
    local = (sites.wikidesk, sites.helpdesk, sites.stranger, "about:", "data:")
    ctx = browser.new_context(viewport={"width": 1100, "height": 900})
    ctx.set_default_timeout(10_000)
    page = ctx.new_page()
    w = Watched(page, [], [], [], [])
    page.on("console", lambda m: w.console.append((m.type, m.text)))
    page.on("pageerror", lambda e: w.errors.append(str(e)))
    page.on("request", lambda r: w.suggest.append(r) if "/api/suggest" in r.url else None)
    page.on("request", lambda r: None if r.url.startswith(local) else w.external.append(r.url))
    try:
        yield w
    finally:
        ctx.close()
    assert w.external == [], "nothing but the local servers may be contacted"


def type_ticket(page, text: str = CONDA) -> None:
    page.locator("#description").click()
    page.keyboard.type(text, delay=15)


def first_suggestion(page, url: str):
    """Open the ticket form at `url`, type the conda problem, and wait for the first card."""
    page.goto(url)
    type_ticket(page)
    card = page.locator(CARD).first
    card.wait_for()
    return card


def submit_ticket(page) -> dict[str, str]:
    page.fill("#name", TICKET["name"])
    page.fill("#email", TICKET["email"])
    page.select_option("#category", TICKET["category"])
    page.fill("#subject", TICKET["subject"])
    with page.expect_navigation():
        page.click("button[type=submit]")
    return json.loads(page.locator("#received").text_content())


def test_widget_suggests_the_conda_page_and_records_a_deflection(watched, sites, artifacts):
    page = watched.page
    card = first_suggestion(page, f"{sites.helpdesk}/demo/ticket-form")

    assert card.locator("h3").text_content() == CONDA_SECTION
    assert "conda" in card.locator(".answer").text_content()
    assert 'eval "$(conda shell.bash hook)"' in card.locator(".cmd").first.text_content()
    more = card.locator("a.more")
    assert more.get_attribute("href") == f"{sites.wikidesk}/page/conda_in_jobs#{CONDA_ANCHOR}"
    assert more.get_attribute("target") == "_blank"
    assert "noopener" in more.get_attribute("rel")
    assert page.locator("wikidesk-suggestions [role=status]").text_content().endswith("below the description")
    assert page.evaluate("document.querySelector('wikidesk-suggestions').shadowRoot !== null")
    assert page.evaluate("document.querySelectorAll('.card').length") == 0, "cards live in the shadow root"
    assert 1 <= len(watched.suggest) <= 3, "typing is debounced into a few requests"
    answered = [x for x in sites.exchanges if x.path == "/api/suggest" and x.origin == sites.helpdesk]
    assert answered[-1].headers["Access-Control-Allow-Origin"] == sites.helpdesk
    page.screenshot(path=str(artifacts / "widget-open.png"), full_page=True)

    with page.expect_response(lambda r: r.url.endswith("/api/feedback")) as sent:
        card.get_by_role("button", name="This solved my problem").click()
    assert sent.value.status == 201
    preflight = [x for x in sites.exchanges if x.path == "/api/feedback" and x.status == 204]
    assert preflight and preflight[-1].headers["Access-Control-Allow-Origin"] == sites.helpdesk
    assert sent.value.request.post_data_json["kind"] == "deflection"
    assert card.locator(".thanks").is_visible()
    row = Store(sites.config.feedback_db).feedback_rows()[-1]
    assert (row["kind"], row["page"], row["origin"]) == ("deflection", "conda_in_jobs", sites.helpdesk)
    assert row["question"] == CONDA

    page.click("button[type=submit]")
    assert page.locator("#received").count() == 0, "the form's own validation still stops an empty name"
    assert page.evaluate("document.querySelector('#name').validity.valueMissing")
    received = submit_ticket(page)
    assert page.url == f"{sites.helpdesk}/demo/ticket-form"
    assert received == {**TICKET, "description": CONDA}
    assert watched.errors == []
    assert [m for m in watched.console if m[0] in ("error", "warning")] == []


def test_panel_works_by_keyboard_read_more_opens_the_section_and_escape_closes(watched, sites):
    page = watched.page
    first_suggestion(page, f"{sites.helpdesk}/demo/ticket-form")

    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.tagName") == "WIKIDESK-SUGGESTIONS"
    focused = "document.querySelector('wikidesk-suggestions').shadowRoot.activeElement"
    assert page.evaluate(f"{focused}.getAttribute('aria-label')") == "Hide suggestions"
    names = []
    while "This solved my problem" not in names and len(names) < 6:
        page.keyboard.press("Tab")
        names.append(page.evaluate(f"{focused} && {focused}.textContent.trim()"))
    assert any(n and n.startswith("Read more") for n in names)
    assert names[-1] == "This solved my problem"
    page.keyboard.press("Shift+Tab")
    with page.context.expect_page() as opened:
        page.keyboard.press("Enter")
    wiki = opened.value
    wiki.wait_for_load_state()
    assert wiki.url == f"{sites.wikidesk}/page/conda_in_jobs#{CONDA_ANCHOR}"
    assert wiki.locator(f"[id='{CONDA_ANCHOR}']").count() == 1
    assert wiki.evaluate("window.opener") is None
    wiki.close()
    page.bring_to_front()
    page.locator(CARD).first.get_by_role("button", name="This solved my problem").focus()
    page.keyboard.press("Escape")
    assert page.locator(PANEL).is_hidden()
    assert page.evaluate("document.activeElement.id") == "description"


def test_labels_follow_the_language_attribute(watched, sites, artifacts):
    page = watched.page
    card = first_suggestion(page, f"{sites.helpdesk}/demo/ticket-form?lang=de&theme=dark")
    assert card.locator("button.solved").text_content() == "Das hat mein Problem gelöst"
    assert card.locator("a.more").text_content().startswith("Weiterlesen")
    page.locator(PANEL).screenshot(path=str(artifacts / "widget-dark-de.png"))


def test_origin_not_allowed_gets_no_cors_headers_and_the_widget_stays_quiet(watched, sites):
    page = watched.page
    page.goto(f"{sites.stranger}/demo/ticket-form")
    with page.expect_event("requestfailed", lambda r: "/api/suggest" in r.url):
        type_ticket(page)
    page.keyboard.type(" and more words about slurm batch partitions", delay=15)
    page.wait_for_timeout(800)

    answered = [x for x in sites.exchanges if x.path == "/api/suggest" and x.origin == sites.stranger]
    assert len(answered) == 1
    assert answered[0].status == 200
    assert not [h for h in answered[0].headers if h.lower().startswith("access-control-")]
    assert len(watched.suggest) == 1, "after a failure the widget backs off instead of retrying"
    assert page.locator(CARD).count() == 0
    assert page.locator(PANEL).is_hidden()
    assert watched.errors == []
    from_widget = [m for m in watched.console if "CORS" not in m[1] and "net::ERR_FAILED" not in m[1]]
    assert from_widget == [], "only the browser's own one-line CORS notice, nothing from the widget"
    assert submit_ticket(page)["subject"] == TICKET["subject"]


def test_form_keeps_working_when_wikidesk_is_down(watched, sites):
    page = watched.page
    page.route(f"{sites.wikidesk}/**", lambda route: route.abort())
    page.goto(f"{sites.helpdesk}/demo/ticket-form")
    type_ticket(page)
    page.wait_for_timeout(600)
    assert page.locator("wikidesk-suggestions").count() == 0
    assert watched.errors == []
    assert submit_ticket(page)["description"] == CONDA


def test_iframe_chat_answers_inside_the_helpdesk_site(watched, sites, artifacts):
    page = watched.page
    page.goto(f"{sites.helpdesk}/demo/iframe")
    frame = page.frame_locator("iframe")
    frame.locator("#question").fill("which Python should I use on Picotte?")
    frame.locator("#question").press("Enter")
    answer = frame.locator(".turn .a .text").first
    answer.wait_for()
    assert "python/gcc/3.10" in answer.text_content()
    assert frame.locator(".sources a").first.get_attribute("href").startswith("/page/python#")
    assert "module load python/gcc/3.10" in frame.locator(".cmd").first.text_content()
    assert frame.locator(".lang").count() == 0  # shell commands need no label
    page.screenshot(path=str(artifacts / "embed-iframe.png"), full_page=True)
    frame.locator("#question").fill("how do I get the core count in python multiprocessing")
    frame.locator("#question").press("Enter")
    label = frame.locator(".turn").nth(1).locator(".lang").first
    label.wait_for()
    assert label.text_content() == "In Python:"
    assert watched.errors == []


def test_iframe_is_refused_on_an_origin_not_allowed(watched, sites):
    page = watched.page
    page.goto(f"{sites.stranger}/demo/iframe")
    page.wait_for_timeout(300)
    served = [x for x in sites.exchanges if x.path == "/embed"]
    assert served, "wikidesk served the page; the browser refused to show it"
    assert "frame-ancestors 'self' " + sites.helpdesk in served[-1].headers["Content-Security-Policy"]
    child = page.frames[1]
    assert not child.url.startswith(sites.wikidesk)
    assert child.locator("#question").count() == 0


def fake_suggestions(section: str) -> str:
    return json.dumps(
        {
            "query": section,
            "suggestions": [
                {
                    "title": "Fake",
                    "section": section,
                    "heading_path": [section],
                    "url": f"http://wikidesk.invalid/page/fake#{section}",
                    "answer": f"Answer from {section}.",
                    "commands": [],
                    "page": "fake",
                    "anchor": section,
                }
            ],
        }
    )


def wait_until(page, condition, timeout_ms: int = 5000) -> None:
    """Let the browser run until `condition()` holds on the test's side."""
    for _ in range(timeout_ms // 50):
        if condition():
            return
        page.wait_for_timeout(50)
    raise AssertionError("timed out waiting for the widget")


def test_one_request_in_flight_and_stale_answers_are_dropped(watched, sites):
    page = watched.page
    held = []
    aborted = []
    page.route(f"{sites.wikidesk}/api/suggest**", lambda route: held.append(route))
    page.on("requestfailed", lambda r: aborted.append(r.url) if "/api/suggest" in r.url else None)
    page.goto(f"{sites.helpdesk}/demo/ticket-form")
    type_ticket(page, "conda activate fails")
    wait_until(page, lambda: len(held) == 1)
    page.keyboard.type(" inside batch jobs", delay=15)
    wait_until(page, lambda: len(held) == 2)
    page.wait_for_timeout(100)
    assert aborted == [held[0].request.url], "the first request was aborted, not left running"

    headers = {"Access-Control-Allow-Origin": sites.helpdesk, "Content-Type": "application/json"}
    held[1].fulfill(status=200, headers=headers, body=fake_suggestions("newer"))
    page.locator(CARD).first.wait_for()
    with contextlib.suppress(Exception):
        held[0].fulfill(status=200, headers=headers, body=fake_suggestions("older"))
    page.wait_for_timeout(200)
    assert page.locator(f"{CARD} h3").all_text_contents() == ["newer"]
    assert watched.errors == []
