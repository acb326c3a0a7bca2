"""Embedding in a helpdesk form, through Flask's test client: the widget script, suggestions,
CORS for configured origins only, the iframe chat's framing policy and the demo ticket form."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from wikidesk.config import Config
from wikidesk.service import Wikidesk, build
from wikidesk.store import Store
from wikidesk.web import create_app
from wikidesk.web.embed import demo_app

ROOT = Path(__file__).resolve().parents[1]
HELPDESK = "https://helpdesk.example.edu"
STRANGER = "https://evil.example.com"
CONDA = "conda activate not found in my job script"
FIXTURE = ROOT / "tests" / "fixtures" / "embed" / "conda_in_jobs.md"


def one_sentence_of(answer: str, markdown: str) -> bool:
    """The answer is a single sentence of the page, without citation markers."""
    flat = re.sub(r"\s+", " ", markdown.replace("`", ""))
    return (
        "conda" in answer
        and not re.search(r"\[\d+\]", answer)
        and not re.search(r"[.!?] [A-Z]", answer)
        and answer in flat
    )


@pytest.fixture(scope="module")
def embed_app(tmp_path_factory: pytest.TempPathFactory):
    base = tmp_path_factory.mktemp("embed")
    corpus = base / "corpus"
    corpus.mkdir()
    shutil.copy(ROOT / "corpus" / "python.md", corpus)
    shutil.copy(FIXTURE, corpus)
    config = Config(
        corpus=corpus,
        index=base / "index",
        data_dir=base / "data",
        allowed_origins=(HELPDESK, "http://127.0.0.1:5001"),
    )
    index, _ = build(config)
    app = create_app(config, desk=Wikidesk(index, config))
    app.config.update(TESTING=True)
    return app


@pytest.fixture
def client(embed_app):
    return embed_app.test_client()


# --------------------------------------------------------------------------- widget.js


def test_widget_script_is_served_as_cacheable_javascript(client):
    resp = client.get("/widget.js")
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.cache_control.public and resp.cache_control.max_age == 300
    assert resp.headers.get("ETag")
    body = resp.get_data(as_text=True)
    assert "attachShadow" in body and "/api/suggest" in body
    assert "import " not in body and "require(" not in body
    again = client.get("/widget.js", headers={"If-None-Match": resp.headers["ETag"]})
    assert again.status_code == 304


def test_widget_documents_its_data_attributes(client):
    body = client.get("/widget.js").get_data(as_text=True)
    for attr in ("fields", "target", "max", "theme", "lang", "api"):
        assert f"data-wikidesk-{attr}" in body


# --------------------------------------------------------------------------- /api/suggest


def test_suggest_returns_the_conda_section_with_a_one_sentence_answer(client):
    resp = client.get("/api/suggest", query_string={"q": CONDA})
    assert resp.status_code == 200
    data = resp.get_json()
    assert data["query"] == CONDA
    first = data["suggestions"][0]
    assert first["page"] == "conda_in_jobs"
    assert first["section"] == "conda activate not found in a job script"
    assert first["anchor"] == "conda-activate-not-found-in-a-job-script"
    assert first["heading_path"] == ["conda activate not found in a job script"]
    assert first["title"] == "Conda in Job Scripts"
    assert first["url"] == "http://localhost/page/conda_in_jobs#conda-activate-not-found-in-a-job-script"
    assert one_sentence_of(first["answer"], FIXTURE.read_text(encoding="utf-8"))
    assert 'eval "$(conda shell.bash hook)"' in first["commands"][0]
    assert len(first["commands"]) <= 2
    assert 1 <= len(data["suggestions"]) <= 3
    assert resp.headers["Cache-Control"] == "no-store"


def test_suggest_limits_the_number_of_suggestions(client):
    data = client.get("/api/suggest", query_string={"q": CONDA, "n": 1}).get_json()
    assert len(data["suggestions"]) == 1


def test_suggest_returns_nothing_for_an_unanswered_question(client):
    data = client.get("/api/suggest", query_string={"q": "printer on the third floor jams again"}).get_json()
    assert data["suggestions"] == []


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        ({}, "q is missing"),
        ({"q": "   "}, "q is missing"),
        ({"q": "x" * 1001}, "the limit is 1000"),
        ({"q": CONDA, "n": "lots"}, "n must be a whole number"),
        ({"q": CONDA, "n": 9}, "n must be between 1 and 5"),
    ],
)
def test_suggest_rejects_bad_requests_with_json(client, query, fragment):
    resp = client.get("/api/suggest", query_string=query)
    assert resp.status_code == 400
    assert resp.is_json
    assert fragment in resp.get_json()["error"]


# --------------------------------------------------------------------------- CORS


def test_allowed_origin_may_read_api_responses(client):
    resp = client.get("/api/suggest", query_string={"q": CONDA}, headers={"Origin": HELPDESK})
    assert resp.headers["Access-Control-Allow-Origin"] == HELPDESK
    assert "Origin" in resp.vary


def test_allowed_origin_may_read_api_errors_too(client):
    resp = client.get("/api/suggest", headers={"Origin": HELPDESK})
    assert resp.status_code == 400
    assert resp.headers["Access-Control-Allow-Origin"] == HELPDESK


@pytest.mark.parametrize("origin", [STRANGER, "https://helpdesk.example.edu.evil.com", "null", "*"])
def test_other_origins_get_no_cors_headers(client, origin):
    resp = client.get("/api/suggest", query_string={"q": CONDA}, headers={"Origin": origin})
    assert resp.status_code == 200
    assert not [k for k, _ in resp.headers.items() if k.lower().startswith("access-control-")]
    assert "Origin" in resp.vary


def test_preflight_from_allowed_origin_allows_json_posts(client):
    resp = client.options(
        "/api/feedback",
        headers={
            "Origin": HELPDESK,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert resp.status_code == 204
    assert resp.headers["Access-Control-Allow-Origin"] == HELPDESK
    assert set(resp.headers["Access-Control-Allow-Methods"].replace(" ", "").split(",")) == {"GET", "POST"}
    assert resp.headers["Access-Control-Allow-Headers"].lower() == "content-type"
    assert int(resp.headers["Access-Control-Max-Age"]) > 0
    assert "Origin" in resp.vary


def test_preflight_from_other_origin_gets_no_cors_headers(client):
    resp = client.options(
        "/api/feedback", headers={"Origin": STRANGER, "Access-Control-Request-Method": "POST"}
    )
    assert not [k for k, _ in resp.headers.items() if k.lower().startswith("access-control-")]


def test_deflection_posted_from_allowed_origin_is_recorded(embed_app, client):
    resp = client.post(
        "/api/feedback",
        json={
            "kind": "deflection",
            "helpful": True,
            "question": CONDA,
            "page": "conda_in_jobs",
            "section": "conda activate not found in a job script",
            "origin": HELPDESK,
        },
        headers={"Origin": HELPDESK},
    )
    assert resp.status_code == 201
    assert resp.headers["Access-Control-Allow-Origin"] == HELPDESK
    row = Store(embed_app.config["WIKIDESK"].feedback_db).feedback_rows()[-1]
    assert (row["kind"], row["page"], row["origin"]) == ("deflection", "conda_in_jobs", HELPDESK)


def test_a_configured_origin_with_a_trailing_slash_still_matches():
    from wikidesk.web.embed import cors_headers

    assert cors_headers(HELPDESK, (HELPDESK + "/",)) == {"Access-Control-Allow-Origin": HELPDESK}
    assert cors_headers(HELPDESK + ".evil.com", (HELPDESK + "/",)) == {}
    assert cors_headers(None, (HELPDESK,)) == {}


def test_pages_outside_the_api_get_no_cors_headers(client):
    resp = client.get("/widget.js", headers={"Origin": HELPDESK})
    assert "Access-Control-Allow-Origin" not in resp.headers


def test_allowed_origins_come_from_the_environment():
    from wikidesk.config import load_config

    config = load_config(env={"WIKIDESK_ALLOWED_ORIGINS": "https://a.example.edu, https://b.example.edu"})
    assert config.allowed_origins == ("https://a.example.edu", "https://b.example.edu")


# --------------------------------------------------------------------------- /embed and framing


def test_embed_may_be_framed_by_allowed_origins_only(client):
    resp = client.get("/embed")
    assert resp.status_code == 200
    csp = resp.headers["Content-Security-Policy"]
    directive = next(d.strip() for d in csp.split(";") if d.strip().startswith("frame-ancestors"))
    assert directive == f"frame-ancestors 'self' {HELPDESK} http://127.0.0.1:5001"
    assert "X-Frame-Options" not in resp.headers
    html = resp.get_data(as_text=True)
    assert "embed-chat.js" in html and "<script>" not in html


def test_other_pages_may_only_be_framed_by_wikidesk_itself(client):
    for path in ("/", "/demo/ticket-form"):
        resp = client.get(path)
        assert "frame-ancestors 'self'" in resp.headers["Content-Security-Policy"]
        assert HELPDESK not in resp.headers["Content-Security-Policy"]
        assert resp.headers["X-Frame-Options"] == "SAMEORIGIN"


def test_embed_chat_assets_are_served(client):
    assert client.get("/static/embed-chat.js").status_code == 200
    assert client.get("/static/embed-chat.css").status_code == 200


# --------------------------------------------------------------------------- demo form


def test_demo_form_loads_the_widget_with_data_attributes(client):
    html = client.get("/demo/ticket-form").get_data(as_text=True)
    for field in ('name="name"', 'name="email"', 'name="category"', 'name="subject"', 'name="description"'):
        assert field in html
    assert 'src="/widget.js"' in html
    assert 'data-wikidesk-fields="#subject,#description"' in html
    assert 'type="submit"' in html


def test_demo_form_stub_echoes_what_it_received(client):
    sent = {
        "name": "Ada",
        "email": "ada@example.edu",
        "category": "software",
        "subject": "conda",
        "description": "<b>conda</b> activate not found",
    }
    resp = client.post("/demo/ticket-form", data=sent)
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "Ticket received" in html
    assert "<b>conda</b>" not in html
    received = html.split('<pre id="received">', 1)[1].split("</pre>", 1)[0]
    assert json.loads(received) == sent


def test_demo_app_on_another_site_points_the_widget_at_wikidesk():
    other = demo_app("https://wikidesk.example.edu/").test_client()
    html = other.get("/demo/ticket-form?lang=de&theme=dark").get_data(as_text=True)
    assert 'src="https://wikidesk.example.edu/widget.js"' in html
    assert 'data-wikidesk-lang="de"' in html and 'data-wikidesk-theme="dark"' in html
    frame = other.get("/demo/iframe").get_data(as_text=True)
    assert 'src="https://wikidesk.example.edu/embed"' in frame


def test_suggested_commands_skip_lines_already_in_a_script():
    from wikidesk.web.embed import distinct_commands

    script = 'module load python/anaconda3\neval "$(conda shell.bash hook)"\nconda activate myenv'
    assert distinct_commands([script, "conda activate", "conda env export", "conda list"]) == [
        script,
        "conda env export",
    ]
