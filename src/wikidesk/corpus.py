"""Load a folder of wiki pages and parse each into sections of typed blocks.

The parser is line based and tracks code fences before it looks for headings, because the
wiki's job scripts are full of lines (`#SBATCH`, `### step 2`, `----`) that look like headings.
"""

from __future__ import annotations

import bisect
import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from .markup import (
    WIKILINK_RE,
    footnote_numbers,
    inline_to_text,
    is_wikilink,
    normalize_chars,
    page_key,
    slugify,
    split_wikilink,
    strike_ranges,
    strike_spans,
)

PAGE_SUFFIXES = (".md", ".markdown", ".txt")
REFERENCE_HEADINGS = {"references", "notes and references", "footnotes"}


@dataclass(frozen=True, slots=True)
class Block:
    """One unit of a section: a paragraph, list item, table row, quote or code block.

    `kind` is one of para, item, row, quote, code. Answers pick sentences from the first
    four kinds and commands from code; `obsolete` marks struck-out content.
    """

    kind: str
    text: str
    markdown: str
    obsolete: bool = False


@dataclass(frozen=True, slots=True)
class Link:
    text: str
    target: str
    page: str | None = None
    anchor: str = ""


@dataclass(frozen=True, slots=True)
class Section:
    heading: str
    heading_path: tuple[str, ...]
    anchor: str
    level: int
    blocks: tuple[Block, ...]
    markdown: str
    links: tuple[Link, ...] = ()
    references: tuple[tuple[int, str], ...] = ()
    obsolete: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        return "\n".join(b.text for b in self.blocks if b.text)


@dataclass(frozen=True, slots=True)
class Page:
    id: str
    title: str
    path: str
    markdown: str
    sections: tuple[Section, ...]
    permalink: str = ""
    redirect: str | None = None
    redirect_anchor: str = ""
    sha256: str = ""
    size: int = 0


@dataclass(frozen=True, slots=True)
class Skipped:
    path: str
    reason: str

    def __str__(self) -> str:
        return f"warning: {self.path}: {self.reason}"


@dataclass
class Corpus:
    root: str
    pages: list[Page] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    repaired: list[Skipped] = field(default_factory=list)

    def page(self, page_id: str) -> Page | None:
        return next((p for p in self.pages if p.id == page_id), None)


# --------------------------------------------------------------------------- loading


def iter_page_files(root: Path) -> list[Path]:
    """Every page file below root, sorted so builds are reproducible; hidden folders skipped."""
    files = []
    for path in root.rglob("*"):
        rel = path.relative_to(root)
        if any(part.startswith(".") for part in rel.parts):
            continue
        if path.suffix.lower() in PAGE_SUFFIXES and path.is_file():
            files.append(path)
    return sorted(files, key=lambda p: p.relative_to(root).as_posix())


def page_id_for(root: Path, path: Path) -> str:
    return path.relative_to(root).with_suffix("").as_posix()


def decode_page(data: bytes) -> tuple[str | None, str | None]:
    """(text, problem). Text is None when the file cannot be a page; a problem with text is a repair."""
    if b"\x00" in data[:8192]:
        return None, "binary file (contains NUL bytes)"
    try:
        text = data.decode("utf-8-sig")
        problem = None
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
        problem = "not UTF-8; decoded as Windows-1252"
    if not text.strip():
        return None, "empty page"
    return text, problem


def load_corpus(
    root: str | Path,
    max_bytes: int = 2_000_000,
    progress: Callable[[int, int], None] | None = None,
) -> Corpus:
    """Parse every page under root. One bad file never stops the build: it is skipped or
    repaired, and the reason is kept for the summary."""
    root = Path(root)
    corpus = Corpus(root=str(root))
    files = iter_page_files(root)
    for i, path in enumerate(files):
        rel = path.relative_to(root).as_posix()
        if progress:
            progress(i + 1, len(files))
        try:
            size = path.stat().st_size
            if size > max_bytes:
                corpus.skipped.append(Skipped(rel, f"too large ({size} bytes > {max_bytes})"))
                continue
            data = path.read_bytes()
        except OSError as exc:
            corpus.skipped.append(Skipped(rel, f"cannot be read ({exc.strerror or exc})"))
            continue
        text, problem = decode_page(data)
        if text is None:
            corpus.skipped.append(Skipped(rel, problem or "unreadable"))
            continue
        page, notes = parse_page(text, page_id_for(root, path), path=rel)
        if problem:
            notes.insert(0, problem)
        for note in notes:
            corpus.repaired.append(Skipped(rel, note))
        if not any(s.blocks for s in page.sections) and page.redirect is None:
            corpus.skipped.append(Skipped(rel, "no text after parsing"))
            continue
        corpus.pages.append(replace(page, sha256=hashlib.sha256(data).hexdigest(), size=len(data)))
    resolve_links(corpus.pages)
    return corpus


# --------------------------------------------------------------------------- parsing

FENCE_RE = re.compile(r"^[ \t]*(```+|~~~+)")  # any indent: fences nest in list items
_ATX_RE = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$")
_SETEXT_RE = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_ITEM_RE = re.compile(r"^(\s*)(?:[-*+]|\d{1,3}[.)])[ \t]+")
FOOTDEF_RE = re.compile(r"^\s*\[(\d{1,3})\]\s+(.*)$")
PANDOC_PRE_RE = re.compile(r"^\s*`[ \t\u00a0]+[^`]*`.*$|^\s*`[^`]*`\*`[^`]*`\*\s*$")
_RULE_RE = re.compile(r"^\s{0,3}([-*_])(\s*\1){2,}\s*$")
_REDIRECT_RE = re.compile(r"^\s*(?:#|\d+\.\s+)REDIRECT\s*(.*)$", re.I)
_FRONT_KEY_RE = re.compile(r"^([A-Za-z_][\w-]*)\s*:\s*(.*)$")


def split_front_matter(text: str) -> tuple[dict[str, str], str, list[str]]:
    """YAML front matter only at the very top, opened by '---' and a `key:` line; its closing
    '---' is not a setext underline."""
    notes: list[str] = []
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return {}, text, notes
    first = next((x for x in lines[1:] if x.strip()), "")
    if not _FRONT_KEY_RE.match(first):
        return {}, text, notes  # a page that opens with a ruler, not front matter
    close = next((i for i in range(1, min(len(lines), 60)) if lines[i].strip() in ("---", "...")), None)
    if close is None:
        # Unclosed: keep the key lines at the top, the rest is body.
        head = list(_take_keys(lines[1:]))
        notes.append("malformed front matter (no closing '---'); read the key lines at the top")
        return _front_keys(head), "\n".join(lines[1 + len(head) :]), notes
    block = lines[1:close]
    bad = [x for x in block if x.strip() and not _FRONT_KEY_RE.match(x) and not x.startswith((" ", "-"))]
    if bad:
        notes.append(f"malformed front matter line ignored: {bad[0].strip()[:60]!r}")
    return _front_keys(block), "\n".join(lines[close + 1 :]), notes


def _front_keys(lines: Iterable[str]) -> dict[str, str]:
    meta: dict[str, str] = {}
    for line in lines:
        m = _FRONT_KEY_RE.match(line)
        if m:
            meta[m.group(1).lower()] = m.group(2).strip().strip("'\"")
    return meta


def _take_keys(lines: Iterable[str]) -> Iterable[str]:
    for line in lines:
        if not _FRONT_KEY_RE.match(line):
            return
        yield line


def title_from_filename(page_id: str) -> str:
    stem = page_id.rsplit("/", 1)[-1]
    words = re.sub(r"[_\s]+", " ", stem).strip()
    return words[:1].upper() + words[1:] if words else page_id


@dataclass
class _Heading:
    line: int
    level: int
    text: str


def find_headings(lines: list[str]) -> list[_Heading]:
    """ATX and setext headings outside code fences; a setext underline needs a lone line above it."""
    heads: list[_Heading] = []
    in_fence: str | None = None
    for i, line in enumerate(lines):
        fence = FENCE_RE.match(line)
        if fence:
            marker = fence.group(1)[0] * 3
            if in_fence is None:
                in_fence = marker
            elif marker == in_fence:
                in_fence = None
            continue
        if in_fence:
            continue
        m = _ATX_RE.match(line)
        if m and not line.lstrip().startswith("#!"):
            heads.append(_Heading(i, len(m.group(1)), m.group(2)))
            continue
        s = _SETEXT_RE.match(line)
        if s and i > 0 and len(s.group(1)) >= 2 and _setext_candidate(lines, i - 1, heads):
            heads.append(_Heading(i - 1, 1 if s.group(1)[0] == "=" else 2, lines[i - 1].strip()))
    return heads


def _setext_candidate(lines: list[str], j: int, heads: list[_Heading]) -> bool:
    above = lines[j]
    if not above.strip() or above.startswith(("    ", "\t")) or _ITEM_RE.match(above):
        return False
    if above.lstrip().startswith(("|", ">", "`", "<")) or FENCE_RE.match(above):
        return False
    if heads and heads[-1].line == j:
        return False
    return j == 0 or not lines[j - 1].strip() or bool(heads and heads[-1].line == j - 1)


def parse_page(text: str, page_id: str, path: str = "") -> tuple[Page, list[str]]:
    """Parse one page's text into a Page; notes are repairs worth a warning line."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    meta, body, notes = split_front_matter(text)
    lines = body.split("\n")
    redirect = _find_redirect(lines)
    heads = find_headings(lines)
    title = meta.get("title", "").strip()
    skip_first = False
    if not title and heads and heads[0].level == 1 and not _has_text(lines[: heads[0].line]):
        title = inline_to_text(heads[0].text)
        skip_first = True
    if not title:
        title = title_from_filename(page_id)
    sections = _sections(lines, heads[1:] if skip_first else heads, heads[0] if skip_first else None)
    references = _collect_references(lines)
    sections = [_attach_references(s, references) for s in sections]
    page = Page(
        id=page_id,
        title=inline_to_text(title),
        path=path,
        markdown=body,
        sections=tuple(sections),
        permalink=meta.get("permalink", ""),
        redirect=split_wikilink(redirect)[0] if redirect else None,
        redirect_anchor=split_wikilink(redirect)[1] if redirect else "",
    )
    return page, notes


def _has_text(lines: list[str]) -> bool:
    return any(line.strip() for line in lines)


def _find_redirect(lines: list[str]) -> str | None:
    """The raw target (`Python_Packages#Python_2_End_of_Life`) of a bare redirect page."""
    content = [line for line in lines if line.strip()]
    if content and len(content) <= 2:
        m = _REDIRECT_RE.match(content[0])
        if m:
            link = WIKILINK_RE.search(m.group(1))
            target = link.group(2) if link else m.group(1).strip("[] ")
            return target.strip().lstrip("/") or None
    return None


def _sections(lines: list[str], heads: list[_Heading], title_head: _Heading | None) -> list[Section]:
    """Cut the page at its headings; the heading path is the chain of enclosing headings."""
    out: list[Section] = []
    used: dict[str, int] = {}
    start = title_head.line + (2 if _is_setext(lines, title_head) else 1) if title_head else 0
    bounds = [(None, start)] + [(h, h.line) for h in heads]
    struck = struck_lines(lines)
    stack: list[tuple[int, str]] = []
    for k, (head, begin) in enumerate(bounds):
        end = bounds[k + 1][1] if k + 1 < len(bounds) else len(lines)
        if head is None:
            body_lines, heading, level = lines[begin:end], "", 0
        else:
            skip = 2 if _is_setext(lines, head) else 1
            body_lines, heading, level = lines[begin + skip : end], inline_to_text(head.text), head.level
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, heading))
        md = "\n".join(body_lines).strip("\n")
        own = parse_blocks(body_lines)
        blocks = _strike_blocks(own, body_lines, end - len(body_lines), struck)
        # text struck by a span that runs over blocks, which strike_spans(md) cannot see whole
        spanned = tuple(b.text for b, o in zip(blocks, own, strict=True) if b.obsolete and not o.obsolete)
        anchor = _unique_anchor(slugify(heading) if heading else "", used)
        if head is None and not blocks:
            continue
        out.append(
            Section(
                heading=heading,
                heading_path=tuple(h for _, h in stack) if head else (),
                anchor=anchor,
                level=level,
                blocks=tuple(blocks),
                markdown=md,
                links=tuple(_links(md)),
                obsolete=tuple(strike_spans(md)) + spanned,
            )
        )
    return out


def struck_lines(lines: list[str]) -> list[bool]:
    """Which lines lie inside a struck-out span that runs over several lines: such a span
    (`<strike>` before a heading, `</strike>` sections later) holds paragraphs, code and
    whole sections that no single block's own markup marks as obsolete."""
    flags = [False] * len(lines)
    text = "\n".join(lines)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line) + 1)
    for begin, end in strike_ranges(text):
        first = bisect.bisect_right(starts, begin) - 1
        last = bisect.bisect_right(starts, end - 1) - 1
        if last > first:
            for i in range(first, last + 1):
                flags[i] = True
    return flags


def _strike_blocks(blocks: list[Block], body: list[str], offset: int, struck: list[bool]) -> list[Block]:
    """Mark obsolete the blocks whose every line lies in a multi-line struck span; a block's
    lines are found by its markdown, in reading order."""
    if not any(struck[offset : offset + len(body)]):
        return blocks
    text = "\n".join(body)
    out, cursor, line = [], 0, offset  # `line` is the line number at `cursor`
    for block in blocks:
        at = text.find(block.markdown, cursor) if block.markdown else -1
        if at < 0:
            out.append(block)
            continue
        first = line + text.count("\n", cursor, at)
        last = first + block.markdown.count("\n")
        cursor, line = at + len(block.markdown), last
        if block.obsolete:
            out.append(block)
            continue
        whole = all(struck[first : last + 1])
        out.append(replace(block, obsolete=True) if whole else block)
    return out


def _is_setext(lines: list[str], head: _Heading) -> bool:
    nxt = head.line + 1
    return nxt < len(lines) and bool(_SETEXT_RE.match(lines[nxt])) and not _ATX_RE.match(lines[head.line])


def _unique_anchor(slug: str, used: dict[str, int]) -> str:
    """`slug`, else the first free `slug-2`, `slug-3`, ...; free even of a heading that itself
    reads like a numbered repeat (`Install 2`)."""
    base = slug or ("top" if "top" not in used else "section")
    anchor, n = base, 1
    while anchor in used:
        n += 1
        anchor = f"{base}-{n}"
    used[anchor] = 1
    return anchor


_MEDIA_RE = re.compile(r"\s*<?/?(file|image|media):", re.I)


def _links(md: str) -> list[Link]:
    """Wikilinks to pages; images and File:/Image: links point at nothing worth opening."""
    links = []
    for m in WIKILINK_RE.finditer(md):
        text, url, title = m.group(1), m.group(2), m.group(3)
        media = md[m.start() - 1 : m.start()] == "!" or _MEDIA_RE.match(text) or _MEDIA_RE.match(url)
        if is_wikilink(url, title) and not media and not re.match(r"/?wikipedia:", url, re.I):
            links.append(Link(text=" ".join(inline_to_text(text).split()), target=url))
    return links


def _collect_references(lines: list[str]) -> dict[int, str]:
    refs: dict[int, str] = {}
    for line in lines:
        m = FOOTDEF_RE.match(line)
        if m:
            url = re.search(r"(https?://[^\s)>\]]+)", m.group(2))
            refs[int(m.group(1))] = url.group(1) if url else inline_to_text(m.group(2))
    return refs


def _attach_references(section: Section, refs: dict[int, str]) -> Section:
    cited = []
    for block in section.blocks:
        if block.kind != "code":
            cited += [(n, refs[n]) for n in footnote_numbers(block.markdown) if n in refs]
    return replace(section, references=tuple(dict.fromkeys(cited)))


# --------------------------------------------------------------------------- blocks


def parse_blocks(lines: list[str]) -> list[Block]:
    """Group a section's lines into blocks; footnote definitions and rulers are dropped."""
    lines = _tables_to_rows(lines)
    blocks: list[Block] = []
    i, n = 0, len(lines)
    in_item = False  # inside a list item, code is indented 8 columns and 4 is the item's own
    while i < n:
        line = lines[i]
        stripped = line.strip()
        if stripped and not _indent(line) and not _ITEM_RE.match(line):
            in_item = False
        if not stripped or _RULE_RE.match(line) or re.fullmatch(r"<references\s*/?>", stripped, re.I):
            i += 1
            continue
        if FOOTDEF_RE.match(line) and not line.startswith(" "):
            i += 1
            while i < n and lines[i].strip() and not FOOTDEF_RE.match(lines[i]):
                i += 1
            continue
        fence = FENCE_RE.match(line)
        if fence:
            j = i + 1
            marker = fence.group(1)
            while j < n and not lines[j].strip().startswith(marker[:3]):
                j += 1
            indent = _indent(line)
            body = [x[min(indent, _indent(x)) :] for x in lines[i + 1 : j]]
            blocks.append(_code_block(body, "\n".join(lines[i : j + 1])))
            i = j + 1
            continue
        if PANDOC_PRE_RE.match(line):
            j = i
            while j < n and PANDOC_PRE_RE.match(lines[j]):
                j += 1
            raw = lines[i:j]
            code = [inline_to_text(x.strip(), placeholders=True) for x in raw]
            blocks.append(_code_block(code, "\n".join(raw), dedent=True))
            i = j
            continue
        depth = 8 if in_item else 4
        if _indent(line.expandtabs(4)) >= depth and not (in_item and _ITEM_RE.match(line)):
            j = i
            while j < n and (_indent(lines[j].expandtabs(4)) >= depth or not lines[j].strip()):
                j += 1
            while j > i and not lines[j - 1].strip():
                j -= 1
            blocks.append(_code_block(lines[i:j], "\n".join(lines[i:j]), dedent=True))
            i = j
            continue
        if stripped.startswith("|"):
            if not re.fullmatch(r"\|?[\s:|+-]*", stripped):
                cells = [
                    inline_to_text(c.replace("\\|", "|")) for c in re.split(r"(?<!\\)\|", stripped.strip("|"))
                ]
                text = " | ".join(c for c in cells if c)
                blocks.append(_text_block("row", text, line))
            i = i + 1
            continue
        if re.match(r"^\+[-=+]+\+$", stripped):
            i += 1
            continue
        if stripped.startswith(">"):
            j = i
            while j < n and lines[j].strip().startswith(">"):
                j += 1
            raw = lines[i:j]
            text = " ".join(re.sub(r"^\s*>+\s?", "", x) for x in raw)
            blocks.append(_text_block("quote", inline_to_text(text), "\n".join(raw)))
            i = j
            continue
        item = _ITEM_RE.match(line)
        if item:
            j = i + 1
            indent = len(item.group(1))
            while j < n and lines[j].strip() and not _ITEM_RE.match(lines[j]):
                if PANDOC_PRE_RE.match(lines[j]) or FENCE_RE.match(lines[j]):
                    break
                if len(lines[j]) - len(lines[j].lstrip()) <= indent and not lines[j].startswith(" "):
                    break
                j += 1
            raw = lines[i:j]
            text = " ".join(x.strip() for x in raw)
            text = _ITEM_RE.sub("", text, count=1)
            blocks.append(_text_block("item", inline_to_text(text), "\n".join(raw)))
            i, in_item = j, True
            continue
        j = i + 1
        while j < n and lines[j].strip() and not _starts_block(lines[j]):
            j += 1
        raw = lines[i:j]
        blocks.append(_text_block("para", inline_to_text(" ".join(x.strip() for x in raw)), "\n".join(raw)))
        i = j
    return [b for b in blocks if b.text.strip()]


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def _starts_block(line: str) -> bool:
    s = line.strip()
    return bool(
        _ITEM_RE.match(line)
        or FENCE_RE.match(line)
        or PANDOC_PRE_RE.match(line)
        or s.startswith(("|", ">"))
        or (FOOTDEF_RE.match(line) and not line.startswith(" "))
    )


def _text_block(kind: str, text: str, md: str) -> Block:
    obsolete = bool(strike_spans(md)) and _mostly_struck(md)
    return Block(kind=kind, text=text, markdown=md, obsolete=obsolete)


def _mostly_struck(md: str) -> bool:
    struck = sum(len(s) for s in strike_spans(md))
    total = len(inline_to_text(md)) or 1
    return struck / total > 0.5


def _code_block(lines: list[str], md: str, dedent: bool = False) -> Block:
    lines = [normalize_chars(x).rstrip() for x in lines]
    if dedent:
        indents = [len(x) - len(x.lstrip()) for x in lines if x.strip()]
        cut = min(indents) if indents else 0
        lines = [x[cut:] for x in lines]
    text = "\n".join(lines).strip("\n")
    return Block(kind="code", text=text, markdown=md, obsolete=bool(strike_spans(md)))


def _tables_to_rows(lines: list[str]) -> list[str]:
    """HTML tables become pipe rows so one code path reads both table forms."""
    joined = "\n".join(lines)
    if "<table" not in joined.lower():
        return lines

    def rows(m: re.Match[str]) -> str:
        t = re.sub(r"\s*\n\s*", " ", m.group(0))
        t = re.sub(r"<tr[^>]*>", "\n|", t, flags=re.I)
        t = re.sub(r"</t[dh]>", " |", t, flags=re.I)
        t = re.sub(r"</?(table|tbody|thead|tr|td|th|caption)[^>]*>", "", t, flags=re.I)
        return t + "\n"

    return re.sub(r"<table.*?</table>", rows, joined, flags=re.I | re.S).split("\n")


# --------------------------------------------------------------------------- links


def resolve_links(pages: list[Page]) -> None:
    """Point each wikilink and redirect at a page of this corpus when one matches its target;
    a link to a redirect page ends at the page it redirects to."""
    resolve = link_resolver(pages)
    redirects: dict[str, tuple[str, str]] = {}
    for idx, p in enumerate(pages):
        hit = resolve(p.redirect) if p.redirect else None
        if hit and hit[0] != p.id:
            pages[idx] = p = replace(p, redirect=hit[0], redirect_anchor=p.redirect_anchor or hit[1])
            redirects[p.id] = (hit[0], p.redirect_anchor)

    def final(target: str) -> tuple[str, str] | None:
        hit = resolve(target)
        for _ in range(5):
            if not hit or hit[0] not in redirects:
                break
            page, anchor = redirects[hit[0]]
            hit = (page, hit[1] or anchor)
        return hit

    for idx, p in enumerate(pages):
        sections = tuple(
            replace(s, links=tuple(_resolved(link, final) for link in s.links)) for s in p.sections
        )
        pages[idx] = replace(p, sections=sections)


def _resolved(link: Link, resolve: Callable[[str], tuple[str, str] | None]) -> Link:
    hit = resolve(link.target)
    if hit:
        return replace(link, page=hit[0], anchor=hit[1])
    return replace(link, anchor=split_wikilink(link.target)[1])


def link_resolver(pages: Iterable[Page]) -> Callable[[str], tuple[str, str] | None]:
    """target -> (page id, anchor) for the page view's link rewriting."""
    by_key: dict[str, str] = {}
    for p in pages:
        for key in (p.id, p.id.rsplit("/", 1)[-1], p.title, p.permalink):
            if key:
                by_key.setdefault(page_key(key), p.id)

    def resolve(target: str) -> tuple[str, str] | None:
        page, anchor = split_wikilink(target)
        pid = by_key.get(page_key(page))
        return (pid, anchor) if pid else None

    return resolve
