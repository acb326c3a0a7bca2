"""One explicit configuration object: defaults, then a TOML file, then WIKIDESK_* variables.

Nothing reads the environment or the file system for settings anywhere else, so a test can
build any configuration it needs without touching globals.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from .errors import WikideskError

ENV_PREFIX = "WIKIDESK_"
DEFAULT_CONFIG_FILE = "wikidesk.toml"


@dataclass(frozen=True)
class Config:
    """Every setting wikidesk has; `docs/settings` in the README mirrors this table."""

    corpus: Path = Path("corpus")
    index: Path = Path(".wikidesk/index")
    data_dir: Path = Path(".wikidesk")
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 2
    # BM25 and field weighting
    k1: float = 1.2
    b: float = 0.5
    title_weight: float = 6.0
    heading_weight: float = 4.0
    body_weight: float = 1.0
    # chunking
    chunk_chars: int = 1600
    chunk_overlap: int = 200
    max_page_bytes: int = 2_000_000
    # ranking
    fusion: str = "linear"
    char_weight: float = 0.35
    char_posting_budget: int = 100_000
    rrf_k: int = 60
    synonym_weight: float = 0.3
    # a question about one program is best served by several of its sections (Build, Test,
    # Install); other pages still get places when they score at least a fifth of the best
    max_per_page: int = 4
    synonyms: bool = True
    synonyms_file: str = ""
    spelling: bool = True
    cluster_boost: float = 0.35
    retired_penalty: float = 0.15
    subject_boost: float = 0.3
    subject_max_pages: int = 10
    module_boost: float = 0.25
    navigation_penalty: float = 0.5
    trouble_boost: float = 0.5
    installation_first: bool = True
    current_clusters: tuple[str, ...] = ("Picotte",)
    retired_clusters: tuple[str, ...] = ("Proteus",)
    retired_terms: tuple[str, ...] = ("Python 2",)
    # answers
    top_k: int = 5
    min_confidence: float = 0.27
    answer_sentences: int = 3
    snippet_chars: int = 300
    # web
    wiki_base_url: str = ""
    helpdesk_url: str = "mailto:helpdesk@example.edu"
    allowed_origins: tuple[str, ...] = ()
    max_question_chars: int = 1000

    @property
    def feedback_db(self) -> Path:
        return self.data_dir / "feedback.sqlite3"

    def replace(self, **changes: Any) -> Config:
        return dataclasses.replace(self, **{k: _coerce(k, v) for k, v in changes.items()})


_FIELDS = {f.name: f for f in fields(Config)}


# Settings with a range: (lowest, highest or None). Values outside make no sense anywhere.
_RANGES: dict[str, tuple[float, float | None]] = {
    "port": (0, 65535),
    "workers": (1, None),
    "k1": (0, None),
    "b": (0, 1),
    "title_weight": (0, None),
    "heading_weight": (0, None),
    "body_weight": (0, None),
    "chunk_chars": (1, None),
    "chunk_overlap": (0, None),
    "max_page_bytes": (1, None),
    "top_k": (1, None),
    "subject_boost": (0, None),
    "subject_max_pages": (1, None),
    "snippet_chars": (1, None),
    "max_question_chars": (1, None),
    "module_boost": (0, None),
    "trouble_boost": (0, None),
    "navigation_penalty": (0, 1),
}


def _coerce(name: str, value: Any) -> Any:
    """Turn a TOML or environment value into the field's type, or say what was expected."""
    if name not in _FIELDS:
        raise WikideskError(f"unknown setting {name!r}; known settings: {', '.join(sorted(_FIELDS))}")
    default = _FIELDS[name].default
    try:
        result = _convert(default, value)
    except (TypeError, ValueError) as exc:
        raise WikideskError(f"setting {name!r} expects {_kind(default)}, got {value!r}") from exc
    low, high = _RANGES.get(name, (None, None))
    if low is not None and not (low <= result and (high is None or result <= high)):
        bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise WikideskError(f"setting {name!r} must be {bounds}, got {value!r}")
    return result


def _convert(default: Any, value: Any) -> Any:
    if isinstance(default, bool):
        word = str(value).strip().lower()
        if word in {"1", "true", "yes", "on"}:
            return True
        if word in {"0", "false", "no", "off"}:
            return False
        raise ValueError("not true or false")
    if isinstance(value, (list, dict)) and not isinstance(default, tuple):
        raise TypeError("a single value is expected")
    if isinstance(default, Path):
        if isinstance(value, str) and not value.strip():
            raise ValueError("an empty path")
        return Path(value)
    if isinstance(default, tuple):
        if isinstance(value, str):
            return tuple(v.strip() for v in value.split(",") if v.strip())
        if not isinstance(value, (list, tuple)):
            raise TypeError("a list is expected")
        return tuple(str(v) for v in value)
    if isinstance(value, bool):
        raise TypeError("true/false is not a number")
    if isinstance(default, int):
        if isinstance(value, float) and not value.is_integer():
            raise ValueError("not a whole number")
        return int(value)
    if isinstance(default, float):
        return float(value)
    return str(value)


def _kind(default: Any) -> str:
    if isinstance(default, tuple):
        return "a list of strings"
    return {bool: "true or false", int: "a whole number", float: "a number", str: "a string"}.get(
        type(default), "a path"
    )


def load_config(
    path: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    **overrides: Any,
) -> Config:
    """Defaults, then the TOML file (explicit, $WIKIDESK_CONFIG, or ./wikidesk.toml), then env."""
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    file = path or env.get(ENV_PREFIX + "CONFIG")
    if file is None and Path(DEFAULT_CONFIG_FILE).is_file():
        file = DEFAULT_CONFIG_FILE
    if file is not None:
        values.update(_coerced(_read_toml(Path(file)), f"config file {file}"))
    for key, raw in env.items():
        if key.startswith(ENV_PREFIX) and key != ENV_PREFIX + "CONFIG":
            name = key[len(ENV_PREFIX) :].lower()
            if name in _FIELDS:
                values.update(_coerced({name: raw}, f"environment variable {key}"))
    values.update(_coerced({k: v for k, v in overrides.items() if v is not None}, "override"))
    return Config(**values)


def _coerced(raw: Mapping[str, Any], source: str) -> dict[str, Any]:
    """Coerced values; an error names where the bad value came from."""
    try:
        return {k: _coerce(k, v) for k, v in raw.items()}
    except WikideskError as exc:
        raise WikideskError(f"{source}: {exc}") from exc


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError as exc:
        raise WikideskError(f"config file {path} does not exist") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise WikideskError(f"config file {path} is not valid TOML: {exc}") from exc
    table = data.get("wikidesk", data)
    if not isinstance(table, dict):
        raise WikideskError(f"config file {path}: [wikidesk] must be a table")
    return dict(table)


def settings_table() -> list[tuple[str, str, str]]:
    """(name, type, default) for each setting, for the README and its consistency test."""
    rows = []
    for f in fields(Config):
        default = f.default
        shown = ",".join(default) if isinstance(default, tuple) else str(default)
        rows.append((f.name, type(default).__name__, shown))
    return rows


__all__ = ["Config", "field", "load_config", "settings_table"]
