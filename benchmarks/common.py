"""Shared helpers for the benchmarks: the machine's description, a synthetic wiki drawn from the
real wiki's word distribution, query sets, timing statistics and result files.

The synthetic corpus is fitted at run time from the pages on disk (the seed page and the shared
wiki); no text from them is stored in this repository. Generation is seeded and reproducible.
"""

from __future__ import annotations

import json
import os
import platform
import re
import resource
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
SEED_PAGE = ROOT / "corpus" / "python.md"
SHARED_CORPUS = ROOT.parent / "shared" / "corpus" / "urcf"
QUESTIONS = ROOT / "tests" / "eval" / "questions.jsonl"
PYTHON = sys.executable


# --------------------------------------------------------------------------- machine


def machine() -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 2**20:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    import numpy

    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "memory": mem,
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "os": platform.platform(terse=True),
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "load": " ".join(f"{x:.1f}" for x in os.getloadavg()),
        "command": " ".join(shlex.quote(a) for a in [Path(sys.executable).name, *sys.argv]),
    }


def machine_lines(info: dict[str, str] | None = None) -> str:
    m = info or machine()
    return (
        f"machine: {m['cpu']}, {m['cores']} cores, {m['memory']} RAM; {m['os']}\n"
        f"Python {m['python']}, NumPy {m['numpy']}; {m['date']}; load average at start {m['load']}\n"
        f"command: {m['command']}"
    )


# --------------------------------------------------------------------------- tables


def table(headers: list[str], rows: list[list[object]]) -> str:
    """A Markdown table, so the same text reads in a terminal and in docs/performance.md."""
    cells = [[_cell(v) for v in r] for r in rows]
    numeric = [all(isinstance(r[i], int | float) or r[i] is None for r in rows) for i in range(len(headers))]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)]
    out = ["| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)) + " |"]
    out.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    out += [
        "| "
        + " | ".join(c.rjust(w) if n else c.ljust(w) for c, w, n in zip(r, widths, numeric, strict=True))
        + " |"
        for r in cells
    ]
    return "\n".join(out)


def _cell(v: object) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        if v == 0:
            return "0"
        if abs(v) >= 100:
            return f"{v:,.0f}"
        if abs(v) >= 10:
            return f"{v:.1f}"
        if abs(v) >= 0.1:
            return f"{v:.2f}"
        return f"{v:.3f}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def write_result(name: str, payload: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2, default=str), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- measuring


def latency_stats(seconds: list[float]) -> dict[str, float]:
    a = np.asarray(seconds) * 1000.0
    if not len(a):
        return {"n": 0, "p50_ms": None, "p99_ms": None, "mean_ms": None, "qps": None}
    return {
        "n": len(a),
        "p50_ms": float(np.median(a)),
        "p99_ms": float(np.percentile(a, 99)),
        "mean_ms": float(a.mean()),
        "qps": float(1000.0 / a.mean()),
    }


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def rss_mb(pid: int | str = "self") -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    except (OSError, ValueError):
        pass
    return float("nan")


def dir_size_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file()) / 2**20


def run_json(args: list[str], timeout: float = 3600) -> dict:
    """Run a worker subprocess that prints one JSON object as its last stdout line."""
    proc = subprocess.run(args, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    if proc.returncode != 0:
        return {"error": (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["failed"]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------- corpus model


@dataclass(frozen=True)
class WikiModel:
    """Unigram frequencies and length distributions of the real wiki's chunks."""

    words: np.ndarray  # surface words (whitespace tokens), most frequent first
    probs: np.ndarray
    body_lengths: np.ndarray  # words per chunk body, one entry per real chunk
    title_lengths: np.ndarray
    heading_lengths: np.ndarray
    sections_per_page: np.ndarray
    content: np.ndarray  # indices into words of non-stopword alphabetic words, for queries


def real_pages(include_shared: bool = True):
    from wikidesk.corpus import load_corpus

    pages = list(load_corpus(SEED_PAGE.parent, 2_000_000).pages)
    if include_shared and SHARED_CORPUS.is_dir():
        pages += load_corpus(SHARED_CORPUS, 2_000_000).pages
    return pages


def fit_model() -> WikiModel:
    from collections import Counter

    from wikidesk.analysis import STOPWORDS
    from wikidesk.chunking import chunk_pages

    pages = real_pages()
    chunks = chunk_pages(pages)
    counts: Counter[str] = Counter()
    body_lengths = []
    for c in chunks:
        words = c.body.split()
        counts.update(words)
        body_lengths.append(max(1, len(words)))
    words, freq = zip(*counts.most_common(), strict=True)
    words_arr = np.array(words, dtype=object)
    probs = np.array(freq, dtype=np.float64)
    probs /= probs.sum()
    alpha = re.compile(r"^[a-z][a-z0-9]{2,}$")
    content = np.array(
        [i for i, w in enumerate(words) if alpha.match(w.lower()) and w.lower() not in STOPWORDS]
    )
    per_page = Counter(c.page for c in chunks)
    return WikiModel(
        words=words_arr,
        probs=probs,
        body_lengths=np.array(body_lengths),
        title_lengths=np.array([max(1, len(p.title.split())) for p in pages]),
        heading_lengths=np.array([max(1, len(c.heading.split())) for c in chunks]),
        sections_per_page=np.array(list(per_page.values())),
        content=content,
    )


def synthetic_pages(model: WikiModel, n_chunks: int, seed: int = 8):
    """Pages of one-paragraph sections, so each section is one chunk: Markdown parsing is
    bypassed (the real parser is not what scales), chunking and indexing are the real code."""
    from wikidesk.corpus import Block, Page, Section

    rng = np.random.default_rng(seed)
    lengths = rng.choice(model.body_lengths, size=n_chunks)
    lengths = np.minimum(lengths, 220)  # keeps every synthetic chunk under chunk_chars
    ids = rng.choice(len(model.words), size=int(lengths.sum()), p=model.probs)
    words = model.words
    pages = []
    pos = 0
    made = 0
    p = 0
    while made < n_chunks:
        n_sec = int(min(rng.choice(model.sections_per_page), n_chunks - made))
        title = _phrase(rng, model, int(rng.choice(model.title_lengths))).capitalize()
        sections = []
        for s in range(n_sec):
            n = int(lengths[made + s])
            body = " ".join(words[ids[pos : pos + n]])
            pos += n
            heading = _phrase(rng, model, int(rng.choice(model.heading_lengths))).capitalize()
            sections.append(
                Section(
                    heading=heading,
                    heading_path=(heading,),
                    anchor=f"s{s}",
                    level=2,
                    blocks=(Block("paragraph", body, ""),),
                    markdown="",
                )
            )
        pages.append(Page(id=f"p{p}", title=title, path=f"p{p}.md", markdown="", sections=tuple(sections)))
        made += n_sec
        p += 1
    return pages


def _phrase(rng: np.random.Generator, model: WikiModel, n: int) -> str:
    return " ".join(model.words[model.content[rng.integers(0, len(model.content), size=n)]])


def synthetic_queries(model: WikiModel, n: int = 200, seed: int = 88) -> list[str]:
    """2-6 content words drawn by the wiki's unigram frequencies (stopwords and numbers left
    out, as a user types keywords)."""
    rng = np.random.default_rng(seed)
    p = model.probs[model.content]
    p = p / p.sum()
    out = []
    for _ in range(n):
        k = int(rng.integers(2, 7))
        out.append(" ".join(model.words[model.content[rng.choice(len(p), size=k, p=p)]]))
    return out


def eval_questions() -> list[str]:
    return [
        json.loads(line)["question"]
        for line in QUESTIONS.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
