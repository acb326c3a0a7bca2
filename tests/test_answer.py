"""The answer contract: the wiki's own sentences with markers, citations that open the section,
snippets with highlights, commands, abstention and stale-content warnings."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from tests.wikis import write_pages

from wikidesk.analysis import analyze
from wikidesk.answer import NOT_FOUND, _joins, answer_units, gather_commands, rank_commands, split_sentences
from wikidesk.chunking import chunk_pages
from wikidesk.commands import Command, strip_prompt
from wikidesk.config import Config
from wikidesk.corpus import parse_page
from wikidesk.evaluate import build_eval_index
from wikidesk.service import Wikidesk

ROOT = Path(__file__).resolve().parents[1]
ANSWERS = ROOT / "tests" / "fixtures" / "answers"
SEED_QUESTION = "which Python should I use on Picotte?"
MARKED_RE = re.compile(r"(.+?) \[(\d+)\](?: |$)", re.S)
DECOMMISSIONED = "decommissioned"
END_OF_LIFE = "end of life"


@pytest.fixture(scope="module")
def fixture_desk() -> Wikidesk:
    config = Config()
    return Wikidesk(build_eval_index([ANSWERS], config), config)


def units(answer: str) -> list[tuple[str, int]]:
    """(sentence, citation number) pairs of an answer, in order."""
    found = [(m.group(1).strip(), int(m.group(2))) for m in MARKED_RE.finditer(answer)]
    assert "".join(f"{s} [{n}] " for s, n in found).strip() == answer.strip(), "unmarked text in the answer"
    return found


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def cited_section(desk: Wikidesk, citation: dict):
    page = desk.index.pages[citation["page"]]
    (section,) = [s for s in page.sections if list(s.heading_path) == citation["heading_path"]]
    return section


# --------------------------------------------------------------------------- the seed question


def test_seed_question_answers_from_the_picotte_recommendation(desk):
    result = desk.ask(SEED_QUESTION)
    assert result["answered"]
    first = result["citations"][0]
    assert (first["page"], first["heading_path"]) == ("python", ["Picotte", "Recommendation"])
    assert {n for _, n in units(result["answer"])} == {1}
    assert "python/gcc/3.10" in result["answer"]


def test_seed_question_offers_module_load_among_the_first_three_commands(desk):
    commands = [c["command"] for c in desk.ask(SEED_QUESTION)["commands"]]
    assert "module load python/gcc/3.10" in commands[:3]


# --------------------------------------------------------------------------- sentences


@pytest.mark.parametrize(
    "question",
    [
        SEED_QUESTION,
        "which python versions are installed on picotte",
        "how do I switch to a conda environment",
        "install scikit-learn with pip just for me",
        "why is multiprocessing slow on a shared node",
    ],
)
def test_answer_sentences_are_the_wikis_own(desk, question):
    result = desk.ask(question)
    assert result["answered"]
    by_n = {c["n"]: c for c in result["citations"]}
    for sentence, n in units(result["answer"]):
        text = cited_section(desk, by_n[n]).text
        # a command line the answer quotes is shown without its shell prompt
        typed = "\n".join(strip_prompt(line) or line for line in text.split("\n"))
        sources = (flat(text), flat(typed))
        # A lead-in and the list items it carries are joined with "; " in the answer.
        for piece in sentence.split("; "):
            assert piece == "…" or any(flat(piece) in s for s in sources), (piece, by_n[n]["heading_path"])


@pytest.mark.parametrize(
    "limit",
    [
        1,
        2,
        3,
    ],
)
def test_answer_has_at_most_answer_sentences_units(desk, limit):
    config = desk.config.replace(answer_sentences=limit)
    result = Wikidesk(desk.index, config).ask("why is multiprocessing slow on a shared node")
    assert result["answered"]
    assert 1 <= len(units(result["answer"])) <= limit


def unit_texts(heading: str, body: str) -> list[str]:
    """The answer units of one section of a small page."""
    page, _ = parse_page(f"---\ntitle: Decks\n---\n\n## {heading}\n\n{body}", "decks")
    section = page.sections[-1]
    (chunk,) = [c for c in chunk_pages([page]) if c.heading == heading]
    return [t for _, t in answer_units(section, chunk)]


def test_lead_in_ending_with_a_colon_carries_its_list_items():
    texts = unit_texts(
        "Input Decks",
        "An input deck needs three blocks:\n\n"
        "- a lattice block\n- a field block\n- a schedule block\n\nKeep decks under version control.\n",
    )
    assert texts == [
        "An input deck needs three blocks: a lattice block; a field block; a schedule block",
        "Keep decks under version control.",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Run it with 8 processes (i.e. MPI ranks) on one node.",
        "Pick a tool, e.g. Conda or a venv, for this.",
        "E.g. Conda keeps environments apart.",
        "Logs, caches etc. Outputs go to scratch.",
        "Use No. 5 for this.",
    ],
)
def test_an_abbreviations_full_stop_ends_no_sentence(text):
    assert split_sentences(f"{text} Then the next one.") == [text, "Then the next one."]


def test_lead_in_ending_with_a_colon_shows_its_command_without_the_prompt():
    texts = unit_texts(
        "Install",
        "Decks only load once installed:\n\n"
        "`    [juser@picotte001 decks-2.1]$ make install`\n\nKeep decks under version control.\n",
    )
    assert texts == ["Decks only load once installed: make install", "Keep decks under version control."]


def test_seed_list_question_answers_with_the_lead_in_and_its_items(desk):
    answer = desk.ask("which python versions are installed on picotte")["answer"]
    assert answer.startswith("There are several versions installed: ")
    assert "python/gcc/3.11" in answer


# --------------------------------------------------------------------------- commands


def ranked(commands: list[str], question: str) -> list[str]:
    weights = {t: 1.0 for t in analyze(question)}
    return [c.command for c in rank_commands([Command(c) for c in commands], weights)]


def test_a_camel_case_script_name_matches_the_words_it_is_made_of():
    steps = ["mkdir widget", "cd widget", "tar xf widget_bundle.tar.gz", "./widgetSetup.pl"]
    assert ranked(steps, "widget setup script")[0] == "./widgetSetup.pl"


def test_a_question_word_inside_a_longer_command_name_counts_for_part():
    steps = [Command(c) for c in ("mkdir build", "cd build", "make install", "ccmake ..", "make")]
    weights = {"build": 1.0, "cmake": 3.0}  # a rare word, as idf weighs it
    assert [c.command for c in rank_commands(steps, weights)][:2] == ["ccmake ..", "mkdir build"]
    assert rank_commands(steps, {"build": 2.0, "cmake": 3.0})[0].command == "mkdir build"
    # a short word inside a name is not enough ('make' in `ccmake`)
    assert ranked(["ls", "ccmake .."], "make")[0] == "ls"


def test_the_newest_of_several_listed_versions_comes_first():
    listed = [
        "module load widget/9.8",
        "module load widget/10.0",
        "module load widget/10.2",
        "module load other/11",
    ]
    assert ranked(listed, "widget module") == [
        "module load widget/10.2",
        "module load widget/10.0",
        "module load widget/9.8",
        "module load other/11",
    ]


def test_a_modulefile_with_its_version_run_on_matches_the_bare_name():
    listed = ["conda env list", "module load python/widgetconda3"]
    assert ranked(listed, "widgetconda on the cluster")[0] == "module load python/widgetconda3"


def desk_over(folder: Path, config: Config | None = None) -> Wikidesk:
    """A wikidesk over the pages a test wrote into `folder`."""
    config = config or Config()
    return Wikidesk(build_eval_index([folder], config), config)


def test_words_written_apart_match_a_command_that_runs_them_together(tmp_path):
    (tmp_path / "widget.md").write_text(
        "# Widget\n\n## Installation\n\nWidget keeps its data under its own directory.\n\n"
        "To install it:\n\n`    [juser@picotte001 ~]$ mkdir widget`\n`    [juser@picotte001 ~]$ cd widget`\n\n"
        "Then run the installer, which asks a few setup questions:\n\n"
        "`    [juser@picotte001 widget]$ ./widgetSetup.pl`\n",
        encoding="utf-8",
    )
    desk = desk_over(tmp_path)
    plain = desk.ask("how do I get widget for myself")
    assert [c["command"] for c in plain["commands"]][:1] == ["mkdir widget"]
    result = desk.ask("how do I set up widget for myself")
    assert result["commands"][0]["command"] == "./widgetSetup.pl"
    # installing is done by running the setup script, so "install" counts for it too
    installed = desk.ask("how do I install widget for myself")
    assert installed["commands"][0]["command"] == "./widgetSetup.pl"


@pytest.mark.parametrize(
    ("first", "second", "joins"),
    [
        ("set", "up", True),
        ("log", "in", True),
        ("jupyter", "lab", True),
        ("do", "i", False),
        ("in", "it", False),
    ],
)
def test_only_names_and_phrasal_verbs_are_joined(first, second, joins):
    assert _joins(first, second) is joins


def test_later_parts_of_a_version_do_not_match_a_version_the_question_names():
    listed = ["module load widget/2.17.1", "module load widget/2.25.0"]
    assert ranked(listed, "widget 1.7 is too old, which newer widget")[0] == "module load widget/2.25.0"


def test_a_version_the_question_names_beats_a_newer_one():
    listed = ["module load widget/9.8", "module load widget/10.2"]
    assert ranked(listed, "widget 9.8 module")[0] == "module load widget/9.8"


# --------------------------------------------------------------------------- citations


def test_citations_carry_the_contract_fields_and_open_the_section(desk):
    result = desk.ask(SEED_QUESTION)
    assert 1 <= len(result["citations"]) <= desk.config.top_k
    for i, c in enumerate(result["citations"], 1):
        assert {
            "n",
            "page",
            "title",
            "section",
            "heading_path",
            "url",
            "snippet",
            "highlights",
            "score",
        } <= c.keys()
        assert c["n"] == i
        section = cited_section(desk, c)
        assert c["section"] == section.heading
        assert c["title"] == desk.index.pages[c["page"]].title
        assert isinstance(c["score"], float)
        expected = f"/page/{c['page']}#{section.anchor}" if section.heading else f"/page/{c['page']}"
        assert c["url"] == expected
    assert result["citations"][0]["url"] == "/page/python#recommendation"


def test_repeated_heading_cites_its_own_anchor(fixture_desk):
    first = fixture_desk.ask("quantasim modulefile on proteus")["citations"][0]
    assert first["heading_path"] == ["Proteus", "Installed Versions"]
    assert first["url"] == "/page/quantasim#installed-versions-2"


def test_snippet_is_bounded_and_highlights_point_at_query_terms(desk):
    config = desk.config.replace(snippet_chars=120)
    small = Wikidesk(desk.index, config)
    question = "why is multiprocessing slow on a shared node"
    terms = {desk.index.terms[t] for t in small.searcher.query(question).terms}
    citations = small.ask(question)["citations"]
    assert any(len(flat(cited_section(desk, c).text)) > 120 for c in citations), "needs a long section"
    for c in citations:
        snippet = c["snippet"]
        assert len(snippet) <= config.snippet_chars + len("… ") + len(" …")
        assert flat(snippet.strip("… ")) in flat(cited_section(desk, c).text)
        for start, end in c["highlights"]:
            assert 0 <= start < end <= len(snippet)
            assert set(analyze(snippet[start:end])) & terms, snippet[start:end]
    assert any(c["highlights"] for c in citations)


def test_commands_fill_up_from_the_next_citations_when_the_answer_has_few(tmp_path):
    write_pages(
        tmp_path,
        {
            "widget": "# Widget\n\n## Cache\n\nThe widget cache goes stale after a week; flush the widget "
            "cache when plots look old.\n",
            "flusher": "# Flusher\n\nFlusher empties caches:\n\n"
            "`    [juser@picotte001 ~]$ flusher --all ~/.widget`\n",
        },
    )
    desk = desk_over(tmp_path)
    result = desk.ask("how do I flush the widget cache")
    assert [c["page"] for c in result["citations"][:2]] == ["widget", "flusher"]
    assert result["commands"][0] == {
        "command": "flusher --all ~/.widget",
        "citation": 2,
        "placeholders": [],
        "language": "shell",
    }


def test_commands_fill_up_from_further_sections_of_a_quoted_page(tmp_path):
    """The answer quotes a page's 'Hardware' section at citation 2; its 'Flags' section, cited
    fifth, gives the command, and is offered before a command of an unquoted page."""
    write_pages(
        tmp_path,
        {
            "lens": "# Lens\n\n## Hardware\n\nThe old nodes carry Zircon cards.\n\n"
            "## Flags\n\nBuild for them with:\n\n    -arch=zr_35\n",
            "prism": "# Prism\n\nPrism splits light.\n\n## Build\n\nBuild with:\n\n    -arch=zr_70\n\n"
            "## Notes\n\nIt is slow.\n",
        },
    )
    index = build_eval_index([tmp_path], Config())
    by_heading = {(c.page, c.heading): c for c in index.chunks}
    order = [("prism", "Build"), ("lens", "Hardware"), ("prism", "Notes"), ("prism", ""), ("lens", "Flags")]
    sections = [(by_heading[k], index.section_of(by_heading[k])) for k in order]
    commands = gather_commands(sections, {1, 2}, {})
    assert [(c.command, c.section) for c in commands] == [("-arch=zr_70", 1), ("-arch=zr_35", 5)]


def test_a_command_whose_printed_output_answers_the_question_comes_first(tmp_path):
    session = (
        "```\n[juser@picotte001 ~]$ module load widget/2.0\n[juser@picotte001 ~]$ widget-env on\n"
        "[juser@picotte001 ~]$ widget --selftest\nAll 3 kernels pass; results match the reference.\n```"
    )
    write_pages(
        tmp_path, {"widget": f"# Widget\n\n## Installed Versions\n\nWidget 2.0 is set up so:\n\n{session}\n"}
    )
    result = desk_over(tmp_path).ask("after loading widget, how do I check its kernels match the reference?")
    assert result["commands"][0]["command"] == "widget --selftest"


def test_output_lines_are_read_per_command_and_not_from_an_interpreter():
    from wikidesk.commands import prompt_outputs

    text = "$ widget --version\nWidget 2.0\n\n$ python3\n>>> import widget\n$ ls\nout.dat"
    assert prompt_outputs(text) == {"widget --version": "Widget 2.0", "ls": "out.dat"}


def test_a_command_two_cited_sections_show_is_offered_once(tmp_path):
    (tmp_path / "widget.md").write_text(
        "# Widget\n\n## Build\n\nBuild the widget in parallel:\n\n    make -j 8\n\n"
        "## Rebuild\n\nRebuild the widget after an update the same way:\n\n    make clean\n    make -j 8\n",
        encoding="utf-8",
    )
    desk = desk_over(tmp_path)
    result = desk.ask("build or rebuild the widget")
    assert {c["section"] for c in result["citations"]} == {"Build", "Rebuild"}
    commands = [c["command"] for c in result["commands"]]
    assert sorted(commands) == ["make -j 8", "make clean"]


# --------------------------------------------------------------------------- obsolete text


def test_struck_out_text_is_never_in_the_answer_or_the_commands(fixture_desk):
    result = fixture_desk.ask("where did my quantasim trajectories go on proteus, purged each sunday?")
    assert result["answered"]
    assert result["citations"][0]["heading_path"] == ["Proteus", "Running QuantaSim"]
    assert "Sunday" not in result["answer"] and "purged" not in result["answer"]
    assert not [c for c in result["commands"] if "qsub" in c["command"]]


def test_a_wholly_struck_top_section_is_cited_not_quoted_and_the_answer_says_why(tmp_path):
    from tests.test_corpus import STRUCK_ACROSS_HEADINGS

    write_pages(tmp_path, {"widget": STRUCK_ACROSS_HEADINGS, "other": "# Other\n\nGraphs of queues.\n"})
    desk = desk_over(tmp_path)
    result = desk.ask("widget job script vendor intel")
    assert result["citations"][0]["heading_path"] == ["Installed Versions", "Job Script"]
    assert "Ask before running it" not in result["answer"]
    assert not [c for c in result["commands"] if "vendor=intel" in c["command"]]
    assert any("obsolete" in w and "[1]" in w for w in result["warnings"])
    current = desk.ask("which widget module is installed on picotte")
    assert not any("obsolete" in w for w in current["warnings"])


# --------------------------------------------------------------------------- abstention


@pytest.mark.parametrize("question", ["asdf qwerty zxcv", "where do I buy a parking permit"])
def test_abstains_on_nonsense_and_off_topic_questions(desk, question):
    result = desk.ask(question)
    assert result["answered"] is False
    assert result["answer"] == NOT_FOUND
    assert "ticket" in result["answer"]
    assert result["commands"] == []
    assert result["confidence"] < desk.config.min_confidence
    assert isinstance(result["citations"], list)


def test_confidence_features_are_shares_so_a_long_question_is_not_distrusted_for_its_length():
    from wikidesk.answer import Evidence

    short = Evidence(0.8, 0.5, 0.6, unknown=1, known=3, novelty=0.5, page_named=0.4)
    long = Evidence(0.8, 0.5, 0.6, unknown=3, known=9, novelty=1.5, page_named=0.4)
    assert short.features()[3] == long.features()[3] == 0.25  # unknown share
    assert short.features()[5] == long.features()[5] == 0.5  # mean novelty of the unknown words
    assert Evidence(0.0, 0.0, 0.0, unknown=2, known=0, novelty=2.0).features()[3] == 1.0


def test_a_tool_the_pages_lead_names_counts_as_naming_the_page(tmp_path):
    from wikidesk.answer import evidence

    write_pages(
        tmp_path,
        {
            "widgetkit": "# WidgetKit\n\nWidgetKit bundles barCounter (a read tallier) and GPUs drivers.\n\n"
            "## Installed Version\n\nUse the modulefile `widgetkit/1.2`.\n",
            "other": "# Other\n\nA read tallier for queues.\n",
        },
    )
    config = Config()
    index = build_eval_index([tmp_path], config)
    desk = Wikidesk(index, config)
    named = evidence(*desk.searcher.search("barcounter module"), index)
    assert named.page_named > 0
    plain = evidence(*desk.searcher.search("tallier module"), index)
    assert plain.page_named == 0
    assert evidence(*desk.searcher.search("gpus module"), index).page_named == 0


def test_a_titles_initials_name_the_page_only_where_the_page_uses_them(tmp_path):
    from wikidesk.answer import page_names

    write_pages(
        tmp_path,
        {
            "widget_numeric_library": "# Widget Numeric Library\n\nLink with `-lwnl` against libwnl.\n",
            "sample_widget_datasets": "# Sample Widget Datasets\n\nStandard inputs, installed for tests.\n",
        },
    )
    index = build_eval_index([tmp_path], Config())
    assert "wnl" in page_names(index, "widget_numeric_library")
    assert "swd" not in page_names(index, "sample_widget_datasets")


def test_confidence_is_above_the_threshold_for_the_seed_question(desk):
    result = desk.ask(SEED_QUESTION)
    assert desk.config.min_confidence <= result["confidence"] <= 1.0


# --------------------------------------------------------------------------- warnings


def test_citing_a_proteus_section_warns_that_proteus_is_decommissioned(fixture_desk):
    result = fixture_desk.ask("quantasim modulefile on proteus")
    assert result["answered"]
    assert [w for w in result["warnings"] if "Proteus" in w and DECOMMISSIONED in w]
    assert len(result["warnings"]) == len(set(result["warnings"]))


def test_python_2_content_warns_about_end_of_life(fixture_desk):
    result = fixture_desk.ask("can I still run my python 2 scripts")
    assert result["answered"]
    assert result["citations"][0]["heading_path"] == ["Python 2 Scripts"]
    assert [w for w in result["warnings"] if "Python 2" in w and END_OF_LIFE in w]


@pytest.mark.parametrize("question", ["running quantasim on picotte", "quantasim modulefile on picotte"])
def test_picotte_only_answer_has_no_warnings(fixture_desk, question):
    result = fixture_desk.ask(question)
    assert result["answered"]
    assert result["citations"][0]["heading_path"][0] == "Picotte"
    assert result["warnings"] == []


def test_seed_answer_about_picotte_has_no_warnings(desk):
    assert desk.ask(SEED_QUESTION)["warnings"] == []


def test_follow_up_answers_for_the_cluster_it_names_and_says_how_it_was_read(fixture_desk):
    result = fixture_desk.ask(
        "and on Proteus?", history=["which quantasim modulefile should I load on Picotte?"]
    )
    assert "quantasim" in result["interpreted_as"] and "Picotte" not in result["interpreted_as"]
    assert result["citations"][0]["heading_path"] == ["Proteus", "Installed Versions"]
    assert [c["command"] for c in result["commands"]][:1] == ["module load quantasim/3.1"]
    assert any(DECOMMISSIONED in w for w in result["warnings"])
