"""BM25 exactness: wikidesk's plain BM25 equals rank-bm25's BM25Okapi on the same tokens, on the
seed page and on generated text; BM25F and TF-IDF equal the formulas they document."""

from __future__ import annotations

import math
import random
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from rank_bm25 import BM25Okapi

from wikidesk import bm25
from wikidesk import index as index_module
from wikidesk.analysis import analyze, char_ngrams, raw_tokens, token_ngrams
from wikidesk.config import Config
from wikidesk.corpus import load_corpus, parse_page
from wikidesk.index import Index, IndexParams, build_index
from wikidesk.search import analyze_query, char_scores, plain_bm25

ROOT = Path(__file__).resolve().parents[1]
OKAPI = IndexParams(idf="okapi", k1=1.5, b=0.75)


def chunk_tokens(index: Index) -> list[list[str]]:
    """The token list of each chunk, field by field as build_index analyses them (camel-case
    names' words included)."""
    fields = index_module._field_texts(index.chunks)
    return [
        analyze(t) + analyze(h) + analyze(b)
        for t, h, b in zip(fields["title"], fields["heading"], fields["body"], strict=True)
    ]


def wikidesk_scores(index: Index, query: list[str]) -> np.ndarray:
    vocab = index.vocab
    counts = Counter(vocab[t] for t in query if t in vocab)
    terms = np.array(list(counts), dtype=np.int64)
    weights = np.array(list(counts.values()), dtype=np.float64)
    return bm25.score(index.matrices["bm25"], terms, weights)


def assert_matches_oracle(index: Index, queries: list[list[str]]) -> None:
    oracle = BM25Okapi(chunk_tokens(index), k1=OKAPI.k1, b=OKAPI.b, epsilon=0.25)
    for query in queries:
        expected = oracle.get_scores(query)
        assert np.any(expected != 0), query
        np.testing.assert_allclose(
            wikidesk_scores(index, query), expected, rtol=1e-9, atol=0, err_msg=str(query)
        )


@pytest.fixture(scope="module")
def seed_index() -> Index:
    corpus = load_corpus(ROOT / "corpus")
    return build_index(corpus.pages, OKAPI)


SEED_QUESTIONS = [
    "which Python should I use on Picotte?",
    "python python python venv",
    "module load python/gcc/3.10",
    "pip install --user requests[security]",
    "conda activate environment on proteus",
    "os.sched_getaffinity cores numba",
    "xylophonic quarkbrew python",
]


def test_bm25_equals_rank_bm25_on_seed_page(seed_index):
    assert_matches_oracle(seed_index, [analyze(q) for q in SEED_QUESTIONS])


def test_absent_query_terms_score_zero(seed_index):
    assert not wikidesk_scores(seed_index, ["xylophonic", "quarkbrew"]).any()


def test_plain_bm25_baseline_scores_are_oracle_scores(seed_index):
    query = "python virtual environments venv"
    oracle = BM25Okapi(chunk_tokens(seed_index), k1=1.5, b=0.75).get_scores(analyze(query))
    hits = plain_bm25(seed_index, query, k=5)
    assert hits
    for hit in hits:
        assert hit.score == pytest.approx(oracle[hit.chunk.id], rel=1e-9)
    assert hits[0].chunk.id == int(np.argmax(oracle))


def _random_pages(seed: int, n_pages: int = 40):
    rng = random.Random(seed)
    letters = "bcdfghjklmnprstvz"
    words = ["".join(rng.choice(letters) + rng.choice("aeiou") for _ in range(3)) for _ in range(400)]
    weights = [1.0 / (rank + 1) for rank in range(len(words))]

    def sentence(n: int) -> str:
        return " ".join(rng.choices(words, weights=weights, k=n))

    pages = []
    for p in range(n_pages):
        parts = [f"---\ntitle: {sentence(rng.randint(1, 3))}\n---\n", sentence(rng.randint(0, 30))]
        for _ in range(rng.randint(0, 4)):
            parts.append(f"## {sentence(rng.randint(1, 4))}\n\n{sentence(rng.randint(1, 400))}")
        page, _ = parse_page("\n\n".join(parts) + "\n", f"p{p}")
        pages.append(page)
    return pages, words, rng


@pytest.mark.parametrize("seed", [7, 2024])
def test_bm25_equals_rank_bm25_on_generated_text(seed):
    pages, words, rng = _random_pages(seed)
    index = build_index(pages, OKAPI)
    tokens = chunk_tokens(index)
    df = Counter(t for doc in tokens for t in set(doc))
    assert any(n > len(tokens) / 2 for n in df.values()), "no negative-idf term: the floor is untested"
    common = [t for t, _ in df.most_common(3)]
    queries = [analyze(" ".join(rng.sample(words, rng.randint(1, 6)))) for _ in range(25)]
    queries = [q for q in queries if set(q) & set(df)]
    queries += [common, common + common[:1] * 3, [*analyze(words[5]) * 2, "zzzabsent", "qqqnothing"]]
    assert_matches_oracle(index, queries)


def _direct_char_scores(index: Index, query: str) -> np.ndarray:
    """The n-gram model char_weights documents, written out densely: a chunk is the sum of its
    tokens' idf-weighted n-gram count vectors, each token times 1 + log tf, divided by the
    norm it would have if its tokens shared no n-grams; the query is its n-gram tf-idf."""
    ngram_id = {g: i for i, g in enumerate(index.ngrams)}
    n = index.n_chunks
    token_vectors: dict[str, np.ndarray] = {}
    token_df: Counter[str] = Counter()
    fields = index_module._field_texts(index.chunks)
    texts = [
        "\n".join(parts) for parts in zip(fields["title"], fields["heading"], fields["body"], strict=True)
    ]
    chunk_tokens = [Counter(t for t in raw_tokens(text) if token_ngrams(t)) for text in texts]
    for counts in chunk_tokens:
        token_df.update(counts.keys())
        for tok in counts:
            vec = np.zeros(len(ngram_id))
            for g in token_ngrams(tok):
                vec[ngram_id[g]] += 1
            token_vectors[tok] = vec
    df = np.minimum(sum(token_df[t] * (v > 0) for t, v in token_vectors.items()), n)
    idf = np.log((1 + n) / (1 + df)) + 1
    scores = np.zeros(n)
    q_counts = Counter(g for g in char_ngrams(query) if g in ngram_id)
    q = np.zeros(len(ngram_id))
    for g, c in q_counts.items():
        q[ngram_id[g]] = (1 + math.log(c)) * idf[ngram_id[g]]
    q /= np.linalg.norm(q)
    for i, counts in enumerate(chunk_tokens):
        vec = sum((1 + math.log(c)) * token_vectors[t] * idf for t, c in counts.items())
        norm = math.sqrt(
            sum(((1 + math.log(c)) * np.linalg.norm(token_vectors[t] * idf)) ** 2 for t, c in counts.items())
        )
        scores[i] = float(vec @ q) / norm if norm else 0.0
    return scores


@pytest.mark.parametrize("query", ["python venv", "modul load pyton/gcc", "environments conda activate"])
def test_char_scores_equal_the_documented_model(seed_index, query):
    config = Config()
    ngrams = analyze_query(query, seed_index, config).ngrams
    expected = _direct_char_scores(seed_index, query)
    assert np.count_nonzero(expected) > 3
    # serving weights are stored as float32: agreement to six digits
    np.testing.assert_allclose(char_scores(seed_index, ngrams), expected, rtol=1e-6, atol=1e-9)


def test_char_df_is_the_scan_cost_and_exact_when_tokens_do_not_meet():
    """'gpus' and 'gpu' never share a chunk here, so ' gp' counts 1 + 2 chunks, the true df."""
    pages = [
        parse_page("# One\n\ngpus everywhere\n", "a")[0],
        parse_page("# Two\n\nthe gpu node\n", "b")[0],
        parse_page("# Three\n\ngpu again\n", "c")[0],
    ]
    index = build_index(pages, OKAPI)
    df = bm25.ngram_df(index.matrices["chars"].df(), index.matrices["char_grams"], index.n_chunks)
    assert df[index.ngrams.index(" gp")] == 3
    assert df[index.ngrams.index("gpus")] == 1


def test_fast_build_path_equals_the_reference_path(monkeypatch):
    """Counting through distinct tokens gives exactly the matrices full analysis gives."""
    pages, _, _ = _random_pages(11, n_pages=12)
    pages += load_corpus(ROOT / "corpus").pages
    fast = build_index(pages, OKAPI)
    monkeypatch.setattr(index_module, "_fast_counts", lambda chunks: None)
    slow = build_index(pages, OKAPI)
    assert fast.terms == slow.terms and fast.ngrams == slow.ngrams
    assert sorted(fast.matrices) == sorted(slow.matrices)
    for name, p in fast.matrices.items():
        q = slow.matrices[name]
        assert (p.n_docs, p.n_terms) == (q.n_docs, q.n_terms), name
        np.testing.assert_array_equal(p.indptr, q.indptr, err_msg=name)
        np.testing.assert_array_equal(p.indices, q.indices, err_msg=name)
        np.testing.assert_allclose(p.data, q.data, rtol=1e-12, err_msg=name)


TINY = [
    (
        "gpu",
        "---\ntitle: GPU Jobs\n---\n\nAsk for a gpu with gres.\n\n## Picotte GPU\n\nFour gpu per node, gpu gpu.\n",
    ),
    (
        "py",
        "---\ntitle: Python\n---\n\nLoad python first.\n\n## Virtual environments\n\nA venv keeps python packages apart.\n",
    ),
    ("scratch", "---\ntitle: Scratch\n---\n\nFiles on scratch are removed after a month of idle time.\n"),
]


def _direct_bm25f(index: Index, params: IndexParams) -> dict[tuple[int, str], float]:
    """Per (chunk, term) BM25F weight, straight from the formula bm25f_weights documents."""
    fields = {
        "title": ([analyze(c.title) for c in index.chunks], params.title_weight),
        "heading": ([analyze(c.headings) for c in index.chunks], params.heading_weight),
        "body": ([analyze(c.body) for c in index.chunks], params.body_weight),
    }
    n = index.n_chunks
    avg = {f: (sum(map(len, docs)) / n) or 1.0 for f, (docs, _) in fields.items()}
    df = Counter(t for d in range(n) for t in {t for docs, _ in fields.values() for t in docs[d]})
    out = {}
    for d in range(n):
        pseudo: Counter[str] = Counter()
        for f, (docs, weight) in fields.items():
            norm = 1 - params.b + params.b * len(docs[d]) / avg[f]
            for term, tf in Counter(docs[d]).items():
                pseudo[term] += weight * tf / norm
        for term, tf in pseudo.items():
            if params.idf == "lucene":
                idf = math.log(1 + (n - df[term] + 0.5) / (df[term] + 0.5))
            else:
                idf = math.log(n - df[term] + 0.5) - math.log(df[term] + 0.5)
            out[d, term] = idf * tf * (params.k1 + 1) / (tf + params.k1)
    return out


def test_bm25f_equals_direct_formula_on_tiny_corpus():
    params = IndexParams(k1=1.3, b=0.6, idf="lucene", title_weight=3.0, heading_weight=2.0, body_weight=1.0)
    pages = [parse_page(text, pid)[0] for pid, text in TINY]
    index = build_index(pages, params)
    expected = _direct_bm25f(index, params)
    p = index.matrices["bm25f"]
    got = {}
    for t, term in enumerate(index.terms):
        docs, vals = p.column(t)
        for d, v in zip(docs.tolist(), vals.tolist(), strict=True):
            got[d, term] = v
    assert got.keys() == expected.keys()
    for key, value in expected.items():  # stored as float32: six digits
        assert got[key] == pytest.approx(value, rel=1e-6), key
    query = analyze("gpu python venv")
    ids = np.array([index.vocab[t] for t in query])
    scores = bm25.score(p, ids, np.ones(len(ids)))
    for d in range(index.n_chunks):
        assert scores[d] == pytest.approx(sum(expected.get((d, t), 0.0) for t in query), rel=1e-6)


@pytest.mark.parametrize("n_terms", [1, 3, 8, 9, 40])
def test_few_and_many_term_scoring_paths_agree(n_terms):
    """A few terms are added one by one, many are gathered at once: the sums must not differ."""
    rng = np.random.default_rng(n_terms)
    n_docs, n_vocab = 300, 60
    columns = [np.sort(rng.choice(n_docs, size=rng.integers(1, 80), replace=False)) for _ in range(n_vocab)]
    postings = bm25.Postings(
        indptr=np.concatenate([[0], np.cumsum([len(c) for c in columns])]).astype(np.int32),
        indices=np.concatenate(columns).astype(np.int32),
        data=rng.random(sum(len(c) for c in columns)),
        n_docs=n_docs,
    )
    terms = rng.choice(n_vocab, size=n_terms, replace=False).astype(np.int64)
    weights = rng.choice([1.0, 0.3, 0.8], size=n_terms)
    expected = np.zeros(n_docs)
    for t, w in zip(terms, weights, strict=True):
        docs, values = postings.column(int(t))
        expected[docs] += w * values
    assert np.allclose(bm25.score(postings, terms, weights), expected)
    assert np.allclose(bm25._score_each(postings, terms, weights), expected)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("k", [1, 10, 50])
def test_top_k_on_long_score_arrays_equals_a_full_sort(seed, k):
    """The grouped bound that spares sorting every match must return exactly the k best, ties
    in chunk order, also when scores repeat (one common term) or few are positive."""
    rng = np.random.default_rng(seed)
    n = 100_003
    scores = np.zeros(n)
    hit = rng.choice(n, size=[30, 3000, 60000, n][seed], replace=False)
    scores[hit] = rng.choice([0.5, 1.0, 1.5], size=len(hit)) if seed % 2 else rng.random(len(hit))
    positive = np.flatnonzero(scores > 0)
    expected = positive[np.lexsort((positive, -scores[positive]))][:k]
    assert bm25.top_k(scores, k).tolist() == expected.tolist()
