"""`wikidesk eval`: retrieval and answer quality on a question set, wikidesk beside a plain
BM25 baseline over the same chunks, with latency, split into tuning and held-back questions."""

from __future__ import annotations

import argparse
import json
import re
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .answer import compose
from .config import Config
from .errors import WikideskError
from .index import Index, IndexParams, build_index
from .search import Hit, Searcher, plain_bm25

METRICS = (
    ("page@1", "page hit@1"),
    ("page@3", "page hit@3"),
    ("page@5", "page hit@5"),
    ("mrr@10", "page MRR@10"),
    ("section@1", "section hit@1"),
    ("top_contains@1", "answer-contains@1 (top section)"),
    ("contains@1", "answer text contains"),
    ("command@1", "command@1"),
    ("command@3", "command@3"),
    ("abstain_unanswerable", "abstains, unanswerable"),
    ("abstain_answerable", "abstains, answerable"),
    ("latency_p50_ms", "latency p50 (ms)"),
    ("latency_p95_ms", "latency p95 (ms)"),
)


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    page: str | None
    section: str | None
    heading_path: tuple[str, ...] | None
    must_contain: tuple[str, ...] = ()
    command: str | None = None
    kind: str = ""
    split: str = "tune"

    @property
    def answerable(self) -> bool:
        return self.page is not None


@dataclass
class Outcome:
    question: Question
    pages: list[str]
    sections: list[tuple[str, tuple[str, ...]]]
    answered: bool
    answer: str
    commands: list[str]
    top_text: str
    seconds: float
    extra: dict[str, Any] = field(default_factory=dict)


def load_questions(path: Path) -> list[Question]:
    out = []
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise WikideskError(f"cannot read {path}: {exc.strerror or exc}") from exc
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
            if not isinstance(d, dict) or not isinstance(d.get("question"), str):
                raise WikideskError(f"{path}:{n}: expected an object with a string 'question'")
            if isinstance(d.get("must_contain"), str) or d.get("split", "tune") not in ("tune", "heldout"):
                raise WikideskError(f"{path}:{n}: must_contain must be a list and split 'tune' or 'heldout'")
            hp = d.get("heading_path")
            out.append(
                Question(
                    id=str(d.get("id", n)),
                    question=d["question"],
                    page=d.get("page"),
                    section=d.get("section"),
                    heading_path=tuple(hp) if hp is not None else None,
                    must_contain=tuple(d.get("must_contain") or ()),
                    command=d.get("command"),
                    kind=d.get("kind", ""),
                    split=d.get("split", "tune"),
                )
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise WikideskError(f"{path}:{n}: not a question object ({exc})") from exc
    return out


def _norm(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip().lower()


def _contains(text: str, needles: Sequence[str]) -> bool:
    t = _norm(text)
    return bool(needles) and all(_norm(n) in t for n in needles)


def _page_rank(o: Outcome) -> int | None:
    for i, p in enumerate(o.pages, 1):
        if p == o.question.page:
            return i
    return None


def _section_hit(o: Outcome) -> bool:
    q = o.question
    if not o.sections:
        return False
    page, path = o.sections[0]
    if page != q.page:
        return False
    if q.heading_path is not None:
        return tuple(path) == tuple(q.heading_path)
    return (path[-1] if path else "") == (q.section or "")


def _command_rank(o: Outcome) -> int | None:
    want = _norm(o.question.command or "")
    for i, c in enumerate(o.commands, 1):
        if _norm(c) == want or (want and want in _norm(c)):
            return i
    return None


def metrics(outcomes: list[Outcome]) -> dict[str, float | int | None]:
    ans = [o for o in outcomes if o.question.answerable]
    una = [o for o in outcomes if not o.question.answerable]
    cmd = [o for o in ans if o.question.command]
    ranks = [_page_rank(o) for o in ans]

    def rate(xs: list[bool]) -> float | None:
        return round(sum(xs) / len(xs), 3) if xs else None

    lat = sorted(o.seconds * 1000 for o in outcomes)
    return {
        "questions": len(outcomes),
        "answerable": len(ans),
        "unanswerable": len(una),
        "page@1": rate([r == 1 for r in ranks]),
        "page@3": rate([r is not None and r <= 3 for r in ranks]),
        "page@5": rate([r is not None and r <= 5 for r in ranks]),
        "mrr@10": round(sum(1 / r for r in ranks if r and r <= 10) / len(ans), 3) if ans else None,
        "section@1": rate([_section_hit(o) for o in ans]),
        "contains@1": rate(
            [_contains(o.answer + "\n" + "\n".join(o.commands), o.question.must_contain) for o in ans]
        ),
        "top_contains@1": rate([_contains(o.top_text, o.question.must_contain) for o in ans]),
        "command@1": rate([_command_rank(o) == 1 for o in cmd]),
        "command@3": rate([(_command_rank(o) or 99) <= 3 for o in cmd]),
        "abstain_unanswerable": rate([not o.answered for o in una]),
        "abstain_answerable": rate([not o.answered for o in ans]),
        "latency_p50_ms": round(statistics.median(lat), 2) if lat else None,
        "latency_p95_ms": round(lat[int(0.95 * (len(lat) - 1))], 2) if lat else None,
    }


# --------------------------------------------------------------------------- runners


def _section_text(index: Index, hit: Hit) -> str:
    return index.section_of(hit.chunk).text


def run_wikidesk(index: Index, config: Config, questions: list[Question]) -> list[Outcome]:
    """Search and compose for each question directly, not through the service's answer cache,
    so latency is what a question costs the first time it is asked."""
    searcher = Searcher(index, config)
    for q in questions:  # warm the lazy tables (spelling, idf) so latency is steady-state
        searcher.search(q.question, k=10)
    out = []
    for q in questions:
        t0 = time.perf_counter()
        query, hits = searcher.search(q.question, k=10)
        result = compose(q.question, query, hits, index, config)
        dt = time.perf_counter() - t0
        out.append(
            Outcome(
                question=q,
                pages=list(dict.fromkeys(h.chunk.page for h in hits)),
                sections=[(h.chunk.page, h.chunk.heading_path) for h in hits],
                answered=result["answered"],
                answer=result["answer"] if result["answered"] else "",
                commands=[c["command"] for c in result["commands"]],
                top_text=_section_text(index, hits[0]) if hits else "",
                seconds=dt,
                extra={"confidence": result["confidence"]},
            )
        )
    return out


def run_baseline(index: Index, questions: list[Question]) -> list[Outcome]:
    out = []
    for q in questions:
        t0 = time.perf_counter()
        hits = plain_bm25(index, q.question, k=10)
        dt = time.perf_counter() - t0
        top = _section_text(index, hits[0]) if hits else ""
        out.append(
            Outcome(
                question=q,
                pages=list(dict.fromkeys(h.chunk.page for h in hits)),
                sections=[(h.chunk.page, h.chunk.heading_path) for h in hits],
                answered=bool(hits),
                answer=top,
                commands=[],
                top_text=top,
                seconds=dt,
            )
        )
    return out


def build_eval_index(corpora: Sequence[Path], config: Config) -> Index:
    """One in-memory index over several corpus folders (ids relative to each folder)."""
    from .corpus import load_corpus

    pages = []
    for root in corpora:
        if not Path(root).is_dir():
            raise WikideskError(f"corpus folder {root} does not exist")
        pages += load_corpus(root, config.max_page_bytes).pages
    return build_index(pages, IndexParams.from_config(config))


# --------------------------------------------------------------------------- report


def evaluate(questions: list[Question], index: Index, config: Config) -> dict[str, Any]:
    ours = run_wikidesk(index, config, questions)
    base = run_baseline(index, questions)
    report: dict[str, Any] = {"splits": {}}
    for split in ("tune", "heldout", "all"):
        report["splits"][split] = {
            "wikidesk": metrics(_in_split(ours, split)),
            "bm25": metrics(_in_split(base, split)),
        }
    report["misses"] = [_miss(o) for o in ours if _is_miss(o)]
    report["outcomes"] = [
        {
            "id": o.question.id,
            "split": o.question.split,
            "kind": o.question.kind,
            "page_rank": _page_rank(o) if o.question.answerable else None,
            "baseline_page_rank": _page_rank(b) if b.question.answerable else None,
            "section_hit": _section_hit(o) if o.question.answerable else None,
            "answered": o.answered,
            "confidence": o.extra.get("confidence"),
        }
        for o, b in zip(ours, base, strict=True)
    ]
    return report


ABLATIONS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("wikidesk, all features", {}),
    ("BM25F only (no char n-grams)", {"fusion": "bm25"}),
    ("char n-grams only", {"fusion": "chars"}),
    ("RRF instead of linear fusion", {"fusion": "rrf"}),
    ("no synonym lexicon", {"synonyms": False}),
    ("no spelling correction", {"spelling": False}),
    ("no cluster preference", {"cluster_boost": 0.0, "retired_penalty": 0.0}),
    ("no named-page preference", {"subject_boost": 0.0}),
    ("no module preference", {"module_boost": 0.0}),
    ("See Also sections not lowered", {"navigation_penalty": 1.0}),
    ("no installation section first", {"installation_first": False}),
    ("no known-issues preference", {"trouble_boost": 0.0}),
)


def ablation(questions: list[Question], index: Index, config: Config) -> list[dict[str, Any]]:
    """What each ranking feature buys and costs: the same questions with one feature off."""
    rows = []
    for label, change in ABLATIONS:
        outcomes = run_wikidesk(index, config.replace(**change), questions)
        row: dict[str, Any] = {"variant": label}
        for split in ("heldout", "all"):
            m = metrics(_in_split(outcomes, split))
            for key in ("page@1", "section@1", "mrr@10", "abstain_unanswerable"):
                row[f"{split}:{key}"] = m[key]
        row["latency_p50_ms"] = metrics(outcomes)["latency_p50_ms"]
        rows.append(row)
    return rows


def render_ablation(rows: list[dict[str, Any]]) -> list[str]:
    head = f"  {'variant':<32}{'page@1':>8}{'sect@1':>8}{'MRR':>7}{'abst.U':>8}{'page@1':>8}{'sect@1':>8}{'p50 ms':>8}"
    lines = ["feature ablation (first four columns: held-back questions; then all questions):", head]
    for r in rows:
        lines.append(
            f"  {r['variant']:<32}{_fmt(r['heldout:page@1']):>8}{_fmt(r['heldout:section@1']):>8}"
            f"{_fmt(r['heldout:mrr@10']):>7}{_fmt(r['heldout:abstain_unanswerable']):>8}"
            f"{_fmt(r['all:page@1']):>8}{_fmt(r['all:section@1']):>8}{_fmt(r['latency_p50_ms']):>8}"
        )
    return [*lines, ""]


def _in_split(outcomes: list[Outcome], split: str) -> list[Outcome]:
    return [o for o in outcomes if split == "all" or o.question.split == split]


def _is_miss(o: Outcome) -> bool:
    if not o.question.answerable:
        return o.answered
    return not _section_hit(o) or not o.answered


def _miss(o: Outcome) -> dict[str, Any]:
    q = o.question
    got = " > ".join([o.sections[0][0], *o.sections[0][1]]) if o.sections else "(nothing)"
    want = " > ".join([q.page, *(q.heading_path or ())]) if q.page else "(unanswerable)"
    return {
        "id": q.id,
        "split": q.split,
        "question": q.question,
        "expected": want,
        "got": got,
        "answered": o.answered,
        "confidence": o.extra.get("confidence"),
    }


def render(report: dict[str, Any], command: str, misses: int) -> str:
    lines = [f"$ {command}", ""]
    for split, data in report["splits"].items():
        w, b = data["wikidesk"], data["bm25"]
        lines.append(f"{split}: {w['answerable']} answerable + {w['unanswerable']} unanswerable questions")
        lines.append(f"  {'metric':<34}{'bm25 baseline':>15}{'wikidesk':>12}")
        for key, label in METRICS:
            lines.append(f"  {label:<34}{_fmt(b[key]):>15}{_fmt(w[key]):>12}")
        lines.append("")
    if report.get("ablation"):
        lines += render_ablation(report["ablation"])
    if misses:
        shown = report["misses"][:misses]
        lines.append(f"misses ({len(report['misses'])}, first {len(shown)}):")
        for m in shown:
            lines.append(f"  [{m['id']}/{m['split']}] {m['question']!r}")
            lines.append(
                f"      expected {m['expected']}; got {m['got']}; answered={m['answered']} conf={m['confidence']}"
            )
    return "\n".join(lines)


def _fmt(v: Any) -> str:
    return "-" if v is None else (f"{v:.3f}" if isinstance(v, float) else str(v))


def run_eval(args: argparse.Namespace, config: Config) -> int:
    questions = load_questions(args.questions)
    if args.split != "all":
        questions = [q for q in questions if q.split == args.split]
    corpora = [Path(c) for c in (args.corpus or [config.corpus])]
    index = build_eval_index(corpora, config)
    report = evaluate(questions, index, config)
    if args.ablation:
        report["ablation"] = ablation(questions, index, config)
    cmd = "wikidesk eval " + str(args.questions) + "".join(f" --corpus {c}" for c in corpora)
    if args.json:
        report["command"] = cmd
        print(json.dumps(report, ensure_ascii=False))
    else:
        print(render(report, cmd, args.misses))
    return 0
