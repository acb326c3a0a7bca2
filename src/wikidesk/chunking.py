"""Sections to retrieval chunks.

A chunk is what BM25 scores and what a citation opens, so chunks follow sections. Long
sections are cut at block boundaries (never inside a code block) with a little overlap, and
each chunk carries its page title and heading path as separate fields for field weighting.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from .corpus import Block, Page, Section


@dataclass(frozen=True, slots=True)
class Chunk:
    id: int
    page: str
    title: str
    section: int
    heading: str
    heading_path: tuple[str, ...]
    anchor: str
    blocks: tuple[int, int]
    body: str
    cluster: str = ""

    @property
    def headings(self) -> str:
        return " ".join(self.heading_path)

    @property
    def text(self) -> str:
        return "\n".join(x for x in (self.title, self.headings, self.body) if x)


def block_spans(blocks: Sequence[Block], max_chars: int, overlap: int) -> list[tuple[int, int]]:
    """[start, end) block ranges of at most ~max_chars, starting a new one only between blocks.

    The next range starts with as many trailing blocks of the previous one as fit in `overlap`,
    so a sentence that leads into a list is not cut from it.
    """
    if not blocks:
        return []
    spans: list[tuple[int, int]] = []
    start, size = 0, 0
    for i, block in enumerate(blocks):
        length = len(block.text) + 1
        if size and size + length > max_chars:
            spans.append((start, i))
            back, carried = i, 0
            while back - 1 > start and carried + len(blocks[back - 1].text) <= overlap:
                back -= 1
                carried += len(blocks[back].text) + 1
            start, size = back, carried
        size += length
    spans.append((start, len(blocks)))
    return spans


@lru_cache(maxsize=64)
def whole_word(name: str) -> re.Pattern[str]:
    """A name (a cluster, a retired topic) as a whole word, any case; compiled once."""
    return re.compile(rf"\b{re.escape(name)}\b", re.I)


@lru_cache(maxsize=64)
def any_whole_word(names: tuple[str, ...]) -> re.Pattern[str]:
    """Any of the names as a whole word, any case: one search instead of one per name."""
    return re.compile(r"\b(?:" + "|".join(map(re.escape, names)) + r")\b", re.I)


def section_cluster(page: Page, section: Section, clusters: Iterable[str], page_default: str) -> str:
    """The cluster a section is about: the deepest heading naming one (the first configured,
    if it names several), else the page's."""
    names = tuple(clusters)
    if not names:
        return page_default
    pattern = any_whole_word(names)
    for heading in reversed((page.title, *section.heading_path)):
        found = pattern.findall(heading)
        if found:
            named = {f.lower() for f in found}
            return next(n for n in names if n.lower() in named)
    return page_default


def page_cluster(page: Page, clusters: Iterable[str]) -> str:
    """A page that names exactly one cluster (old Proteus-only pages) is about that one."""
    named = [c for c in clusters if whole_word(c).search(page.markdown)]
    return named[0] if len(named) == 1 else ""


def chunk_pages(
    pages: Iterable[Page],
    max_chars: int = 1600,
    overlap: int = 200,
    clusters: Sequence[str] = ("Picotte", "Proteus"),
) -> list[Chunk]:
    chunks: list[Chunk] = []
    for page in pages:
        if page.redirect:
            continue
        default = page_cluster(page, clusters)
        for s_idx, section in enumerate(page.sections):
            if _is_reference_list(section):
                continue
            cluster = section_cluster(page, section, clusters, default)
            for start, end in block_spans(section.blocks, max_chars, overlap):
                body = "\n".join(b.text for b in section.blocks[start:end])
                chunks.append(
                    Chunk(
                        id=len(chunks),
                        page=page.id,
                        title=page.title,
                        section=s_idx,
                        heading=section.heading,
                        heading_path=section.heading_path,
                        anchor=section.anchor,
                        blocks=(start, end),
                        body=body,
                        cluster=cluster,
                    )
                )
    return chunks


def _is_reference_list(section: Section) -> bool:
    return section.heading.lower() in {"references", "footnotes"} and len(section.text) < 40


# Sections that point elsewhere: their link titles match questions without answering them.
NAVIGATION_HEADINGS = frozenset({"see also", "external links", "further reading", "related pages"})


def is_navigation(chunk: Chunk) -> bool:
    return _navigation_heading(chunk.heading)


@lru_cache(maxsize=4096)
def _navigation_heading(heading: str) -> bool:
    return heading.strip().lower() in NAVIGATION_HEADINGS


# Sections that collect what goes wrong: a problem report is best answered there.
_TROUBLE_HEADING_RE = re.compile(
    r"\b(?:known (?:issues?|bugs?|problems?)|issues?|bugs?|troubleshooting|problems?|errors?|caution"
    r"|workarounds?|limitations?)\b",
    re.I,
)


def is_troubleshooting(chunk: Chunk) -> bool:
    return _TROUBLE_HEADING_RE.search(chunk.heading) is not None
