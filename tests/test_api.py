"""The JSON API through Flask's test client: every endpoint, and every way to call it wrongly."""

from __future__ import annotations

import pytest

from wikidesk.store import Store

SEED = "which Python should I use on Picotte?"


def error_of(response, status: int) -> str:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json
    body = response.get_json()
    assert body["status"] == status
    assert body["error"]
    return body["error"]


# --------------------------------------------------------------------------- /api/ask


def test_ask_returns_the_answer_contract(client):
    r = client.post("/api/ask", json={"question": SEED})
    assert r.status_code == 200
    body = r.get_json()
    assert {"question", "answered", "answer", "citations", "commands", "warnings", "confidence"} <= set(body)
    assert body["question"] == SEED
    assert body["answered"] is True
    first = body["citations"][0]
    assert (first["page"], first["anchor"], first["url"]) == (
        "python",
        "recommendation",
        "/page/python#recommendation",
    )
    assert {"n", "title", "section", "heading_path", "snippet", "highlights", "score"} <= set(first)
    load = {"command": "module load python/gcc/3.10", "citation": 1, "placeholders": [], "language": "shell"}
    assert load in body["commands"]
    assert "interpreted_as" not in body


def test_follow_up_uses_the_previous_question(client):
    r = client.post("/api/ask", json={"question": "and on Proteus?", "history": [{"question": SEED}]})
    body = r.get_json()
    assert "Proteus" in body["interpreted_as"]
    assert "Python" in body["interpreted_as"]
    proteus_cited = any("Proteus" in " ".join(c["heading_path"]) for c in body["citations"])
    decommissioned = any("decommissioned" in w for w in body["warnings"])
    assert proteus_cited or decommissioned


def test_a_complete_question_after_another_is_not_rewritten(client):
    question = "how do I install my own python modules?"
    body = client.post("/api/ask", json={"question": question, "history": [{"question": SEED}]}).get_json()
    assert "interpreted_as" not in body
    assert body["citations"][0]["anchor"] == "installing-your-own-python-modules"


def test_history_accepts_plain_strings_and_ignores_blank_turns(client):
    r = client.post(
        "/api/ask", json={"question": "and on Proteus?", "history": ["", SEED, {"question": " "}]}
    )
    assert r.status_code == 200
    assert "Python" in r.get_json()["interpreted_as"]


def test_asked_questions_are_logged_for_the_report(client, config):
    client.post("/api/ask", json={"question": SEED})
    client.post("/api/ask", json={"question": "and on Proteus?", "history": [{"question": SEED}]})
    rows = Store(config.feedback_db).question_rows()
    assert rows[0]["question"] == SEED
    assert rows[0]["answered"] == 1 and rows[0]["page"] == "python"
    assert "Proteus" in rows[1]["question"] and "Python" in rows[1]["question"]


def test_ask_still_answers_when_the_store_cannot_be_written(app, client, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    app.extensions["wikidesk.store"] = Store(blocker / "feedback.sqlite3")
    r = client.post("/api/ask", json={"question": SEED})
    assert r.status_code == 200


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({}, 400, "question is missing"),
        ({"question": ""}, 400, "question is empty"),
        ({"question": "   "}, 400, "question is empty"),
        ({"question": 42}, 400, "question must be a string, got int"),
        ({"question": None}, 400, "question must be a string"),
        ({"question": ["a"]}, 400, "question must be a string"),
        ({"question": "x" * 1001}, 400, "question is 1001 characters long; the limit is 1000"),
        ({"question": SEED, "history": "previous"}, 400, "history must be a list"),
        ({"question": SEED, "history": [{"q": "x"}]}, 400, "history[0] must be"),
        ({"question": SEED, "history": [1]}, 400, "history[0] must be"),
        ({"question": SEED, "history": [{"question": "x"}] * 51}, 400, "at most the last 50"),
    ],
)
def test_ask_rejects_bad_questions_and_history(client, body, status, message):
    assert message in error_of(client.post("/api/ask", json=body), status)


def test_ask_needs_a_json_content_type(client):
    msg = error_of(client.post("/api/ask", data={"question": SEED}), 415)
    assert "Content-Type: application/json" in msg
    assert "application/x-www-form-urlencoded" in msg
    assert "text/plain" in error_of(client.post("/api/ask", data=SEED, content_type="text/plain"), 415)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ('{"question": ', "not valid JSON"),
        ("", "the body is empty"),
        ("[1, 2]", "expected a JSON object"),
        ('"just a string"', "got a string"),
        ("null", "got a null"),
        (b"\xff\xfe\x00", "not"),
    ],
)
def test_ask_rejects_malformed_bodies(client, raw, message):
    r = client.post("/api/ask", data=raw, content_type="application/json")
    assert message in error_of(r, 400)


def test_invalid_json_says_where(client):
    msg = error_of(client.post("/api/ask", data='{"question": "a",}', content_type="application/json"), 400)
    assert "line 1 column" in msg


def test_body_too_large_is_413(client):
    big = '{"question": "' + "x" * 70_000 + '"}'
    msg = error_of(client.post("/api/ask", data=big, content_type="application/json"), 413)
    assert "64 KiB" in msg


def test_wrong_method_is_405_with_allow(client):
    r = client.get("/api/ask")
    assert "use POST" in error_of(r, 405)
    assert "POST" in r.headers["Allow"]
    assert "use GET" in error_of(client.post("/api/search?q=python"), 405)
    assert "use POST" in error_of(client.delete("/api/feedback"), 405)


def test_unknown_api_route_is_json_404(client):
    msg = error_of(client.get("/api/nothing-here"), 404)
    assert "POST /api/ask" in msg


def test_json_clients_get_json_errors_outside_the_api(client):
    r = client.get("/no/such/thing", headers={"Accept": "application/json"})
    error_of(r, 404)


# --------------------------------------------------------------------------- /api/search


def test_search_ranks_sections(client):
    r = client.get("/api/search", query_string={"q": "python picotte recommendation", "k": 3})
    body = r.get_json()
    assert r.status_code == 200
    assert body["query"] == "python picotte recommendation"
    assert len(body["results"]) == 3
    top = body["results"][0]
    assert (top["rank"], top["page"], top["anchor"]) == (1, "python", "recommendation")
    assert {"title", "section", "heading_path", "score"} <= set(top)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({}, "q is missing"),
        ({"q": ""}, "question is empty"),
        ({"q": "python", "k": "ten"}, "k must be a whole number"),
        ({"q": "python", "k": "0"}, "between 1 and 50"),
        ({"q": "python", "k": "51"}, "between 1 and 50"),
        ({"q": "x" * 1001}, "the limit is 1000"),
    ],
)
def test_search_rejects_bad_parameters(client, query, message):
    assert message in error_of(client.get("/api/search", query_string=query), 400)


# --------------------------------------------------------------------------- /api/feedback


def test_feedback_is_stored_and_created(client, config):
    r = client.post(
        "/api/feedback",
        json={
            "question": SEED,
            "helpful": False,
            "page": "python",
            "section": "recommendation",
            "comment": "old",
        },
        headers={"Origin": "https://helpdesk.example.edu"},
    )
    assert r.status_code == 201
    assert r.get_json()["ok"] is True
    (row,) = Store(config.feedback_db).feedback_rows()
    assert row["id"] == r.get_json()["id"]
    assert (row["question"], row["helpful"], row["page"], row["section"]) == (
        SEED,
        0,
        "python",
        "recommendation",
    )
    assert (row["kind"], row["origin"], row["comment"]) == ("helpful", "https://helpdesk.example.edu", "old")


def test_deflection_feedback_defaults_to_helpful(client, config):
    r = client.post(
        "/api/feedback", json={"question": "conda in jobs", "kind": "deflection", "origin": "form"}
    )
    assert r.status_code == 201
    row = Store(config.feedback_db).feedback_rows()[-1]
    assert (row["kind"], row["helpful"], row["origin"]) == ("deflection", 1, "form")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"helpful": True}, "question is missing"),
        ({"question": "", "helpful": True}, "question is empty"),
        ({"question": SEED}, "helpful must be true or false"),
        ({"question": SEED, "helpful": "yes"}, "helpful must be true or false"),
        ({"question": SEED, "helpful": 1}, "helpful must be true or false"),
        ({"question": SEED, "helpful": True, "kind": "vote"}, "kind must be one of helpful, deflection"),
        ({"question": SEED, "helpful": True, "page": 3}, "page must be a string"),
        ({"question": SEED, "helpful": True, "section": "s" * 301}, "section is 301 characters long"),
        ({"question": SEED, "helpful": True, "comment": "c" * 2001}, "comment is 2001 characters long"),
    ],
)
def test_feedback_rejects_bad_fields(client, config, body, message):
    assert message in error_of(client.post("/api/feedback", json=body), 400)
    assert Store(config.feedback_db).feedback_rows() == []


def test_feedback_needs_json(client):
    error_of(client.post("/api/feedback", data="helpful=yes"), 415)


def test_feedback_store_failure_is_a_503_not_a_silent_loss(app, client, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    app.extensions["wikidesk.store"] = Store(blocker / "feedback.sqlite3")
    msg = error_of(client.post("/api/feedback", json={"question": SEED, "helpful": True}), 503)
    assert "feedback store" in msg


# --------------------------------------------------------------------------- /healthz


def test_healthz_reports_the_loaded_index(client):
    r = client.get("/healthz")
    body = r.get_json()
    assert r.status_code == 200
    assert body["status"] == "ok" and body["index_loaded"] is True
    assert body["pages"] == 1
    assert body["sections"] > 30 and body["chunks"] > 0
    assert 0 <= body["index_age_seconds"] < 600
    assert body["index_created"].endswith("+00:00")


def test_index_is_loaded_once_per_app(app, client):
    desk = app.extensions["wikidesk"]
    client.post("/api/ask", json={"question": SEED})
    client.get("/api/search?q=python")
    assert app.extensions["wikidesk"] is desk


def test_a_server_fault_is_json_without_internals(app, client, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("secret path /srv/index is broken")

    monkeypatch.setattr(app.extensions["wikidesk"], "ask", broken)
    app.config.update(TESTING=False, PROPAGATE_EXCEPTIONS=False)
    msg = error_of(client.post("/api/ask", json={"question": SEED}), 500)
    assert "secret" not in msg and "report it" in msg


def test_html_clients_get_an_html_error_page(client):
    r = client.post("/")
    assert r.status_code == 405
    assert r.mimetype == "text/html"
    assert "use GET" in r.get_data(as_text=True)
