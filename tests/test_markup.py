"""One inline rule per test: what a reader sees of a line of pandoc-converted MediaWiki."""

from __future__ import annotations

import pytest

from wikidesk.markup import (
    footnote_numbers,
    inline_to_text,
    normalize_chars,
    page_key,
    slugify,
    split_wikilink,
    strike_spans,
)


def test_footnote_marker_after_word_is_not_text():
    assert inline_to_text("Intel compilers[2]: see") == "Intel compilers: see"


def test_adjacent_footnote_markers_are_all_removed():
    assert inline_to_text("end of life on 2020[2][3] The") == "end of life on 2020 The"
    assert inline_to_text("(or venvs)[4][5] Venvs") == "(or venvs) Venvs"


def test_footnote_numbers_found_after_words_brackets_and_code():
    assert footnote_numbers("numpy[7] and 2020[2][3] and `x`[9]") == [7, 2, 3, 9]


def test_footnote_numbers_ignore_links_definitions_and_code_spans():
    assert footnote_numbers('[3](/Page "wikilink") `a[4]` [5]: http://x.org') == []


def test_technical_brackets_are_not_footnotes():
    assert inline_to_text("pip install `requests[security]` or requests[socks]") == (
        "pip install requests[security] or requests[socks]"
    )


def test_wikilink_becomes_its_text():
    assert inline_to_text('see [Python Packages](/Python_Packages "wikilink") now') == (
        "see Python Packages now"
    )


@pytest.mark.parametrize(
    "md",
    [
        'in [Image:rsync_flags.png](/Image:rsync_flags.png "wikilink") here',
        'in [thumb\\|rsync options](/File:Rsync_options_table.png "wikilink") here',
        "in [File:diagram.png] here",
    ],
)
def test_file_and_image_links_are_dropped(md):
    assert inline_to_text(md) == "in here"


def test_image_with_file_caption_leaves_no_text():
    assert (
        inline_to_text('![<File:Transfer_paths_diagram.png>](/Transfer_paths_diagram.png "wikilink")') == ""
    )


def test_emphasised_code_placeholder_reads_as_plain_text():
    assert inline_to_text("Add `--gres=gpu:`*`N`* to your job") == "Add --gres=gpu:N to your job"


def test_placeholders_become_angle_brackets_in_code_lines():
    line = "`    conda activate `*`environment_name`*"
    assert inline_to_text(line, placeholders=True).strip() == "conda activate <environment_name>"


def test_html_entities_and_tags_decode():
    assert inline_to_text('run &gt; log 2&gt;&amp;1<br><span style="x">now</span>') == "run > log 2>&1 now"


def test_nbsp_and_soft_hyphen_normalised():
    assert normalize_chars("com\u00adpu\u00adta\u00adtion\u00a0studies") == "computation studies"
    assert inline_to_text("quan\u00adtum\u00a0chem\u00adistry") == "quantum chemistry"


def test_strike_and_tilde_spans_are_obsolete_text():
    assert strike_spans("<strike>`qsub job.sh`</strike> and ~~old way~~ new") == ["qsub job.sh", "old way"]
    assert inline_to_text("~~old way~~ new way") == "old way new way"


def test_references_tag_is_not_text():
    assert inline_to_text("before <references/> after") == "before after"


@pytest.mark.parametrize(
    "md",
    [
        'Use widget<ref name="manual">The [widget manual](https://example.org/w)</ref> to start.',
        'Use widget&lt;ref name="manual&gt;[widget manual](https://example.org/w)</ref> to start.',
        'Use widget<ref name="manual" /> to start.',
    ],
)
def test_an_inline_footnote_is_not_part_of_the_sentence(md):
    assert inline_to_text(md) == "Use widget to start."


def test_page_key_ignores_case_underscores_and_extension():
    assert page_key("/Batch_array_jobs") == page_key("batch_array_jobs.md") == page_key("Batch Array Jobs")


def test_split_wikilink_slugs_the_fragment():
    assert split_wikilink("/Python_Packages#Installing_with_pip") == (
        "Python_Packages",
        "installing-with-pip",
    )
    assert split_wikilink("/Lattice-Kit+") == ("Lattice-Kit+", "")


def test_slugify_matches_heading_anchor_and_mediawiki_fragment():
    assert slugify("Python 2 End of Life") == slugify("Python_2_End_of_Life") == "python-2-end-of-life"
