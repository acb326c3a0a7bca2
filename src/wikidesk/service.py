"""The one core the CLI and the web share: open an index (building it when the corpus changed),
answer questions, search, suggest."""

from __future__ import annotations

import json
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .answer import compose
from .config import Config
from .errors import IndexProblem, WikideskError
from .index import Index, IndexParams, load_index, save_index, staleness
from .search import Searcher, contextualize


def build(
    config: Config,
    corpus: Path | None = None,
    out: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[Index, Any]:
    """Parse the corpus and write a fresh index; returns the index and the parsed corpus."""
    from .corpus import load_corpus
    from .index import build_from_corpus

    corpus = Path(corpus or config.corpus)
    if not corpus.is_dir():
        raise WikideskError(f"corpus folder {corpus} does not exist")
    parsed = load_corpus(corpus, config.max_page_bytes, progress)
    index = build_from_corpus(parsed, config, corpus)
    save_index(index, Path(out or config.index))
    return index, parsed


def open_index(
    config: Config,
    index_dir: Path | None = None,
    rebuild: bool = True,
    log: Callable[[str], None] | None = None,
) -> Index:
    """With an explicit index folder, load it as it is. Otherwise keep the default index in step
    with the corpus: build it when missing or stale, or refuse with a clear message."""
    log = log or (lambda msg: print(f"wikidesk: {msg}", file=sys.stderr))
    if index_dir is not None:
        return load_index(Path(index_dir))
    corpus, out = Path(config.corpus), Path(config.index)
    if not corpus.is_dir():
        if (out / "CURRENT").is_file():
            return load_index(out)
        raise WikideskError(f"corpus folder {corpus} does not exist and there is no index at {out}")
    try:
        why = staleness(out, corpus, IndexParams.from_config(config))
    except IndexProblem as exc:
        why = str(exc)
    if why is None:
        try:
            return load_index(out)
        except IndexProblem as exc:
            why = str(exc)
    if not rebuild:
        raise IndexProblem(f"{why}; rebuild it with `wikidesk index`")
    log(f"{why}; building the index from {corpus} …")
    index, _ = build(config, corpus, out)
    return index


class Wikidesk:
    """Answers and searches over one loaded index; safe to share across threads (read-only)."""

    def __init__(self, index: Index, config: Config, cache_size: int = 2048):
        self.index = index
        self.config = config
        self.searcher = Searcher(index, config)
        self.loaded_at = time.time()
        self._answers: OrderedDict[tuple[str, str, int | None], str] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def ask(self, question: str, history: Sequence[str] = (), k: int | None = None) -> dict[str, Any]:
        """The answer contract. Answers are cached per (question as searched, k): after a
        maintenance announcement many people ask the same thing, and the index never changes
        under a running process, so a repeated question costs a dictionary lookup."""
        question = validate_question(question, self.config)
        text = contextualize(question, history, self.config) if history else question
        key = (question, text, k)
        with self._lock:
            cached = self._answers.get(key)
            if cached is not None:
                self._answers.move_to_end(key)
        if cached is None:
            # kept as JSON text: every caller gets its own copy to change, and the same types
            # (lists, not tuples) whether cached or not, at a tenth of deepcopy's cost
            cached = json.dumps(self._compute(question, text, k))
            with self._lock:
                self._answers[key] = cached
                while len(self._answers) > self._cache_size:
                    self._answers.popitem(last=False)
        return json.loads(cached)

    def _compute(self, question: str, text: str, k: int | None) -> dict[str, Any]:
        query, hits = self.searcher.search(text, k=max(k or self.config.top_k, self.config.top_k))
        config = self.config if k is None else self.config.replace(top_k=k)
        result = compose(question, query, hits, self.index, config)
        if text != question:
            result["interpreted_as"] = text
        return result

    def search(self, text: str, k: int = 10) -> list[dict[str, Any]]:
        text = validate_question(text, self.config)
        _, hits = self.searcher.search(text, k=k)
        return [
            {
                "rank": i,
                "page": h.chunk.page,
                "title": h.chunk.title,
                "section": h.chunk.heading,
                "heading_path": list(h.chunk.heading_path),
                "anchor": h.chunk.anchor,
                "score": round(h.score, 6),
                "bm25": round(h.lexical, 6),
                "chars": round(h.chars, 6),
            }
            for i, h in enumerate(hits, 1)
        ]


def validate_question(question: Any, config: Config) -> str:
    if not isinstance(question, str):
        raise WikideskError(f"question must be a string, got {type(question).__name__}")
    question = question.strip()
    if not question:
        raise WikideskError("question is empty; type a few words about your problem")
    if len(question) > config.max_question_chars:
        raise WikideskError(
            f"question is {len(question)} characters long; the limit is {config.max_question_chars}"
        )
    return question
