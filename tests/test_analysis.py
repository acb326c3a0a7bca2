"""Technical tokens survive analysis whole and by parts, in the analyser and through the index."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from wikidesk import bm25
from wikidesk.analysis import analyze, camel_words, raw_tokens
from wikidesk.corpus import parse_page
from wikidesk.index import IndexParams, build_index

TECH_PAGE = """---
title: Toolbox
---

Load the interpreter with `module load python/gcc/3.10` before anything else.

## Packages

Install with `pip install --user requests[security]` into your home directory.

## Cores

Call os.sched_getaffinity to count the cores you were given.

## Unrelated

Scratch is swept every week; user directories are backed up nightly.

## Other Versions

An older interpreter, python/intel/2020.4, remains for existing workflows.
"""

# query -> the heading of the section that must be found
PARTS = {
    "python/gcc/3.10": "",
    "gcc": "",
    "3.10": "",
    "--user": "Packages",
    "requests[security]": "Packages",
    "requests": "Packages",
    "security": "Packages",
    "os.sched_getaffinity": "Cores",
    "sched_getaffinity": "Cores",
    "getaffinity": "Cores",
    "affinity of os.sched_getaffinity": "Cores",
}


@pytest.mark.parametrize(
    ("token", "parts"),
    [
        ("python/gcc/3.10", ["python/gcc/3.10", "python", "gcc", "3.10"]),
        ("--user", ["--user", "user"]),
        ("os.sched_getaffinity", ["os.sched_getaffinity", "os", "sched_getaffinity", "sched", "getaffin"]),
        ("requests[security]", ["requests[security]", "request", "secur"]),
    ],
)
def test_technical_token_kept_whole_and_split_into_parts(token, parts):
    terms = analyze(f"with {token}.")
    assert terms[0] == token
    for part in parts:
        assert part in terms, (part, terms)


def test_version_number_stays_one_term():
    assert "3.10" in analyze("Python 3.10 is the default")
    assert raw_tokens("python/gcc/3.10.") == ["python/gcc/3.10"]


def test_ordinary_words_are_stemmed_and_stopped():
    assert analyze("the packages are installing") == ["packag", "instal"]


@pytest.fixture(scope="module")
def tech_index():
    page, _ = parse_page(TECH_PAGE, "toolbox")
    return build_index([page], IndexParams())


@pytest.mark.parametrize("query", sorted(PARTS))
def test_search_for_whole_token_or_part_finds_its_chunk(tech_index, query):
    vocab = tech_index.vocab
    weights = Counter(vocab[t] for t in analyze(query) if t in vocab)
    assert weights, f"no term of {query!r} is in the index"
    scores = bm25.score(
        tech_index.matrices["bm25f"],
        np.array(list(weights), dtype=np.int64),
        np.array(list(weights.values()), dtype=np.float64),
    )
    best = tech_index.chunks[int(np.argmax(scores))]
    assert best.heading == PARTS[query], (
        query,
        [(c.heading, s) for c, s in zip(tech_index.chunks, scores, strict=True)],
    )


def test_whole_modulefile_outranks_a_sibling_sharing_parts(tech_index):
    vocab = tech_index.vocab
    terms = [vocab[t] for t in analyze("python/gcc/3.10") if t in vocab]
    scores = bm25.score(tech_index.matrices["bm25"], np.array(terms), np.ones(len(terms)))
    ranked = [tech_index.chunks[i].heading for i in bm25.top_k(scores, 5)]
    assert ranked[0] == ""
    assert "Other Versions" in ranked


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("pip install --user numpy.", ["pip", "install", "--user", "numpy"]),
        ("mpirun -n 4 ./a.out", ["mpirun", "-n", "4", "a.out"]),
        ("set -n=4 then", ["set", "-n=4", "then"]),
        ("use -python and -4", ["use", "python", "and", "4"]),
        ("--foo. and --a-", ["--foo", "and", "--a"]),
        ("module load python/gcc/3.10.", ["module", "load", "python/gcc/3.10"]),
        ("requests[security] x@y", ["requests[security]", "x@y"]),
    ],
)
def test_raw_token_rules(text, tokens):
    assert raw_tokens(text) == tokens


def _tokens_by_trimming(text: str) -> list[str]:
    """The tokeniser's rules applied the slow way: match dash tokens whole, then trim them."""
    import re

    from wikidesk.analysis import normalize

    out = []
    pattern = r"-{1,2}[a-z0-9][\w.+:=/-]*|[\w][\w.+:=/\[\]@#-]*[\w\]+]|\w"
    for tok in re.findall(pattern, normalize(text)):
        if tok[0] == "-":
            tok = tok.rstrip(".:=-/")
            if not tok.startswith("--") and not re.match(r"-[a-z]\b", tok):
                tok = tok.lstrip("-")
        out.append(tok)
    return out


def test_one_pattern_tokeniser_follows_the_trimming_rules_on_random_text():
    """Outside brackets, '@' and '#' right after a dropped dash (where the two may split a
    token differently), one findall gives what matching and trimming give."""
    import random

    rng = random.Random(5)
    alphabet = "ab1-- .+/=:é_"
    texts = ["".join(rng.choices(alphabet, k=rng.randint(1, 14))) for _ in range(20_000)]
    for text in texts:
        assert raw_tokens(text) == _tokens_by_trimming(text), text


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("run widgetCreate first", ["widget", "create"]),
        ("the LdaWidget() call", ["lda", "widget"]),
        ("IRwidget::register('x')", ["ir", "widget", "rwidget"]),  # which capital starts the word is unknown
        ("plain words, ALLCAPS, Title Case, python3", []),
    ],
)
def test_camel_case_names_hold_their_words(text, words):
    assert camel_words(text) == words
