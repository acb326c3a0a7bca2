"""Chunks follow sections; long sections split between blocks with overlap, never in code."""

from __future__ import annotations

import itertools

from wikidesk.chunking import block_spans, chunk_pages
from wikidesk.corpus import Block, parse_page


def _long_page() -> str:
    paras = [f"Paragraph {i} talks about scratch quotas and job limits " + "word " * 25 for i in range(12)]
    code = (
        "```bash\n"
        + "\n".join(f"#SBATCH --line={i} # a fairly long comment line" for i in range(30))
        + "\n```"
    )
    body = "\n\n".join([*paras[:6], code, *paras[6:]])
    return f"---\ntitle: Long Page\n---\n\nLead sentence.\n\n## Cluster\n\n### Limits\n\n{body}\n"


def test_short_sections_are_one_chunk_each():
    page, _ = parse_page("# Title\n\nLead.\n\n## A\n\nAlpha text.\n\n## B\n\nBeta text.\n", "t")
    chunks = chunk_pages([page])
    assert [(c.heading, c.body) for c in chunks] == [("", "Lead."), ("A", "Alpha text."), ("B", "Beta text.")]
    assert [c.id for c in chunks] == [0, 1, 2]


def test_long_section_splits_at_block_boundaries_with_overlap():
    page, _ = parse_page(_long_page(), "long")
    section = page.sections[-1]
    chunks = [c for c in chunk_pages([page], max_chars=800, overlap=200) if c.heading == "Limits"]
    assert len(chunks) > 2
    for c in chunks:
        start, end = c.blocks
        assert c.body == "\n".join(b.text for b in section.blocks[start:end])
    spans = [c.blocks for c in chunks]
    assert spans[0][0] == 0 and spans[-1][1] == len(section.blocks)
    for (_, prev_end), (next_start, _) in itertools.pairwise(spans):
        assert next_start <= prev_end, "chunks must cover every block"
    assert any(nxt[0] < prev[1] for prev, nxt in itertools.pairwise(spans)), "no overlap"


def test_code_block_never_split_across_chunks():
    page, _ = parse_page(_long_page(), "long")
    [code] = [b.text for b in page.sections[-1].blocks if b.kind == "code"]
    assert len(code) > 800
    chunks = chunk_pages([page], max_chars=800, overlap=200)
    holding = [c for c in chunks if "#SBATCH --line=0" in c.body]
    assert holding and all(code in c.body for c in holding)
    assert not any("#SBATCH --line=29" in c.body and code not in c.body for c in chunks)


def test_block_spans_carry_trailing_blocks_within_overlap():
    blocks = [Block("para", "x" * 100, "") for _ in range(6)]
    assert block_spans(blocks, max_chars=250, overlap=120) == [(0, 2), (1, 3), (2, 4), (3, 5), (4, 6)]
    assert block_spans(blocks, max_chars=250, overlap=50) == [(0, 2), (2, 4), (4, 6)]


def test_chunk_carries_title_and_heading_path_as_fields():
    page, _ = parse_page(_long_page(), "long")
    chunk = next(c for c in chunk_pages([page]) if c.heading == "Limits")
    assert chunk.title == "Long Page"
    assert chunk.heading_path == ("Cluster", "Limits")
    assert chunk.headings == "Cluster Limits"
    assert chunk.page == "long" and chunk.anchor == "limits"
    assert "Long Page" not in chunk.body and "Cluster" not in chunk.body


def test_redirect_pages_and_reference_lists_are_not_chunks():
    redirect, _ = parse_page('#REDIRECT [Target](/Target "wikilink")\n', "old")
    page, _ = parse_page("Lead text.\n\n## References\n\n[1] <http://x.example/>\n", "p")
    chunks = chunk_pages([redirect, page])
    assert [(c.page, c.heading) for c in chunks] == [("p", "")]


def test_section_cluster_from_heading_else_page():
    text = "Lead about Proteus only.\n\n## Picotte\n\nCurrent.\n\n### Install\n\nNew way.\n\n## Notes\n\nGeneral.\n"
    page, _ = parse_page(text, "p")
    clusters = {c.heading: c.cluster for c in chunk_pages([page])}
    assert clusters == {"": "", "Picotte": "Picotte", "Install": "Picotte", "Notes": ""}
    old, _ = parse_page("Only Proteus had this.\n\n## Usage\n\nRun it.\n", "old")
    assert {c.cluster for c in chunk_pages([old])} == {"Proteus"}


def test_heading_naming_two_clusters_gives_the_first_configured_one():
    text = (
        "Intro.\n\n## Proteus and Picotte differences\n\nBoth.\n\n## PICOTTE tips\n\nCase does not matter.\n"
    )
    page, _ = parse_page(text, "p")
    by_heading = {c.heading: c.cluster for c in chunk_pages([page], clusters=("Picotte", "Proteus"))}
    assert by_heading["Proteus and Picotte differences"] == "Picotte"
    assert by_heading["PICOTTE tips"] == "Picotte"
    swapped = {c.heading: c.cluster for c in chunk_pages([page], clusters=("Proteus", "Picotte"))}
    assert swapped["Proteus and Picotte differences"] == "Proteus"
    assert {c.cluster for c in chunk_pages([page], clusters=())} == {""}
