"""The sparse scoring core: BM25/BM25F/TF-IDF weights over term-major posting arrays.

Pure functions over NumPy arrays. Weights are computed once per (term, chunk) at index time,
so a query only sums the posting columns of its own terms. Query time needs NumPy alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Postings:
    """A CSC matrix (chunks x terms) as three arrays: column t lists the chunks holding term t."""

    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray
    n_docs: int

    @property
    def n_terms(self) -> int:
        return len(self.indptr) - 1

    def column(self, term: int) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = self.indptr[term], self.indptr[term + 1]
        return self.indices[lo:hi], self.data[lo:hi]

    def df(self) -> np.ndarray:
        return np.diff(self.indptr)

    def row_sums(self) -> np.ndarray:
        return np.bincount(self.indices, weights=self.data, minlength=self.n_docs)

    def term_ids(self) -> np.ndarray:
        """The column of every stored value, aligned with indices and data."""
        return np.repeat(np.arange(self.n_terms), np.diff(self.indptr))

    def with_data(self, data: np.ndarray) -> Postings:
        return Postings(self.indptr, self.indices, data, self.n_docs)


def idf_okapi(df: np.ndarray, n_docs: int, epsilon: float = 0.25) -> np.ndarray:
    """Robertson-Sparck Jones idf as rank-bm25's BM25Okapi computes it, negative values floored
    at epsilon times the mean idf; kept so the oracle test can demand exact equality."""
    idf = np.log(n_docs - df + 0.5) - np.log(df + 0.5)
    floor = epsilon * (idf.sum() / len(idf)) if len(idf) else 0.0
    return np.where(idf < 0, floor, idf)


def idf_lucene(df: np.ndarray, n_docs: int) -> np.ndarray:
    """log(1 + (N - n + 0.5) / (n + 0.5)): never negative, so very common terms still count a bit."""
    return np.log1p((n_docs - df + 0.5) / (df + 0.5))


def idf(df: np.ndarray, n_docs: int, kind: str) -> np.ndarray:
    if kind == "okapi":
        return idf_okapi(df, n_docs)
    if kind == "lucene":
        return idf_lucene(df, n_docs)
    raise ValueError(f"unknown idf {kind!r}; expected 'okapi' or 'lucene'")


def length_norm(doc_len: np.ndarray, b: float) -> np.ndarray:
    avg = doc_len.mean() if len(doc_len) and doc_len.mean() > 0 else 1.0
    return 1.0 - b + b * doc_len / avg


def bm25_weights(counts: Postings, k1: float, b: float, idf_kind: str = "lucene") -> Postings:
    """Okapi BM25 weight of every (chunk, term) pair."""
    doc_len = counts.row_sums()
    tf = counts.data.astype(np.float64)
    weights = _per_value(counts, idf(counts.df(), counts.n_docs, idf_kind))
    weights *= tf
    weights *= k1 + 1
    denom = length_norm(doc_len, b)[counts.indices]
    denom *= k1
    denom += tf
    weights /= denom
    return counts.with_data(weights)


def bm25f_weights(
    fields: list[tuple[Postings, float]], k1: float, b: float, idf_kind: str = "lucene"
) -> Postings:
    """BM25F: per-field length-normalised term frequencies, weighted and summed, then saturated
    once, so a term in the title and the body is not counted as two independent matches."""
    total = _sum_fields([(f, 1.0) for f, _ in fields])
    pseudo = _sum_fields(
        [(f.with_data(f.data / length_norm(f.row_sums(), b)[f.indices]), w) for f, w in fields]
    )
    tf = pseudo.data
    weights = idf(total.df(), total.n_docs, idf_kind)[pseudo.term_ids()]
    return pseudo.with_data(weights * tf * (k1 + 1) / (tf + k1))


def ngram_df(token_df: np.ndarray, grams: Postings, n_docs: int) -> np.ndarray:
    """Per character n-gram, the chunks holding it counted through the tokens that contain it:
    the sum of those tokens' document frequencies, capped at the number of chunks. It is exactly
    what scanning the n-gram costs at query time, and equals the true document frequency unless
    tokens sharing the n-gram meet in one chunk (then it overcounts: common n-grams, which
    carry little weight and the posting budget drops first)."""
    df = np.bincount(grams.term_ids(), weights=token_df[grams.indices], minlength=grams.n_terms)
    return np.minimum(df, n_docs)


def char_weights(token_counts: Postings, grams: Postings) -> Postings:
    """The character n-gram TF-IDF model, kept factorised so a million chunks stay in memory.

    A chunk's n-gram vector is the sum of its tokens' vectors, each token contributing
    (1 + log tf) times its n-gram counts times the n-grams' smooth idf. Storing chunk x
    n-gram weights would take ten times the memory of the term matrix; instead this returns
    chunk x token weights (1 + log tf) / norm, and `char_scores` maps query n-grams onto tokens
    through `grams` (token x n-gram counts). The norm treats a chunk's tokens as sharing no
    n-grams, which lets it come from per-token norms without the chunk x n-gram product.
    """
    n = token_counts.n_docs
    idf_g = smooth_idf(ngram_df(token_counts.df(), grams, n), n)
    a = grams.data * _per_value(grams, idf_g)
    token_norm2 = np.bincount(grams.indices, weights=a * a, minlength=grams.n_docs)
    data = np.log(token_counts.data.astype(np.float64))
    data += 1.0
    norm2 = np.bincount(
        token_counts.indices, weights=data * data * _per_value(token_counts, token_norm2), minlength=n
    )
    norms = np.sqrt(norm2)
    norms[norms == 0] = 1.0
    data /= norms[token_counts.indices]
    return token_counts.with_data(data)


def char_scores(chars: Postings, grams: Postings, ngrams: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Cosine-style scores of every chunk for query n-gram weights (already times idf): the
    query is first spread over the tokens holding its n-grams, then over those tokens' chunks."""
    per_token = score(grams, ngrams, weights)
    tokens = np.flatnonzero(per_token)
    return score(chars, tokens, per_token[tokens])


def _per_value(postings: Postings, per_term: np.ndarray) -> np.ndarray:
    """A per-term value repeated for every stored value of its column (a float copy, without
    the int64 column-index array `term_ids` would make first)."""
    return np.repeat(np.asarray(per_term, dtype=np.float64), np.diff(postings.indptr))


def smooth_idf(df: np.ndarray, n_docs: int) -> np.ndarray:
    return np.log((1 + n_docs) / (1 + df)) + 1.0


def _sum_fields(fields: list[tuple[Postings, float]]) -> Postings:
    """Weighted sum of CSC matrices with the same shape (build time: SciPy merges the sorted
    columns in linear time)."""
    from scipy import sparse

    def csc(p: Postings, w: float):
        return sparse.csc_matrix(
            (p.data.astype(np.float64) * w, p.indices, p.indptr), shape=(p.n_docs, p.n_terms)
        )

    total = csc(*fields[0])
    for f, w in fields[1:]:
        total = total + csc(f, w)
    total.sort_indices()
    return Postings(total.indptr, total.indices, total.data, total.shape[0])


def score(postings: Postings, terms: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Sum of weight x posting value over the query's terms, for every chunk."""
    if len(terms) == 0:
        return np.zeros(postings.n_docs)
    if len(terms) <= _FEW_TERMS:
        return _score_each(postings, terms, weights)
    starts = postings.indptr[terms]
    lengths = postings.indptr[terms + 1] - starts
    # positions of every posting of every term, gathered without a Python loop over terms
    # (character n-grams reach hundreds of tokens per query)
    offsets = np.cumsum(lengths) - lengths
    positions = np.arange(int(lengths.sum()), dtype=np.int64) + np.repeat(starts - offsets, lengths)
    vals = postings.data[positions] * np.repeat(np.asarray(weights, dtype=np.float64), lengths)
    return np.bincount(postings.indices[positions], weights=vals, minlength=postings.n_docs)


# Up to this many terms, adding each term's postings in turn is faster than gathering them all
# at once (a word query has a handful of terms; character n-grams bring hundreds of tokens).
_FEW_TERMS = 8


def _score_each(postings: Postings, terms: np.ndarray, weights: np.ndarray) -> np.ndarray:
    out = np.zeros(postings.n_docs)
    pairs = zip(terms.tolist(), np.asarray(weights, dtype=np.float64).tolist(), strict=True)
    for n, (term, weight) in enumerate(pairs):
        docs, values = postings.column(term)
        values = values if weight == 1.0 else weight * values
        if n == 0:
            out[docs] = values  # nothing to add to yet
        else:
            out[docs] += values  # a term lists each chunk once, so no index repeats
    return out


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k best positive scores, best first; ties keep chunk order."""
    found = _top_k_by_blocks(scores, k)
    if found is not None:
        return found
    positive = np.flatnonzero(scores > 0)
    if len(positive) > k:
        part = np.argpartition(-scores[positive], k - 1)[:k]
        positive = positive[part]
    order = np.lexsort((positive, -scores[positive]))
    return positive[order]


_BLOCK = 64


def _top_k_by_blocks(scores: np.ndarray, k: int) -> np.ndarray | None:
    """On long score arrays: the k-th best of the group maxima bounds the k-th best score from
    below, so only the few scores above that bound need sorting, not every match of a common
    term. None when the bound does not help (short arrays, few positive scores).

    Group j holds every m-th score from j on: the maxima are then an element-wise max over
    `_BLOCK` contiguous rows, which vectorises, where a max within each contiguous block of
    `_BLOCK` scores does not (four times slower at 100,000 chunks)."""
    n = len(scores)
    if k <= 0 or n < 4 * _BLOCK * k:
        return None
    m = n // _BLOCK
    maxima = scores[: m * _BLOCK].reshape(_BLOCK, m).max(axis=0)
    bound = np.partition(maxima, m - k)[m - k]
    if not bound > 0:
        return None
    candidates = np.flatnonzero(scores >= bound)
    if len(candidates) < k:
        return None
    order = np.lexsort((candidates, -scores[candidates]))
    return candidates[order[:k]]
