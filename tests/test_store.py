"""The feedback store: created on first use, shared by processes, and the report it feeds."""

from __future__ import annotations

import json
import multiprocessing
import sqlite3
import time
from pathlib import Path

import pytest

from wikidesk.errors import WikideskError
from wikidesk.store import Feedback, Store, StoreError, render_report

DAY = 86400


def test_the_file_is_created_on_first_write_not_on_read(tmp_path: Path):
    store = Store(tmp_path / "data" / "feedback.sqlite3")
    assert store.report()["questions"] == 0
    assert not store.path.exists()
    store.add_feedback(Feedback(question="q", helpful=True))
    assert store.path.exists()
    mode = sqlite3.connect(store.path).execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_feedback_rows_keep_every_field(tmp_path: Path):
    store = Store(tmp_path / "fb.sqlite3")
    fb = Feedback("which python?", False, "python", "recommendation", "helpful", "chat", "too vague")
    row_id = store.add_feedback(fb, ts=123.5)
    (row,) = store.feedback_rows()
    assert row == {
        "id": row_id,
        "ts": 123.5,
        "question": "which python?",
        "helpful": 0,
        "page": "python",
        "section": "recommendation",
        "kind": "helpful",
        "origin": "chat",
        "comment": "too vague",
    }


def test_unknown_kind_is_refused(tmp_path: Path):
    with pytest.raises(WikideskError, match="kind must be one of helpful, deflection"):
        Store(tmp_path / "fb.sqlite3").add_feedback(Feedback("q", True, kind="vote"))


def test_reopening_an_existing_store_keeps_its_rows(tmp_path: Path):
    path = tmp_path / "fb.sqlite3"
    Store(path).add_question("first", True, "python", 0.9)
    Store(path).add_question("second", False)
    assert [r["question"] for r in Store(path).question_rows()] == ["first", "second"]


def test_an_unwritable_store_says_which_file(tmp_path: Path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    with pytest.raises(StoreError, match="not-a-dir"):
        Store(blocker / "fb.sqlite3").add_question("q", True)


def _write_many(path: str, worker: int, n: int) -> None:
    store = Store(path)
    for i in range(n):
        store.add_question(f"worker {worker} question {i}", i % 2 == 0, "python", 0.5)
        store.add_feedback(Feedback(f"worker {worker} question {i}", True, kind="helpful"))


def test_concurrent_processes_lose_no_rows(tmp_path: Path):
    path = str(tmp_path / "fb.sqlite3")
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_write_many, args=(path, w, 25)) for w in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    assert len(Store(path).question_rows()) == 100
    assert len(Store(path).feedback_rows()) == 100


def test_report_counts_the_period(tmp_path: Path):
    store = Store(tmp_path / "fb.sqlite3")
    now = time.time()
    store.add_question("old question", False, ts=now - 40 * DAY)
    for q, answered, page in [
        ("which Python should I use on Picotte?", True, "python"),
        ("Which python should I use on Picotte", True, "python"),
        ("how do I book a parking space?", False, ""),
        ("How do I book a parking space", False, ""),
        ("what is the wifi password?", False, ""),
        ("where is scratch?", True, "scratch"),
    ]:
        store.add_question(q, answered, page, 0.5, ts=now - DAY)
    store.add_feedback(Feedback("which Python should I use on Picotte?", True, "python"), ts=now - DAY)
    store.add_feedback(Feedback("where is scratch?", False, "scratch"), ts=now - DAY)
    store.add_feedback(Feedback("conda in jobs", True, "conda", kind="deflection", origin="x"), ts=now)

    report = store.report(days=30, now=now)
    assert report["questions"] == 6
    assert report["answered"] == 3
    assert report["answered_rate"] == 0.5
    assert (report["helpful_yes"], report["helpful_no"], report["deflections"]) == (1, 1, 1)
    assert report["top_unanswered"][0] == {"question": "how do I book a parking space?", "count": 2}
    assert {"question": "what is the wifi password?", "count": 1} in report["top_unanswered"]
    assert report["most_cited_pages"] == [{"page": "python", "count": 2}, {"page": "scratch", "count": 1}]
    assert report["not_helpful"] == [{"question": "where is scratch?", "count": 1}]
    json.dumps(report)  # the CLI prints it with --json

    everything = store.report(days=None, now=now)
    assert everything["questions"] == 7
    assert everything["since"] is None


def test_render_report_is_readable_text(tmp_path: Path):
    store = Store(tmp_path / "fb.sqlite3")
    store.add_question("how do I book a parking space?", False)
    store.add_question("which python?", True, "python")
    store.add_feedback(Feedback("which python?", True, "python"))
    text = render_report(store.report(days=7))
    assert "last 7 days" in text
    assert "questions asked     2" in text
    assert "answered            1 (50%)" in text
    assert "helpful: yes / no   1 / 0 (100% yes)" in text
    assert "how do I book a parking space?" in text
    assert "python" in text.split("Most cited pages:")[1]


def test_render_report_of_an_empty_store(tmp_path: Path):
    text = render_report(Store(tmp_path / "none.sqlite3").report())
    assert "questions asked     0" in text
    assert "(none)" in text
