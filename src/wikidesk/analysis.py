"""Text analysis shared by indexing and querying: tokens, technical tokens, stems, n-grams.

Users search for modulefiles (`python/gcc/3.10`), options (`--user`) and dotted names
(`os.sched_getaffinity`), so a technical token is kept whole, unstemmed, and also split into
its parts; ordinary words are lowercased, stopped and Snowball-stemmed.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import Stemmer

STOPWORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "me",
        "more",
        "most",
        "my",
        "myself",
        "no",
        "nor",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "s",
        "t",
        "don",
        "doesn",
        "didn",
        "isn",
        "aren",
        "wasn",
        "weren",
        "won",
        "wouldn",
        "shouldn",
        "couldn",
        "can't",
        "cannot",
        "get",
        "got",
        "gets",
        "getting",
        "please",
        "hi",
        "hello",
        "thanks",
        "thank",
        "anyone",
        "someone",
        "something",
        "way",
        "ll",
        "ve",
        "re",
        "d",
        "m",
        "e",
        "g",
        "eg",
        "ie",
        "etc",
        "also",
        "like",
        "one",
        "e.g",
        "i.e",
    ]
)

# A token: word characters possibly joined by the punctuation technical names use inside, or
# an option: `--user`, or a one-letter `-n` (also `-n=4`). Trailing `.:=-/` never ends a
# token. A single dash before anything longer (`-python`, `-4`) matches nothing, so the
# scan moves on and the word after it is the token. One `findall` does all of it, which is
# most of what indexing a large wiki costs.
_TOKEN_RE = re.compile(
    r"--[a-z0-9](?:[\w.+:=/-]*[\w+])?"
    r"|-[a-z](?!\w)(?:[\w.+:=/-]*[\w+])?"
    r"|\w(?:[\w.+:=/\[\]@#-]*[\w\]+])?",
    re.UNICODE,
)
_PART_SPLIT_RE = re.compile(r"[/:=@#\[\]]+|(?<=[a-z0-9])-(?=[a-z0-9])")
_NAME_VERSION_RE = re.compile(r"([a-z]+)(\d+(?:\.\d+)+)")
_ALNUM_RE = re.compile(r"[a-z0-9]+")
_HAS_DIGIT_RE = re.compile(r"\d")
# Where a token can start with '-': after a word character the pattern's second branch
# always runs on through the dash, so only a dash after a non-word character can begin one.
_DASH_TOKEN_RE = re.compile(r"(?<!\w)-{1,2}[a-z0-9]")
_VERSION_RE = re.compile(r"^v?\d+(\.\d+)+$")

_stemmer = Stemmer.Stemmer("english")


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    return _stemmer.stemWord(word)


def normalize(text: str) -> str:
    if text.isascii():  # NFKC and the soft hyphen only concern non-ASCII text
        return text.lower()
    return unicodedata.normalize("NFKC", text).lower().replace("\u00ad", "")


def is_technical(token: str) -> bool:
    """Tokens with digits or inner punctuation are names, not words: never stem them."""
    return bool(_HAS_DIGIT_RE.search(token)) or any(c in token for c in "/.-_+:=[]@#")


# A name written in camel case holds words a question may use alone: `IRkernel` is about a
# kernel, `vdbCreate` is VDB's, `LdaMulticore` runs multicore.
_CAPITALISED_RE = re.compile(r"\b[A-Za-z][a-z0-9]*[A-Z][A-Za-z0-9]*")
_CAMEL_HINT_RE = re.compile(r"[a-z][A-Z]|[A-Z][A-Z][a-z]")
_CAMEL_NAME_RE = re.compile(
    r"[A-Za-z][a-z0-9]*(?:[A-Z][a-z0-9]*)*[A-Z][a-z][A-Za-z0-9]*|[A-Z]{2,}[a-z]{2,}\w*"
)
_CAMEL_PART_RE = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")


def camel_words(text: str) -> list[str]:
    """The words inside the text's camel-case names (`IRkernel` -> `ir`, `kernel`), lowercased."""
    if not _CAMEL_HINT_RE.search(text):
        return []
    return [w for name in _CAPITALISED_RE.findall(text) for w in _camel_parts(name)]


@lru_cache(maxsize=65536)
def _camel_parts(name: str) -> tuple[str, ...]:
    if not _CAMEL_NAME_RE.fullmatch(name):
        return ()
    # capitals then a word, `IRkernel` or `PBJelly`: which capital starts the word is unknown,
    # so both readings count (the wrong one gives a rare, harmless term)
    lead = re.fullmatch(r"([A-Z]{2,})([a-z][a-z0-9]+)", name)
    parts = [*lead.groups(), *_CAMEL_PART_RE.findall(name)] if lead else _CAMEL_PART_RE.findall(name)
    return tuple(w.lower() for w in dict.fromkeys(parts) if len(w) >= 2 and w.lower() != name.lower())


def raw_tokens(text: str) -> list[str]:
    """Surface tokens, lowercased, with trailing sentence punctuation removed."""
    return _TOKEN_RE.findall(normalize(text))


def expand_token(tok: str) -> list[str]:
    """A token and, for a technical one, its parts: `python/gcc/3.10` also gives `python`,
    `gcc`, `3.10`; `--user` gives `user`; `requests[security]` gives `requests`, `security`;
    `os.sched_getaffinity` gives `os`, `sched_getaffinity`, `sched`, `getaffinity`."""
    if tok in STOPWORDS:
        return []
    if not is_technical(tok) or tok.isdigit():
        return [word_term(tok)]
    terms = [tok]
    seen = {tok}

    def add(part: str) -> None:
        part = part.strip(".-_+")
        if not part or part in STOPWORDS:
            return
        term = part if is_technical(part) else word_term(part)
        if term not in seen:
            seen.add(term)
            terms.append(term)

    for part in _PART_SPLIT_RE.split(tok):
        add(part)
        named = _NAME_VERSION_RE.fullmatch(part)
        if named:
            add(named.group(1))
            add(named.group(2))
        if not _VERSION_RE.match(part):
            for dotted in part.split("."):
                add(dotted)
        for sub in _ALNUM_RE.findall(part):
            add(sub)
    return terms


def word_term(word: str) -> str:
    return stem(word) if not _HAS_DIGIT_RE.search(word) else word


def analyze(text: str) -> list[str]:
    """The index terms of a text, in order; what BM25 counts."""
    terms: list[str] = []
    for tok in raw_tokens(text):
        terms.extend(expand_token(tok))
    return terms


@lru_cache(maxsize=4096)
def title_terms(title: str) -> frozenset[str]:
    """A page title's terms, also with the title written as one word: 'Open Babel' is typed
    'openbabel', as its module is named."""
    return frozenset(analyze(f"{title} {title.replace(' ', '')}"))


def char_ngrams(text: str, lo: int = 3, hi: int = 5) -> list[str]:
    """Character n-grams inside word boundaries (padded with spaces), like char_wb.

    Typos, plurals and partial module names still share most of these with the right term.
    """
    grams: list[str] = []
    for tok in raw_tokens(text):
        grams.extend(token_ngrams(tok, lo, hi))
    return grams


def token_ngrams(tok: str, lo: int = 3, hi: int = 5) -> list[str]:
    """The n-grams of one surface token; none for a stopword."""
    if tok in STOPWORDS:
        return []
    w = f" {tok} "
    if len(w) <= lo:
        return [w]
    return [w[i : i + n] for n in range(lo, hi + 1) for i in range(len(w) - n + 1)]
