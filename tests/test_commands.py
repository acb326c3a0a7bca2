"""Copyable commands: every form the wiki writes them in, and nothing the page does not show."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from wikidesk.commands import section_commands, strip_prompt
from wikidesk.corpus import Section, parse_page

ROOT = Path(__file__).resolve().parents[1]


def section(body: str, heading: str = "Usage") -> Section:
    page, _ = parse_page(f"---\ntitle: Widget\n---\n\n## {heading}\n\n{body}\n", "widget")
    (found,) = [s for s in page.sections if s.heading == heading]
    return found


def commands(body: str) -> list[str]:
    return [c.command for c in section_commands(section(body))]


def test_fenced_code_block_gives_each_command_line():
    body = "Build it like this:\n\n```\ncd ~/src/widget\nmake -j 4\n```"
    assert commands(body) == ["cd ~/src/widget", "make -j 4"]


def test_indented_code_block_gives_each_command_line():
    body = "Check the results with\n\n    ls -l ~/results\n    du -sh ~/results\n"
    assert commands(body) == ["ls -l ~/results", "du -sh ~/results"]


def test_pandoc_backticked_line_is_a_command():
    assert commands("To leave the environment, do:\n\n`    conda deactivate`") == ["conda deactivate"]


def test_pandoc_emphasised_placeholder_becomes_angle_brackets_and_is_listed():
    (cmd,) = section_commands(section("To enter it, do:\n\n`    conda activate `*`environment_name`*"))
    assert cmd.command == "conda activate <environment_name>"
    assert cmd.placeholders == ("environment_name",)


def test_prompt_line_gives_the_command_and_drops_the_output_lines():
    body = (
        "Install a package for yourself:\n\n"
        "`   [juser@proteusi01 ~]$ python3 -m pip install --user scikit-learn`\n"
        "`   Collecting scikit-learn`\n"
        "`   Successfully installed scikit-learn-1.3.0`"
    )
    assert commands(body) == ["python3 -m pip install --user scikit-learn"]


def test_prompts_in_fenced_blocks_are_stripped_and_output_dropped():
    body = (
        "```\n(base) [juser@picotte001 data]$ conda list\n# packages in environment:\nnumpy  1.26.0\n```\n\n"
        "```\n$ squeue --me\nJOBID PARTITION NAME\n```"
    )
    assert commands(body) == ["conda list", "squeue --me"]


@pytest.mark.parametrize(
    ("line", "command"),
    [
        (
            "[juser@proteusi01 ~]$ python3 -m pip install --user scikit-learn",
            "python3 -m pip install --user scikit-learn",
        ),
        ("(base) [user@host dir]$ conda env list", "conda env list"),
        ("(myenv) [juser@picotte001 ~]$ which python", "which python"),
        ("juser@laptop:~$ ssh juser@picotte001", "ssh juser@picotte001"),
        ("$ sbatch job.sh", "sbatch job.sh"),
        ("[root@node01 ~]# systemctl status slurmd", "systemctl status slurmd"),
        ("**[juser@gpu01 ~]$** module avail git", "module avail git"),
        ("gpu001$ singularity run --nv widget.sif", "singularity run --nv widget.sif"),
    ],
)
def test_shell_prompt_is_removed(line, command):
    assert strip_prompt(line) == command


@pytest.mark.parametrize(
    "line", ["echo $HOME", "% create a pool", ">>> import os", "Submitted batch job 123", "COST$ 12"]
)
def test_line_without_a_prompt_has_no_prompt_command(line):
    assert strip_prompt(line) is None


def test_a_command_continued_with_backslashes_is_one_command_with_all_its_lines():
    body = (
        "Configure it with:\n\n"
        "`    [juser@picotte001 widget-2.1]$ ./configure --prefix=$HOME/opt \\`\n"
        "`        --with-blas=openblas \\`\n"
        "`        --enable-mpi`\n\n"
        "Then install the R binding:\n\n"
        "```\nR CMD INSTALL --configure-vars='LIB_DIR=/usr/lib64' \\\n    ~/src/widgetR_1.0.tar.gz\nls ~/opt\n```"
    )
    assert [" ".join(c.split()) for c in commands(body)] == [
        "./configure --prefix=$HOME/opt \\ --with-blas=openblas \\ --enable-mpi",
        "R CMD INSTALL --configure-vars='LIB_DIR=/usr/lib64' \\ ~/src/widgetR_1.0.tar.gz",
        "ls ~/opt",
    ]


def test_shell_code_with_an_if_block_stays_one_block_but_a_script_fragment_does_not():
    snippet = 'module load widget\nif [ "${HOSTNAME:0:3}" == "gpu" ]\nthen\n    module load widget-gpu\nfi'
    assert commands(f"Add this to your ~/.bashrc:\n\n```\n{snippet}\n```") == [snippet]
    fragment = (
        '    $as_echo "old check"\n  fi\n  unset WIDGET_RUNNER\n  if test -n "$X"; then\n    exit 1\n  fi'
    )
    assert commands(f"Change the configure script to read:\n\n```\n{fragment}\n```") == [
        "unset WIDGET_RUNNER"
    ]


def test_job_script_with_sbatch_lines_stays_one_block():
    script = (
        "#!/bin/bash\n#SBATCH --job-name=widget\n#SBATCH --mem=8G\n"
        "module load widget/1.0\nwidget run input.dat"
    )
    assert commands(f"Submit this with sbatch:\n\n```bash\n{script}\n```") == [script]


def test_a_block_the_text_calls_a_script_stays_one_block_without_a_shebang():
    script = "module load widget/1.0\nexport WIDGET_HOME=$HOME/widget\n\nmpirun widget < input > out.log"
    indented = "\n".join(f"    {x}" if x else "" for x in script.split("\n"))
    body = f"An outline of a job script to run widget:\n\n```bash\n{indented}\n```"
    assert commands(body) == [script]
    # the same lines after text that does not call them a script are commands of their own
    assert commands(f"Then do:\n\n```bash\n{indented}\n```") == script.replace("\n\n", "\n").split("\n")


def test_modulefile_named_in_prose_gives_module_load():
    (cmd,) = section_commands(section("Use the modulefile `gromacs/2020.4` for the CPU build."))
    assert cmd.command == "module load gromacs/2020.4"
    assert cmd.origin == "modulefile"


def test_pandoc_line_after_use_the_modulefile_gives_module_load():
    assert commands("Use the modulefile:\n\n`    widgetsuite/7.1`") == ["module load widgetsuite/7.1"]


def test_a_list_of_versioned_names_is_read_as_modulefiles_where_the_section_speaks_of_modules():
    body = (
        "Vendor builds are in the system modulefiles:\n\n`    widget/1.2`\n\n"
        "Three more were compiled here, with GCC and Intel:\n\n"
        "`    widget/gcc/2.0-serial`\n`    widget/intel/2019/2.1-serial`\n\n"
        "Everything is documented in the manual."
    )
    assert commands(body) == [
        "module load widget/1.2",
        "module load widget/gcc/2.0-serial",
        "module load widget/intel/2019/2.1-serial",
    ]


def test_a_versioned_name_in_an_installed_versions_section_is_a_modulefile():
    found = section_commands(
        section("Static libraries are provided:\n\n`    widget/intel/2020/git`", "Installed Version")
    )
    assert [c.command for c in found] == ["module load widget/intel/2020/git"]


def test_a_listing_under_a_modulefiles_heading_is_read_as_modulefiles():
    found = section_commands(
        section("Either set:\n\n```text\nwidget9.1/fft\nwidget9.1/blas\n```", "Modulefiles")
    )
    assert [c.command for c in found] == ["module load widget9.1/fft", "module load widget9.1/blas"]


def test_bare_names_listed_among_modulefiles_are_modulefiles_too():
    body = "Either set:\n\n```text\nwidget9.1/fft\nwidgetsdk\nwidgetsdk-nompi\n```"
    assert [c.command for c in section_commands(section(body, "Modulefiles"))] == [
        "module load widget9.1/fft",
        "module load widgetsdk",
        "module load widgetsdk-nompi",
    ]
    # without a versioned modulefile among them, bare words are just words
    assert section_commands(section("```text\nwidgetsdk\nwidgettools\n```", "Modulefiles")) == []


def test_a_lone_scheduler_directive_is_offered_whole():
    body = "Ask for a licence token in the job script:\n\n```bash\n#SBATCH --licenses=widget:1\n```"
    assert commands(body) == ["#SBATCH --licenses=widget:1"]
    assert commands("A comment in code:\n\n```bash\n# see the manual\n```") == []


def test_a_list_of_paths_in_a_section_that_never_mentions_modules_gives_nothing():
    body = "The results land here:\n\n`    out/run1/2020.4`\n`    out/run2/2021.1`"
    assert commands(body) == []


def test_a_modulefile_listed_with_a_note_after_it_is_loaded_without_the_note():
    body = "Use the modulefile:\n\n`   widget/9.4.0 -- manuals in /opt/widget/9.4.0/doc`\n`   widget/9.5.0   (default)`"
    assert commands(body) == ["module load widget/9.4.0", "module load widget/9.5.0"]
    assert commands("Use the modulefile:\n\n`   widget/9.4.0 is broken`") == []


def test_a_commit_id_next_to_the_word_modulefile_is_not_a_modulefile():
    body = "Build `cf3a91d` is installed. Use the modulefile:\n\n`    widget/latest`"
    assert commands(body) == ["module load widget/latest"]


def test_a_line_running_the_pages_own_program_is_a_command():
    block = (
        "Run it with as many threads as slots:\n\n```\nwidget align -p $NSLOTS ...\nwidget index ref.fa\n```"
    )
    assert [c.command for c in section_commands(section(block), program="widget")] == [
        "widget align -p $NSLOTS ...",
        "widget index ref.fa",
    ]


def test_the_pages_own_program_is_recognised_without_the_page_ids_punctuation():
    block = "`    widgetpro+ -batch -fabric IBV run.sim`"
    assert [c.command for c in section_commands(section(block), program="widget-pro+")] == [
        "widgetpro+ -batch -fabric IBV run.sim"
    ]
    assert section_commands(section(block), program="+") == []


def test_the_pages_own_program_in_a_block_of_output_is_not_a_command():
    block = "The packages in the environment:\n\n```\nnumpy (1.9.2)\nwidget (1.8.0)\n```"
    assert section_commands(section(block), program="widget") == []


def test_a_block_of_compiler_options_or_settings_is_offered_to_copy():
    body = "For the widget cards use:\n\n`   -gencode arch=compute_90,code=sm_90`\n\nor set:\n\n`   WIDGET_ARCH=90`"
    assert commands(body) == ["-gencode arch=compute_90,code=sm_90", "WIDGET_ARCH=90"]


def test_makefile_variables_written_with_spaces_are_settings_to_copy():
    body = (
        "In the Makefile, set the compiler and its flags:\n\n"
        "```\nCC      = gcc\nCFLAGS  = -O2 -march=native\nLDFLAGS += -lm\n```\n\n"
        "An empty setting is no line to copy:\n\n```\nWIDGET_OPTS =\n```"
    )
    assert commands(body) == ["CC      = gcc", "CFLAGS  = -O2 -march=native", "LDFLAGS += -lm"]


def test_a_file_listing_is_not_taken_for_options():
    assert commands("```\n-rw-r--r-- 1 juser users 512 Jan 1 results.csv\n```") == []


def test_prose_without_code_offers_no_command():
    body = "Widget jobs run faster when the input sits on local scratch, so copy it there first."
    assert commands(body) == []


def test_matlab_comment_is_not_a_command():
    assert commands("In MATLAB:\n\n```\n% create a pool\nparpool(4)\n```") == []


def test_command_quoted_in_running_text_is_offered():
    body = "Do `conda activate bioconda` once before you start the pipeline."
    (cmd,) = section_commands(section(body))
    assert (cmd.command, cmd.origin) == ("conda activate bioconda", "inline")


def test_command_in_double_quotes_in_running_text_is_offered():
    body = 'Widget needs cmake; see the CMake page, or do "module avail cmake" to list the builds.'
    (cmd,) = section_commands(section(body))
    assert (cmd.command, cmd.origin) == ("module avail cmake", "inline")


def test_a_line_for_a_file_that_the_text_quotes_is_offered_as_code():
    body = (
        "In the input file, note the line \u201c`%CORES 16 END`\u201d which sets the core count, "
        "and the `%CORES` keyword itself."
    )
    assert languages(body) == [("%CORES 16 END", "code")]


@pytest.mark.parametrize(
    "quoted",
    ["conda environment", "R 4.1", "module load ...", "make the widget", "quite right"],
)
def test_names_and_phrases_in_double_quotes_are_not_commands(quoted):
    assert commands(f'Choose the kernel named "{quoted}" from the list.') == []


def test_a_shell_builtin_quoted_in_running_text_is_offered():
    body = 'Before line 40 add a line containing "`unset WIDGET_RUNNER`" so configure goes on.'
    assert commands(body) == ["unset WIDGET_RUNNER"]


def test_single_words_in_backticks_are_not_commands():
    assert commands("The `--user` flag and the `widget` binary are described below.") == []


def test_struck_out_commands_are_not_offered():
    body = "<strike>`qsub -pe shm 8 widget.sh`</strike>\n\n~~Run `widget --old-mode` before `ls -l` first.~~"
    assert commands(body) == []


def test_commands_carry_the_section_number_they_came_from():
    cmds = section_commands(section("Run:\n\n    sbatch job.sh"), section_no=3)
    assert [(c.command, c.section) for c in cmds] == [("sbatch job.sh", 3)]


def _shown(text: str) -> str:
    return re.sub(r"[`*\s]+", " ", text)


def test_every_command_of_the_seed_page_is_shown_on_that_page():
    """Nothing invented: each line of a command, or the modulefile a `module load` names, is on the page."""
    page, _ = parse_page((ROOT / "corpus" / "python.md").read_text(encoding="utf-8"), "python")
    seen = 0
    for sec in page.sections:
        source = _shown(sec.markdown)
        for cmd in section_commands(sec):
            seen += 1
            for line in cmd.command.split("\n"):
                line = _shown(re.sub(r"<(\w+)>", r"\1", line)).strip()
                derived = line.removeprefix("module load ")
                assert line in source or derived in source, (sec.heading, cmd.command)
    assert seen >= 10


@pytest.mark.parametrize(
    "body",
    [
        "Python has a [multiprocessing module](https://docs.python.org/3.6/library/multiprocessing.html) for workers.",
        "The module reads its settings from ~/widget/conf2/settings.ini when it starts.",
        "Installed modules live under /opt/apps/widget/2.1 on every node.",
    ],
    ids=["link-url", "home-path", "absolute-path"],
)
def test_link_targets_and_file_paths_near_the_word_module_are_not_modulefiles(body):
    assert not [c for c in commands(body) if c.startswith("module load")]


def languages(body: str) -> list[tuple[str, str]]:
    return [(c.command, c.language) for c in section_commands(section(body))]


def test_lines_typed_at_r_started_from_a_shell_prompt_are_r_code():
    body = (
        '```\n[juser@picotte001 ~]$ R\nR version 4.9.0 -- "Some Name"\n...\n'
        '> install.packages("widgetr")\nWarning: lib is not writable\n'
        "> widgetr::register(name = 'wr', label = 'Widget R')   # pick your own name\n"
        "> Ctrl-D\n[juser@picotte001 ~]$ ls ~/R\n> not typed into R\n```"
    )
    assert languages(body) == [
        ("R", "shell"),
        ('install.packages("widgetr")', "r"),
        ("widgetr::register(name = 'wr', label = 'Widget R')   # pick your own name", "r"),
        ("ls ~/R", "shell"),
    ]


def test_a_python_session_keeps_its_typed_lines_and_joins_continuations():
    body = (
        "```\n(env) [juser@picotte001 ~]$ python3\nPython 3.99.0\n>>> import widget\n"
        ">>> for w in widget.all():\n...     print(w)\n...\nw1\n>>> Ctrl-D\n```"
    )
    assert languages(body) == [
        ("python3", "shell"),
        ("import widget", "python"),
        ("for w in widget.all():\n    print(w)\n", "python"),
    ]
    assert languages("```\n>>> import widget\n>>> widget.__version__\n'1.2'\n```") == [
        ("import widget", "python"),
        ("widget.__version__", "python"),
    ]


def test_a_shell_command_that_runs_a_script_starts_no_session():
    body = "```\n[juser@picotte001 ~]$ python3 widget.py\n> not code\n```"
    assert languages(body) == [("python3 widget.py", "shell")]


def test_a_block_tagged_with_a_programming_language_is_one_piece_of_code():
    body = "In your script:\n\n``` python\nimport os\n\nn = len(os.sched_getaffinity(0))\nprint(n)\n```"
    assert languages(body) == [("import os\n\nn = len(os.sched_getaffinity(0))\nprint(n)", "python")]
    assert languages("``` R\ninstall.packages('a')\ninstall.packages('b')\n```") == [
        ("install.packages('a')\ninstall.packages('b')", "r")
    ]


def test_build_files_patches_and_plain_text_blocks_are_not_code_to_copy():
    assert languages("``` make\nifneq ($(OS), Darwin)\n    LIBS += -lrt\nendif\nwidget: widget.o\n```") == []
    assert languages("``` diff\n--- a/Makefile\n+++ b/Makefile\n```") == []
    assert languages("``` bibtex\n@Article{widget2020,\n  title={Widgets},\n}\n```") == []


def test_a_lone_call_is_code_but_a_package_listing_is_output():
    assert languages("In your script, set\n\n`    widget.models.Fit( ... , workers=1, ... )`") == [
        ("widget.models.Fit( ... , workers=1, ... )", "code")
    ]
    assert languages("The versions:\n\n```\nnumpy (1.9.2)\nwidget(2.0)\n```") == []
