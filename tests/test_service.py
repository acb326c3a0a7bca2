"""The core the CLI and the web share: question validation, build and open_index."""

from __future__ import annotations

import pytest

from wikidesk.errors import WikideskError
from wikidesk.service import build, open_index, validate_question


def test_question_is_trimmed(config):
    assert validate_question("  which python?\n", config) == "which python?"


@pytest.mark.parametrize(
    ("question", "message"), [("", "empty"), (" \t\n", "empty"), (None, "string"), (42, "string")]
)
def test_unusable_question_is_a_user_error(config, question, message):
    with pytest.raises(WikideskError, match=message):
        validate_question(question, config)


def test_too_long_question_names_the_limit(config):
    limited = config.replace(max_question_chars=20)
    with pytest.raises(WikideskError, match="limit is 20"):
        validate_question("x" * 21, limited)


def test_ask_honours_k(desk):
    assert 1 <= len(desk.ask("python virtual environments", k=1)["citations"]) <= 1


def test_search_rows_are_ranked_sections(desk):
    rows = desk.search("conda environments", k=3)
    assert [r["rank"] for r in rows] == list(range(1, len(rows) + 1))
    assert len({(r["page"], r["anchor"]) for r in rows}) == len(rows)


def test_build_refuses_missing_corpus(config, tmp_path):
    with pytest.raises(WikideskError, match="does not exist"):
        build(config, corpus=tmp_path / "absent")


def test_open_index_loads_existing_index_without_corpus(config, tmp_path):
    build(config)
    moved = config.replace(corpus=tmp_path / "gone")
    assert open_index(moved, log=pytest.fail).n_chunks > 0


def test_open_index_without_corpus_or_index_is_a_user_error(config, tmp_path):
    with pytest.raises(WikideskError, match="does not exist"):
        open_index(config.replace(corpus=tmp_path / "gone", index=tmp_path / "none"))


def test_repeated_question_is_the_same_answer_and_a_copy_the_caller_may_change(desk):
    first = desk.ask("python virtual environments")
    first["citations"].clear()
    first["answer"] = "changed"
    again = desk.ask("python virtual environments")
    assert again["citations"] and again["answer"] != "changed"
    assert again == desk.ask("  python virtual environments ")
