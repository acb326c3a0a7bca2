"""The parser against the fixture pages: every feature of docs/wiki-format.md, as pinned in
tests/fixtures/EXPECTED.md, and every bad-page case."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from wikidesk.corpus import Corpus, Page, Section, load_corpus, parse_page

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def wiki() -> Corpus:
    return load_corpus(FIXTURES / "wiki")


@pytest.fixture(scope="module")
def bad() -> Corpus:
    return load_corpus(FIXTURES / "bad")


def page(corpus: Corpus, page_id: str) -> Page:
    found = corpus.page(page_id)
    assert found is not None, f"{page_id} not loaded; loaded: {[p.id for p in corpus.pages]}"
    return found


def paths(p: Page) -> list[list[str]]:
    return [list(s.heading_path) for s in p.sections]


def section(p: Page, *path: str) -> Section:
    return next(s for s in p.sections if s.heading_path == path)


def code_texts(s: Section) -> list[str]:
    return [b.text for b in s.blocks if b.kind == "code"]


EXPECTED_SECTIONS = {
    "fluxsolver": [
        [],
        ["Picotte"],
        ["Picotte", "Installation"],
        ["Picotte", "Installation", "Running"],
        ["Proteus"],
        ["Proteus", "Installation"],
        ["Proteus", "Installation", "Running"],
        ["References"],
        ["See Also"],
    ],
    "gpu_queue_on_picotte": [
        [],
        ["Requesting GPUs"],
        ["Requesting GPUs", "Example Job Script"],
        ["Requesting GPUs", "Checking Your Job"],
        ["GPU Hardware"],
    ],
    "meshtool": [
        [],
        ["Versions"],
        ["Usage"],
        ["Usage", "Basic Conversion"],
        ["Usage", "Basic Conversion", "Refinement Levels"],
        ["Usage", "Batch Conversion"],
        ["MeshTool Legacy Converter"],
        ["MeshTool Legacy Converter", "Versions"],
        ["MeshTool Legacy Converter", "Usage"],
    ],
    "scratch_cleanup_policy": [[], ["What Gets Removed"], ["Checking File Ages"], ["Exemptions"]],
    "old_flux_solver": [[]],
    "proteus_python": [[]],
    "python_packages": [
        [],
        ["Python 2 End of Life"],
        ["Picotte"],
        ["Picotte", "Choosing an Interpreter"],
        ["Picotte", "Installing with pip"],
        ["Picotte", "Conda Environments"],
        ["Picotte", "Counting Usable Cores"],
        ["Proteus"],
        ["References"],
    ],
    "howto/moving_data_to_picotte": [[], ["Using rsync"], ["Moving Python Environments"], ["Related Pages"]],
    "proteus_job_scripts": [[], ["Grid Engine Directives"], ["Queues"], ["Redirecting Output"]],
    "orbitalab": [[], ["Installed Versions"], ["Running"], ["References"]],
    "lattice-kit+": [
        [],
        ["Picotte"],
        ["Picotte", "Installed Versions"],
        ["Picotte", "Example"],
        ["Proteus"],
        ["Proteus", "Installed Versions"],
        ["Proteus", "Example"],
        ["References"],
    ],
    "batch_array_jobs": [
        [],
        ["Overview"],
        ["Submitting an Array"],
        ["Submitting an Array", "The --array Option"],
        ["Submitting an Array", "Index Variables"],
        ["Submitting an Array", "Index Variables", "SLURM_ARRAY_TASK_ID"],
        ["Submitting an Array", "Index Variables", "SLURM_ARRAY_TASK_ID", "Zero-padded File Names"],
        ["Submitting an Array", "Throttling"],
    ],
    "visualization_nodes": [[]],
}

EXPECTED_TITLES = {
    "fluxsolver": "FluxSolver",
    "gpu_queue_on_picotte": "GPU Queue on Picotte",
    "meshtool": "MeshTool",
    "scratch_cleanup_policy": "Scratch cleanup policy",
    "old_flux_solver": "Old flux solver",
    "proteus_python": "Proteus python",
    "python_packages": "Python Packages",
    "howto/moving_data_to_picotte": "Moving Data to Picotte",
    "proteus_job_scripts": "Proteus Job Scripts",
    "orbitalab": "OrbitaLab",
    "lattice-kit+": "Lattice-Kit+",
    "batch_array_jobs": "Batch Array Jobs",
    "visualization_nodes": "Visualization Nodes",
}


# --------------------------------------------------------------------------- page structure


def test_every_fixture_page_loads_with_its_path_as_id(wiki):
    assert sorted(p.id for p in wiki.pages) == sorted(EXPECTED_TITLES)
    assert wiki.skipped == [] and wiki.repaired == []


@pytest.mark.parametrize("page_id", sorted(EXPECTED_SECTIONS))
def test_section_heading_paths_follow_the_page(wiki, page_id):
    assert paths(page(wiki, page_id)) == EXPECTED_SECTIONS[page_id]


@pytest.mark.parametrize("page_id", sorted(EXPECTED_TITLES))
def test_title_from_front_matter_heading_or_file_name(wiki, page_id):
    assert page(wiki, page_id).title == EXPECTED_TITLES[page_id]


def test_front_matter_closing_line_is_not_a_setext_underline(wiki):
    flux = page(wiki, "fluxsolver")
    assert flux.permalink == "/FluxSolver/"
    assert all("permalink" not in s.heading.lower() for s in flux.sections)
    assert "permalink" not in flux.sections[0].text


def test_body_right_after_front_matter_is_the_lead(wiki):
    lead = section(page(wiki, "batch_array_jobs"))
    assert lead.text == "An array job submits many nearly identical tasks with one command."


def test_level_one_heading_is_title_only_without_front_matter(wiki):
    assert "MeshTool" not in [s.heading for s in page(wiki, "meshtool").sections]
    assert section(page(wiki, "lattice-kit+"), "Picotte").level == 1


def test_lead_text_before_first_heading_is_a_section(wiki):
    lead = page(wiki, "scratch_cleanup_policy").sections[0]
    assert lead.heading == "" and lead.heading_path == ()
    assert lead.text.startswith("Files under /scratch that nobody has read")


def test_page_without_headings_is_one_lead_section(wiki):
    (only,) = page(wiki, "visualization_nodes").sections
    assert "vis01" in only.text and "logged out" in only.text


def test_repeated_headings_get_unique_anchors(wiki):
    for page_id in ("fluxsolver", "meshtool", "lattice-kit+"):
        anchors = [s.anchor for s in page(wiki, page_id).sections]
        assert len(anchors) == len(set(anchors)), anchors
    flux = page(wiki, "fluxsolver")
    assert section(flux, "Picotte", "Installation").anchor == "installation"
    assert section(flux, "Proteus", "Installation").anchor == "installation-2"


def test_second_former_page_in_one_file_is_a_top_level_section(wiki):
    mesh = page(wiki, "meshtool")
    legacy = section(mesh, "MeshTool Legacy Converter")
    assert legacy.level == 1
    assert "mtconv" in legacy.text
    assert "0.9 is the final one" in section(mesh, "MeshTool Legacy Converter", "Versions").text


def test_content_after_references_is_parsed(wiki):
    see_also = section(page(wiki, "fluxsolver"), "See Also")
    assert "prepares the input meshes" in see_also.text
    assert [link.page for link in see_also.links] == ["meshtool"]


def test_sections_keep_original_markdown(wiki):
    running = section(page(wiki, "fluxsolver"), "Picotte", "Installation", "Running")
    assert "`    fluxsolver run `*`input_file`*" in running.markdown


# --------------------------------------------------------------------------- redirects


def test_hash_redirect_resolves_to_page_id(wiki):
    old = page(wiki, "old_flux_solver")
    assert old.redirect == "fluxsolver"


def test_pandoc_numbered_redirect_resolves_with_anchor(wiki):
    old = page(wiki, "proteus_python")
    assert old.redirect == "python_packages"
    assert old.redirect_anchor == "python-2-end-of-life"
    assert section(page(wiki, "python_packages"), "Python 2 End of Life").anchor == old.redirect_anchor


def test_redirect_to_missing_page_keeps_raw_target():
    [p] = _load_pages({"gone.md": '#REDIRECT [Nowhere](/Nowhere_Page "wikilink")\n'})
    assert p.redirect == "Nowhere_Page"


def test_hash_redirect_is_not_an_atx_heading(wiki):
    assert paths(page(wiki, "old_flux_solver")) == [[]]


# --------------------------------------------------------------------------- code and commands


def test_fence_lines_that_look_like_headings_stay_code(wiki):
    gpu = page(wiki, "gpu_queue_on_picotte")
    [script, _] = code_texts(section(gpu, "Requesting GPUs", "Example Job Script"))
    assert "#SBATCH --gres=gpu:2" in script
    assert "### software setup starts here" in script
    assert "\n----\n" in script
    [summary] = code_texts(section(gpu, "Requesting GPUs", "Checking Your Job"))
    assert "GPU Allocation Summary\n======================" in summary


def test_fence_ruler_after_command_is_not_setext(wiki):
    [listing, _notes] = code_texts(section(page(wiki, "orbitalab"), "Installed Versions"))
    assert listing.startswith("[juser@picotte001 ~]$ module avail orbitalab\n------------------------ /ifs")


def test_indented_code_block_keeps_prompt_and_comment(wiki):
    [_, indented] = code_texts(
        section(page(wiki, "gpu_queue_on_picotte"), "Requesting GPUs", "Example Job Script")
    )
    assert indented == "$ sbatch gpu_job.sh\nSubmitted batch job 4417\n## the number above is your job id"


def test_backticked_lines_are_one_code_block_with_placeholders(wiki):
    running = section(page(wiki, "fluxsolver"), "Picotte", "Installation", "Running")
    assert code_texts(running) == ["fluxsolver run <input_file> --ranks <N>"]
    conda = section(page(wiki, "python_packages"), "Picotte", "Conda Environments")
    assert code_texts(conda) == [
        "(base) [juser@picotte001 work]$ conda activate <env_name>\n(env_name) [juser@picotte001 work]$"
    ]


def test_prompts_and_output_lines_kept_in_code_text(wiki):
    choose = section(page(wiki, "python_packages"), "Picotte", "Choosing an Interpreter")
    assert code_texts(choose) == [
        "[juser@picotte001 ~]$ module load python/gcc/3.10\n"
        "[juser@picotte001 ~]$ python3 --version\n"
        "Python 3.10.8"
    ]


def test_module_listing_notes_stay_on_their_lines(wiki):
    install = section(page(wiki, "fluxsolver"), "Picotte", "Installation")
    [listing] = code_texts(install)
    assert listing.splitlines()[1:] == [
        "fluxsolver/2.1    fluxsolver/2.2    fluxsolver/2.3 (default)",
        "fluxsolver/gcc/2.3 (L)    fluxsolver/intel/2.3 (D)",
    ]
    [_, notes] = code_texts(section(page(wiki, "orbitalab"), "Installed Versions"))
    assert notes.splitlines() == [
        "orbitalab/5.0.2 (built against Open MPI 4.0.5)",
        "orbitalab/5.1 -- NB needs the intel/2020 runtime loaded first",
        "orbitalab/intel/2020/5.1 (default)",
    ]


def test_nbsp_and_soft_hyphens_normalised_in_code(wiki):
    pip = section(page(wiki, "python_packages"), "Picotte", "Installing with pip")
    assert code_texts(pip) == ['[juser@picotte001 ~]$ python3 -m pip install --user "requests[socks]"']
    running = section(page(wiki, "orbitalab"), "Running")
    assert code_texts(running) == ["[juser@picotte001 ~]$ orbitalab --threads 8 water.inp"]


def test_nbsp_and_soft_hyphens_normalised_in_text(wiki):
    orbita = page(wiki, "orbitalab")
    assert "quantum chemistry package for computational studies" in orbita.sections[0].text
    assert "override it with --scratch /scratch/juser" in section(orbita, "Running").text
    assert "Proteus is gone" in section(page(wiki, "python_packages"), "Proteus").text
    for p in wiki.pages:
        for s in p.sections:
            for b in s.blocks:
                assert "\u00a0" not in b.text and "\u00ad" not in b.text, (p.id, b.text)


def test_python_fence_is_code(wiki):
    cores = section(page(wiki, "python_packages"), "Picotte", "Counting Usable Cores")
    assert code_texts(cores)[0].startswith("import os\nusable = os.sched_getaffinity(0)")


# --------------------------------------------------------------------------- links


def test_wikilinks_resolve_despite_case_and_underscores(wiki):
    links = {link.target: link for s in page(wiki, "meshtool").sections for link in s.links}
    assert links["/Batch_array_jobs"].page == "batch_array_jobs"
    assert links["/FluxSolver"].page == "fluxsolver"


def test_wikilink_targets_resolve_to_page_ids_or_none(wiki):
    links = {
        link.target: link for s in page(wiki, "howto/moving_data_to_picotte").sections for link in s.links
    }
    assert {t: link.page for t, link in links.items()} == {
        "/Scratch_Cleanup_Policy": "scratch_cleanup_policy",
        "/Python_Packages#Installing_with_pip": "python_packages",
        "/GPU_Queue_on_Picotte": "gpu_queue_on_picotte",
        "/Lattice-Kit+": "lattice-kit+",
        "/Old_Flux_Solver": "fluxsolver",
        "/Building_Lattice-Kit++_Plugins": None,
        "/Globus_Endpoint_Setup": None,
    }
    assert links["/Python_Packages#Installing_with_pip"].anchor == "installing-with-pip"
    assert links["/Scratch_Cleanup_Policy"].text == "Scratch Cleanup Policy"


def test_link_fragment_matches_target_section_anchor(wiki):
    pip = section(page(wiki, "python_packages"), "Picotte", "Installing with pip")
    assert pip.anchor == "installing-with-pip"


def test_missing_page_link_has_no_page(wiki):
    [link] = section(page(wiki, "scratch_cleanup_policy"), "Exemptions").links
    assert (link.target, link.page) == ("/Contact_Us", None)


def test_file_and_image_links_dropped(wiki):
    moving = page(wiki, "howto/moving_data_to_picotte")
    targets = [link.target for s in moving.sections for link in s.links]
    assert not any("png" in t.lower() for t in targets)
    text = "\n".join(s.text for s in moving.sections)
    assert "File:" not in text and "Image:" not in text and "thumb" not in text


# --------------------------------------------------------------------------- footnotes


def test_footnote_markers_not_in_text_and_urls_kept_with_citing_section(wiki):
    flux = page(wiki, "fluxsolver")
    assert flux.sections[0].references == ((1, "http://fluxsolver.example.org/"),)
    install = section(flux, "Picotte", "Installation")
    assert install.references == ((2, "http://fluxsolver.example.org/docs/build"),)
    assert "[2]" not in install.text and "[1]" not in flux.sections[0].text


def test_footnote_after_inline_code_is_cited(wiki):
    running = section(page(wiki, "orbitalab"), "Running")
    assert running.references == ((2, "http://orbitalab.example.net/faq"),)
    assert "[2]" not in running.text


def test_references_tag_and_list_are_not_text(wiki):
    for page_id in ("fluxsolver", "lattice-kit+"):
        refs = section(page(wiki, page_id), "References")
        assert "<references" not in refs.text and "example." not in refs.text


def test_adjacent_footnotes_all_cited():
    text = "Intro.\n\n## Why\n\nIt ended in 2020[2][3] for good.\n\n## Refs\n\n[2] <http://a.example/>\n\n[3] <http://b.example/>\n"
    p, _ = parse_page(text, "x")
    why = section(p, "Why")
    assert [n for n, _ in why.references] == [2, 3]
    assert why.text == "It ended in 2020 for good."


# --------------------------------------------------------------------------- inline markup


def test_struck_content_marked_obsolete_but_searchable(wiki):
    grid = section(page(wiki, "proteus_job_scripts"), "Grid Engine Directives")
    assert "qsub -l h_vmem=4G -pe shm 8 job.sh" in grid.obsolete
    assert any(span.startswith("Memory was requested per slot") for span in grid.obsolete)
    assert not any("no longer applies" in span for span in grid.obsolete)
    struck = [b for b in grid.blocks if "h_vmem=4G" in b.text]
    assert struck and all(b.obsolete for b in struck)
    assert not grid.blocks[0].obsolete
    assert "qsub -l h_vmem=4G" in grid.text


STRUCK_ACROSS_HEADINGS = """Widget draws graphs.

## Installed Versions

Load `widget/3.0` on Picotte.

OLD <strike>

## Installed Versions

Widget 1.2 was installed on the old cluster.

`    widget/1.2`

### Job Script

```bash
#$ -l vendor=intel
widget run
```

Ask before running it. </strike>

## See Also

The plotting page.
"""


def test_a_strike_running_over_headings_marks_every_section_inside_obsolete():
    p, _ = parse_page(STRUCK_ACROSS_HEADINGS, "widget")
    current, old, job, see_also = p.sections[1:]
    assert current.heading_path == ("Installed Versions",)
    assert not current.blocks[0].obsolete
    assert old.blocks and all(b.obsolete for b in old.blocks)
    assert job.blocks and all(b.obsolete for b in job.blocks)
    assert "Widget 1.2 was installed on the old cluster." in old.obsolete
    assert not any(b.obsolete for b in see_also.blocks)
    assert "widget run" in job.text  # still searchable


def test_a_strike_running_over_paragraphs_of_one_section_marks_them_all():
    text = "## Licenses\n\nNo seats are needed now.\n\n<strike>Seats were counted.\n\nRequest one:\n\n`    #$ -l seat=1`</strike>\n"
    p, _ = parse_page(text, "x")
    flags = [(b.text, b.obsolete) for b in p.sections[0].blocks]
    assert flags[0] == ("No seats are needed now.", False)
    assert all(obsolete for _, obsolete in flags[1:]) and len(flags) == 4


def test_html_entities_decoded_in_text(wiki):
    out = section(page(wiki, "proteus_job_scripts"), "Redirecting Output")
    assert out.text == (
        "Add 2>&1 after the file name to merge error output into the same log, "
        "e.g. fluxsolver run case.flx > run.log 2>&1. Logs were kept for 14 days."
    )


def test_raw_html_tags_removed(wiki):
    scripts = page(wiki, "proteus_job_scripts")
    assert scripts.sections[0].text.startswith("PROTEUS WAS SHUT DOWN FOR GOOD AND ACCEPTS NO JOBS.")
    assert "<" not in "\n".join(s.text for s in scripts.sections)
    assert "Never put directives after the first command." in section(scripts, "Grid Engine Directives").text


def test_pipe_table_rows(wiki):
    hw = section(page(wiki, "gpu_queue_on_picotte"), "GPU Hardware")
    assert [(b.kind, b.text) for b in hw.blocks] == [
        ("row", "Nodes | GPUs per node | Memory per GPU"),
        ("row", "gpu001-gpu012 | 4 | 40 GB"),
        ("row", "gpu013-gpu016 | 4 | 80 GB"),
    ]


def test_html_table_rows(wiki):
    queues = section(page(wiki, "proteus_job_scripts"), "Queues")
    assert [(b.kind, b.text) for b in queues.blocks] == [
        ("row", "Queue | Wall time limit"),
        ("row", "all.q | 48:00:00"),
        ("row", "gpu.q & gpu-long.q | 96:00:00"),
    ]


def test_quote_blocks(wiki):
    eol = section(page(wiki, "python_packages"), "Python 2 End of Life")
    [quote] = [b for b in eol.blocks if b.kind == "quote"]
    assert quote.text.startswith("New projects must start on Python 3.10 or later;")
    assert ">" not in quote.text


def test_bullet_and_numbered_list_items(wiki):
    lattice = page(wiki, "lattice-kit+")
    example = section(lattice, "Picotte", "Example")
    assert [(b.kind, b.text) for b in example.blocks] == [
        ("item", "Copy the sample deck from $LATTICEKIT_HOME/examples."),
        ("item", "Edit the temperature range."),
        ("item", "Submit with sbatch run_lattice.sh."),
    ]
    nodes = page(wiki, "visualization_nodes").sections[0]
    assert [b.kind for b in nodes.blocks] == ["para", "quote", "item", "item"]


# --------------------------------------------------------------------------- bad pages


def test_bad_pages_load_or_are_skipped_with_one_warning_each(bad):
    assert sorted(p.id for p in bad.pages) == [
        "bom_page",
        "crlf_page",
        "invalid_yaml_front_matter",
        "latin1_page",
        "markdown_ext_page",
        "plain_text_page",
        "unclosed_front_matter",
    ]
    skipped = {s.path: str(s) for s in bad.skipped}
    assert sorted(skipped) == ["binary_blob.md", "empty.md", "whitespace_only.md"]
    for path, line in skipped.items():
        assert path in line and "\n" not in line


def test_pdf_in_corpus_is_ignored_silently(bad):
    assert not any("notes" in s.path for s in [*bad.skipped, *bad.repaired])


# page id -> (title, heading paths, lead text or None, repaired with a warning)
BAD_PAGES = {
    "latin1_page": (
        "Café Queue Notes",
        [[], ["Limits"]],
        "Notes kept by Dr. Müller on the café-hours queue.",
        True,
    ),
    "unclosed_front_matter": (
        "Unclosed Front Matter",
        [[], ["Usage"]],
        "The closing fence of the block above is missing.",
        True,
    ),
    "invalid_yaml_front_matter": (
        "Broken Front Matter",
        [[], ["Details"]],
        "Body text after a front matter block that a strict YAML parser rejects.",
        True,
    ),
    "bom_page": ("Byte Order Mark Page", [[], ["Section One"]], None, False),
    "plain_text_page": ("Plain Text Page", [[], ["Contents"]], None, False),
    "markdown_ext_page": ("Markdown Extension Page", [[], ["Contents"]], None, False),
}


@pytest.mark.parametrize("page_id", sorted(BAD_PAGES))
def test_problem_page_loads_or_is_repaired(bad, page_id):
    title, heading_paths, lead, repaired = BAD_PAGES[page_id]
    p = page(bad, page_id)
    assert p.title == title
    assert paths(p) == heading_paths
    if lead is not None:
        assert p.sections[0].text == lead
    notes = [str(r) for r in bad.repaired if r.path.startswith(page_id + ".")]
    assert len(notes) == int(repaired), notes


def test_latin1_page_warning_says_not_utf8(bad):
    assert "18 °C" in page(bad, "latin1_page").sections[1].text
    assert any(r.path == "latin1_page.md" and "UTF-8" in r.reason for r in bad.repaired)


def test_crlf_page_parses_like_lf(bad):
    p = page(bad, "crlf_page")
    assert p.title == "CRLF Page"
    assert paths(p) == [[], ["First Part"], ["First Part", "Detail"], ["First Part", "Second Part"]]
    assert not any("\r" in s.heading or "\r" in s.text for s in p.sections)
    assert code_texts(section(p, "First Part", "Detail")) == ["#SBATCH --time=1:00:00"]


def test_huge_page_skipped_and_others_load(tmp_path):
    (tmp_path / "huge.md").write_text("# Huge\n\n" + "word " * 3000, encoding="utf-8")
    (tmp_path / "small.md").write_text("# Small\n\nA small page.\n", encoding="utf-8")
    corpus = load_corpus(tmp_path, max_bytes=10_000)
    assert [p.id for p in corpus.pages] == ["small"]
    [skip] = corpus.skipped
    assert skip.path == "huge.md" and "too large" in str(skip)


@pytest.mark.skipif(not hasattr(os, "geteuid"), reason="POSIX permissions")
def test_unreadable_page_skipped_and_others_load(tmp_path):
    locked = tmp_path / "locked.md"
    locked.write_text("# Locked\n\nSecret.\n", encoding="utf-8")
    (tmp_path / "open.md").write_text("# Open\n\nReadable text.\n", encoding="utf-8")
    locked.chmod(0)
    try:
        if os.access(locked, os.R_OK):
            pytest.skip("running as a user (root) who can read a chmod 000 file")
        corpus = load_corpus(tmp_path)
    finally:
        locked.chmod(0o644)
    assert [p.id for p in corpus.pages] == ["open"]
    [skip] = corpus.skipped
    assert skip.path == "locked.md" and "cannot be read" in str(skip)


def test_read_error_skips_page_with_reason(tmp_path, monkeypatch):
    (tmp_path / "a.md").write_text("# A\n\nText a.\n", encoding="utf-8")
    (tmp_path / "b.md").write_text("# B\n\nText b.\n", encoding="utf-8")
    real = Path.read_bytes

    def deny(self):
        if self.name == "a.md":
            raise PermissionError(13, "Permission denied")
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", deny)
    corpus = load_corpus(tmp_path)
    assert [p.id for p in corpus.pages] == ["b"]
    assert [str(s) for s in corpus.skipped] == ["warning: a.md: cannot be read (Permission denied)"]


def test_one_bad_page_never_stops_the_build(tmp_path):
    shutil.copytree(FIXTURES / "bad", tmp_path / "c")
    shutil.copytree(FIXTURES / "wiki", tmp_path / "c" / "wiki")
    corpus = load_corpus(tmp_path / "c")
    assert len(corpus.pages) == 7 + len(EXPECTED_TITLES)
    assert "wiki/python_packages" in [p.id for p in corpus.pages]


def test_subdirectory_page_id_uses_slash(wiki):
    p = page(wiki, "howto/moving_data_to_picotte")
    assert p.path == "howto/moving_data_to_picotte.md"


def test_hidden_folders_are_not_pages(tmp_path):
    (tmp_path / ".wikidesk").mkdir()
    (tmp_path / ".wikidesk" / "junk.md").write_text("# Junk\n\ntext\n", encoding="utf-8")
    (tmp_path / "real.md").write_text("# Real\n\ntext\n", encoding="utf-8")
    assert [p.id for p in load_corpus(tmp_path).pages] == ["real"]


def _load_pages(files: dict[str, str]) -> list[Page]:
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        for name, text in files.items():
            (Path(d) / name).write_text(text, encoding="utf-8")
        return load_corpus(d).pages


def test_page_opening_with_a_ruler_keeps_its_text():
    p, notes = parse_page("---\nJust a ruler page.\n\nMore words.\n\n---\n\nEnd.\n", "ruler")
    assert p.title == "Ruler" and notes == []
    assert "Just a ruler page." in p.sections[0].text and "End." in p.sections[0].text


def test_anchors_unique_even_when_a_heading_looks_like_a_numbered_repeat():
    text = "## Install\n\na\n\n## Install\n\nb\n\n## Install 2\n\nc\n\n## Top\n\nd\n"
    p, _ = parse_page("Lead.\n\n" + text, "x")
    anchors = [s.anchor for s in p.sections]
    assert len(set(anchors)) == len(anchors), anchors
    assert anchors[:3] == ["top", "install", "install-2"]


LIST_WITH_CODE = """## Steps

1.  Load the module:

        module load foo/1.0

2.  Run it:

    ```
    foo --run
      --verbose
    ```

-   An item.

    Its second paragraph.

    -   A nested item.

        -   A deeper item.

After the list.

    top-level code
"""


def test_code_nested_in_list_items_is_code():
    p, _ = parse_page(LIST_WITH_CODE, "steps")
    assert [(b.kind, b.text) for b in section(p, "Steps").blocks] == [
        ("item", "Load the module:"),
        ("code", "module load foo/1.0"),
        ("item", "Run it:"),
        ("code", "foo --run\n  --verbose"),
        ("item", "An item."),
        ("para", "Its second paragraph."),
        ("item", "A nested item."),
        ("item", "A deeper item."),
        ("para", "After the list."),
        ("code", "top-level code"),
    ]


def test_tab_indented_shell_comment_is_code_not_heading():
    p, _ = parse_page("Run this:\n\n\t# make a folder\n\tmkdir -p out\n\n## Real\n\nText.\n", "t")
    assert paths(p) == [[], ["Real"]]
    assert code_texts(p.sections[0]) == ["# make a folder\nmkdir -p out"]


def test_escaped_pipe_stays_inside_its_table_cell():
    p, _ = parse_page("| Option | Meaning |\n|---|---|\n| `a\\|b` | either a or b |\n", "t")
    assert [b.text for b in p.sections[0].blocks] == ["Option | Meaning", "a|b | either a or b"]
