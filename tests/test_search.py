"""Query understanding and ranking: technical tokens, synonyms, spelling, clusters, diversity,
fusion and follow-up questions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from tests.wikis import write_pages

from wikidesk.analysis import analyze
from wikidesk.answer import compose, confidence
from wikidesk.chunking import Chunk
from wikidesk.config import Config
from wikidesk.evaluate import build_eval_index
from wikidesk.index import Index
from wikidesk.search import (
    Hit,
    Lexicon,
    Searcher,
    _chars_df,
    analyze_query,
    cluster_factors,
    contextualize,
    correct,
    diversify,
    fuse,
    keyword_search,
    load_lexicon,
    reports_a_problem,
    rerank_candidates,
    within_budget,
)

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "corpus"
ANSWERS = ROOT / "tests" / "fixtures" / "answers"
CONFIG = Config()


@pytest.fixture(scope="module")
def seed_index() -> Index:
    return build_eval_index([SEED], CONFIG)


@pytest.fixture(scope="module")
def answers_index() -> Index:
    return build_eval_index([ANSWERS], CONFIG)


def top_sections(index: Index, question: str, config: Config = CONFIG, k: int = 5) -> list[tuple[str, ...]]:
    _, hits = Searcher(index, config).search(question, k=k)
    return [(h.chunk.page, *h.chunk.heading_path) for h in hits]


def weights(index: Index, question: str, lexicon: Lexicon | None = None) -> dict[str, float]:
    query = Searcher(index, CONFIG, lexicon).query(question)
    return {index.terms[t]: w for t, w in query.terms.items()}


# --------------------------------------------------------------------------- technical tokens


def test_modulefile_in_a_question_matches_whole_and_by_its_parts(seed_index):
    terms = weights(seed_index, "python/gcc/3.11")
    assert {"python/gcc/3.11", "python", "gcc", "3.11"} <= terms.keys()
    assert all(terms[t] == 1.0 for t in ("python/gcc/3.11", "gcc", "3.11"))


def test_version_part_alone_finds_the_section_listing_that_modulefile(seed_index):
    assert top_sections(seed_index, "3.11")[0] == ("python", "Picotte", "Locally-Installed Versions")


def test_option_with_dashes_is_a_term_of_its_own(seed_index):
    terms = weights(seed_index, "pip --user flag")
    assert "--user" in terms and "user" in terms


# --------------------------------------------------------------------------- synonyms


@pytest.mark.parametrize(
    ("typed", "synonym"), [("virtualenv", "venv"), ("anaconda", "conda"), ("cuda", "gpu")]
)
def test_synonym_is_searched_with_less_weight_than_the_users_word(seed_index, typed, synonym):
    terms = weights(seed_index, typed)
    assert terms[typed] == 1.0
    assert terms[synonym] == pytest.approx(CONFIG.synonym_weight)
    assert terms[synonym] < terms[typed]


def test_synonyms_widen_recall_but_the_users_own_word_ranks_first(tmp_path):
    wiki = write_pages(
        tmp_path / "wiki",
        {
            "envs": "# Environments\n\n## Group venvs\n\nA venv in the group folder can serve the whole lab."
            "\n\n## Old virtualenv tool\n\nThe virtualenv tool predates the built-in module.\n",
            "other": "# Storage\n\n## Quotas\n\nHome folders hold 64 GiB.\n",
        },
    )
    index = build_eval_index([wiki], CONFIG)
    bm25f = CONFIG.replace(fusion="bm25")

    def lexical(lexicon: Lexicon | None) -> dict[str, float]:
        _, hits = Searcher(index, bm25f, lexicon).search("virtualenv", k=5)
        return {h.chunk.heading: h.lexical for h in hits}

    with_synonyms = lexical(None)
    assert next(iter(with_synonyms)) == "Old virtualenv tool"
    assert with_synonyms.get("Group venvs", 0) > 0
    assert lexical(Lexicon(())).get("Group venvs", 0) == 0


def test_lexicon_phrase_of_stopwords_stands_in_for_the_users_words(seed_index):
    terms = weights(seed_index, "which should I use")
    assert terms.get("recommend") == 1.0


# --------------------------------------------------------------------------- spelling


def test_unknown_word_is_corrected_toward_a_frequent_vocabulary_word(seed_index):
    assert correct("anacoda", seed_index) == "anaconda"
    query = Searcher(seed_index, CONFIG).query("anacoda home quota")
    assert query.corrections == {"anacoda": "anaconda"}
    assert weights(seed_index, "anacoda home quota")["anaconda"] < 1.0


def test_a_doubled_last_letter_is_a_typo_but_other_endings_are_word_forms(seed_index):
    assert correct("anacondaa", seed_index) == "anaconda"
    assert correct("pythonn", seed_index) == "python"
    assert correct("quotas", seed_index) is None  # "quota" plus an ending: a word form, not a typo


def test_a_name_typed_without_its_hyphen_is_found_however_short(tmp_path):
    index = program_index(tmp_path, "vortx", "# Vortx\n\nVortx runs K-nn and ls-vx searches on GPUs.\n")
    assert correct("knn", index) == "k-nn"
    assert correct("lsvx", index) == "ls-vx"
    assert correct("kxn", index) is None  # three letters are too few for a real correction


def test_a_mistyped_plural_is_corrected_as_its_singular(tmp_path):
    index = program_index(
        tmp_path, "spades", "# SPAdes\n\nSPAdes assembles genomes. Load the spades module.\n"
    )
    assert index.vocab.get("spade") is not None
    assert correct("spdes", index) == "spade"


def test_a_name_with_its_version_run_on_finds_the_name_and_the_version(tmp_path):
    index = program_index(
        tmp_path, "lensnet", "# LensNet\n\nRun the LensNet model (version 50) on a GPU node.\n"
    )
    query = Searcher(index, CONFIG).query("lensnet50 on gpu")
    assert query.unknown == ()
    assert query.corrections == {"lensnet50": "lensnet 50"}
    assert top_sections(index, "lensnet50 on gpu")[0] == ("lensnet",)


@pytest.mark.parametrize("word", ["conda", "python", "quota"])
def test_known_words_are_not_corrected(seed_index, word):
    assert word in seed_index.vocab
    assert Searcher(seed_index, CONFIG).query(f"{word} help").corrections == {}


@pytest.mark.parametrize("word", ["3.12", "2.7.99", "v3.13"])
def test_version_numbers_are_not_corrected(seed_index, word):
    assert correct(word, seed_index) is None
    assert Searcher(seed_index, CONFIG).query(f"python {word}").corrections == {}


def test_typo_question_still_finds_the_right_section(seed_index):
    assert top_sections(seed_index, "pyhton 3.11 modulefile picote")[0][:2] == ("python", "Picotte")


def test_contractions_typed_without_the_apostrophe_are_function_words(tmp_path):
    index = program_index(tmp_path, "vortx", "# Vortx\n\nVortx meshes a cavity for a solver.\n")
    query = Searcher(index, CONFIG).query(
        "im meshing a cavity with vortx, doesnt it need a solver? i dont know"
    )
    assert query.unknown == ()
    assert query.corrections == {}


def test_everyday_words_the_wiki_lacks_are_neither_corrected_nor_unknown(tmp_path):
    index = program_index(tmp_path, "vortx", "# Vortx\n\nVortx meshes a cavity for a solver.\n")
    query = Searcher(index, CONFIG).query("vortx meshing takes forever whenever I try it")
    assert query.unknown == ()
    assert query.corrections == {}
    assert "vortx" in weights(index, "vortx meshing takes forever whenever I try it")


def test_topic_words_the_wiki_lacks_still_count_as_unknown(tmp_path):
    index = program_index(tmp_path, "vortx", "# Vortx\n\nVortx meshes a cavity for a solver.\n")
    assert Searcher(index, CONFIG).query("vortx weather tomorrow").unknown == ("weather", "tomorrow")


def test_a_lexicon_word_the_wiki_never_uses_searches_for_its_group_and_stays_unknown(tmp_path):
    index = program_index(
        tmp_path, "vortx", "# Vortx\n\n## Prerequisites\n\nVortx needs a Fortran compiler.\n"
    )
    lexicon = Lexicon.parse("prerequisites, prereqs")
    query = Searcher(index, CONFIG, lexicon).query("vortx prereqs")
    assert index.terms and "prerequisit" in {index.terms[t] for t in query.terms}
    assert query.unknown == ("prereqs",)
    assert query.corrections == {}


def test_shorthand_reads_as_the_word_it_stands_for(tmp_path):
    index = program_index(
        tmp_path, "vortx", "# Vortx\n\nRemove a Vortx environment with all its packages, including caches.\n"
    )
    query = Searcher(index, CONFIG).query("remove vortx environment incl all pkgs")
    assert query.unknown == () and query.corrections == {}
    assert {"packag", "includ"} <= {index.terms[t] for t in query.own}


@pytest.mark.parametrize("question", ["run my .m script headless", "run analysis.m headless"])
def test_a_files_extension_names_its_program(tmp_path, question):
    index = program_index(tmp_path, "matlab", "# MATLAB\n\nMATLAB runs headless with -batch.\n")
    assert "matlab" in {index.terms[t] for t in Searcher(index, CONFIG).query(question).own}
    assert "matlab" not in {index.terms[t] for t in Searcher(index, CONFIG).query("run it headless").own}


def test_a_word_inside_a_camel_case_name_finds_it_and_the_name_finds_its_page(tmp_path):
    index = program_index(
        tmp_path,
        "vortx",
        "# Vortx\n\n## Usage\n\nRegister your data with a vortx session.\n\n"
        "## Setup\n\nRun `IRkernel::installspec()` once.\n",
    )
    assert top_sections(index, "vortx kernel")[0][:2] == ("vortx", "Setup")
    query = Searcher(index, CONFIG).query("vortxCreate fails")
    assert "vortx" in {index.terms[t] for t in query.own}


def test_shorthand_the_wiki_itself_writes_is_kept(tmp_path):
    index = program_index(tmp_path, "vortx", "# Vortx\n\nVortx keeps its pkgs under ~/.vortx/pkgs.\n")
    terms = {index.terms[t] for t in Searcher(index, CONFIG).query("vortx pkgs").own}
    assert "pkgs" in terms or "pkg" in terms
    assert "packag" not in terms


@pytest.mark.parametrize(
    ("nickname", "term"), [("sklearn", "scikit-learn"), ("gmx", "gromac"), ("obabel", "openbabel")]
)
def test_the_shipped_lexicon_knows_programs_by_their_nicknames(nickname, term):
    assert term in load_lexicon().expand([nickname])


@pytest.mark.parametrize("words", [["get", "rid", "of"], ["delete"], ["clean", "up"]])
def test_the_shipped_lexicon_reads_getting_rid_of_a_thing_as_removing_it(words):
    analysed = [t for w in words for t in analyze(w)]
    assert "remov" in load_lexicon().expand(analysed, words)


def test_a_nickname_the_wiki_barely_uses_searches_for_the_title_it_stands_for(tmp_path):
    """ "spk" is Spectra-kit's nickname; the wiki writes it only inside a venv's path, so the
    title it stands for is searched at full weight, not a synonym's."""
    pages = {
        "spectra-kit": "# Spectra-kit\n\nFits spectra.\n\n## Installed Versions\n\nOn picotte, use the modulefile `spectra-kit/2.0`.\n",
        "venvs": "# Venvs\n\n## Another venv\n\nMake one for plotting on picotte:\n\n    python3 -m venv ~/py310-spk\n",
    }
    index = build_eval_index([write_pages(tmp_path, pages)], CONFIG)
    lexicon = Lexicon.parse("spectra-kit, spk")
    assert weights(index, "spk on picotte", lexicon)["spectra-kit"] == 1.0
    _, hits = Searcher(index, CONFIG, lexicon).search("spk on picotte")
    assert hits[0].chunk.page == "spectra-kit"
    # a word the wiki uses in several sections calls its synonyms in at a synonym's weight
    index = build_eval_index(
        [write_pages(tmp_path, {f"plot{n}": "# Plots\n\nPlotting is slow.\n" for n in range(3)})], CONFIG
    )
    assert weights(index, "plotting on picotte", Lexicon.parse("spectra-kit, plotting"))["spectra-kit"] < 1.0


def test_an_everyday_word_the_wiki_uses_is_searched(tmp_path):
    index = program_index(tmp_path, "vortx", "# Vortx\n\nVortx always meshes a cavity.\n")
    assert "alway" in weights(index, "does vortx always mesh")


@pytest.mark.parametrize(
    ("british", "term"),
    [("utilisation", "util"), ("colour", "color"), ("centre", "center"), ("modelling", "model")],
)
def test_british_spelling_finds_the_american_word(tmp_path, british, term):
    index = program_index(
        tmp_path, "glow", "# Glow\n\nGlow shows the utilization, color and center of a modeling run.\n"
    )
    query = Searcher(index, CONFIG).query(f"glow {british}")
    assert query.unknown == ()
    assert weights(index, f"glow {british}")[term] == 1.0


@pytest.mark.parametrize("word", ["four", "rise", "your", "hour"])
def test_words_that_only_look_british_are_left_alone(word):
    from wikidesk.analysis import stem
    from wikidesk.search import american

    vocab = {stem(w): n for n, w in enumerate(["for", "rize", "yor", "hor"])}
    assert american(word, vocab) is None


def test_a_title_typed_as_one_word_counts_as_a_title_match(tmp_path):
    from wikidesk.answer import evidence

    index = program_index(
        tmp_path, "deep_sky", "# Deep Sky\n\nDeep Sky stacks telescope frames. Its module is deepsky/1.0.\n"
    )
    query, hits = Searcher(index, CONFIG).search("deepsky frames", k=3)
    assert hits[0].chunk.page == "deep_sky"
    assert evidence(query, hits, index).title_match > 0
    assert evidence(query, hits, index).page_named > 0


def test_a_heading_match_is_not_the_page_being_named(tmp_path):
    from wikidesk.answer import evidence

    index = program_index(tmp_path, "deep_sky", "# Deep Sky\n\nIntro.\n\n## Stacking Frames\n\nIt stacks.\n")
    query, hits = Searcher(index, CONFIG).search("stacking frames", k=3)
    assert hits[0].chunk.heading_path == ("Stacking Frames",)
    assert evidence(query, hits, index).title_match > 0
    assert evidence(query, hits, index).page_named == 0


def subject_index(tmp_path: Path) -> Index:
    """A program page, and a busier page sharing the everyday words of a question about it."""
    groups = {  # pages where "lab" is an ordinary word
        f"group{n}": f"# Group {n}\n\nEvery lab stores its data under its lab folder. A job that lands on a "
        "compute node without the folder may crash.\n"
        for n in range(3)
    }
    pages = {
        "zephyrix": "# Zephyrix\n\nZephyrix fits spectra.\n\n## Known Issues\n\n"
        "Builds made on one processor family may stop on another.\n",
        "scheduler": "# Scheduler Notes\n\nA job may crash when it lands on a compute node with too little "
        "memory.\n",
        **groups,
        "lab_tool": "# Lab Tool\n\nLab Tool draws plots.\n",
    }
    return build_eval_index([write_pages(tmp_path, pages)], CONFIG)


SUBJECT_QUESTION = "my zephyrix job crashes when it lands on a compute node"


def test_a_question_naming_a_page_prefers_that_page(tmp_path):
    index = subject_index(tmp_path)
    assert top_sections(index, SUBJECT_QUESTION, CONFIG.replace(subject_boost=0.0))[0][0] == "scheduler"
    assert top_sections(index, SUBJECT_QUESTION)[0][0] == "zephyrix"


def test_a_title_word_used_mostly_elsewhere_names_no_page(tmp_path):
    from wikidesk.search import named_pages

    index = subject_index(tmp_path)
    searcher = Searcher(index, CONFIG)
    zephyrix = named_pages(index, searcher.query("zephyrix crash"), CONFIG)
    assert len(zephyrix) == 1
    assert named_pages(index, searcher.query("where is my lab folder"), CONFIG) == frozenset()
    assert named_pages(index, searcher.query("job on a compute node"), CONFIG) == frozenset()


def test_a_page_is_named_by_the_initials_it_goes_by(tmp_path):
    """ "FSL" names the Fast Spectra Library's page, which uses it, though two build pages that
    need the library say "fsl" too; a question naming it has that page's sections lifted."""
    from wikidesk.search import _title_table, named_pages

    pages = {
        "fast_spectra_library": "# Fast Spectra Library\n\nThe Fast Spectra Library (FSL) fits spectra.\n\n"
        "## Installed Versions\n\nFSL 2.1 is installed.\n\n## Linking\n\nLink with -lfsl.\n",
        "beamline": "# Beamline\n\n## Prerequisites\n\nBeamline needs fsl and a C compiler for its code.\n",
        "photon": "# Photon\n\n## Prerequisites\n\nPhoton needs fsl, built with the same compiler.\n",
    }
    index = build_eval_index([write_pages(tmp_path, pages)], CONFIG)
    searcher = Searcher(index, CONFIG)
    (named,) = named_pages(index, searcher.query("I need fsl for my C code"), CONFIG)
    assert {index.chunks[i].page for i in _title_table(index).chunks_of[named]} == {"fast_spectra_library"}


def test_a_module_question_naming_a_page_gets_its_module_over_a_prerequisite_list(tmp_path):
    """ "fsl module" first finds a build page whose 'Modules' section lists FSL among what it
    needs; that page offers no module of its own, so the module of the page the question names
    (by its initials) is lifted instead, and answers to confidence through that page."""
    pages = {
        "fast_spectra_library": "# Fast Spectra Library\n\nThe Fast Spectra Library (FSL) fits spectra.\n\n"
        "## Installed Versions\n\nFSL 2.1 is built with GCC. Use the modulefile:\n\n`    fsl/gcc/2.1`\n\n"
        "## Linking\n\nLink with -lfsl.\n",
        "beamline": "# Beamline\n\n## Modules\n\nHave these at hand before compiling: fsl, blas, lapack.\n",
    }
    index = build_eval_index([write_pages(tmp_path, pages)], CONFIG)
    hits = candidates(
        index,
        ("beamline", "Modules", 1.0),
        ("fast_spectra_library", "Linking", 0.95),
        ("fast_spectra_library", "Installed Versions", 0.9),
    )
    prerequisites, linking, module = (h.chunk for h in hits)
    query = Searcher(index, CONFIG).query("fsl module")
    ranked = rerank_candidates(index, query, CONFIG.replace(module_boost=0.25), hits)
    assert [h.chunk for h in ranked] == [module, prerequisites, linking]
    assert ranked[0].via is linking
    # a module question that names no such page keeps the best candidate's page alone
    plain = Searcher(index, CONFIG).query("blas module")
    assert [h.chunk for h in rerank_candidates(index, plain, CONFIG, hits)] == [
        prerequisites,
        linking,
        module,
    ]


# --------------------------------------------------------------------------- clusters


def test_question_naming_proteus_prefers_the_proteus_section(answers_index):
    assert top_sections(answers_index, "quantasim modulefile on proteus")[0] == (
        "quantasim",
        "Proteus",
        "Installed Versions",
    )


def test_question_naming_picotte_prefers_the_picotte_section(answers_index):
    assert top_sections(answers_index, "running quantasim on picotte")[0] == (
        "quantasim",
        "Picotte",
        "Running QuantaSim",
    )


def test_question_naming_no_cluster_prefers_picotte_over_proteus(answers_index):
    no_preference = CONFIG.replace(retired_penalty=0.0, cluster_boost=0.0)
    # The words alone favour the Proteus section; the preference must overturn that.
    assert top_sections(answers_index, "quantasim modulefile", no_preference)[0][1] == "Proteus"
    assert top_sections(answers_index, "quantasim modulefile")[0] == (
        "quantasim",
        "Picotte",
        "Installed Versions",
    )


def test_retired_clusters_come_from_configuration(answers_index):
    swapped = CONFIG.replace(current_clusters=("Proteus",), retired_clusters=("Picotte",))
    assert top_sections(answers_index, "running quantasim", swapped)[0][1] == "Proteus"


# --------------------------------------------------------------------------- module questions

FROBNIK = """---
title: Frobnik
---

**Frobnik** is a compression tool for tensor data.

Installed Versions
------------------

Version 2.1 is installed. Use the modulefile:

`    frobnik/gcc/2.1`

See Also
--------

-   [Frobnik archives explained](https://frobnik.example/)
"""


@pytest.fixture(scope="module")
def frobnik_index(tmp_path_factory) -> Index:
    zorble = "# Zorble\n\nZorble plots graphs.\n\n## Installed Versions\n\nUse the modulefile:\n\n`    zorble/1.0`\n"
    pages = {"frobnik": FROBNIK, "other": "# Other\n\nArchives of tensors elsewhere.\n", "zorble": zorble}
    return build_eval_index([write_pages(tmp_path_factory.mktemp("frobnik"), pages)], CONFIG)


def test_asking_for_a_module_prefers_the_section_that_gives_one(frobnik_index):
    question = "frobnik compression modulefile"
    assert Searcher(frobnik_index, CONFIG).query(question).wants_module
    assert top_sections(frobnik_index, question)[0] == ("frobnik", "Installed Versions")
    off = CONFIG.replace(module_boost=0.0, installation_first=False)
    assert top_sections(frobnik_index, question, off)[0] == ("frobnik",)


def test_module_preference_wants_the_pages_own_module_not_a_build_dependencys(tmp_path):
    index = program_index(
        tmp_path,
        "quux",
        "# Quux\n\nQuux assembles genomes over MPI.\n\n"
        "## Configure\n\nLoad the modulefile `openmpi/gcc/4.1` first.\n\n"
        "## Locally Installed Version\n\nQuux 2.3 is installed; use the modulefile `quux/gcc/2.3`.\n",
    )
    assert top_sections(index, "quux modulefile")[0] == ("quux", "Locally Installed Version")
    everything = CONFIG.replace(module_boost=0.0, installation_first=False)
    assert top_sections(index, "quux modulefile", everything)[0] != ("quux", "Locally Installed Version")


def test_module_preference_does_not_lift_a_page_the_question_is_not_about(frobnik_index):
    tops = top_sections(frobnik_index, "frobnik compression modulefile", CONFIG.replace(module_boost=5.0))
    assert tops[0] == ("frobnik", "Installed Versions")
    assert tops.index(("zorble", "Installed Versions")) > tops.index(("frobnik",))


def candidates(index: Index, *picks: tuple[str, str, float]) -> list[Hit]:
    """Search candidates made by hand: (page, heading, score) in the order given."""
    chunk = {(c.page, c.heading): c for c in index.chunks}
    return [Hit(chunk[(page, heading)], score) for page, heading, score in picks]


def test_module_preference_lifts_only_the_best_candidates_page_and_keeps_its_evidence(frobnik_index):
    hits = candidates(
        frobnik_index,
        ("frobnik", "", 1.0),
        ("zorble", "Installed Versions", 0.9),
        ("frobnik", "Installed Versions", 0.6),
    )
    lead, other, own = (h.chunk for h in hits)
    query = Searcher(frobnik_index, CONFIG).query("frobnik compression modulefile")
    ranked = rerank_candidates(frobnik_index, query, CONFIG.replace(module_boost=1.0), hits)
    assert [h.chunk for h in ranked] == [own, lead, other]
    assert ranked[0].score == pytest.approx(1.2) and ranked[2].score == 0.9
    assert ranked[0].via is lead and ranked[0].evidence is lead and ranked[1].via is None


def test_questions_not_about_modules_keep_their_order(frobnik_index):
    question = "what does frobnik compression do?"
    assert not Searcher(frobnik_index, CONFIG).query(question).wants_module
    assert top_sections(frobnik_index, question)[0] == ("frobnik",)


# --------------------------------------------------------------------------- keyword searches


def test_keyword_search_for_a_program_shows_its_installation_section_then_its_lead(frobnik_index):
    tops = top_sections(frobnik_index, "frobnik tensor compression")
    assert tops[:2] == [("frobnik", "Installed Versions"), ("frobnik",)]
    off = CONFIG.replace(installation_first=False)
    assert top_sections(frobnik_index, "frobnik tensor compression", off)[0] == ("frobnik",)


def test_promoted_section_is_trusted_as_much_as_the_lead_that_matched(frobnik_index):
    question = "frobnik tensor compression"
    searcher = Searcher(frobnik_index, CONFIG)
    query, hits = searcher.search(question)
    _, plain = Searcher(frobnik_index, CONFIG.replace(installation_first=False)).search(question)
    assert hits[0].chunk.heading == "Installed Versions" and hits[0].via == plain[0].chunk
    assert confidence(query, hits, frobnik_index) == confidence(query, plain, frobnik_index)
    result = compose(question, query, hits, frobnik_index, CONFIG)
    assert result["answered"] and result["commands"][0]["command"] == "module load frobnik/gcc/2.1"


@pytest.mark.parametrize(
    "question", ["is there anything for frobnik tensor compression?", "is frobnik compression installed?"]
)
def test_a_question_asking_whether_a_program_is_there_shows_its_installation_section_first(
    frobnik_index, question
):
    assert top_sections(frobnik_index, question)[0] == ("frobnik", "Installed Versions")


def test_a_question_asking_for_the_module_shows_the_installation_section_first(frobnik_index):
    question = "what module do I load for frobnik tensor compression?"
    assert top_sections(frobnik_index, question)[:2] == [("frobnik", "Installed Versions"), ("frobnik",)]


@pytest.mark.parametrize(
    "question",
    [
        "what is frobnik compression?",
        "how do I use frobnik compression",
        "frobnik compression fails on my tensors",
        "frobnik compression doesn't start",
    ],
)
def test_questions_and_problem_reports_keep_the_lead_first(frobnik_index, question):
    assert top_sections(frobnik_index, question)[0] == ("frobnik",)


@pytest.mark.parametrize(
    ("text", "keywords"),
    [
        ("restic backup", True),
        ("frobnik tensor compression library", True),
        ("is restic installed?", False),
        ("how to back up with restic", False),
        ("my backup crashes", False),
        ("restic won't restore", False),
        ("restic backup snapshots prune forget retention policy tags hosts paths", False),
    ],
)
def test_keyword_search_is_a_few_words_without_question_or_problem_wording(seed_index, text, keywords):
    assert keyword_search(Searcher(seed_index, CONFIG).query(text)) is keywords


def program_index(tmp_path: Path, name: str, markdown: str) -> Index:
    """An index of one program page and an unrelated page."""
    pages = {name: markdown, "other": "# Other\n\nNothing to see.\n"}
    return build_eval_index([write_pages(tmp_path, pages)], CONFIG)


def test_a_question_the_lead_answers_has_the_installation_section_second(tmp_path):
    """The installation section shares no word with the question, and another page shares
    several, yet how to get the program is what the user acts on next."""
    pages = {
        "quark": "# Quark\n\nQuark fits curves on GPU nodes with CUDA.\n\n"
        "## Installed Version\n\nIt lives in the `py37` conda environment:\n\n`    conda activate py37`\n",
        "gpu_notes": "# GPU Notes\n\n## Fitting\n\nCurve fits on GPU nodes run faster with CUDA.\n",
    }
    index = build_eval_index([write_pages(tmp_path, pages)], CONFIG)
    question = "how does quark fit curves on the GPU nodes with CUDA"
    assert top_sections(index, question)[:2] == [("quark",), ("quark", "Installed Version")]
    off = CONFIG.replace(installation_first=False)
    assert top_sections(index, question, off)[:2] == [("quark",), ("gpu_notes", "Fitting")]


def test_a_lead_that_gives_the_module_itself_stays_first(tmp_path):
    index = program_index(
        tmp_path,
        "quux",
        "# Quux\n\nQuux renders meshes. Load it with:\n\n`    module load quux/3.0`\n\n"
        "## Installed Versions\n\nquux/3.0 and quux/2.0 are installed.\n",
    )
    assert top_sections(index, "quux mesh rendering")[0] == ("quux",)


def test_a_page_without_an_installation_section_keeps_its_lead_first(tmp_path):
    index = program_index(
        tmp_path, "glim", "# Glim\n\nGlim is a lighting simulator.\n\n## Running\n\nStart it with glim run.\n"
    )
    assert top_sections(index, "glim lighting simulator")[0] == ("glim",)


def test_installation_section_of_the_current_cluster_comes_before_a_retired_ones(tmp_path):
    index = program_index(
        tmp_path,
        "wibl",
        "# Wibl\n\nWibl aligns short reads.\n\n## Proteus\n\n### Installed Versions\n\n"
        "`    wibl/1.0`\n\n## Picotte\n\n### Installed Versions\n\n`    wibl/2.0`\n",
    )
    assert top_sections(index, "wibl short read aligner")[0] == ("wibl", "Picotte", "Installed Versions")
    named = top_sections(index, "wibl short read aligner proteus")[0]
    assert named == ("wibl", "Proteus", "Installed Versions")


GLOBBER = """# Globber

Globber merges sequencing reads into contigs.

## Running

Run globber on a FASTQ file with one thread per core; the contigs are written next to the reads.

## Known Issues

The Python bindings of this build cannot be loaded by scripts; call the command-line program.
"""


def test_a_problem_report_prefers_the_pages_known_issues_section(tmp_path):
    index = program_index(tmp_path, "globber", GLOBBER)
    report = "globber python fails on a core"
    assert top_sections(index, report)[0] == ("globber", "Known Issues")
    assert top_sections(index, report, CONFIG.replace(trouble_boost=0.0))[0] == ("globber", "Running")
    assert top_sections(index, "how do I run globber python on my reads")[0] == ("globber", "Running")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("vina fails with a segfault", True),
        ("conda activate doesn't work in my job", True),
        ("conda activate doesnt work in my job", True),
        ("i cant load the module", True),
        ("blasr crashes with several threads", True),
        ("pw.x hangs on two nodes", True),
        ("how do I run vina on two nodes", False),
        ("which errand module", False),
        ("i want the current print driver", False),
    ],
)
def test_problem_reports_are_told_apart_from_how_to_questions(text, problem):
    assert reports_a_problem(text) is problem


FORGE = """# Widget Forge

The widget forge turns drawings into widgets.

## Building

Run `forge build` in the drawing's folder; the widget appears in `out/`.

## See Also

-   [Forge build options for GPU widgets](https://forge.example/gpu)
-   [Widget gallery](https://forge.example/gallery)
"""


def test_see_also_links_do_not_outrank_the_section_that_answers(tmp_path):
    index = program_index(tmp_path, "forge", FORGE)
    question = "forge build options gpu widgets"
    assert top_sections(index, question)[0] == ("forge", "Building")
    assert top_sections(index, question, CONFIG.replace(navigation_penalty=1.0))[0] == ("forge", "See Also")


# --------------------------------------------------------------------------- diversity


def _hit(page: str, n: int, score: float) -> Hit:
    chunk = Chunk(n, page, page.title(), n, f"s{n}", (f"s{n}",), f"s{n}", (0, 1), "text")
    return Hit(chunk, score)


def test_one_page_takes_at_most_max_per_page_top_places():
    hits = [_hit("a", 0, 9), _hit("a", 1, 8), _hit("a", 2, 7), _hit("b", 3, 3)]
    assert [h.chunk.page for h in diversify(hits, 4, per_page=2)] == ["a", "a", "b", "a"]


def test_a_barely_matching_page_does_not_push_strong_sections_down():
    hits = [_hit("a", 0, 9), _hit("a", 1, 8), _hit("a", 2, 7), _hit("b", 3, 0.5)]
    assert [h.chunk.page for h in diversify(hits, 4, per_page=2)] == ["a", "a", "a", "b"]


def test_one_page_fills_the_list_when_nothing_else_matches():
    hits = [_hit("a", i, 9 - i) for i in range(4)]
    assert [h.chunk.section for h in diversify(hits, 4, per_page=2)] == [0, 1, 2, 3]


def test_ranked_list_holds_another_page_after_max_per_page_sections():
    index = build_eval_index([SEED, ANSWERS], CONFIG)
    for per_page in (1, 2):
        pages = [s[0] for s in top_sections(index, "python", CONFIG.replace(max_per_page=per_page), k=6)]
        assert pages[:per_page] == ["python"] * per_page
        assert pages[per_page] != "python"


# --------------------------------------------------------------------------- fusion


@pytest.mark.parametrize("fusion", ["linear", "rrf"])
def test_fused_ranking_differs_from_either_part_alone(fusion):
    lexical = np.array([1.0, 0.8, 0.0, 0.1])
    chars = np.array([0.0, 0.9, 1.0, 0.2])
    config = CONFIG.replace(fusion=fusion, char_weight=1.0 if fusion == "rrf" else 0.35)
    best = {
        name: int(np.argmax(fuse(lexical, chars, config.replace(fusion=name)))) for name in ("bm25", "chars")
    }
    assert best == {"bm25": 0, "chars": 2}
    assert int(np.argmax(fuse(lexical, chars, config))) == 1


# --------------------------------------------------------------------------- follow-ups


def test_follow_up_takes_the_topic_from_the_previous_question_and_swaps_the_cluster():
    text = contextualize("and on Proteus?", ["which Python should I use on Picotte?"], CONFIG)
    assert "proteus" in text.lower() and "python" in text.lower()
    assert "picotte" not in text.lower()


def test_follow_up_uses_the_latest_non_empty_question():
    history = ["how big is my home quota?", "which Python should I use on Picotte?", "  "]
    text = contextualize("what about Proteus?", history, CONFIG)
    assert "python" in text.lower() and "quota" not in text.lower()


def test_long_self_contained_question_is_left_alone():
    question = "how do I submit a GPU job script with sbatch on the cluster using two V100 cards?"
    assert contextualize(question, ["which Python should I use on Picotte?"], CONFIG) == question


def test_question_without_history_is_left_alone():
    assert contextualize("and on Proteus?", [], CONFIG) == "and on Proteus?"


def test_follow_up_search_lands_on_the_other_clusters_section(answers_index):
    text = contextualize("and on Proteus?", ["which quantasim modulefile should I load on Picotte?"], CONFIG)
    assert top_sections(answers_index, text)[0] == ("quantasim", "Proteus", "Installed Versions")


def test_posting_budget_keeps_the_rarest_ngrams_and_never_one_longer_than_itself(seed_index):
    full = analyze_query("python virtualenv modulefile", seed_index, Config(char_posting_budget=0)).ngrams
    df = _chars_df(seed_index)
    budget = int(np.median(df[list(full)]))
    kept = within_budget(full, seed_index, budget)
    assert 0 < len(kept) < len(full)
    assert df[list(kept)].sum() <= budget
    assert df[list(kept)].max() <= min(df[g] for g in full if g not in kept)
    assert within_budget(full, seed_index, int(df[list(full)].sum())) == full


def test_cluster_factors_are_skipped_when_nothing_is_preferred(answers_index, seed_index):
    query = Searcher(answers_index, CONFIG).query("conda on proteus")
    assert cluster_factors(answers_index, query, CONFIG) is not None
    off = CONFIG.replace(cluster_boost=0.0, retired_penalty=0.0)
    assert cluster_factors(answers_index, query, off) is None
    no_clusters = CONFIG.replace(current_clusters=(), retired_clusters=())
    assert cluster_factors(seed_index, Searcher(seed_index, no_clusters).query("python"), no_clusters) is None
