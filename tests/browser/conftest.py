"""Browser fixtures: a real wikidesk server on a free local port and Debian's Chromium through
Playwright. One browser per session; every test gets a fresh context (own cookies, storage and
clipboard permissions), so tests never see each other's state."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from wikidesk.config import Config
from wikidesk.service import Wikidesk, build

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}


@pytest.fixture(scope="session")
def live_config(tmp_path_factory: pytest.TempPathFactory) -> Config:
    """A config over a private copy of the seed page, with its own index and feedback store."""
    base = tmp_path_factory.mktemp("live")
    corpus = base / "corpus"
    corpus.mkdir()
    shutil.copy(ROOT / "corpus" / "python.md", corpus / "python.md")
    return Config(
        corpus=corpus,
        index=base / "index",
        data_dir=base / "data",
        helpdesk_url="https://helpdesk.example.edu/new-ticket",
    )


@pytest.fixture(scope="session")
def live_app(live_config: Config):
    from wikidesk.web import create_app

    index, _ = build(live_config)
    return create_app(live_config, desk=Wikidesk(index, live_config))


@pytest.fixture(scope="session")
def live_server(live_app) -> Iterator[str]:
    """A real threaded WSGI server on 127.0.0.1 and a free port; yields its base URL."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="wikidesk-live", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _chromium_missing() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} is missing; `make chromium` installs it"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed; `make install-test` installs it"
    return None


@pytest.fixture(scope="session")
def browser():
    why = _chromium_missing()
    if why:
        pytest.skip(why)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def blocked_requests() -> list[str]:
    """URLs the page tried to fetch from anywhere but the live server (should stay empty)."""
    return []


@pytest.fixture
def context(browser, live_server: str, blocked_requests: list[str]):
    """A fresh context at desktop size that may use the clipboard; only local requests allowed."""
    ctx = browser.new_context(viewport=DESKTOP, base_url=live_server)
    ctx.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    ctx.set_default_timeout(10_000)

    def block(route) -> None:
        blocked_requests.append(route.request.url)
        route.abort()

    ctx.route(lambda url: not url.startswith((live_server, "data:", "blob:", "about:")), block)
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.fixture
def page(context):
    return context.new_page()


@pytest.fixture(scope="session")
def viewports() -> dict[str, dict[str, int]]:
    return {"desktop": DESKTOP, "phone": PHONE}


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where screenshots go (gitignored)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
