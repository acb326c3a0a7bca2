"""The `wikidesk` command line: the JSON answer contract, streaming, index summary, and errors
as one line with exit 1. Mostly in process through main(); a few real subprocess runs."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from wikidesk import service
from wikidesk.cli import main

FIXTURES = Path(__file__).parent / "fixtures"
QUESTION = "which Python should I use on Picotte?"
CITATION_TYPES = {
    "n": int,
    "page": str,
    "title": str,
    "section": str,
    "heading_path": list,
    "url": str,
    "snippet": str,
    "score": float,
}


@pytest.fixture
def workdir(tmp_path, monkeypatch) -> Path:
    """Run in an empty folder with no WIKIDESK_* variables, so defaults are the CLI's own."""
    for key in list(os.environ):
        if key.startswith("WIKIDESK_"):
            monkeypatch.delenv(key)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


@pytest.fixture
def seed_index(workdir, seed_corpus) -> Path:
    out = workdir / "seed-index"
    assert main(["index", "--corpus", str(seed_corpus), "--out", str(out)]) == 0
    return out


def env_without_wikidesk() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("WIKIDESK_")}


def run(*args: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wikidesk", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env=env_without_wikidesk(),
    )


def assert_contract(result: dict) -> None:
    assert {"question", "answered", "answer", "citations", "commands", "warnings"} <= result.keys()
    assert isinstance(result["question"], str)
    assert isinstance(result["answered"], bool)
    assert isinstance(result["answer"], str)
    for i, c in enumerate(result["citations"], 1):
        for key, kind in CITATION_TYPES.items():
            assert isinstance(c[key], kind), (key, c[key])
        assert c["n"] == i
        assert all(isinstance(h, str) for h in c["heading_path"])
    numbers = {c["n"] for c in result["citations"]}
    for cmd in result["commands"]:
        assert isinstance(cmd["command"], str) and isinstance(cmd["citation"], int)
        assert cmd["citation"] in numbers
    assert all(isinstance(w, str) for w in result["warnings"])


def one_line_error(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    assert lines[0].startswith("wikidesk: error: ")
    return lines[0]


# --------------------------------------------------------------------------- ask


def test_ask_json_prints_one_contract_object(seed_index, capsys):
    assert main(["ask", "--json", "--index", str(seed_index), QUESTION]) == 0
    out = capsys.readouterr().out
    assert len(out.strip().splitlines()) == 1
    result = json.loads(out)
    assert_contract(result)
    assert result["question"] == QUESTION
    assert result["answered"] is True and result["citations"]


def test_ask_cites_the_seed_recommendation_first(seed_index, capsys):
    assert main(["ask", "--json", "--index", str(seed_index), QUESTION]) == 0
    first = json.loads(capsys.readouterr().out)["citations"][0]
    assert (first["page"], first["section"]) == ("python", "Recommendation")
    assert first["heading_path"][-1] == "Recommendation"
    assert first["url"].endswith("#recommendation")


def test_ask_top_limits_citations(seed_index, capsys):
    assert main(["ask", "--json", "--top", "2", "--index", str(seed_index), "python modules"]) == 0
    assert len(json.loads(capsys.readouterr().out)["citations"]) <= 2


def test_ask_readable_output_lists_answer_and_numbered_sources(seed_index, capsys):
    assert main(["ask", "--index", str(seed_index), QUESTION]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Answer\n")
    assert "Sources" in out and "  [1] Python > " in out
    assert "/page/python#" in out


def test_readable_output_prompts_commands_but_not_compiler_options():
    from wikidesk.cli import render_answer

    result = {
        "answer": "Use these. [1]",
        "commands": [
            {"command": "module load widget/1.0", "citation": 1, "placeholders": []},
            {"command": "-gencode arch=compute_90,code=sm_90", "citation": 1, "placeholders": []},
        ],
        "citations": [],
    }
    out = render_answer(result)
    assert "  $ module load widget/1.0   [1]" in out
    assert "    -gencode arch=compute_90,code=sm_90   [1]" in out and "$ -gencode" not in out


def test_readable_output_says_which_program_code_is_typed_into():
    from wikidesk.cli import render_answer

    result = {
        "answer": "Register the kernel. [1]",
        "commands": [
            {"command": 'widgetr::register("wr")', "citation": 1, "placeholders": [], "language": "r"},
            {
                "command": "import widget\nwidget.run()",
                "citation": 1,
                "placeholders": [],
                "language": "python",
            },
        ],
        "citations": [],
    }
    out = render_answer(result)
    assert '  (R) widgetr::register("wr")   [1]' in out
    assert "  (Python) import widget\n    widget.run()" in out and "$ import" not in out


def test_ask_stream_answers_each_line_in_order_loading_once(seed_index, capsys, monkeypatch):
    loads = []
    real = service.load_index
    monkeypatch.setattr(service, "load_index", lambda out: loads.append(out) or real(out))
    questions = ["how do I make a venv?", "", "conda environments on proteus"]
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n".join(questions) + "\n"))
    assert main(["ask", "--json", "--index", str(seed_index), "-"]) == 0
    lines = capsys.readouterr().out.strip().split("\n")
    results = [json.loads(line) for line in lines]
    assert [r["question"] for r in results] == questions
    for r in results:
        assert_contract(r)
    assert results[1]["answered"] is False and "empty" in results[1]["error"]
    assert results[0]["citations"] and results[2]["citations"]
    assert len(loads) == 1


@pytest.mark.parametrize("question", ["", "   "])
def test_empty_question_is_one_line_error_before_any_index_work(workdir, seed_corpus, capsys, question):
    assert main(["ask", "--corpus", str(seed_corpus), question]) == 1
    assert "question is empty" in one_line_error(capsys.readouterr().err)
    assert not (workdir / ".wikidesk").exists()


@pytest.mark.parametrize("top", ["0", "-1", "21"])
def test_out_of_range_top_is_an_error(seed_index, capsys, top):
    assert main(["ask", "--top", top, "--index", str(seed_index), QUESTION]) == 1
    assert "--top" in one_line_error(capsys.readouterr().err)


def test_ask_with_damaged_index_is_one_line_error(seed_index, capsys):
    from wikidesk.index import current_version

    (current_version(seed_index) / "chunks.json").write_text("{", encoding="utf-8")
    assert main(["ask", "--json", "--index", str(seed_index), QUESTION]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    line = one_line_error(captured.err)
    assert "damaged" in line and "rebuild" in line


def test_ask_with_missing_index_is_one_line_error(workdir, capsys):
    assert main(["ask", "--index", str(workdir / "nothing"), QUESTION]) == 1
    assert "wikidesk index" in one_line_error(capsys.readouterr().err)


def test_ask_corpus_builds_then_reuses_then_rebuilds_when_stale(workdir, fixture_wiki, capsys):
    args = ["ask", "--json", "--corpus", str(fixture_wiki), "how do I submit an array job?"]
    assert main(args) == 0
    assert "building the index" in capsys.readouterr().err
    assert (workdir / ".wikidesk" / "index" / "CURRENT").is_file()
    assert main(args) == 0
    assert capsys.readouterr().err == ""
    (fixture_wiki / "batch_array_jobs.md").write_text("# Arrays\n\nArray jobs are gone.\n", encoding="utf-8")
    assert main(args) == 0
    err = capsys.readouterr().err
    assert "corpus changed" in err and "Traceback" not in err


def test_unknown_corpus_folder_is_one_line_error(workdir, capsys):
    for args in (["index", "--corpus", "no-such-dir"], ["ask", "--corpus", "no-such-dir", QUESTION]):
        assert main(args) == 1
        assert "no-such-dir" in one_line_error(capsys.readouterr().err)


@pytest.mark.parametrize(
    "args",
    [
        ["ask", "--corpus", "a", "--corpus", "b", QUESTION],
        ["ask", "--index", "a", "--index", "b", QUESTION],
        ["index", "--corpus", "a", "--corpus", "b"],
        ["serve", "--corpus", "a", "--corpus", "b"],
    ],
)
def test_a_folder_option_given_twice_is_one_line_error_not_the_last_one_winning(workdir, capsys, args):
    assert main(args) == 1
    assert "given more than once" in one_line_error(capsys.readouterr().err)


# --------------------------------------------------------------------------- index and search


def test_index_prints_summary_and_warnings_on_stderr(workdir, capsys):
    corpus = workdir / "pages"
    shutil.copytree(FIXTURES / "bad", corpus)
    out = workdir / "idx"
    assert main(["index", "--corpus", str(corpus), "--out", str(out)]) == 0
    captured = capsys.readouterr()
    summary = captured.out.strip()
    assert summary.startswith("indexed 7 pages, ")
    assert "skipped 3 files" in summary and "chunks" in summary and "sections" in summary
    warnings = captured.err.strip().splitlines()
    for name in ("binary_blob.md", "empty.md", "whitespace_only.md", "latin1_page.md"):
        assert sum(name in w for w in warnings) == 1, (name, warnings)
    assert all(w.startswith("warning: ") for w in warnings)
    assert (out / "CURRENT").is_file()
    assert not (workdir / ".wikidesk").exists()


def test_index_shows_progress_on_a_terminal(workdir, seed_corpus, capsys, monkeypatch):
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert main(["index", "--corpus", str(seed_corpus), "--out", str(workdir / "idx")]) == 0
    err = capsys.readouterr().err
    assert "\rparsing [" in err and "1/1" in err and err.endswith("\n")


def test_index_of_corpus_without_text_is_one_line_error(workdir, capsys):
    (workdir / "blank").mkdir()
    (workdir / "blank" / "empty.md").write_text("", encoding="utf-8")
    assert main(["index", "--corpus", str(workdir / "blank"), "--out", str(workdir / "idx")]) == 1
    assert "no indexable text" in one_line_error(capsys.readouterr().err)


def test_search_lists_ranked_sections_with_scores(seed_index, capsys):
    assert main(["search", "--index", str(seed_index), "virtual environment venv"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) > 1
    ranks, scores = [], []
    for line in lines:
        rank, score, rest = line.split(None, 2)
        ranks.append(int(rank))
        scores.append(float(score))
        assert rest.startswith("Python") and "(/page/python#" in rest
    assert ranks == list(range(1, len(lines) + 1))
    assert scores == sorted(scores, reverse=True)


def test_search_json_rows(seed_index, capsys):
    assert main(["search", "--json", "--top", "3", "--index", str(seed_index), "conda"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert 1 <= len(rows) <= 3
    assert all({"rank", "page", "section", "heading_path", "score"} <= r.keys() for r in rows)


def test_config_file_sets_cli_defaults(workdir, seed_corpus, capsys):
    (workdir / "wikidesk.toml").write_text(
        f'corpus = "{seed_corpus.as_posix()}"\nindex = "custom-index"\n', encoding="utf-8"
    )
    assert main(["index"]) == 0
    assert "index at custom-index" in capsys.readouterr().out
    assert (workdir / "custom-index" / "CURRENT").is_file()


def test_bad_config_is_one_line_error(workdir, capsys):
    (workdir / "wikidesk.toml").write_text('port = "eighty"\n', encoding="utf-8")
    assert main(["index"]) == 1
    assert "port" in one_line_error(capsys.readouterr().err)


# --------------------------------------------------------------------------- real processes


def test_python_m_wikidesk_index_then_ask_json_stream(tmp_path, seed_corpus):
    out = tmp_path / "idx"
    proc = run("index", "--corpus", str(seed_corpus), "--out", str(out), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("indexed 1 pages")
    proc = run("ask", "--json", "--index", str(out), "-", cwd=tmp_path, stdin=f"{QUESTION}\nnumba\n")
    assert proc.returncode == 0, proc.stderr
    results = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r["question"] for r in results] == [QUESTION, "numba"]
    for r in results:
        assert_contract(r)


def test_console_errors_have_no_traceback(tmp_path):
    proc = run("ask", "--index", str(tmp_path / "missing"), QUESTION, cwd=tmp_path)
    assert proc.returncode == 1
    one_line_error(proc.stderr)
    assert proc.stdout == ""
