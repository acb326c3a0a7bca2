"""Query analysis and ranking.

A query is analysed like the chunks (same tokens, same stems), then widened by the synonym
lexicon and spelling correction, and scored two ways: BM25F over fields and cosine over
character n-grams. The two are fused, adjusted for the cluster the user is asking about, and
collapsed to sections with at most a few per page.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TypeVar

import numpy as np

from . import bm25
from .analysis import (
    STOPWORDS,
    analyze,
    camel_words,
    char_ngrams,
    expand_token,
    is_technical,
    raw_tokens,
    stem,
    title_terms,
)
from .chunking import Chunk, is_navigation, is_troubleshooting, whole_word
from .commands import INSTALLATION_HEADING_RE, bare_name, section_commands
from .config import Config
from .corpus import Section
from .errors import WikideskError
from .index import Index

T = TypeVar("T")


@dataclass(frozen=True)
class Query:
    text: str
    terms: dict[int, float]
    ngrams: dict[int, float]
    clusters: tuple[str, ...] = ()
    corrections: dict[str, str] = field(default_factory=dict)
    expansions: tuple[str, ...] = ()
    surface: tuple[str, ...] = ()
    unknown: tuple[str, ...] = ()
    own: frozenset[int] = frozenset()
    wants_module: bool = False

    @property
    def empty(self) -> bool:
        return not self.terms and not self.ngrams


@dataclass(frozen=True)
class Hit:
    chunk: Chunk
    score: float
    lexical: float = 0.0
    chars: float = 0.0
    # the chunk whose match put this section here, when that is another one: a program page's
    # lead matched a keyword search and its installation section is shown in its place
    via: Chunk | None = None

    @property
    def evidence(self) -> Chunk:
        """The chunk that matched the question, for judging how well it is answered."""
        return self.via or self.chunk


# --------------------------------------------------------------------------- lexicon


@dataclass(frozen=True)
class Lexicon:
    """Groups of equivalent phrases. A member matches the query's analysed terms (so plurals and
    stems match) or its raw words (so phrases made of stopwords, like "should I use", match)."""

    groups: tuple[tuple[tuple[tuple[str, ...], tuple[str, ...]], ...], ...]
    by_first: dict[str, tuple[int, ...]] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        """Index the groups by the first term and first word of each member, so a query looks
        only at groups it can trigger instead of scanning the whole lexicon."""
        index: dict[str, set[int]] = {}
        for g, group in enumerate(self.groups):
            for analysed, raw in group:
                for first in (analysed[:1], raw[:1]):
                    if first:
                        index.setdefault(first[0], set()).add(g)
        object.__setattr__(self, "by_first", {k: tuple(sorted(v)) for k, v in index.items()})

    def partners(self, term: str) -> frozenset[str]:
        """The analysed terms of every group that has `term` among its members' terms."""
        return frozenset(
            t
            for group in self.groups
            if any(term in analysed for analysed, _ in group)
            for analysed, _ in group
            for t in analysed
        )

    def names(self, term: str) -> bool:
        """Whether `term` is by itself a member of some group, so a word the wiki never uses
        is still understood through the group's other members."""
        return any((term,) == analysed for g in self.by_first.get(term, ()) for analysed, _ in self.groups[g])

    @classmethod
    def parse(cls, text: str) -> Lexicon:
        groups = []
        for line in text.splitlines():
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            members = tuple(
                (tuple(analyze(m)), tuple(raw_tokens(m))) for m in line.split(",") if raw_tokens(m)
            )
            if len(members) > 1:
                groups.append(members)
        return cls(tuple(groups))

    def expand(self, terms: Sequence[str], words: Sequence[str] = ()) -> dict[str, bool]:
        """Terms of every group member not already in the query, for each group it mentions.

        The value is True when the group was triggered by words the analyser drops ("should I
        use"): then the expansion stands in for the user's own words and keeps full weight.
        """
        extra: dict[str, bool] = {}
        present = set(terms)
        candidates = sorted({g for t in (*terms, *words) for g in self.by_first.get(t, ())})
        for group in (self.groups[g] for g in candidates):
            by_terms = any(
                analysed and len(analysed) == len(raw) and _contains(terms, analysed)
                for analysed, raw in group
            )
            by_words = any(len(analysed) < len(raw) and _contains(words, raw) for analysed, raw in group)
            if by_terms or by_words:
                for analysed, _ in group:
                    for t in analysed:
                        if t not in present:
                            extra[t] = extra.get(t, False) or (by_words and not by_terms)
        return extra


def _contains(terms: Sequence[str], phrase: tuple[str, ...]) -> bool:
    n = len(phrase)
    if n == 0:
        return False
    if n == 1:
        return phrase[0] in terms
    return any(tuple(terms[i : i + n]) == phrase for i in range(len(terms) - n + 1))


@lru_cache(maxsize=8)
def load_lexicon(path: str | None = None) -> Lexicon:
    if path:
        try:
            return Lexicon.parse(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise WikideskError(f"synonyms file {path} cannot be read: {exc}") from exc
    return Lexicon.parse(resources.files("wikidesk").joinpath("data/synonyms.txt").read_text("utf-8"))


@lru_cache(maxsize=1)
def everyday_words() -> frozenset[str]:
    """Words that never name a topic (data/everyday_words.txt); see `analyze_query`."""
    text = resources.files("wikidesk").joinpath("data/everyday_words.txt").read_text("utf-8")
    return frozenset(
        w for line in text.splitlines() if not line.startswith("#") for w in line.lower().split()
    )


@lru_cache(maxsize=1)
def abbreviations() -> dict[str, str]:
    """Shorthand and the word it stands for (data/abbreviations.txt); see `analyze_query`."""
    text = resources.files("wikidesk").joinpath("data/abbreviations.txt").read_text("utf-8")
    pairs = (line.lower().split() for line in text.splitlines() if not line.startswith("#"))
    return {p[0]: p[1] for p in pairs if len(p) == 2}


# a file's extension, on a name or alone: `analysis.m`, "my .m script"
_EXTENSION_RE = re.compile(r"(?:^|(?<=[\s\w(]))(\.[A-Za-z]{1,6})\b(?![.\w/-])")


def _extensions(text: str) -> list[str]:
    return list(dict.fromkeys(m.group(1).lower() for m in _EXTENSION_RE.finditer(text)))


# --------------------------------------------------------------------------- spelling


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _edit_distance(a: str, b: str) -> int:
    """Damerau-Levenshtein (optimal string alignment): a swap of two letters is one typo."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


def _correctable(word: str) -> bool:
    """Words and names like `metabat2`, not version numbers or paths."""
    return word.isalnum() and sum(c.isalpha() for c in word) >= 3


def _spelling_table(index: Index) -> dict[str, list[int]]:
    table: dict[str, list[int]] = {}
    for tid, term in enumerate(index.terms):
        if _correctable(term):
            table.setdefault(term, []).append(tid)
            for d in _deletes(term):
                table.setdefault(d, []).append(tid)
        elif _correctable(joined := _joined(term)):
            table.setdefault("=" + joined, []).append(tid)
    return table


def _joined(term: str) -> str:
    """`ls-dyna` -> `lsdyna`: how people type names they remember without the punctuation."""
    return re.sub(r"[^a-z0-9]", "", term)


def _word_form(word: str, term: str) -> bool:
    """One only adds letters at the end of the other, as word forms do; a doubled last letter
    ('megahitt') is no suffix, only a slip of the finger."""
    if word == term + term[-1]:
        return False
    return term.startswith(word) or word.startswith(term)


def correct(word: str, index: Index) -> str | None:
    """The frequent index term closest to an unknown word (edit distance 1, or 2 if long).

    A term that only adds or drops letters at the end is not a correction: that is the stemmer
    meeting another word form ("freezing" is not a typo of "free"), unless the word only
    doubles the term's last letter. People rarely mistype the first letter, so a candidate
    must start like the word ("hangs" is not "changes")."""
    if not _correctable(word):
        return None
    table = index.cache("spelling", lambda: _spelling_table(index))
    df = index.df
    joined = table.get("=" + word)
    if joined:  # the same name without its punctuation ('knn' for `k-nn`) is no typo, however short
        return index.terms[max(joined, key=lambda t: df[t])]
    if len(word) < 4:
        return None
    candidates: set[int] = set(table.get(word, []))
    for d in _deletes(word):
        candidates.update(table.get(d, []))
    limit = 1 if len(word) < 7 else 2
    # a plural of a mistyped word ('spdes') is read without its 's', as the stemmer reads terms
    singular = word[:-1] if word.endswith("s") and len(word) > 4 else None
    best: tuple[int, int, str] | None = None
    for tid in candidates:
        term = index.terms[tid]
        dist = _edit_distance(word, term)
        if singular:
            dist = min(dist, _edit_distance(singular, term))
        if dist <= limit and term[0] == word[0] and not _word_form(word, term):
            key = (dist, -int(df[tid]), term)
            if best is None or key < best:
                best = key
    return best[2] if best else None


# --------------------------------------------------------------------------- analysis


def analyze_query(text: str, index: Index, config: Config, lexicon: Lexicon | None = None) -> Query:
    """Terms with weights: the user's own 1.0, corrections 0.8, synonyms `synonym_weight`."""
    vocab = index.vocab
    weights: Counter[int] = Counter()
    surface: list[str] = []
    corrections: dict[str, str] = {}
    kept: list[str] = []
    unknown: list[str] = []
    short = abbreviations()
    words = raw_tokens(text) + [short[e] for e in _extensions(text) if e in short] + camel_words(text)
    said: set[str] = set()
    everyday = everyday_words()
    lexicon = lexicon or load_lexicon()
    for tok in words:
        found = False
        if tok in short and not any(term in vocab for term in expand_token(tok)):
            # "pkgs" is "packages", unless the wiki itself writes "pkgs"; "im" is "i'm", which
            # is two function words
            tok = short[tok]
            terms = [term for part in raw_tokens(tok) for term in expand_token(part)]
        else:
            terms = expand_token(tok)
        said.update(terms)
        if tok in everyday and not any(term in vocab for term in terms):
            continue  # neither a typo of a wiki word nor a sign of a missing topic
        for term in terms:
            if term in vocab:
                weights[vocab[term]] += 1.0
                kept.append(term)
                surface.append(tok)
                found = True
            elif term.endswith("s") and term[:-1] in vocab and is_technical(term):
                weights[vocab[term[:-1]]] += 1.0
                kept.append(term[:-1])
                found = True
            elif us := american(tok, vocab):
                weights[vocab[us]] += 1.0
                kept.append(us)
                surface.append(tok)
                found = True
            else:
                parts = []
                if config.spelling and _correctable(term):
                    fixed = correct(term, index) or _correct_surface(tok, index)
                    parts = [fixed] if fixed and fixed in vocab else split_compound(term, index)
                for part in parts:
                    weights[vocab[part]] += 0.8
                    kept.append(part)
                if parts:
                    corrections[tok] = " ".join(parts)
                    found = True
                elif lexicon.names(term):
                    # Jargon the wiki spells out ("prereqs"): its group searches for it, but the
                    # word stays unknown, so a topic the wiki lacks ("rstudio") still lowers
                    # confidence.
                    kept.append(term)
        if not found and terms:
            unknown.append(tok)
    expanded = lexicon.expand(kept, words) if config.synonyms else {}
    expansions = tuple(expanded)
    for term, strong in expanded.items():
        if term in vocab and vocab[term] not in weights:
            named = _nickname_for_title(term, kept, index, lexicon)
            weights[vocab[term]] = 1.0 if strong or named else config.synonym_weight
    grams = Counter(g for g in char_ngrams(text) if g in index.ngram_vocab)
    ngram_weights = within_budget(_ngram_vector(grams, index), index, config.char_posting_budget)
    clusters = tuple(
        name for name in (*config.current_clusters, *config.retired_clusters) if whole_word(name).search(text)
    )
    return Query(
        text=text,
        terms=dict(weights),
        ngrams=ngram_weights,
        clusters=clusters,
        corrections=corrections,
        expansions=expansions,
        unknown=tuple(unknown),
        own=frozenset(vocab[t] for t in kept if t in vocab),
        wants_module=not MODULE_WORDS.isdisjoint(said.union(kept)),
        surface=tuple(dict.fromkeys(surface)),
    )


# A word the wiki writes in at most this many sections is barely the wiki's own word.
RARE_IN_WIKI = 2


def _nickname_for_title(term: str, said: list[str], index: Index, lexicon: Lexicon) -> bool:
    """Whether `term`, a synonym of the user's words, is what they mean outright: it titles one
    page, and the word they typed for it is one the wiki barely uses. "sklearn" is scikit-learn's
    nickname; the wiki writes it only inside a venv's path, so a synonym's weight would leave
    that path's section above the Scikit-learn page."""
    table = title_table(index)
    if len(table.titled.get(term, ())) != 1:
        return False
    postings = index.matrices["bm25f"]  # loaded for ranking already, unlike the df of plain BM25
    partners = lexicon.partners(term)
    return any(
        t != term
        and t in partners
        and (tid := index.vocab.get(t)) is not None
        and len(postings.column(tid)[0]) <= RARE_IN_WIKI
        for t in said
    )


def split_compound(word: str, index: Index) -> list[str]:
    """'jupyterhub' -> ['jupyter', 'hub']: two index words written as one, longest left part
    first; 'resnet50' -> ['resnet', '50']: a name with its version run on, as the wiki writes
    'ResNet-50'."""
    vocab = index.vocab
    versioned = _RUN_ON_VERSION_RE.fullmatch(word)
    if versioned:
        name = versioned.group(1) if versioned.group(1) in vocab else stem(versioned.group(1))
        return [t for t in (name, versioned.group(2)) if t in vocab] if name in vocab else []
    if not word.isalpha() or len(word) < 6:
        return []
    for i in range(len(word) - 3, 2, -1):
        left, right = word[:i], word[i:]
        left_term = left if left in vocab else stem(left)
        right_term = right if right in vocab else stem(right)
        if left_term in vocab and right_term in vocab:
            return [left_term, right_term]
    return []


_RUN_ON_VERSION_RE = re.compile(r"([a-z]{3,})(\d+(?:\.\d+)*)")


# British spellings and their American forms, which is how this wiki writes; applied to whole
# word endings only, so "centre" becomes "center" but "otherwise" and "rise" stay as they are.
_AMERICAN = (
    (re.compile(r"(?<=[a-z]{3})is(?=(e|es|ed|ing|ation|ations|er|ers)$)"), "iz"),
    (re.compile(r"(?<=[a-z]{2})ys(?=(e|es|ed|ing)$)"), "yz"),
    (re.compile(r"(?<=[a-z]{2})our(?=(s|ed|ing|ite|ites|able)?$)"), "or"),
    (re.compile(r"(?<=[a-z]{2})tre(?=s?$)"), "ter"),
    (re.compile(r"(?<=[a-z]{3}[aeiou])ll(?=(ed|ing|er|ers)$)"), "l"),
    (re.compile(r"(?<=[a-z]{3})ogue(?=s?$)"), "og"),
    (re.compile(r"(?<=^licen)c(?=e)|(?<=^defen)c(?=e)"), "s"),
)


def american(word: str, vocab: dict[str, int]) -> str | None:
    """The index term of a British spelling's American form ('utilisation' -> 'util'), if the
    wiki has it. The stemmer does not join the two, and the spelling corrector leaves
    words that differ at the end to the stemmer, so without this they would go unmatched."""
    if not word.isalpha():
        return None
    for pattern, repl in _AMERICAN:
        variant = pattern.sub(repl, word)
        if variant != word and (term := stem(variant)) in vocab:
            return term
    return None


def _correct_surface(tok: str, index: Index) -> str | None:
    fixed = correct(tok, index)
    return stem(fixed) if fixed and stem(fixed) in index.vocab else fixed


def within_budget(ngrams: dict[int, float], index: Index, budget: int) -> dict[int, float]:
    """The query's n-grams, rarest first, while their posting lists add up to at most `budget`
    entries: a wiki of a few thousand sections ranks exactly as without it, and a huge index is
    not scanned half through for " th" and "ing", which carry almost no weight anyway."""
    if not ngrams or budget <= 0:
        return ngrams
    df = _chars_df(index)
    ids = np.fromiter(ngrams, dtype=np.int64, count=len(ngrams))
    if int(df[ids].sum()) <= budget:
        return ngrams
    order = ids[np.argsort(df[ids], kind="stable")]
    keep = order[np.cumsum(df[order]) <= budget]
    return {int(g): ngrams[int(g)] for g in keep}


def _chars_df(index: Index) -> np.ndarray:
    chars, grams = index.matrices["chars"], index.matrices["char_grams"]
    return index.cache("chars_df", lambda: bm25.ngram_df(chars.df(), grams, index.n_chunks))


def char_scores(index: Index, ngrams: dict[int, float]) -> np.ndarray:
    """Every chunk's character n-gram similarity to the query (zeros for a query without any)."""
    if not ngrams:
        return np.zeros(index.n_chunks)
    ids = np.fromiter(ngrams, dtype=np.int64, count=len(ngrams))
    w = np.fromiter(ngrams.values(), dtype=np.float64, count=len(ngrams))
    w *= bm25.smooth_idf(_chars_df(index)[ids], index.n_chunks)
    return bm25.char_scores(index.matrices["chars"], index.matrices["char_grams"], ids, w)


def _ngram_vector(grams: Counter[str], index: Index) -> dict[int, float]:
    if not grams:
        return {}
    vocab = index.ngram_vocab
    ids = np.array([vocab[g] for g in grams])
    idf = bm25.smooth_idf(_chars_df(index)[ids], index.n_chunks)
    tf = 1.0 + np.log(np.array(list(grams.values()), dtype=np.float64))
    w = tf * idf
    w /= np.linalg.norm(w) or 1.0
    return dict(zip(ids.tolist(), w.tolist(), strict=True))


# --------------------------------------------------------------------------- ranking


def _scores(postings: bm25.Postings, weights: dict[int, float]) -> np.ndarray:
    terms = np.fromiter(weights.keys(), dtype=np.int64, count=len(weights))
    w = np.fromiter(weights.values(), dtype=np.float64, count=len(weights))
    return bm25.score(postings, terms, w)


def _inverse_max(scores: np.ndarray) -> float:
    top = scores.max() if len(scores) else 0.0
    return 1.0 / top if top > 0 else 1.0


def fuse(lexical: np.ndarray, chars: np.ndarray, config: Config) -> np.ndarray:
    """Linear blend of max-normalised scores, or reciprocal rank fusion."""
    if config.fusion == "rrf":
        return _rrf(lexical, config.rrf_k) + config.char_weight * _rrf(chars, config.rrf_k)
    if config.fusion == "bm25":
        return lexical
    if config.fusion == "chars":
        return chars
    fused = lexical * _inverse_max(lexical)  # one new array, then in place: 100k chunks each
    fused += chars * (config.char_weight * _inverse_max(chars))
    return fused


def _rrf(scores: np.ndarray, k: int) -> np.ndarray:
    out = np.zeros_like(scores, dtype=np.float64)
    order = bm25.top_k(scores, 200)
    out[order] = 1.0 / (k + np.arange(1, len(order) + 1))
    return out


@dataclass(frozen=True)
class ClusterTable:
    """Per chunk: which cluster it is about (-1 for none) and how sure (1 under a heading naming
    it, 0.5 when only its page is about that cluster). Built once per index."""

    names: tuple[str, ...]
    ids: np.ndarray
    scale: np.ndarray


def _cluster_table(index: Index) -> ClusterTable:
    names = sorted({c.cluster.lower() for c in index.chunks if c.cluster})
    position = {n: i for i, n in enumerate(names)}
    ids = np.full(index.n_chunks, -1, dtype=np.int64)
    scale = np.zeros(index.n_chunks)
    for i, c in enumerate(index.chunks):
        if not c.cluster:
            continue
        ids[i] = position[c.cluster.lower()]
        pattern = whole_word(c.cluster)
        explicit = any(pattern.search(h) for h in (c.title, *c.heading_path))
        scale[i] = 1.0 if explicit else 0.5
    return ClusterTable(tuple(names), ids, scale)


def cluster_factors(index: Index, query: Query, config: Config) -> np.ndarray | None:
    """Prefer the cluster the question names; with none named, prefer current clusters.

    A section under a cluster's heading gets the full boost or penalty; a section that is only
    on a page about one cluster gets half, since the page may still hold general advice. None
    when no factor differs from 1 (a wiki without clusters, or both settings zero).
    """
    named = frozenset(c.lower() for c in query.clusters)
    key = ("cluster_factors", named, config.cluster_boost, config.retired_penalty, config.retired_clusters)
    return index.cache(key, lambda: _cluster_factors(index, named, config))


def _cluster_factors(index: Index, named: frozenset[str], config: Config) -> np.ndarray | None:
    table: ClusterTable = index.cache("cluster_table", lambda: _cluster_table(index))
    retired = {c.lower() for c in config.retired_clusters}
    if named:
        change = [config.cluster_boost if n in named else -config.retired_penalty for n in table.names]
    else:
        change = [-config.retired_penalty if n in retired else 0.0 for n in table.names]
    if not any(change) or not table.names:
        return None  # nothing to prefer: spare every query a pass over all chunks
    per_cluster = np.array([*change, 0.0])  # index -1 (no cluster) reads the trailing 0
    return 1.0 + table.scale * per_cluster[table.ids]


def rank(index: Index, query: Query, config: Config, k: int = 10, lexical_matrix: str = "bm25f") -> list[Hit]:
    """Sections ranked for the query: best chunk per section, at most `max_per_page` per page
    in the top unless nothing else matched."""
    if query.empty:
        return []
    lexical = _scores(index.matrices[lexical_matrix], query.terms)
    chars = char_scores(index, query.ngrams)
    fused = fuse(lexical, chars, config)
    factors = cluster_factors(index, query, config)
    if factors is not None:
        fused = fused * factors
    fused = prefer_subject(index, query, config, fused)
    order = bm25.top_k(fused, max(50, k * 5))
    hits = [Hit(index.chunks[i], float(fused[i]), float(lexical[i]), float(chars[i])) for i in order]
    hits = rerank_candidates(index, query, config, hits)
    hits = installation_first(index, query, config, hits)
    return diversify(collapse_sections(hits), k, config.max_per_page)


@dataclass(frozen=True)
class TitleTable:
    """Per chunk its page's number, per page its chunks, and for every term of a page's title
    (`title_terms`) or other names (`page_names`: "GSL" for the GNU Scientific Library) the
    pages it names. Built once per index."""

    page_of: np.ndarray
    chunks_of: tuple[np.ndarray, ...]
    titled: dict[str, tuple[int, ...]]


def title_table(index: Index) -> TitleTable:
    """The index's `TitleTable`, built on first use and kept with the index."""
    table: TitleTable = index.cache("title_table", lambda: _title_table(index))
    return table


def _title_table(index: Index) -> TitleTable:
    number: dict[str, int] = {}
    titles: list[str] = []
    page_of = np.empty(index.n_chunks, dtype=np.int32)
    for i, c in enumerate(index.chunks):
        if c.page not in number:
            number[c.page] = len(titles)
            titles.append(c.title)
        page_of[i] = number[c.page]
    titled: dict[str, list[int]] = {}
    for page, p in number.items():
        for term in title_terms(titles[p]) | page_names(index, page):
            titled.setdefault(term, []).append(p)
    order = np.argsort(page_of, kind="stable")
    bounds = np.searchsorted(page_of[order], np.arange(len(titles) + 1))
    chunks_of = tuple(order[bounds[p] : bounds[p + 1]] for p in range(len(titles)))
    return TitleTable(page_of, chunks_of, {term: tuple(p) for term, p in titled.items()})


# A title word names its page only if most sections using it are on that page: 'abinit' does,
# 'lab' in "Berkeley Lab Checkpoint/Restart" does not (most labs are research groups).
SUBJECT_SHARE = 0.5


def named_pages(index: Index, query: Query, config: Config) -> frozenset[int]:
    """Pages whose title the question names by a word of its own ('abinit', 'caffe'), if that
    word is particular: used on at most `subject_max_pages` pages, mostly on the titled one, so
    'job' or 'python' names no page. Cluster names are left to the cluster preference."""
    table = title_table(index)
    clusters = set(analyze(" ".join((*config.current_clusters, *config.retired_clusters))))
    postings = index.matrices["bm25f"]
    named: set[int] = set()
    for t in query.own:
        term = index.terms[t]
        titled = table.titled.get(term)
        if not titled or len(titled) > config.subject_max_pages or term in clusters:
            continue  # every page it titles uses it, so it is used on too many pages
        chunks, _ = postings.column(t)
        if len(chunks) * SUBJECT_SHARE > sum(len(table.chunks_of[p]) for p in titled):
            continue  # most of its chunks are elsewhere, whatever they are
        pages = table.page_of[chunks]
        if (
            np.isin(pages, titled).mean() >= SUBJECT_SHARE
            and len(np.unique(pages)) <= config.subject_max_pages
        ):
            named.update(titled)
    return frozenset(named)


def prefer_subject(index: Index, query: Query, config: Config, scores: np.ndarray) -> np.ndarray:
    """Lift the pages whose subject the question names: a long question about 'the abinit I
    built' shares more everyday words with some other page's section than with ABINIT's, but
    it is about ABINIT. Returns `scores` itself when no page is named, else a lifted copy."""
    named = named_pages(index, query, config) if config.subject_boost else frozenset()
    if not named:
        return scores
    table = title_table(index)
    lifted = scores.copy()
    for p in named:
        lifted[table.chunks_of[p]] *= 1.0 + config.subject_boost
    return lifted


# Stems of the words that ask which module to load ('gromacs module', 'spades modulefile').
MODULE_WORDS = frozenset({"modul", "modulefil"})


def rerank_candidates(index: Index, query: Query, config: Config, hits: list[Hit]) -> list[Hit]:
    """Preferences about kinds of section, applied to the candidates only (a section's kind
    is read from its text, which a score over every chunk cannot afford):

    - 'See Also' and like sections list other pages' titles, so a question naming those words
      is better answered by the pages themselves: `navigation_penalty`.
    - A question asking for a module prefers sections that give one to load: page summaries
      describe a program in the very words of the question, while the section naming its
      modulefile shares only the program's name (`module_boost`).
    - A problem report ('fails', "doesn't", 'crashes') prefers the page's 'Known Issues',
      'Caution' or like section, which is written in other words than the report
      (`trouble_boost`).

    Only the page of the best candidate is lifted: such a section must not carry another page
    above it. The one exception is a module question whose best page offers no module of its
    own ("gsl module" first finds a build page listing GSL among its prerequisites): then the
    page the question names, if one of the first `MODULE_PAGE_WINDOW` candidates is on it and
    it offers a module, is lifted instead. A lifted section answers to confidence through its
    page's best match (`Hit.via`), which is what found the page.
    """
    if not hits:
        return hits
    best = hits[0].chunk
    wants_module = query.wants_module and config.module_boost
    reports_problem = config.trouble_boost and reports_a_problem(query.text)
    module_page = _module_page(index, query, config, hits) if wants_module else best.page

    def factor(h: Hit) -> float:
        f = config.navigation_penalty if is_navigation(h.chunk) else 1.0
        if wants_module and h.chunk.page == module_page and offers_module(index, h.chunk):
            f *= 1.0 + config.module_boost
        if reports_problem and h.chunk.page == best.page and is_troubleshooting(h.chunk):
            f *= 1.0 + config.trouble_boost
        return f

    factors = [factor(h) for h in hits]
    if all(f == 1.0 for f in factors):
        return hits  # the common case: no reordering, no copies
    found_by: dict[str, Chunk] = {}
    for h in hits:
        found_by.setdefault(h.chunk.page, h.chunk)
    scored = []
    for h, f in zip(hits, factors, strict=True):
        via = found_by[h.chunk.page]
        scored.append(h if f == 1.0 else _rescored(h, f, via if f > 1.0 and h.chunk is not via else None))
    return sorted(scored, key=lambda h: -h.score)


# How far down the candidates a named page's module section is looked for (`_module_page`).
MODULE_PAGE_WINDOW = 5


def _module_page(index: Index, query: Query, config: Config, hits: list[Hit]) -> str:
    """The page whose module sections a module question lifts: the best candidate's, unless none
    of its candidates offers a module of its own and the question names a page that does among
    the first `MODULE_PAGE_WINDOW` candidates."""
    best = hits[0].chunk.page
    if any(offers_module(index, h.chunk) for h in hits if h.chunk.page == best):
        return best
    table = title_table(index)
    named = {index.chunks[table.chunks_of[p][0]].page for p in named_pages(index, query, config)}
    return next(
        (
            h.chunk.page
            for h in hits[:MODULE_PAGE_WINDOW]
            if h.chunk.page in named and offers_module(index, h.chunk)
        ),
        best,
    )


_PROBLEM_RE = re.compile(
    r"n't\b|\b(?:dont|doesnt|didnt|cant|wont|isnt|wasnt|arent|couldnt|wouldnt|havent|hasnt)\b"
    r"|\bnot\b|\berrors?\b|\bfail(?:s|ed|ing|ure)?\b|\bcrash(?:es|ed|ing)?\b|\bdies\b"
    r"|\bhangs?\b|\bkilled\b|\bbroken\b|\bwrong\b",
    re.I,
)


def reports_a_problem(text: str) -> bool:
    """Whether the user describes something going wrong rather than asking how to do a thing."""
    return _PROBLEM_RE.search(text) is not None


def _rescored(hit: Hit, factor: float, via: Chunk | None) -> Hit:
    return dataclasses.replace(hit, score=hit.score * factor, via=via or hit.via)


def offers_module(index: Index, chunk: Chunk) -> bool:
    """Whether the chunk's section gives a `module load` of the page's own program (its title,
    id or another name it goes by: `ray/gcc/2.3.1` on Ray's page, `gsl/...` on the GNU
    Scientific Library's), not only of what it builds with (Ray's 'Configure' loads OpenMPI);
    asked of candidates only, and remembered per index."""
    known: dict[int, bool] = index.cache("offers_module", dict)
    if chunk.id not in known:
        names = {bare_name(n) for n in title_terms(chunk.title) | page_names(index, chunk.page)}
        names = {n for n in names | {bare_name(chunk.page)} if len(n) >= 3}
        modules = (
            c.command.split()[2]
            for c in section_commands(index.section_of(chunk))
            if _LOAD_RE.match(c.command)
        )
        known[chunk.id] = any(bare_name(m.split("/")[0]).startswith(tuple(names)) for m in modules)
    return known[chunk.id]


_LOAD_RE = re.compile(r"^module load \S")


# A product name written with inner capitals ("PBJelly", "featureCounts"), not an acronym's
# plural ("GPUs")
_NAME_RE = re.compile(r"\b(?=\w*[a-z])(?=\w*[A-Z]\w*[A-Z]|\w*[a-z][A-Z])[A-Za-z][\w+-]*\b")
_PLURAL_ACRONYM_RE = re.compile(r"[A-Z]s$")


def page_names(index: Index, page: str) -> frozenset[str]:
    """Names a page goes by besides its title's words: the product names of its opening lines
    ("PBSuite contains PBJelly": a question about PBJelly names the page as much as one about
    PBSuite does), and its title's initials where the page uses them ("GNU Scientific Library"
    is GSL, as in `libgsl`; "Sample TensorFlow Datasets" is not "std")."""
    known: dict[str, frozenset[str]] = index.cache("page_names", dict)
    if page not in known:
        sections = index.pages[page].sections
        lead = next((s for s in sections if not s.heading_path), None)
        names = _NAME_RE.findall(lead.text[:600]) if lead else []
        terms = {t for n in names if not _PLURAL_ACRONYM_RE.search(n) for t in analyze(n) if not t.isdigit()}
        words = [w for w in raw_tokens(index.pages[page].title) if w not in STOPWORDS]
        initials = "".join(w[0] for w in words) if len(words) >= 3 else ""
        if initials and _uses_word(sections, initials):
            terms.update(analyze(initials))
        known[page] = frozenset(terms)
    return known[page]


def _uses_word(sections: list[Section], word: str) -> bool:
    """Whether any section uses `word` (or `lib` + word) as a whole word, in any case; the
    pattern is compiled only for a page whose text holds the letters at all."""
    pattern = None
    for s in sections:
        if word in s.text.lower():
            pattern = pattern or re.compile(rf"\b(?:lib)?{re.escape(word)}\b", re.I)
            if pattern.search(s.text):
                return True
    return False


# Wording of a question rather than a keyword search: a question mark, a leading question word,
# or the user speaking of themselves.
_QUESTION_RE = re.compile(
    r"\?|^\s*(?:how|what|why|where|which|when|who|can|could|does|do|did|is|are|should|will|would)\b"
    r"|\b(?:i|i'm|i've|me|my|we|our)\b",
    re.I,
)


def keyword_search(query: Query, max_words: int = 8) -> bool:
    """Whether the query reads like a few search-box words ("restic backup") rather than a
    question or a problem report."""
    words = [w for w in raw_tokens(query.text) if w not in STOPWORDS]
    return (
        len(words) <= max_words and not _QUESTION_RE.search(query.text) and not reports_a_problem(query.text)
    )


def installation_first(index: Index, query: Query, config: Config, hits: list[Hit]) -> list[Hit]:
    """A keyword search that finds a program page's lead (its opening description) asks about
    the program, and what a user can act on is how to get it: the page's section giving the
    modulefile, else its 'Installed Versions'-like section, is shown first, with the lead after
    it. So does a question asking for a module ("... what's the modulefile?") or whether a
    program is there ("is there something for ...", "is X available?"), whose other words
    describe the program as its lead does. Any other question the lead answers best comes
    with the installation section second, since how to get the program is what a user acts on
    next. The lead's words are the ones the search matched (the installation section may share
    none), so the promoted hit keeps the lead's scores and answers to confidence through it. A
    lead that gives a module itself stays as it is."""
    if not (config.installation_first and hits and not hits[0].chunk.heading_path):
        return hits
    lead = hits[0].chunk
    if offers_module(index, lead):
        return hits
    target = installation_section(index, lead.page, _unwanted_clusters(query, config))
    if target is None:
        return hits
    promoted = dataclasses.replace(hits[0], chunk=target, via=lead)
    rest = [h for h in hits if (h.chunk.page, h.chunk.section) != (target.page, target.section)]
    place = 0 if keyword_search(query) or query.wants_module or asks_availability(query.text) else 1
    return [*rest[:place], promoted, *rest[place:]]


_AVAILABILITY_RE = re.compile(
    r"\b(?:is there|are there|do (?:we|you) have|does \w+ have|installed|available)\b", re.I
)


def asks_availability(text: str) -> bool:
    """Whether the user asks if a program is there to use ("is there a ...", "is X installed")."""
    return _AVAILABILITY_RE.search(text) is not None


def _unwanted_clusters(query: Query, config: Config) -> frozenset[str]:
    """Retired clusters the query does not name: their sections come last."""
    return frozenset(c for c in config.retired_clusters if c not in query.clusters)


def installation_section(index: Index, page: str, unwanted: frozenset[str] = frozenset()) -> Chunk | None:
    """The first chunk of the page's first section that gives a `module load`, else of its first
    section headed like 'Installed Versions'; sections about `unwanted` clusters only when no
    other has one. None when the page has neither."""
    chunks = index.cache("page_chunks", lambda: _page_chunks(index)).get(page, ())
    sections = sorted((c for c in chunks if c.heading_path), key=lambda c: c.cluster in unwanted)
    found = next((c for c in sections if offers_module(index, c)), None)
    return found or next((c for c in sections if INSTALLATION_HEADING_RE.search(c.heading)), None)


def _page_chunks(index: Index) -> dict[str, list[Chunk]]:
    by_page: dict[str, list[Chunk]] = {}
    for c in index.chunks:
        by_page.setdefault(c.page, []).append(c)
    return by_page


def collapse_sections(hits: Sequence[Hit]) -> list[Hit]:
    return first_per_section(hits, lambda h: h.chunk)


def first_per_section(items: Iterable[T], chunk_of: Callable[[T], Chunk], k: int | None = None) -> list[T]:
    """The first item (the best-ranked chunk) of each section, in order, at most `k`."""
    seen: set[tuple[str, int]] = set()
    out = []
    for item in items:
        chunk = chunk_of(item)
        key = (chunk.page, chunk.section)
        if key not in seen:
            seen.add(key)
            out.append(item)
            if len(out) == k:
                break
    return out


def diversify(hits: Sequence[Hit], k: int, per_page: int, floor: float = 0.2) -> list[Hit]:
    """At most `per_page` sections of one page before other pages get a turn, but only other
    pages' sections that are real candidates (at least `floor` of the best score): a section
    sharing a few character n-grams must not push strong sections of the right page down."""
    first: list[Hit] = []
    rest: list[Hit] = []
    counts: Counter[str] = Counter()
    best = hits[0].score if hits else 0.0
    for h in hits:
        if counts[h.chunk.page] < per_page and h.score >= floor * best:
            counts[h.chunk.page] += 1
            first.append(h)
        else:
            rest.append(h)
    return (first + rest)[:k]


def plain_bm25(index: Index, text: str, k: int = 10) -> list[Hit]:
    """The baseline: BM25 over all fields as one text, the user's tokens only."""
    vocab = index.vocab
    weights = Counter(vocab[t] for t in analyze(text) if t in vocab)
    if not weights:
        return []
    scores = _scores(index.matrices["bm25"], {t: float(c) for t, c in weights.items()})
    order = bm25.top_k(scores, max(50, k * 5)).tolist()
    firsts = first_per_section(order, lambda i: index.chunks[i], k)  # hits only for those kept
    return [Hit(index.chunks[i], float(scores[i]), float(scores[i])) for i in firsts]


class Searcher:
    """The search facade the answer layer, the CLI and the web share."""

    def __init__(self, index: Index, config: Config, lexicon: Lexicon | None = None):
        self.index = index
        self.config = config
        self.lexicon = lexicon or load_lexicon(config.synonyms_file or None)

    def query(self, text: str) -> Query:
        return analyze_query(text, self.index, self.config, self.lexicon)

    def search(self, text: str, k: int = 10) -> tuple[Query, list[Hit]]:
        q = self.query(text)
        return q, rank(self.index, q, self.config, k)


# --------------------------------------------------------------------------- follow-ups

_FOLLOW_UP_CUE_RE = re.compile(r"^\s*(and|also|what about|how about|same|but|ok(ay)?|then|so)\b", re.I)
_REFERS_BACK_RE = re.compile(r"\b(it|that|this|those|these|them|there)\b", re.I)


def contextualize(question: str, history: Sequence[str], config: Config) -> str:
    """A full query for a short follow-up ("and on Proteus?", "how do I load it?").

    Only a question that leans on the previous one is rewritten: it starts with a follow-up cue
    or refers back ("it", "that") and has few words of its own, or it has almost none. A cluster
    it names takes the place of the one the previous question named. The server keeps no
    state: the page sends the history.
    """
    previous = next((h.strip() for h in reversed(history) if h and h.strip()), "")
    if not previous:
        return question
    clusters = [*config.current_clusters, *config.retired_clusters]
    named_now = [c for c in clusters if whole_word(c).search(question)]
    cluster_terms = {t for c in clusters for t in analyze(c)}
    own = [t for t in analyze(question) if t not in _FOLLOW_UP_TERMS and t not in cluster_terms]
    leans = bool(_FOLLOW_UP_CUE_RE.match(question) or _REFERS_BACK_RE.search(question))
    if not ((leans and len(own) <= 4) or (named_now and len(own) <= 1)):
        return question
    base = previous
    if named_now:
        swapped = False
        for c in clusters:
            if c not in named_now and whole_word(c).search(base):
                base = whole_word(c).sub(named_now[0], base)
                swapped = True
        if not swapped:
            base = f"{base.rstrip(' ?.')} on {named_now[0]}?"
    if not own:
        return base
    return f"{base.rstrip(' ?.')}: {question.strip()}"


_FOLLOW_UP_TERMS = frozenset(
    analyze("and what about how about also same okay then so it that this those these there them on in")
)
