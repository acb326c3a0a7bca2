"""Compose the answer contract from ranked sections: extractive sentences with citation markers,
citations with highlighted snippets, copyable commands, a confidence and warnings.

Nothing here invents text: sentences are the wiki's own, cleaned of Markdown only.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from .analysis import analyze, raw_tokens
from .chunking import Chunk
from .commands import Command, section_commands
from .config import Config
from .corpus import Section
from .index import Index
from .markup import slugify
from .search import Hit, Query

NOT_FOUND = (
    "I could not find this in the wiki. Try other words, or open a ticket with the helpdesk "
    "so a person can help."
)
_ABBREV = r"(?<!\be\.g)(?<!\bi\.e)(?<!\betc)(?<!\bvs)(?<!\bcf)(?<!\bNo)(?<!\bapprox)"
_SENT_SPLIT_RE = re.compile(_ABBREV + r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9*`])")


@dataclass(frozen=True)
class Sentence:
    text: str
    citation: int
    section_rank: int
    position: int
    score: float


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENT_SPLIT_RE.split(text) if s.strip()]


def section_of(index: Index, chunk: Chunk) -> Section:
    return index.pages[chunk.page].sections[chunk.section]


def citation_url(index: Index, chunk: Chunk, config: Config) -> str:
    if config.wiki_base_url:
        page = index.pages[chunk.page]
        slug = page.permalink.strip("/") or page.title.replace(" ", "_")
        frag = "_".join(chunk.heading.split()) if chunk.heading else ""
        return f"{config.wiki_base_url.rstrip('/')}/{slug}" + (f"#{frag}" if frag else "")
    anchor = f"#{chunk.anchor}" if chunk.heading else ""
    return f"/page/{chunk.page}{anchor}"


# --------------------------------------------------------------------------- snippets


def term_positions(text: str, terms: set[str]) -> list[tuple[int, int]]:
    """Character spans of the words in `text` whose analysed form is a query term."""
    spans = []
    for m in re.finditer(r"[\w][\w.+/:-]*[\w]|\w", text):
        word = m.group(0)
        if set(analyze(word)) & terms:
            spans.append((m.start(), m.end()))
    return spans


def snippet(text: str, terms: set[str], width: int) -> tuple[str, list[tuple[int, int]]]:
    """About `width` characters of the section around its densest run of matched terms."""
    flat = re.sub(r"\s+", " ", text).strip()
    spans = term_positions(flat, terms)
    if len(flat) <= width:
        return flat, spans
    best_start, best_count = 0, -1
    for s, _ in spans:
        start = max(0, s - width // 3)
        count = sum(1 for a, b in spans if a >= start and b <= start + width)
        if count > best_count:
            best_start, best_count = start, count
    start = best_start
    if start > 0:
        space = flat.find(" ", start)
        start = space + 1 if 0 <= space < start + 30 else start
    end = min(len(flat), start + width)
    if end < len(flat):
        space = flat.rfind(" ", start, end)
        end = space if space > start + width // 2 else end
    prefix = "… " if start > 0 else ""
    suffix = " …" if end < len(flat) else ""
    body = flat[start:end]
    shift = len(prefix) - start
    kept = [(a + shift, b + shift) for a, b in spans if a >= start and b <= end]
    return prefix + body + suffix, kept


# --------------------------------------------------------------------------- sentences


def _query_terms(query: Query, index: Index) -> dict[str, float]:
    idf = index.cache("idf_lookup", lambda: _idf_table(index))
    return {index.terms[t]: w * idf[t] for t, w in query.terms.items()}


def _idf_table(index: Index) -> list[float]:
    n = index.n_chunks
    return [math.log1p((n - d + 0.5) / (d + 0.5)) for d in index.df.tolist()]


def candidate_sentences(
    section: Section, chunk: Chunk, citation: int, rank: int, weights: dict[str, float]
) -> list[Sentence]:
    out: list[Sentence] = []
    start, end = chunk.blocks
    pos = 0
    for block in section.blocks[start:end]:
        if block.kind == "code" or block.obsolete:
            continue
        pieces = split_sentences(block.text) if block.kind in ("para", "quote") else [block.text]
        for piece in pieces:
            if _struck(piece, section):
                continue
            terms = set(analyze(piece))
            matched = sum(w for t, w in weights.items() if t in terms)
            length = max(len(raw_tokens(piece)), 1)
            score = matched / (1.0 + 0.02 * max(0, length - 25))
            score *= 1.0 / (1.0 + 0.5 * rank)
            score *= 1.0 + 0.15 / (1 + pos)
            if length < 3:
                score *= 0.5
            out.append(Sentence(piece, citation, rank, pos, score))
            pos += 1
    return out


def _struck(text: str, section: Section) -> bool:
    return any(len(s) > 15 and s[:40] in text for s in section.obsolete)


def choose_sentences(candidates: list[Sentence], limit: int) -> list[Sentence]:
    """The best sentence and up to `limit - 1` more that score close to it, in reading order."""
    if not candidates:
        return []
    ranked = sorted(candidates, key=lambda s: -s.score)
    best = ranked[0]
    if best.score <= 0:
        return []
    chosen = [best]
    for s in ranked[1:]:
        if len(chosen) >= limit:
            break
        if s.score >= 0.6 * best.score and s.text not in {c.text for c in chosen}:
            chosen.append(s)
    return sorted(chosen, key=lambda s: (s.section_rank, s.position))


# --------------------------------------------------------------------------- commands


def rank_commands(commands: list[Command], weights: dict[str, float], limit: int = 5) -> list[Command]:
    def key(item: tuple[int, Command]) -> tuple[float, int]:
        i, c = item
        terms = set(analyze(c.command))
        overlap = sum(w for t, w in weights.items() if t in terms)
        return (-(overlap + (0.5 if c.section == 1 else 0.0)), i)

    ranked = [c for _, c in sorted(enumerate(commands), key=key)]
    return ranked[:limit]


# --------------------------------------------------------------------------- confidence


def confidence(query: Query, hits: list[Hit], index: Index, unknown: int) -> float:
    """How much of the question's idf mass the best section covers, discounted for words the
    wiki never uses; calibrated on the evaluation set's unanswerable questions."""
    if not hits:
        return 0.0
    idf = index.cache("idf_lookup", lambda: _idf_table(index))
    own = {t: w for t, w in query.terms.items() if w >= 0.8}
    if not own:
        return 0.0
    top = hits[0].chunk
    terms_in_top = index.cache(f"chunkterms:{top.id}", lambda: set(analyze(top.text)))
    total = sum(idf[t] for t in own) + unknown * max(idf, default=1.0)
    covered = sum(idf[t] for t in own if index.terms[t] in terms_in_top)
    return round(covered / total, 4) if total else 0.0


def unknown_words(query: Query, index: Index) -> int:
    vocab = index.vocab
    count = 0
    for tok in raw_tokens(query.text):
        terms = analyze(tok)
        if terms and not any(t in vocab for t in terms) and tok not in query.corrections:
            count += 1
    return count


# --------------------------------------------------------------------------- warnings


def warnings_for(sections: list[tuple[Chunk, Section]], config: Config) -> list[str]:
    out: list[str] = []
    retired = {c.lower(): c for c in config.retired_clusters}
    for chunk, section in sections:
        name = retired.get(chunk.cluster.lower())
        if name:
            msg = f"{name} has been decommissioned: this part of the wiki describes {name}, not a current cluster."
            if msg not in out:
                out.append(msg)
        for term in config.retired_terms:
            if (
                re.search(rf"\b{re.escape(term)}\b", section.text, re.I)
                or term.lower() in " ".join(section.heading_path).lower()
            ):
                msg = f"{term} has reached its end of life; prefer a current version."
                if msg not in out:
                    out.append(msg)
    return out


# --------------------------------------------------------------------------- compose


def compose(question: str, query: Query, hits: list[Hit], index: Index, config: Config) -> dict[str, Any]:
    """The answer contract for one question."""
    weights = _query_terms(query, index)
    terms = set(weights)
    cited = hits[: config.top_k]
    citations = []
    sections: list[tuple[Chunk, Section]] = []
    for n, hit in enumerate(cited, 1):
        section = section_of(index, hit.chunk)
        sections.append((hit.chunk, section))
        text, spans = snippet(section.text, terms, config.snippet_chars)
        citations.append(
            {
                "n": n,
                "page": hit.chunk.page,
                "title": hit.chunk.title,
                "section": hit.chunk.heading,
                "heading_path": list(hit.chunk.heading_path),
                "anchor": hit.chunk.anchor or slugify(hit.chunk.heading),
                "url": citation_url(index, hit.chunk, config),
                "snippet": text,
                "highlights": [list(s) for s in spans],
                "score": round(hit.score, 6),
            }
        )
    conf = confidence(query, hits, index, unknown_words(query, index))
    answered = bool(cited) and conf >= config.min_confidence
    candidates: list[Sentence] = []
    for rank, (chunk, section) in enumerate(sections[:3]):
        candidates += candidate_sentences(section, chunk, rank + 1, rank, weights)
    chosen = choose_sentences(candidates, config.answer_sentences) if answered else []
    if answered and not chosen:
        answered = False
    commands: list[Command] = []
    if answered:
        used = sorted({s.citation for s in chosen} | {1})
        for n in used:
            chunk, section = sections[n - 1]
            commands += section_commands(section, n)
        commands = rank_commands(commands, weights)
    answer = " ".join(f"{s.text} [{s.citation}]" for s in chosen) if answered else NOT_FOUND
    used_sections = [sections[n - 1] for n in sorted({s.citation for s in chosen})] if answered else []
    return {
        "question": question,
        "answered": answered,
        "answer": answer,
        "citations": citations,
        "commands": [
            {"command": c.command, "citation": c.section, "placeholders": list(c.placeholders)}
            for c in commands
        ],
        "warnings": warnings_for(used_sections, config),
        "confidence": conf,
    }
