"""Compose the answer contract from ranked sections: extractive sentences with citation markers,
citations with highlighted snippets, copyable commands, a confidence and warnings.

Nothing here invents text: sentences are the wiki's own, cleaned of Markdown only.
"""

from __future__ import annotations

import bisect
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from typing import Any

import numpy as np

from . import bm25
from .analysis import STOPWORDS, analyze, char_ngrams, raw_tokens, stem, title_terms
from .chunking import Chunk, whole_word
from .commands import Command, section_commands, strip_prompt, unique_commands
from .config import Config
from .corpus import Block, Section
from .index import Index
from .markup import slugify
from .search import Hit, Query, page_names

NOT_FOUND = (
    "I could not find this in the wiki. Try other words, or open a ticket with the helpdesk "
    "so a person can help."
)
# abbreviations whose full stop ends no sentence (the split point is just after that stop)
_ABBREV = r"(?<!\b[eE]\.g\.)(?<!\b[iI]\.e\.)(?<!\betc\.)(?<!\bvs\.)(?<!\bcf\.)(?<!\bNo\.)(?<!\bapprox\.)"
_SENT_SPLIT_RE = re.compile(_ABBREV + r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9*`])")


@dataclass(frozen=True)
class Sentence:
    text: str
    citation: int
    section_rank: int
    position: int
    score: float
    block: int = 0


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENT_SPLIT_RE.split(text) if s.strip()]


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
    """Character spans of the words in `text` whose analysed form is a query term, in order."""
    where = _term_spans(text)
    return sorted({span for term in terms for span in where.get(term, ())})


@lru_cache(maxsize=4096)
def _term_spans(text: str) -> dict[str, tuple[tuple[int, int], ...]]:
    """For every analysed term of a section, the spans of the words giving it: computed once
    per section text, so a question only looks up its own terms."""
    where: dict[str, list[tuple[int, int]]] = {}
    for m in re.finditer(r"[\w][\w.+/:-]*[\w]|\w", text):
        for term in _word_terms(m.group(0)):
            where.setdefault(term, []).append((m.start(), m.end()))
    return {term: tuple(spans) for term, spans in where.items()}


@lru_cache(maxsize=65536)
def _unit_terms(text: str) -> tuple[frozenset[str], int]:
    """A sentence's analysed terms and its length in words; the same sections are cited for
    many questions, so each sentence is analysed once per process."""
    return frozenset(analyze(text)), max(len(raw_tokens(text)), 1)


@lru_cache(maxsize=65536)
def _word_terms(word: str) -> frozenset[str]:
    """A word's analysed terms; snippets re-read the same words for every question."""
    return frozenset(analyze(word))


@lru_cache(maxsize=4096)
def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def snippet(text: str, terms: set[str], width: int) -> tuple[str, list[tuple[int, int]]]:
    """About `width` characters of the section around its densest run of matched terms."""
    flat = _flat(text)
    spans = term_positions(flat, terms)
    if len(flat) <= width:
        return flat, spans
    starts = [a for a, _ in spans]
    ends = [b for _, b in spans]  # words do not overlap, so ends are sorted too
    best_start, best_count = 0, -1
    for s in starts:
        start = max(0, s - width // 3)
        count = bisect.bisect_right(ends, start + width) - bisect.bisect_left(starts, start)
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
    idf = _idf(index)
    return {index.terms[t]: w * float(idf[t]) for t, w in query.terms.items()}


def _idf(index: Index) -> np.ndarray:
    return index.cache("idf", lambda: bm25.idf_lucene(index.df, index.n_chunks))


_CONTINUES_RE = re.compile(
    r"^(instead|or|otherwise|then|however|alternatively|also|e\.g\.|for example)\b", re.I
)


@lru_cache(maxsize=8192)
def answer_units(section: Section, chunk: Chunk) -> tuple[tuple[int, str], ...]:
    """(block index, text) units an answer is built from: sentences, list items, table rows.

    A sentence that introduces something (ends with ':' or runs on without a full stop) takes
    the list items or the short code line that follow it, and a paragraph starting in lower case
    continues the sentence before it, so a unit reads as a whole statement. Cached: they do not
    depend on the question, and the same sections are cited again and again.
    """
    start, end = chunk.blocks
    blocks = section.blocks[start:end]
    units: list[tuple[int, str]] = []
    skip_until = -1
    for bi, block in enumerate(blocks):
        if bi <= skip_until or block.kind == "code" or block.obsolete:
            continue
        pieces = split_sentences(block.text) if block.kind in ("para", "quote") else [block.text]
        pieces = [p for p in pieces if not _struck(p, section)]
        if not pieces:
            continue
        if block.kind == "para" and units and pieces[0][:1].islower() and units[-1][0] == bi - 1:
            _, prev = units.pop()
            pieces[0] = f"{prev} {pieces[0]}"
        for pi, piece in enumerate(pieces):
            text = piece
            if pi == len(pieces) - 1 and _introduces(piece):
                text, skip_until = _introduced(piece, blocks, bi)
            units.append((bi, text))
    return tuple(units)


def _introduces(sentence: str) -> bool:
    """Ends with ':' or 'e.g.', or runs on without a full stop: what follows completes it."""
    s = sentence.rstrip()
    return bool(re.search(r"(:|\be\.g\.|\bi\.e\.|\bsuch as)$", s, re.I)) or not re.search(
        r"[.!?)\]]['\"]?$", s
    )


def _introduced(lead: str, blocks: tuple[Block, ...], bi: int, limit: int = 6, chars: int = 360):
    """The lead sentence with the items or code line it introduces; and the last block used."""
    items: list[str] = []
    last = bi
    for j in range(bi + 1, len(blocks)):
        block = blocks[j]
        if block.obsolete:
            break
        if block.kind == "code":
            if not items and len(block.text) <= 160 and block.text.count("\n") <= 1:
                items.append(_code_line(block.text))
            break
        if block.kind not in ("item", "row"):
            if block.kind == "para" and block.text[:1].islower() and items:
                items[-1] = f"{items[-1]} {block.text}"
                last = j
            break
        if len(items) >= limit or sum(len(i) for i in items) + len(block.text) > chars:
            items.append("…")
            break
        items.append(block.text)
        last = j
    if not items:
        return lead, bi
    return f"{lead} {'; '.join(items)}", last


def _code_line(text: str) -> str:
    """A short code block as the sentence that introduces it shows it: what the user types, its
    shell prompt left off (`[juser@host dir]$ make install` reads `make install`)."""
    lines = text.split("\n")
    typed = [c for x in lines if (c := strip_prompt(x))]
    return "; ".join(typed if typed else lines)


def candidate_sentences(
    section: Section, chunk: Chunk, citation: int, rank: int, weights: dict[str, float]
) -> list[Sentence]:
    """Every answer unit of the chunk, scored by the idf mass of the question's terms it holds."""
    out: list[Sentence] = []
    for pos, (bi, text) in enumerate(answer_units(section, chunk)):
        terms, length = _unit_terms(text)
        matched = sum(w for t, w in weights.items() if t in terms)
        score = matched / (1.0 + 0.015 * max(0, length - 30))
        score *= 1.0 + 0.1 / (1 + pos)
        if length < 3:
            score *= 0.5
        out.append(Sentence(text, citation, rank, pos, score, bi))
    return out


def _struck(text: str, section: Section) -> bool:
    return any(len(s) > 15 and s[:40] in text for s in section.obsolete)


def choose_sentences(candidates: list[Sentence], limit: int, budget: int = 420) -> list[Sentence]:
    """The answer comes from the best section: its best unit, the unit after it when that one
    goes on with the thought ('Instead, ...'), then other units of the section that score close.
    Another section is used only when it clearly beats the top one."""
    scored = [s for s in candidates if s.score > 0]
    if not scored:
        return []
    best_other = max((s.score for s in scored if s.section_rank > 0), default=0.0)
    best_top = max((s.score for s in scored if s.section_rank == 0), default=0.0)
    rank = 0 if best_top >= 0.6 * best_other else min(s.section_rank for s in scored if s.score == best_other)
    units = [s for s in candidates if s.section_rank == rank]
    best = max(units, key=lambda s: s.score)
    chosen = [best]
    nxt = next((s for s in units if s.position == best.position + 1), None)
    if len(chosen) < limit and nxt and (_CONTINUES_RE.match(nxt.text) or nxt.score >= 0.3 * best.score):
        chosen.append(nxt)
    for s in sorted(units, key=lambda s: -s.score):
        if len(chosen) >= limit:
            break
        size = sum(len(c.text) for c in chosen)
        if s not in chosen and s.score >= 0.5 * best.score and size + len(s.text) <= budget:
            chosen.append(s)
    return sorted(chosen, key=lambda s: s.position)


# --------------------------------------------------------------------------- commands


def rank_commands(commands: list[Command], weights: dict[str, float], limit: int = 5) -> list[Command]:
    """Most relevant first: the question's terms in the command (`_command_score`), then reading
    order; where several versions of one modulefile tie, the newest comes first (pages list
    versions oldest first, and the newest is the one to load unless the question names
    another)."""
    scores = [-_command_score(c.command, weights) - _output_score(c, weights) for c in commands]
    versions = [_module_family(c.command) for c in commands]
    order = sorted(range(len(commands)), key=lambda i: (scores[i], i))
    families: dict[tuple[float, str], list[int]] = {}
    for slot, i in enumerate(order):
        family = versions[i]
        if family:
            families.setdefault((scores[i], family[0]), []).append(slot)
    for slots in families.values():
        newest = sorted((order[s] for s in slots), key=lambda i: versions[i] or ("", ()), reverse=True)
        for s, i in zip(slots, newest, strict=True):
            order[s] = i
    return [commands[i] for i in order][:limit]


# A question word inside a longer name of the command ('cmake' in `ccmake`, 'phymm' in
# `phymmbl_installer`) counts for this much of its weight: it is likely, not certain, the same thing.
PART_OF_NAME_WEIGHT = 0.5


def _command_score(command: str, weights: dict[str, float]) -> float:
    terms = _command_terms(command)
    names = _command_names(command)
    return sum(
        w if t in terms else PART_OF_NAME_WEIGHT * w if _part_of_name(t, names) else 0.0
        for t, w in weights.items()
    )


# Printed output says what a command is for as plainly as the command's own words do (measured:
# half weight gains fewer questions, none is lost at full weight).
OUTPUT_WEIGHT = 1.0


def _output_score(command: Command, weights: dict[str, float]) -> float:
    """The question's terms the command's printed output holds and the command does not, at
    `OUTPUT_WEIGHT`: "verify it computes forces" asks for the self-test that prints so."""
    if not command.output:
        return 0.0
    terms = _unit_terms(command.output)[0] - _command_terms(command.command)
    return OUTPUT_WEIGHT * sum(w for t, w in weights.items() if t in terms)


def _part_of_name(term: str, names: frozenset[str]) -> bool:
    return len(term) >= 5 and term.isalpha() and any(term in name and name != term for name in names)


@lru_cache(maxsize=4096)
def _command_names(command: str) -> frozenset[str]:
    return frozenset(re.findall(r"[a-z][a-z0-9]+", command.lower()))


_CAMEL_RE = re.compile(r"(?<=[a-z])(?=[A-Z])")
# a name with its version run on, `anaconda3` or `python37`, also holds the bare name
_VERSIONED_RE = re.compile(r"^([a-z]{4,})\d+$")
_VERSION_RE = re.compile(r"(?<![\w.])\d+(?:\.\d+)+")
_MODULE_LOAD_RE = re.compile(r"^(?:module\s+(?:load|add)|ml)\s+(\S+)/([^/\s]*\d[^/\s]*)$")


@lru_cache(maxsize=4096)
def _command_terms(command: str) -> frozenset[str]:
    """A command's analysed terms, with the parts of camel-case names too (`phymmblSetup.pl`
    holds 'setup') and names without a version run on (`python/anaconda3` holds 'anaconda').

    A version holds its leading parts ('2', '2.17' of `git/2.17.1`) but not its later numbers:
    a question about "git 1.7" must not favour 2.17.1 for its '1' and '17'.
    """
    terms = _unit_terms(command)[0]
    split = _CAMEL_RE.sub(" ", command)
    if split != command:
        terms |= _unit_terms(split)[0]
    terms |= {m.group(1) for t in terms if (m := _VERSIONED_RE.match(t))}
    versions = [v.split(".") for v in _VERSION_RE.findall(command)]
    leading = {".".join(parts[:n]) for parts in versions for n in range(1, len(parts) + 1)}
    later = {part for parts in versions for part in parts[1:]}
    return (terms - (later - leading)) | leading


def _module_family(command: str) -> tuple[str, tuple[int, ...]] | None:
    """('gromacs/cuda11.2', (2021, 3)) for `module load gromacs/cuda11.2/2021.3`: the modulefile
    without its version, and the version as numbers; None for other commands."""
    m = _MODULE_LOAD_RE.match(command.strip())
    if not m:
        return None
    return m.group(1), tuple(int(x) for x in re.findall(r"\d+", m.group(2)))


def _command_weights(query: Query, index: Index, weights: dict[str, float]) -> dict[str, float]:
    """The question's terms, two words it writes apart that commands write as one ("set up"
    for `setup.py`, "log in" for `login`: names are run together far more in code than in
    prose), and the words commands use for what it asks (`_COMMAND_RELATED`)."""
    words = raw_tokens(query.text)
    idf = _idf(index)
    out = dict(weights)
    for a, b in pairwise(words):
        if not _joins(a, b):
            continue
        joined = stem(a + b)
        if joined not in out and (tid := index.vocab.get(joined)) is not None:
            out[joined] = float(idf[tid])
    for term, related in _COMMAND_RELATED.items():
        if term in out and related not in out and related in index.vocab:
            out[related] = 0.5 * out[term]
    return out


# Words a command uses for what the question asks: a program is installed by running its setup
# script (`./phymmblSetup.pl`, `setup.py`). Half weight: the word is implied, not said.
_COMMAND_RELATED = {"instal": "setup"}


# the particles of phrasal verbs, which a command name swallows ("setup", "login", "backup")
_PARTICLES = frozenset({"up", "in", "out", "off", "on"})


def _joins(first: str, second: str) -> bool:
    """Two words that may be one name split apart: both words proper, or a verb and its particle
    ("set up"); never a function word with its neighbour ("do i" is not `doi`)."""
    if not (first.isalpha() and second.isalpha()) or first in STOPWORDS or len(first) < 3:
        return False
    return second in _PARTICLES or (second not in STOPWORDS and len(second) >= 2)


def gather_commands(
    sections: list[tuple[Chunk, Section]], used: set[int], weights: dict[str, float], limit: int = 5
) -> list[Command]:
    """Commands from the cited sections only, most relevant first: those of the sections the
    answer quotes; then, while fewer than `limit`, those of the other cited sections of the pages
    it quotes (a page's lead often has its modulefile in the 'Installed Versions' section below
    it, and a quoted 'Hardware' section names the cards whose flags 'Architecture' gives) and of
    the first three citations (a question's top section often explains, and the next one shows
    the command). A command two sections both show is offered once, from the first."""
    if not sections:
        return []
    pages = {sections[n - 1][0].page for n in used}
    own = unique_commands(
        c for n in sorted(used) for c in section_commands(sections[n - 1][1], n, sections[n - 1][0].page)
    )
    first = rank_commands(own, weights, limit)
    if len(first) >= limit:
        return first
    shown = {c.command for c in own}
    nearby = unique_commands(
        c
        for n, (chunk, section) in enumerate(sections, 1)
        if n not in used and (chunk.page in pages or n <= 3)
        for c in section_commands(section, n, chunk.page)
        if c.command not in shown
    )
    return first + rank_commands(nearby, weights, limit - len(first))


# --------------------------------------------------------------------------- confidence


# Logistic model over the features below, fit on the tuning split of tests/eval/questions.jsonl
# as it stood at 629 questions (answerable vs. unanswerable, balanced classes, C=10 chosen by
# cross-validation on that split); the 219 command-batch questions added since leave it
# meeting its aims, so it was not refit. notebooks/retrieval_evaluation.ipynb refits it.
CONFIDENCE_WEIGHTS = (2.233, 0.592, 4.427, -6.54, 0.737, -2.379, 4.371)
CONFIDENCE_BIAS = -6.341


# The question's rarest words say what it is about; long questions carry many more words that
# no section needs to hold, so coverage and score are measured on these only.
SALIENT_TERMS = 4


@dataclass(frozen=True)
class Evidence:
    """Why an answer is (not) trusted; each value is cheap to compute from the top hit, and each
    is a share or a mean, so a long question is not distrusted for its length."""

    coverage: float  # share of the idf mass of the question's rarest words found in the top section
    title_match: float  # best idf of a question term in the top section's title or headings
    lexical: float  # the top section's BM25F score over the best the rarest words could score
    unknown: int  # words of the question the wiki never uses (after spelling correction)
    known: int  # distinct question terms the wiki does use
    novelty: float  # how unlike any wiki word the unknown words look (character n-grams), summed
    page_named: float = 0.0  # best idf of a question term in the top page's title or other names

    def features(self) -> tuple[float, ...]:
        words = self.unknown + self.known
        return (
            self.coverage,
            self.title_match,
            self.lexical,
            self.unknown / words if words else 1.0,
            float(min(self.known, 6)),
            self.novelty / self.unknown if self.unknown else 0.0,
            self.page_named,
        )


def evidence(query: Query, hits: list[Hit], index: Index) -> Evidence:
    idf = _idf(index)
    top_idf = float(idf.max()) if len(idf) else 1.0
    own = sorted(query.own, key=lambda t: (-float(idf[t]), t))
    novelty = sum(_novelty(w, index) for w in query.unknown)
    if not hits or not own:
        return Evidence(0.0, 0.0, 0.0, len(query.unknown), len(own), novelty)
    top = hits[0].evidence
    titles = title_terms(top.title) | page_names(index, top.page)
    heads = titles | _unit_terms(" ".join(top.heading_path))[0]
    seen = heads | _unit_terms(top.text)[0]
    salient = own[:SALIENT_TERMS]
    total = sum(float(idf[t]) for t in salient)
    covered = sum(float(idf[t]) for t in salient if index.terms[t] in seen)
    titled = [float(idf[t]) for t in own if index.terms[t] in heads]
    named = [float(idf[t]) for t in own if index.terms[t] in titles]
    ideal = sum(query.terms.get(t, 1.0) * float(idf[t]) for t in salient) * (index.params.k1 + 1)
    return Evidence(
        coverage=covered / total if total else 0.0,
        title_match=max(titled, default=0.0) / top_idf,
        lexical=min(hits[0].lexical / ideal, 2.0) if ideal else 0.0,
        unknown=len(query.unknown),
        known=len(own),
        novelty=novelty,
        page_named=max(named, default=0.0) / top_idf,
    )


def _novelty(word: str, index: Index) -> float:
    grams = [g for g in char_ngrams(word) if len(g) >= 4]
    if not grams:
        return 1.0
    return 1.0 - sum(g in index.ngram_vocab for g in grams) / len(grams)


def confidence(query: Query, hits: list[Hit], index: Index) -> float:
    """Probability-like trust in the top section answering the question; calibrated so that
    unanswerable questions fall below `min_confidence` and answerable ones stay above it."""
    if not hits:
        return 0.0
    ev = evidence(query, hits, index)
    if ev.known == 0:
        return 0.0
    z = CONFIDENCE_BIAS + sum(w * x for w, x in zip(CONFIDENCE_WEIGHTS, ev.features(), strict=True))
    return round(1.0 / (1.0 + math.exp(-z)), 4)


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
                whole_word(term).search(section.text)
                or term.lower() in " ".join(section.heading_path).lower()
            ):
                msg = f"{term} has reached its end of life; prefer a current version."
                if msg not in out:
                    out.append(msg)
    return out


def obsolete_warnings(sections: list[tuple[Chunk, Section]]) -> list[str]:
    """A cited section the wiki has struck out in full is shown as a source, never quoted;
    the user is told why its words are missing from the answer."""
    out = []
    for n, (chunk, section) in enumerate(sections, 1):
        if section.blocks and all(b.obsolete for b in section.blocks):
            where = " > ".join((chunk.title, *chunk.heading_path))
            out.append(f"The wiki marks {where} [{n}] as obsolete: it is listed as a source but not quoted.")
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
        section = index.section_of(hit.chunk)
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
    conf = confidence(query, hits, index)
    answered = bool(cited) and conf >= config.min_confidence
    candidates: list[Sentence] = []
    for rank, (chunk, section) in enumerate(sections[:3]):
        candidates += candidate_sentences(section, chunk, rank + 1, rank, weights)
    chosen = choose_sentences(candidates, config.answer_sentences) if answered else []
    if answered and not chosen:
        answered = False
    commands: list[Command] = []
    if answered:
        commands = gather_commands(
            sections, {s.citation for s in chosen} | {1}, _command_weights(query, index, weights)
        )
    answer = " ".join(f"{s.text} [{s.citation}]" for s in chosen) if answered else NOT_FOUND
    used_sections = [sections[n - 1] for n in sorted({s.citation for s in chosen} | {1})] if answered else []
    return {
        "question": question,
        "answered": answered,
        "answer": answer,
        "citations": citations,
        "commands": [
            {
                "command": c.command,
                "citation": c.section,
                "placeholders": list(c.placeholders),
                "language": c.language,
            }
            for c in commands
        ],
        "sentences": [{"text": s.text, "citation": s.citation, "score": round(s.score, 4)} for s in chosen],
        "warnings": warnings_for(used_sections, config) + obsolete_warnings(sections[:1]),
        "confidence": conf,
    }
