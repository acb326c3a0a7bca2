"""Shared fixtures: small fixture wikis, a config pointing at temporary folders, the app and its
test client (Flask tutorial style)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from wikidesk.config import Config
from wikidesk.service import Wikidesk, build

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
SHARED = ROOT.parent / "shared" / "corpus"


@pytest.fixture
def fixture_wiki(tmp_path: Path) -> Path:
    """A private copy of the fixture pages, so a test may edit them."""
    dest = tmp_path / "wiki"
    shutil.copytree(FIXTURES / "wiki", dest)
    return dest


@pytest.fixture
def seed_corpus(tmp_path: Path) -> Path:
    dest = tmp_path / "seed"
    dest.mkdir()
    shutil.copy(ROOT / "corpus" / "python.md", dest / "python.md")
    return dest


def make_config(tmp_path: Path, corpus: Path, **extra) -> Config:
    return Config(corpus=corpus, index=tmp_path / "index", data_dir=tmp_path / "data").replace(**extra)


@pytest.fixture
def config(tmp_path: Path, seed_corpus: Path) -> Config:
    return make_config(tmp_path, seed_corpus)


@pytest.fixture
def desk(config: Config) -> Wikidesk:
    index, _ = build(config)
    return Wikidesk(index, config)


@pytest.fixture
def app(config: Config, desk: Wikidesk):
    from wikidesk.web import create_app

    app = create_app(config, desk=desk)
    app.config.update(TESTING=True)
    return app


@pytest.fixture
def client(app):
    return app.test_client()


def shared_available() -> bool:
    return (SHARED / "urcf").is_dir()
