"""Build, save and load the index: one term-by-chunk count matrix per field, the weightings
derived from it, the factorised character n-gram TF-IDF model, and the parsed pages.

Files are SciPy `.npz` matrices read back with `allow_pickle=False` plus JSON, written into a
fresh version folder and published by atomically replacing a `CURRENT` pointer, so a reader
never sees half an index. Loading needs NumPy only: scikit-learn and SciPy are build-time.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import shutil
import time
import zipfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import bm25
from .analysis import analyze, camel_words, raw_tokens, token_ngrams
from .chunking import Chunk, chunk_pages
from .config import Config
from .corpus import Block, Corpus, Link, Page, Section, iter_page_files
from .errors import IndexProblem, WikideskError

FORMAT_VERSION = 4  # 3: multi-line struck spans mark their blocks obsolete; 4: camel-case words
FIELDS = ("title", "heading", "body")
POINTER = "CURRENT"
SERVING = ("bm25f", "chars", "char_grams")


@dataclass(frozen=True)
class IndexParams:
    """What the stored weights depend on; a change in any of these means a rebuild."""

    k1: float = Config.k1
    b: float = Config.b
    idf: str = "lucene"
    title_weight: float = Config.title_weight
    heading_weight: float = Config.heading_weight
    body_weight: float = Config.body_weight
    chunk_chars: int = Config.chunk_chars
    chunk_overlap: int = Config.chunk_overlap
    clusters: tuple[str, ...] = Config.current_clusters + Config.retired_clusters

    @classmethod
    def from_config(cls, config: Config) -> IndexParams:
        return cls(
            k1=config.k1,
            b=config.b,
            title_weight=config.title_weight,
            heading_weight=config.heading_weight,
            body_weight=config.body_weight,
            chunk_chars=config.chunk_chars,
            chunk_overlap=config.chunk_overlap,
            clusters=tuple(config.current_clusters) + tuple(config.retired_clusters),
        )

    def to_json(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["clusters"] = list(self.clusters)
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> IndexParams:
        d = dict(d)
        d["clusters"] = tuple(d.get("clusters", ()))
        return cls(**d)


@dataclass
class Index:
    """Everything a query needs, loaded read-only and shared by all requests of a process."""

    params: IndexParams
    terms: list[str]
    ngrams: list[str]
    chunks: list[Chunk]
    pages: dict[str, Page]
    matrices: Mapping[str, bm25.Postings]
    meta: dict[str, Any] = field(default_factory=dict)
    _vocab: dict[str, int] | None = None
    _ngram_vocab: dict[str, int] | None = None
    _caches: dict[str, Any] = field(default_factory=dict)

    @property
    def vocab(self) -> dict[str, int]:
        if self._vocab is None:
            self._vocab = {t: i for i, t in enumerate(self.terms)}
        return self._vocab

    @property
    def ngram_vocab(self) -> dict[str, int]:
        if self._ngram_vocab is None:
            self._ngram_vocab = {g: i for i, g in enumerate(self.ngrams)}
        return self._ngram_vocab

    @property
    def df(self) -> np.ndarray:
        if "df" not in self._caches:
            self._caches["df"] = self.matrices["bm25"].df()
        return self._caches["df"]

    def cache(self, key: str, make: Callable[[], Any]) -> Any:
        """Per-index lazy values (spelling tables, ...) built on first use, never at load."""
        if key not in self._caches:
            self._caches[key] = make()
        return self._caches[key]

    @property
    def n_chunks(self) -> int:
        return len(self.chunks)

    def section_of(self, chunk: Chunk) -> Section:
        """The parsed section a chunk was cut from (answers, commands and snippets read it)."""
        return self.pages[chunk.page].sections[chunk.section]


# --------------------------------------------------------------------------- build


def fingerprint_files(root: Path) -> tuple[str, list[list[Any]]]:
    """A hash over every page file's path, size and content: any edit makes the index stale."""
    files = []
    digest = hashlib.sha256()
    for path in iter_page_files(root):
        rel = path.relative_to(root).as_posix()
        try:
            with path.open("rb") as fh:
                sha = hashlib.file_digest(fh, "sha256").hexdigest()
            size = path.stat().st_size
        except OSError:
            sha, size = "unreadable", -1
        files.append([rel, size, sha])
        digest.update(f"{rel}\0{size}\0{sha}\n".encode())
    return digest.hexdigest(), files


def _counts(token_lists: list[list[str]], vocabulary: dict[str, int] | None = None):
    from sklearn.feature_extraction.text import CountVectorizer

    vec = CountVectorizer(analyzer=_identity, vocabulary=vocabulary, dtype=np.int32)
    matrix = vec.fit_transform(token_lists) if vocabulary is None else vec.transform(token_lists)
    return vec.vocabulary_, matrix.tocsc()


def _identity(tokens: list[str]) -> list[str]:
    return tokens


def _postings(matrix) -> bm25.Postings:
    matrix.sort_indices()
    return bm25.Postings(matrix.indptr, matrix.indices, matrix.data, matrix.shape[0])


def build_index(pages: list[Page], params: IndexParams, meta: dict[str, Any] | None = None) -> Index:
    """Chunk the pages and fit every matrix. The heavy work happens here, once."""
    chunks = chunk_pages(pages, params.chunk_chars, params.chunk_overlap, params.clusters)
    if not chunks:
        raise WikideskError("the corpus has no indexable text: no page had a readable section")
    built = _fast_counts(chunks) or _slow_counts(chunks)
    terms, counts, all_counts, token_counts, tokens = built
    ngrams, token_counts, grams = _char_model(token_counts, tokens)
    weights = [params.title_weight, params.heading_weight, params.body_weight]
    matrices = {
        **{f"counts_{f}": counts[f] for f in FIELDS},
        "bm25": bm25.bm25_weights(all_counts, params.k1, params.b, params.idf),
        "bm25f": bm25.bm25f_weights(
            [(counts[f], w) for f, w in zip(FIELDS, weights, strict=True)],
            params.k1,
            params.b,
            params.idf,
        ),
        "chars": bm25.char_weights(token_counts, grams),
        "char_grams": grams,
    }
    for name in ("bm25f", "chars"):  # seven significant digits rank the same; a third smaller
        matrices[name] = matrices[name].with_data(matrices[name].data.astype(np.float32))
    return Index(
        params=params,
        terms=terms,
        ngrams=ngrams,
        chunks=chunks,
        pages={p.id: p for p in pages},
        matrices=matrices,
        meta=dict(meta or {}),
    )


def _field_texts(chunks: list[Chunk]) -> dict[str, list[str]]:
    return {
        "title": [_with_camel_words(c.title) for c in chunks],
        "heading": [_with_camel_words(c.headings) for c in chunks],
        "body": [_with_camel_words(c.body) for c in chunks],
    }


def _with_camel_words(text: str) -> str:
    words = camel_words(text)
    return f"{text} {' '.join(words)}" if words else text


def _slow_counts(chunks: list[Chunk]):
    """Analyse every chunk text in full and count with scikit-learn: the reference path."""
    texts = _field_texts(chunks)
    fields_tokens = {f: [analyze(t) for t in field] for f, field in texts.items()}
    everything = [t + h + b for t, h, b in zip(*fields_tokens.values(), strict=True)]
    vocabulary, _ = _counts(everything)
    terms = sorted(vocabulary, key=vocabulary.__getitem__)
    counts = {f: _postings(_counts(toks, vocabulary)[1]) for f, toks in fields_tokens.items()}
    all_counts = _postings(_counts(everything, vocabulary)[1])
    token_vocab, token_counts = _counts(
        [raw_tokens(t) + raw_tokens(h) + raw_tokens(b) for t, h, b in zip(*texts.values(), strict=True)]
    )
    return terms, counts, all_counts, token_counts.tocsr(), sorted(token_vocab, key=token_vocab.__getitem__)


def _fast_counts(chunks: list[Chunk]):
    """The same matrices as `_slow_counts`, from surface tokens: a chunk's terms are those of
    its tokens, so each distinct token is analysed once and the counts are
    (chunk x token) @ (token x term) sparse products. Python work per token is one dict lookup,
    which is what lets a million chunks build in minutes. None when a token would analyse
    differently alone than in its text (then the reference path runs)."""

    tokens = Ids()
    spots = {f: _token_spots(texts, tokens) for f, texts in _field_texts(chunks).items()}
    shape = (len(chunks), len(tokens))
    by_field = {f: _count_matrix(rows, cols, shape) for f, (rows, cols) in spots.items()}
    del spots
    vocab = list(tokens)
    if any(raw_tokens(tok) != [tok] for tok in vocab):
        return None
    term_ids = Ids()
    expand = _token_matrix([analyze(tok) for tok in vocab], term_ids)
    terms, term_order = _sorted_vocab(term_ids)
    expand = expand[:, term_order]
    expanded = {f: (m @ expand).tocsc() for f, m in by_field.items()}
    counts = {f: _postings(m) for f, m in expanded.items()}
    all_counts = _postings(expanded["title"] + expanded["heading"] + expanded["body"])
    total = by_field["title"] + by_field["heading"] + by_field["body"]
    return terms, counts, all_counts, total, vocab


def _char_model(token_counts, tokens: list[str]) -> tuple[list[str], bm25.Postings, bm25.Postings]:
    """Sorted n-grams, (chunk x token) counts of the tokens that have n-grams (stopwords have
    none, and they are most of the postings), and (token x n-gram) counts. Tokens go in sorted
    order, so both counting paths give identical matrices."""
    per_token = [token_ngrams(tok) for tok in tokens]
    keep = sorted((i for i, grams in enumerate(per_token) if grams), key=tokens.__getitem__)
    gram_ids = Ids()
    grams = _token_matrix([per_token[i] for i in keep], gram_ids)
    ngrams, gram_order = _sorted_vocab(gram_ids)
    kept_counts = token_counts[:, np.array(keep, dtype=np.int64)]
    return ngrams, _postings(kept_counts.tocsc()), _postings(grams[:, gram_order].tocsc())


class Ids(dict[str, int]):
    """Numbers keys in order of first lookup; `map(ids.__getitem__, keys)` numbers a whole list
    in C, with Python code only for keys not seen before."""

    def __missing__(self, key: str) -> int:
        n = self[key] = len(self)
        return n


def _token_spots(texts: list[str], tokens: Ids) -> tuple[np.ndarray, np.ndarray]:
    """(text, token) of every token occurrence; repeated texts (titles, heading paths) are
    tokenised once."""
    seen: dict[str, list[int]] = {}
    ids: list[int] = []
    lengths: list[int] = []
    number = tokens.__getitem__
    for text in texts:
        row = seen.get(text)
        if row is None:
            row = list(map(number, raw_tokens(text)))
            if len(text) <= 200:
                seen[text] = row
        ids += row
        lengths.append(len(row))
    cols = np.array(ids, dtype=np.int64)
    rows = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)
    return rows, cols


def _token_matrix(values: list[list[str]], ids: Ids):
    """(token x feature) counts for the features each distinct token gives."""
    cols = np.array([ids[v] for vs in values for v in vs], dtype=np.int64)
    rows = np.repeat(np.arange(len(values), dtype=np.int64), [len(vs) for vs in values])
    return _count_matrix(rows, cols, (len(values), len(ids)))


def _count_matrix(rows: np.ndarray, cols: np.ndarray, shape: tuple[int, int]):
    from scipy import sparse

    data = np.ones(len(rows), dtype=np.int32)
    return sparse.csr_matrix(sparse.coo_matrix((data, (rows, cols)), shape=shape))


def _sorted_vocab(ids: dict[str, int]) -> tuple[list[str], np.ndarray]:
    """Features in sorted order (as scikit-learn's vectorizers give them) and the permutation."""
    names = sorted(ids)
    return names, np.array([ids[n] for n in names], dtype=np.int64)


def build_from_corpus(corpus: Corpus, config: Config, root: Path | None = None) -> Index:
    root = Path(root or corpus.root)
    fp, files = fingerprint_files(root) if root.is_dir() else ("", [])
    meta = {
        "corpus": str(root.resolve()) if root.is_dir() else str(root),
        "fingerprint": fp,
        "files": files,
        "skipped": [[s.path, s.reason] for s in corpus.skipped],
    }
    return build_index(corpus.pages, IndexParams.from_config(config), meta)


# --------------------------------------------------------------------------- save / load


def save_index(index: Index, out: Path) -> Path:
    """Write a new version folder beside the current one, then swap the pointer atomically."""
    from scipy import sparse

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    version = f"v{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-{time.monotonic_ns() % 10**6}"
    tmp = out / f".{version}.tmp"
    tmp.mkdir()
    try:
        for name, p in index.matrices.items():
            m = sparse.csc_matrix((p.data, p.indices, p.indptr), shape=(p.n_docs, p.n_terms))
            sparse.save_npz(tmp / f"{name}.npz", m, compressed=False)
        _write_json(tmp / "terms.json", index.terms)
        _write_json(tmp / "ngrams.json", index.ngrams)
        _write_json(tmp / "chunks.json", [_chunk_to_json(c) for c in index.chunks])
        _write_json(tmp / "pages.json", [dataclasses.asdict(p) for p in index.pages.values()])
        meta = {
            **index.meta,
            "format": FORMAT_VERSION,
            "created": time.time(),
            "params": index.params.to_json(),
            "matrices": sorted(index.matrices),
            "n_chunks": index.n_chunks,
            "n_pages": len(index.pages),
            "n_terms": len(index.terms),
        }
        _write_json(tmp / "meta.json", meta)
        os.replace(tmp, out / version)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    pointer_tmp = out / f".{POINTER}.{os.getpid()}.tmp"
    pointer_tmp.write_text(version + "\n", encoding="utf-8")
    os.replace(pointer_tmp, out / POINTER)
    _prune_versions(out, keep={version})
    return out / version


_VERSION_RE = re.compile(r"v\d{8}T\d{6}-\d+-\d+")


def _prune_versions(out: Path, keep: set[str]) -> None:
    """Keep the new version and the one before it (a reader may still be loading it). Only
    folders named and shaped like our versions go: `--out` may be a folder shared with others."""
    versions = sorted(
        (
            p
            for p in out.iterdir()
            if _VERSION_RE.fullmatch(p.name) and p.is_dir() and (p / "meta.json").is_file()
        ),
        reverse=True,
    )
    for old in [v for v in versions if v.name not in keep][1:]:
        shutil.rmtree(old, ignore_errors=True)


def _write_json(path: Path, value: Any) -> None:
    with path.open("w", encoding="utf-8") as fh:
        json.dump(value, fh, ensure_ascii=False, separators=(",", ":"))


def _chunk_to_json(c: Chunk) -> list[Any]:
    return [
        c.page,
        c.title,
        c.section,
        c.heading,
        list(c.heading_path),
        c.anchor,
        list(c.blocks),
        c.body,
        c.cluster,
    ]


def _chunks_from_json(rows: list[list[Any]]) -> list[Chunk]:
    """Chunks of one section or page repeat its page id, title, headings and cluster: JSON
    gives each row its own copies, so equal values are shared (a million chunks hold
    hundreds of MB less)."""
    shared: dict[Any, Any] = {}
    one = shared.setdefault
    chunks = []
    for i, (page, title, section, heading, path, anchor, blocks, body, cluster) in enumerate(rows):
        path = tuple(path)
        chunks.append(
            Chunk(
                i,
                one(page, page),
                one(title, title),
                section,
                one(heading, heading),
                one(path, path),
                one(anchor, anchor),
                tuple(blocks),
                body,
                one(cluster, cluster),
            )
        )
    return chunks


def _page_from_json(d: dict[str, Any]) -> Page:
    sections = tuple(
        Section(
            heading=s["heading"],
            heading_path=tuple(s["heading_path"]),
            anchor=s["anchor"],
            level=s["level"],
            blocks=tuple(Block(**b) for b in s["blocks"]),
            markdown=s["markdown"],
            links=tuple(Link(**link) for link in s["links"]),
            references=tuple((int(n), str(u)) for n, u in s["references"]),
            obsolete=tuple(s["obsolete"]),
        )
        for s in d["sections"]
    )
    return Page(**{**d, "sections": sections})


def current_version(out: Path) -> Path | None:
    """The version folder CURRENT names, or None; a garbled pointer counts as no index."""
    pointer = Path(out) / POINTER
    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except (OSError, ValueError):
        return None
    path = Path(out) / name
    return path if name and "/" not in name and name not in (".", "..") and path.is_dir() else None


def read_meta(out: Path) -> dict[str, Any] | None:
    """The index's meta.json, or None when there is no index; damage raises IndexProblem."""
    version = current_version(out)
    if version is None:
        return None
    try:
        return _read_meta_file(version / "meta.json")
    except (OSError, ValueError) as exc:
        raise IndexProblem(_damaged(out, f"meta.json unreadable: {exc}")) from exc


def _read_meta_file(path: Path) -> dict[str, Any]:
    meta = _read_json(path)
    if not isinstance(meta, dict):
        raise ValueError(f"{path.name} holds a {type(meta).__name__}, expected an object")
    return meta


def load_index(out: Path) -> Index:
    """Load the current version; anything missing, malformed or of another format is an
    IndexProblem telling the user to rebuild, never a traceback."""
    out = Path(out)
    version = current_version(out)
    if version is None:
        raise IndexProblem(f"no index at {out}; build one with `wikidesk index`")
    try:
        meta = _read_meta_file(version / "meta.json")
        if meta.get("format") != FORMAT_VERSION:
            raise IndexProblem(
                f"index at {out} has format {meta.get('format')!r}, this wikidesk reads "
                f"{FORMAT_VERSION}; rebuild it with `wikidesk index`"
            )
        matrices = LazyMatrices({name: version / f"{name}.npz" for name in meta["matrices"]}, out)
        terms = _read_json(version / "terms.json")
        ngrams = _read_json(version / "ngrams.json")
        chunks = _chunks_from_json(_read_json(version / "chunks.json"))
        pages = [_page_from_json(d) for d in _read_json(version / "pages.json")]
        index = Index(
            params=IndexParams.from_json(meta["params"]),
            terms=terms,
            ngrams=ngrams,
            chunks=chunks,
            pages={p.id: p for p in pages},
            matrices=matrices,
            meta=meta,
        )
        _check_shapes(index, matrices.shapes)
        matrices.preload(SERVING)
        return index
    except IndexProblem:
        raise
    except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError, zipfile.BadZipFile) as exc:
        raise IndexProblem(_damaged(out, f"{type(exc).__name__}: {exc}")) from exc


def _damaged(out: Path, why: str) -> str:
    return f"index at {out} is damaged ({why}); rebuild it with `wikidesk index`"


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _load_postings(path: Path) -> bm25.Postings:
    with np.load(path, allow_pickle=False) as npz:
        arrays = {key: npz[key] for key in ("format", "shape", "indptr", "indices", "data")}
    if not all(isinstance(a, np.ndarray) for a in arrays.values()):
        raise ValueError(f"{path.name} holds something other than arrays")
    fmt = arrays["format"].item()
    fmt = fmt.decode() if isinstance(fmt, bytes) else str(fmt)
    if fmt != "csc":
        raise ValueError(f"{path.name} holds a {fmt} matrix, expected csc")
    shape = tuple(int(x) for x in arrays["shape"])
    p = bm25.Postings(arrays["indptr"], arrays["indices"], arrays["data"], shape[0])
    if p.n_terms != shape[1] or len(p.indices) != len(p.data) or p.indptr[-1] != len(p.data):
        raise ValueError(f"{path.name} is inconsistent")
    if len(p.indptr) and (p.indptr[0] != 0 or np.any(np.diff(p.indptr) < 0)):
        raise ValueError(f"{path.name} has a broken column pointer")
    if len(p.indices) and (p.indices.max() >= p.n_docs or p.indices.min() < 0):
        raise ValueError(f"{path.name} refers to chunks that do not exist")
    return p


class LazyMatrices(Mapping[str, bm25.Postings]):
    """The index's matrices by name, each read from its file on first use. Serving needs three
    of the seven; the field counts and plain BM25 are for evaluation and would
    otherwise double a large index's memory. Shapes are read (cheaply) for all at load, so a
    missing or mismatched file still fails there; a file damaged later fails on first use
    with the same IndexProblem."""

    def __init__(self, files: dict[str, Path], out: Path) -> None:
        self._files = files
        self._out = out
        self._loaded: dict[str, bm25.Postings] = {}
        self.shapes = {name: _read_shape(path) for name, path in files.items()}

    def __getitem__(self, name: str) -> bm25.Postings:
        if name not in self._loaded:
            path = self._files[name]
            try:
                p = _load_postings(path)
            except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
                raise IndexProblem(_damaged(self._out, f"{path.name}: {exc}")) from exc
            if (p.n_docs, p.n_terms) != self.shapes[name]:
                raise IndexProblem(_damaged(self._out, f"{path.name} changed since the index was loaded"))
            self._loaded[name] = p
        return self._loaded[name]

    def preload(self, names: tuple[str, ...]) -> None:
        """Read these now, so a request never pays for loading what every query needs."""
        for name in names:
            self[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._files)

    def __len__(self) -> int:
        return len(self._files)


def _read_shape(path: Path) -> tuple[int, int]:
    with np.load(path, allow_pickle=False) as npz:
        shape = npz["shape"]
    if not isinstance(shape, np.ndarray) or shape.shape != (2,):
        raise ValueError(f"{path.name} has no matrix shape")
    return int(shape[0]), int(shape[1])


def _check_shapes(index: Index, shapes: dict[str, tuple[int, int]]) -> None:
    n_tokens, n_grams = shapes["char_grams"]
    if n_grams != len(index.ngrams):
        raise ValueError("char_grams.npz does not match ngrams.json")
    for name, (n_docs, width) in shapes.items():
        if name == "char_grams":
            continue
        if n_docs != index.n_chunks or width != (n_tokens if name == "chars" else len(index.terms)):
            raise ValueError(f"{name}.npz does not match chunks.json/terms.json")
    for c in index.chunks:
        page = index.pages.get(c.page)
        if page is None:
            raise ValueError(f"chunk {c.id} cites unknown page {c.page!r}")
        start, end = c.blocks
        if not (
            0 <= c.section < len(page.sections) and 0 <= start <= end <= len(page.sections[c.section].blocks)
        ):
            raise ValueError(f"chunk {c.id} cites a section or blocks page {c.page!r} does not have")


# --------------------------------------------------------------------------- freshness


def staleness(out: Path, corpus: Path, params: IndexParams) -> str | None:
    """Why the index at `out` does not match the corpus and parameters, or None if it does."""
    meta = read_meta(out)
    if meta is None:
        return "no index yet"
    if meta.get("format") != FORMAT_VERSION:
        return f"index format {meta.get('format')!r} is not {FORMAT_VERSION}"
    if IndexParams.from_json(meta.get("params", {})) != params:
        return "index was built with other settings"
    fp, _ = fingerprint_files(corpus)
    if meta.get("fingerprint") != fp:
        return "corpus changed since the index was built"
    return None
