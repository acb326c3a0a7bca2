"""Small wikis that tests write for themselves."""

from __future__ import annotations

from pathlib import Path


def write_pages(folder: Path, pages: dict[str, str]) -> Path:
    """Write a small wiki of the test's own pages (id -> Markdown) into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    for page_id, markdown in pages.items():
        (folder / f"{page_id}.md").write_text(markdown, encoding="utf-8")
    return folder
