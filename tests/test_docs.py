"""The README's settings table and the Config dataclass must not drift apart."""

from __future__ import annotations

import re

from conftest import ROOT
from wikidesk.config import settings_table

TYPE_NAMES = {"PosixPath": "path", "WindowsPath": "path", "tuple": "list"}


def readme_settings() -> dict[str, tuple[str, str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and re.fullmatch(r"[a-z_0-9]+", cells[0]) and cells[0] != "setting":
            rows[cells[0]] = (cells[1], cells[2])
    return rows


def test_readme_documents_every_setting_with_its_type_and_default():
    documented = readme_settings()
    in_code = {name: (TYPE_NAMES.get(kind, kind), default) for name, kind, default in settings_table()}
    assert set(documented) == set(in_code)
    assert documented == in_code
