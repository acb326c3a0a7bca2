"""`wikidesk eval`: exact metrics on hand-made outcomes, and the command's table, JSON and errors."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from wikidesk.cli import main
from wikidesk.evaluate import Outcome, Question, load_questions, metrics


def question(qid: str, page: str | None = None, path: tuple[str, ...] | None = None, **extra) -> Question:
    section = path[-1] if path else extra.pop("section", None)
    return Question(qid, f"question {qid}", page, section, path, **extra)


def outcome(q: Question, pages, sections, answered=True, answer="", commands=(), top="", ms=1.0) -> Outcome:
    """`pages` may be a string of one-letter page ids, best first."""
    return Outcome(q, list(pages), list(sections), answered, answer, list(commands), top, ms / 1000)


def hand_made() -> list[Outcome]:
    q1 = question("1", "a", ("A", "X"), must_contain=("Foo",), command="module load x/1.0")
    q2 = question("2", "b", ("B",), must_contain=("bar", "baz"))
    q3 = question("3", "c", None, section="C", must_contain=("qux",), command="ls -l")
    return [
        # page rank 1, section hit, answer contains "foo" (case-blind), command first
        outcome(
            q1,
            "ab",
            [("a", ("A", "X"))],
            answer="the FOO  is here",
            commands=["module load x/1.0", "ls"],
            top="foo",
            ms=1,
        ),
        # page rank 3, wrong top section, answer lacks "baz" but the top section has both
        outcome(q2, "cdb", [("c", ("C",))], answer="bar only", top="bar and baz", ms=2),
        # page rank 6, section hit by its last heading (no heading path given), no command, not answered
        outcome(q3, "xyzwvc", [("c", ("Parent", "C"))], answered=False, top="nothing", ms=3),
        outcome(question("u1"), "a", [("a", ())], answered=False, ms=4),
        outcome(question("u2"), "a", [("a", ())], answered=True, ms=5),
    ]


def test_metrics_on_hand_made_outcomes_are_exact():
    m = metrics(hand_made())
    assert m == {
        "questions": 5,
        "answerable": 3,
        "unanswerable": 2,
        "page@1": 0.333,
        "page@3": 0.667,
        "page@5": 0.667,
        "mrr@10": 0.5,  # (1 + 1/3 + 1/6) / 3
        "section@1": 0.667,
        "contains@1": 0.333,
        "top_contains@1": 0.667,
        "command@1": 0.5,
        "command@3": 0.5,
        "abstain_unanswerable": 0.5,
        "abstain_answerable": 0.333,
        "latency_p50_ms": 3.0,
        "latency_p95_ms": 4.0,
    }


def test_page_beyond_rank_ten_counts_for_nothing_in_mrr():
    q = question("1", "k", ("K",))
    pages = [f"p{i}" for i in range(10)] + ["k"]
    m = metrics([outcome(q, pages, [("p0", ())])])
    assert (m["page@5"], m["mrr@10"]) == (0.0, 0.0)


def test_command_found_inside_a_longer_command_counts():
    q = question("1", "a", ("A",), command="sbatch job.sh")
    m = metrics([outcome(q, "a", [("a", ("A",))], commands=["cd run", "sbatch  job.sh --test-only"])])
    assert (m["command@1"], m["command@3"]) == (0.0, 1.0)


def test_metrics_without_a_kind_of_question_are_none_not_zero():
    m = metrics([outcome(question("u"), "", [], answered=False)])
    assert m["page@1"] is None and m["command@1"] is None and m["mrr@10"] is None
    assert m["abstain_unanswerable"] == 1.0


def test_must_contain_needs_every_string():
    q = question("1", "a", ("A",), must_contain=("alpha", "beta"))
    only_one = metrics([outcome(q, "a", [("a", ("A",))], answer="alpha", top="alpha")])
    assert only_one["contains@1"] == 0.0 and only_one["top_contains@1"] == 0.0


# --------------------------------------------------------------------------- the command

QUESTIONS = [
    {"id": "t1", "question": "which Python should I use on Picotte?", "page": "python",
     "section": "Recommendation", "heading_path": ["Picotte", "Recommendation"],
     "must_contain": ["python/gcc/3.10"], "command": "module load python/gcc/3.10", "kind": "question",
     "split": "tune"},
    # Gold deliberately wrong, so the run has a miss to list.
    {"id": "h1", "question": "which Python should I use on Picotte?", "page": "python", "section": "Jupyter",
     "heading_path": ["Picotte", "Jupyter"], "must_contain": ["Jupyter"], "kind": "question", "split": "heldout"},
    {"id": "u1", "question": "where do I buy a parking permit", "page": None, "section": None,
     "heading_path": None, "kind": "unanswerable", "split": "heldout"},
]  # fmt: skip


@pytest.fixture
def workdir(tmp_path, monkeypatch) -> Path:
    for key in list(os.environ):
        if key.startswith("WIKIDESK_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def questions_file(workdir) -> Path:
    path = workdir / "questions.jsonl"
    path.write_text("\n".join(json.dumps(q) for q in QUESTIONS) + "\n", encoding="utf-8")
    return path


def test_eval_prints_baseline_and_wikidesk_side_by_side_with_the_misses(questions_file, seed_corpus, capsys):
    assert main(["eval", str(questions_file), "--corpus", str(seed_corpus)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"$ wikidesk eval {questions_file} --corpus {seed_corpus}")
    for split in ("tune: 1 answerable + 0 unanswerable", "heldout: 1 answerable + 1 unanswerable", "all:"):
        assert split in out
    header = next(line for line in out.splitlines() if "metric" in line)
    assert header.index("bm25 baseline") < header.index("wikidesk")
    row = next(line for line in out.splitlines() if line.strip().startswith("page hit@1"))
    assert len(row.split()) == 4, row  # label, baseline, wikidesk
    assert "misses (1, first 1):" in out
    assert "[h1/heldout]" in out and "expected python > Picotte > Jupyter" in out
    assert "got python > Picotte > Recommendation" in out


def test_eval_json_is_one_parseable_report(questions_file, seed_corpus, capsys):
    assert main(["eval", str(questions_file), "--corpus", str(seed_corpus), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report["splits"]) == {"tune", "heldout", "all"}
    tune = report["splits"]["tune"]
    assert tune["wikidesk"]["page@1"] == 1.0 and tune["wikidesk"]["command@3"] == 1.0
    assert tune["bm25"]["command@1"] == 0.0
    assert [m["id"] for m in report["misses"]] == ["h1"]
    assert [o["id"] for o in report["outcomes"]] == ["t1", "h1", "u1"]
    assert report["command"].startswith("wikidesk eval ")


def test_eval_split_option_keeps_only_that_split(questions_file, seed_corpus, capsys):
    assert main(["eval", str(questions_file), "--corpus", str(seed_corpus), "--json", "--split", "tune"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["splits"]["all"]["wikidesk"]["questions"] == 1


@pytest.mark.parametrize(
    "bad",
    [
        '{"id": "x", "page": "python"}',
        "not json at all",
        '["a", "list"]',
        "42",
        '{"question": null}',
        '{"question": 42, "page": "python"}',
    ],
    ids=["no-question", "text", "list", "number", "null-question", "number-question"],
)
def test_malformed_questions_line_is_a_one_line_error(workdir, seed_corpus, capsys, bad):
    path = workdir / "bad.jsonl"
    path.write_text(json.dumps(QUESTIONS[0]) + "\n" + bad + "\n", encoding="utf-8")
    assert main(["eval", str(path), "--corpus", str(seed_corpus)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("wikidesk: error: ")
    assert f"{path}:2:" in lines[0]


def test_missing_questions_file_is_a_one_line_error(workdir, seed_corpus, capsys):
    assert main(["eval", str(workdir / "nope.jsonl"), "--corpus", str(seed_corpus)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "nope.jsonl" in err[0]


def test_blank_lines_in_the_questions_file_are_skipped(workdir):
    path = workdir / "q.jsonl"
    path.write_text("\n" + json.dumps(QUESTIONS[2]) + "\n\n", encoding="utf-8")
    (q,) = load_questions(path)
    assert (q.id, q.answerable, q.split) == ("u1", False, "heldout")
