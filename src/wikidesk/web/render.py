"""A wiki page as safe HTML for the page view.

The page is rendered section by section from the parsed Page, so every heading's id is the
Section.anchor the citations link to. Before Markdown sees a section, the wiki's pandoc quirks
are turned into plain Markdown: wikilinks point at /page/<id>, backticked preformatted lines
become code blocks, footnote markers link to the references. The HTML is then sanitised with
an allowlist, and the question's words can be marked in one section. Fences, preformatted
lines and footnote definitions are found with the parser's own patterns, so the view sees them
exactly where the index did. The view's own ids (`wd_main`, `wd_ref_3`) contain '_', which a
heading slug never does, so a heading called "Main" cannot steal them.
"""

from __future__ import annotations

import html
import re
import textwrap
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import quote

import markdown
import nh3

from ..analysis import analyze
from ..corpus import FENCE_RE, FOOTDEF_RE, PANDOC_PRE_RE, Page, Section
from ..markup import REF_RE, WIKILINK_RE, inline_to_text, is_wikilink, split_wikilink

Resolver = Callable[[str], "tuple[str, str] | None"]

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em", "h1", "h2",
    "h3", "h4", "h5", "h6", "hr", "i", "kbd", "li", "mark", "ol", "p", "pre", "s", "section", "span",
    "strike", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "*": {"id", "class"},
    "a": {"href", "title"},
    "abbr": {"title"},
    "span": {"title"},
    "td": {"align", "colspan", "rowspan"},
    "th": {"align", "colspan", "rowspan"},
    "ol": {"start"},
}
URL_SCHEMES = {"http", "https", "mailto", "ftp"}
INTERWIKI = {"wikipedia": "https://en.wikipedia.org/wiki/"}

_FOOTNOTE_RE = re.compile(r"(?<![\\\w])\[(\d{1,3})\](?![(:])")
_CODE_SPAN_RE = re.compile(r"(`+)(.+?)\1")
_REFERENCES_TAG_RE = re.compile(r"<references\s*/?>", re.I)
_WORD_RE = re.compile(r"[\w][\w.+/:-]*[\w]|\w")


@dataclass(frozen=True)
class RenderedSection:
    anchor: str
    heading: str
    level: int
    html: str


def render_page(
    page: Page,
    resolve: Resolver,
    wiki_base_url: str = "",
    highlight: str = "",
    highlight_section: str = "",
) -> list[RenderedSection]:
    """Each section of the page as sanitised HTML; `highlight` words are marked in the section
    `highlight_section` (in every section when it is empty)."""
    refs = {n for s in page.sections for line in s.markdown.split("\n") for n in _footnote_defs(line)}
    terms = set(analyze(highlight)) if highlight else set()
    out = []
    for section in page.sections:
        body = section_html(section, resolve, refs, wiki_base_url)
        if terms and highlight_section in ("", section.anchor):
            body = mark_terms(body, terms)
        out.append(RenderedSection(section.anchor, section.heading, section.level, body))
    return out


def section_html(section: Section, resolve: Resolver, refs: set[int], wiki_base_url: str = "") -> str:
    md = wiki_markdown(section.markdown, resolve, refs, wiki_base_url)
    rendered = markdown.markdown(md, extensions=["tables", "fenced_code", "sane_lists"], output_format="html")
    return sanitize(rendered)


def sanitize(fragment: str) -> str:
    return nh3.clean(
        fragment,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        clean_content_tags={"script", "style"},
    )


def _footnote_defs(line: str) -> Iterable[int]:
    m = FOOTDEF_RE.match(line)
    return (int(m.group(1)),) if m else ()


def wiki_markdown(md: str, resolve: Resolver, refs: set[int], wiki_base_url: str = "") -> str:
    """The wiki's pandoc-converted Markdown as Markdown the `markdown` package renders well."""
    out: list[str] = []
    pre: list[str] = []
    fence: str | None = None

    def flush_pre() -> None:
        if pre:
            out.extend(["", "```", *textwrap.dedent("\n".join(pre)).split("\n"), "```", ""])
            pre.clear()

    for line in md.split("\n"):
        m = FENCE_RE.match(line)
        if fence is not None:
            out.append(line)
            if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence):
                fence = None
            continue
        if m:
            flush_pre()
            fence = m.group(1)
            out.append(line)
            continue
        if PANDOC_PRE_RE.match(line) and "](" not in line:
            pre.append(inline_to_text(line, placeholders=True))
            continue
        flush_pre()
        out.append(_inline(line, resolve, refs, wiki_base_url))
    flush_pre()
    return "\n".join(out)


def _inline(line: str, resolve: Resolver, refs: set[int], wiki_base_url: str) -> str:
    if line.startswith(("    ", "\t")):
        return line  # an indented code block stays verbatim
    line = _REFERENCES_TAG_RE.sub("", line)
    # an inline footnote reads as a note in parentheses on the page, not as a stray tag
    line = REF_RE.sub(lambda m: f" ({m.group(1).strip()})" if m.group(1) and m.group(1).strip() else "", line)
    line = re.sub(r"^(\s*)`[ \t\u00a0]+`(?=\[)", r"\1", line)  # pandoc's indent before a link
    d = FOOTDEF_RE.match(line)
    if d and int(d.group(1)) in refs:
        n = int(d.group(1))
        return f'<span class="ref" id="wd_ref_{n}">{n}.</span> ' + _links_and_notes(
            d.group(2), resolve, refs, wiki_base_url
        )
    return _links_and_notes(line, resolve, refs, wiki_base_url)


def _links_and_notes(text: str, resolve: Resolver, refs: set[int], wiki_base_url: str) -> str:
    """Rewrite wikilinks and footnote markers outside code spans."""
    parts, last = [], 0
    for m in _CODE_SPAN_RE.finditer(text):
        parts.append(_rewrite(text[last : m.start()], resolve, refs, wiki_base_url))
        parts.append(m.group(0))
        last = m.end()
    parts.append(_rewrite(text[last:], resolve, refs, wiki_base_url))
    return "".join(parts)


def _rewrite(text: str, resolve: Resolver, refs: set[int], wiki_base_url: str) -> str:
    text = WIKILINK_RE.sub(lambda m: _wikilink(m, resolve, wiki_base_url), text)

    def note(m: re.Match[str]) -> str:
        n = int(m.group(1))
        return f'<sup class="fn"><a href="#wd_ref_{n}">[{n}]</a></sup>' if n in refs else m.group(0)

    return _FOOTNOTE_RE.sub(note, text)


def _wikilink(m: re.Match[str], resolve: Resolver, wiki_base_url: str) -> str:
    text, url, title = m.group(1), m.group(2), m.group(3)
    if not is_wikilink(url, title):
        return m.group(0)
    hit = resolve(url)
    if hit:
        page_id, anchor = hit
        return f"[{text}](/page/{quote(page_id)}{'#' + anchor if anchor else ''})"
    prefix, _, rest = url.lstrip("/").partition(":")
    if rest and prefix.lower() in INTERWIKI:
        return f"[{text}]({INTERWIKI[prefix.lower()]}{quote(rest)})"
    if wiki_base_url:
        page, _ = split_wikilink(url)
        frag = url.partition("#")[2]
        target = f"{wiki_base_url.rstrip('/')}/{quote(page)}" + (f"#{quote(frag)}" if frag else "")
        return f"[{text}]({target})"
    label = html.escape(inline_to_text(text))
    return f'<span class="missing-link" title="not in this wiki">{label}</span>'


class _Marker(HTMLParser):
    """Re-emits sanitised HTML unchanged except for <mark> around matching words in text."""

    def __init__(self, terms: set[str]):
        super().__init__(convert_charrefs=False)
        self.terms = terms
        self.out: list[str] = []
        self.cache: dict[str, bool] = {}

    def handle_starttag(self, tag, attrs):
        self.out.append(self.get_starttag_text() or "")

    def handle_startendtag(self, tag, attrs):
        self.out.append(self.get_starttag_text() or "")

    def handle_endtag(self, tag):
        self.out.append(f"</{tag}>")

    def handle_entityref(self, name):
        self.out.append(f"&{name};")

    def handle_charref(self, name):
        self.out.append(f"&#{name};")

    def handle_data(self, data):
        self.out.append(_WORD_RE.sub(self._mark, data))

    def _mark(self, m: re.Match[str]) -> str:
        word = m.group(0)
        if word not in self.cache:
            self.cache[word] = bool(set(analyze(word)) & self.terms)
        return f"<mark>{word}</mark>" if self.cache[word] else word


def mark_terms(fragment: str, terms: set[str]) -> str:
    """Wrap words whose index terms match the question's in <mark>."""
    marker = _Marker(terms)
    marker.feed(fragment)
    marker.close()
    return "".join(marker.out)
