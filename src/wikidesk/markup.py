"""Inline Markdown (as pandoc writes MediaWiki pages) to plain text, and the small helpers the
parser, the answers and the page view share: slugs, wikilink targets, obsolete spans.

Kept free of any block logic so each rule can be tested on one line.
"""

from __future__ import annotations

import html
import re
import unicodedata

# Characters that look like spaces or nothing but break a copied command.
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"), None)
_SPACES = dict.fromkeys(map(ord, "\u00a0\u2007\u202f\u2009\u2002\u2003"), " ")
_QUOTES = {ord("\u2018"): "'", ord("\u2019"): "'", ord("\u201c"): '"', ord("\u201d"): '"'}

WIKILINK_RE = re.compile(r'\[((?:[^\[\]]|\[[^\]]*\])*)\]\(\s*<?([^)\s>]*)>?(?:\s+"([^"]*)")?\s*\)')
_IMAGE_RE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_FILE_LINK_RE = re.compile(
    r"\[(?:File|Image|Media):[^\]]*\](?:\([^)]*\))?|\[[^\[\]]*\]\(\s*/?(?:File|Image|Media):[^)]*\)", re.I
)
_EMPH_CODE_RE = re.compile(r"(\*{1,2}|_{1,2})(`[^`]+`)\1")
_AUTOLINK_RE = re.compile(r"<((?:https?|ftp|mailto):[^>\s]+)>")
# `[3]` after a word, a bracket or another marker (`numpy[7]`, `2020[2][3]`), never a link.
_FOOTNOTE_RE = re.compile(r"(?<![!\\])\[(\d{1,3})\](?!\(|:[ \t]*(?:https?://|/|<))")
_STRIKE_TAG = r"<(strike|s|del)>(.*?)</\1>"  # HTML strike-out; its groups are 1 and 2
_STRIKE_RE = re.compile(_STRIKE_TAG + r"|~~(.+?)~~", re.I | re.S)
_TAG_RE = re.compile(r"</?[a-zA-Z][^<>]*?/?>")
_COMMENT_RE = re.compile(r"<!--.*?-->", re.S)
# A MediaWiki footnote left inline, `<ref name="x">text</ref>`, even with its opening tag
# escaped and its quote unclosed (`&lt;ref name="x&gt;`): the note is not part of the sentence.
REF_RE = re.compile(
    r"(?:<|&lt;)ref\b(?:(?!&gt;)[^<>])*?(?:/(?:>|&gt;)|(?:>|&gt;)(.*?)</ref\s*>)", re.I | re.S
)
_EMPH_RE = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1|(?<![\w*])\*(?=\S)([^*]+?)(?<=\S)\*(?![\w*])")
_CODE_SPAN_RE = re.compile(r"(`+)(.+?)\1", re.S)
_ESCAPE_RE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|<>~&$'\"])")
_WS_RE = re.compile(r"[ \t]+")


def normalize_chars(text: str) -> str:
    """Drop soft hyphens and zero-width characters, turn exotic spaces and curly quotes plain."""
    return text.translate(_INVISIBLE).translate(_SPACES)


def plain_quotes(text: str) -> str:
    return text.translate(_QUOTES)


def slugify(text: str) -> str:
    """The anchor of a heading: lowercase ASCII words joined by '-'.

    MediaWiki fragments (`URCF-Installed_Anaconda`) slug to the same value, so wikilinks
    with a section resolve to the anchors this produces.
    """
    text = unicodedata.normalize("NFKD", html.unescape(text)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def page_key(name: str) -> str:
    """How wikilink targets and file names are matched: case, '_' and ' ' do not matter."""
    name = html.unescape(name).strip().strip("/")
    name = re.sub(r"\.(md|markdown|txt)$", "", name, flags=re.I)
    return re.sub(r"[\s_]+", "_", name).lower()


def split_wikilink(target: str) -> tuple[str, str]:
    """'/Anaconda#URCF-Installed_Anaconda' -> ('Anaconda', 'urcf-installed-anaconda')."""
    target = target.strip()
    page, _, frag = target.partition("#")
    return page.lstrip("/"), slugify(frag) if frag else ""


def is_wikilink(url: str, title: str | None) -> bool:
    return (title or "").lower() == "wikilink" or (url.startswith("/") and not url.startswith("//"))


def strike_spans(md: str) -> list[str]:
    """Plain text of every struck-out span; obsolete content is searchable but never an answer."""
    spans = []
    for m in _STRIKE_RE.finditer(md):
        inner = m.group(2) if m.group(2) is not None else m.group(3)
        txt = inline_to_text(inner)
        if txt:
            spans.append(txt)
    return spans


_STRIKE_TAG_RE = re.compile(_STRIKE_TAG, re.I | re.S)


def strike_ranges(text: str) -> list[tuple[int, int]]:
    """Character ranges of the struck-out spans tagged in HTML (`<strike>`, `<s>`, `<del>`),
    which MediaWiki lets run over paragraphs and headings; `~~` spans stay within a block."""
    return [m.span() for m in _STRIKE_TAG_RE.finditer(text)]


def footnote_numbers(md: str) -> list[int]:
    return [int(n) for n in _FOOTNOTE_RE.findall(_CODE_SPAN_RE.sub("", md))]


def inline_to_text(md: str, placeholders: bool = False) -> str:
    """Markdown inline markup to the words a reader sees.

    With `placeholders`, pandoc's emphasised code placeholders (`*`name`*`) become `<name>`,
    which is how a copyable command shows what the user must fill in.
    """
    s = normalize_chars(md)
    s = _COMMENT_RE.sub("", s)
    s = REF_RE.sub("", s)
    s = re.sub(r"<references\s*/?>", "", s, flags=re.I)
    s = re.sub(r"<br\s*/?>", " ", s, flags=re.I)
    if placeholders:
        s = re.sub(r"\*`([^`]+)`\*", r"`<\1>`", s)
        s = re.sub(r"\*([A-Za-z_][\w-]*)\*", r"<\1>", s)
    else:
        s = _EMPH_CODE_RE.sub(r"\2", s)
    s = _FILE_LINK_RE.sub("", s)
    s = _IMAGE_RE.sub(r"\1", s)
    s = WIKILINK_RE.sub(lambda m: m.group(1), s)
    s = _AUTOLINK_RE.sub(r"\1", s)
    s = _STRIKE_RE.sub(lambda m: m.group(2) if m.group(2) is not None else m.group(3), s)
    # Code spans keep their content verbatim (modulefiles, options), other markup goes.
    parts = []
    last = 0
    for m in _CODE_SPAN_RE.finditer(s):
        parts.append(_strip_markup(s[last : m.start()]))
        parts.append(m.group(2) if placeholders else m.group(2).strip())
        last = m.end()
    parts.append(_strip_markup(s[last:]))
    out = "".join(parts)
    if placeholders:
        return out.rstrip()
    return _WS_RE.sub(" ", out).strip()


def _strip_markup(s: str) -> str:
    s = _FOOTNOTE_RE.sub("", s)
    s = _TAG_RE.sub("", s)
    for _ in range(2):
        s = _EMPH_RE.sub(lambda m: m.group(2) if m.group(2) is not None else m.group(3), s)
    s = _ESCAPE_RE.sub(r"\1", s)
    return html.unescape(s).translate(_SPACES)
