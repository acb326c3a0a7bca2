"""Copyable commands from a section: code blocks, prompt lines, and modulefiles named in text.

Only what the wiki itself shows is offered: a prompt line gives its command (output after it is
dropped), a job script stays one block, and a modulefile named in prose gives `module load X`.
Code typed into R or Python rather than a shell (lines at an interpreter's prompt, a block the
wiki tags as Python, or a call such as `install.packages("x")`) is offered too, with its
language, since a question about a Python call wants the call.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import lru_cache

from .corpus import Block, Section

# [juser@picotte001 ~]$   (base) [juser@host dir]$   juser@host:~$   gpu001$   $   **[juser@host ~]$**
# (>>> is not shell; a bare host name needs a digit, as node names have, so "FOO$ x" is no prompt)
PROMPT_RE = re.compile(
    r"^\s*(?:\*\*)?(?:\([\w.-]+\)\s*)?(?:\[[^\]\s]+@[^\]]+\]\s*[$#]|[\w.-]+@[\w.-]+:[^$#\s]*\s*[$#]"
    r"|[a-z][a-z-]*\d[\w.-]*\$(?=\s)|\$(?=\s))"
    r"(?:\*\*)?\s?(.*)$"
)
SCRIPT_RE = re.compile(r"^\s*(#!|#SBATCH|#\$|#PBS)", re.M)
# a scheduler directive alone is still a line to copy, into a job script
DIRECTIVE_RE = re.compile(r"^\s*(#SBATCH|#\$|#PBS)\s+-")
# headings of the sections that say which versions are installed and under what modulefiles
INSTALLATION_HEADING_RE = re.compile(r"\binstall(?:ed|ation)?\b|\bversions?\b|\bavailab", re.I)
MODULEFILE_RE = re.compile(r"^[A-Za-z][\w.+-]*(?:/[\w.+-]+)+$")
_MODULE_SPAN_RE = re.compile(r"`\s*([A-Za-z][\w.+-]*(?:/[\w.+-]+)+)\s*`")
_MODULE_PROSE_RE = re.compile(
    r"\bmodule(?:file)?s?\b[^.\n]{0,40}?[`*]*\s*(?<![\w./~:-])([A-Za-z][\w.+-]*(?:/[\w.+-]+)+)", re.I
)
COMMAND_WORDS = frozenset(
    [
        "module",
        "ml",
        "conda",
        "source",
        ".",
        "export",
        "unset",
        "cd",
        "ls",
        "cp",
        "mv",
        "rm",
        "mkdir",
        "chmod",
        "chgrp",
        "ln",
        "cat",
        "less",
        "tail",
        "head",
        "echo",
        "pip",
        "pip3",
        "python",
        "python2",
        "python3",
        "ipython",
        "jupyter",
        "sbatch",
        "srun",
        "salloc",
        "squeue",
        "scancel",
        "sacct",
        "sinfo",
        "scontrol",
        "seff",
        "sstat",
        "qsub",
        "qstat",
        "qdel",
        "git",
        "wget",
        "curl",
        "tar",
        "unzip",
        "gzip",
        "make",
        "cmake",
        "./configure",
        "configure",
        "mpirun",
        "mpiexec",
        "singularity",
        "apptainer",
        "R",
        "Rscript",
        "matlab",
        "julia",
        "java",
        "javac",
        "gcc",
        "g++",
        "gfortran",
        "icc",
        "icpc",
        "ifort",
        "nvcc",
        "nvidia-smi",
        "ssh",
        "scp",
        "rsync",
        "sftp",
        "conda-env",
        "mamba",
        "virtualenv",
        "pipenv",
        "setfacl",
        "getfacl",
        "du",
        "df",
        "quota",
        "find",
        "grep",
        "sed",
        "awk",
        "module-load",
        "ulimit",
        "env",
        "time",
        "nohup",
        "bash",
        "sh",
        "spack",
        "apptainer",
        "xargs",
        "parallel",
        "ml",
        "module-avail",
    ]
)


@dataclass(frozen=True)
class Command:
    command: str
    section: int = -1
    placeholders: tuple[str, ...] = ()
    origin: str = "code"
    # "shell", or the language the command is typed in: "r", "python", ... ("code": unknown)
    language: str = "shell"
    # what the page shows the command printing, which says what it is for ("Successfully
    # computed forces" after a self-test)
    output: str = ""


def strip_prompt(line: str) -> str | None:
    """The command after a shell prompt, or None when the line has no prompt."""
    m = PROMPT_RE.match(line)
    if not m:
        return None
    return m.group(1).strip()


def has_prompt(text: str) -> bool:
    """Whether any line of a code block is typed at a shell prompt."""
    return any(strip_prompt(x) is not None for x in text.split("\n"))


def is_modulefile(token: str, named: bool = False) -> bool:
    """`python/gcc/3.10`, `cuda11.2/toolkit`: a name/version path that is not a file path.

    Without a version number (`atomsk/latest`) it counts only where the text calls it a module.
    """
    if not MODULEFILE_RE.match(token) or "//" in token:
        return False
    return named or any(c.isdigit() for c in token)


def looks_like_command(line: str) -> bool:
    s = line.strip()
    if not s or s.startswith(("http://", "https://")):
        return False
    first = s.split()[0]
    return first in COMMAND_WORDS or first.startswith(("./", "~/"))


def bare_name(name: str) -> str:
    """A program or page name without case or punctuation: page ids keep the title's
    punctuation (`star-ccm+`), commands and modulefiles drop some of it (`starccm+`)."""
    return re.sub(r"[\W_]", "", name.lower())


def _same_program(word: str, program: str) -> bool:
    key = bare_name(program)
    return bool(key) and bare_name(word) == key


def commands_from_code(text: str, program: str = "") -> list[tuple[str, str]]:
    """Commands in one code block, each with its language: prompt lines (and the lines typed at
    an interpreter they start), a whole script, or plain command lines.

    A line that starts with the page's own program (`widget run -p 4`) is a command too when
    every line of the block is one, so the program's output lines are not taken for commands.
    """
    prompted = has_prompt(text)
    if prompted or _PYTHON_SESSION_RE.search(text):
        # a Python session pasted without the shell line that started it is Python from the top
        return session_commands(text, None if prompted else "python")
    filled = [x.strip() for x in logical_lines(text) if x.strip()]
    if SCRIPT_RE.search(text) and (len(filled) > 1 or DIRECTIVE_RE.match(filled[0])):
        return [(text.strip("\n"), "shell")]
    known = [looks_like_command(x) for x in filled]
    if any(known) and _is_shell_program(filled):
        # an `if ... fi` for ~/.bashrc is pasted whole: its lines mean nothing apart
        return [(text.strip("\n"), "shell")]
    runs_program = [bool(program) and _same_program(x.split()[0], program) for x in filled]
    own = all(k or r for k, r in zip(known, runs_program, strict=True))
    out = [x for x, k, r in zip(filled, known, runs_program, strict=True) if k or (own and r)]
    if not out and filled and all(_SETTING_RE.match(x) and not _LISTING_RE.match(x) for x in filled):
        return [(x, "shell") for x in filled]
    if not out and filled and all(_CALL_RE.match(x) for x in filled):
        return [(x, "code") for x in filled]
    return [(x, "shell") for x in out]


# the shell's compound commands, opened and closed by these words at the start of a line
_OPENERS = frozenset({"if", "for", "while", "until", "case"})
_CLOSERS = frozenset({"fi", "done", "esac"})


def _is_shell_program(lines: list[str]) -> bool:
    """Whether the lines hold whole `if ... fi` (or loop) compounds: one piece of shell code.
    A fragment of a script to edit, with a `fi` closing what the page does not show, is not."""
    depth = opened = 0
    for line in lines:
        word = re.split(r"[\s;]", line, maxsplit=1)[0]
        if word in _OPENERS:
            depth, opened = depth + 1, opened + 1
        elif word in _CLOSERS:
            depth -= 1
            if depth < 0:
                return False
    return opened > 0 and depth == 0


# Interpreters a shell prompt line can start, with the prompt each shows for a line typed into it
# and for a line continuing the one before: `[juser@host ~]$ R` then `> install.packages("x")`.
_INTERPRETERS = {
    "R": "r",
    "python": "python",
    "python2": "python",
    "python3": "python",
    "ipython": "python",
    "julia": "julia",
}
_SESSION_PROMPTS = {
    "r": (re.compile(r"^> ?(.*)$"), re.compile(r"^\+ ?(.*)$")),
    "python": (re.compile(r"^(?:>>>|In \[\d+\]:) ?(.*)$"), re.compile(r"^(?:\.\.\.|\s+\.\.\.:) ?(.*)$")),
    "julia": (re.compile(r"^julia> ?(.*)$"), None),
}
_PYTHON_SESSION_RE = re.compile(r"^>>> \S", re.M)
# a key to press at the interpreter's prompt ("Ctrl-D" to leave) is not code to copy
_KEY_RE = re.compile(r"^(?:Ctrl|Control)[-+]\w$", re.I)


def _interpreter(command: str) -> str | None:
    """The language of the interpreter a shell command starts, if it starts one to type into
    (`R`, `python3 -q`); `python3 script.py` runs a script and leaves nothing to type."""
    words = command.split()
    if words and words[0] in _INTERPRETERS and all(w.startswith("-") for w in words[1:]):
        return _INTERPRETERS[words[0]]
    return None


def session_commands(text: str, language: str | None = None) -> list[tuple[str, str]]:
    """A terminal session: each shell prompt's command, and each line typed at the prompt of
    the interpreter it started (or of `language`, for lines before any shell prompt); output
    lines are dropped."""
    out: list[tuple[str, str]] = []
    for line in logical_lines(text):
        first, _, rest = line.partition("\n")
        shell = strip_prompt(first)
        if shell is not None:
            language = _interpreter(shell)
            if shell:
                out.append((f"{shell}\n{rest}" if rest else shell, "shell"))
            continue
        if language is None:
            continue
        prompt, more = _SESSION_PROMPTS[language]
        typed = prompt.match(line)
        if typed and typed.group(1).strip() and not _KEY_RE.match(typed.group(1).strip()):
            out.append((typed.group(1).rstrip(), language))
            continue
        cont = more.match(line) if more else None
        if cont and out and out[-1][1] == language:
            out[-1] = (f"{out[-1][0]}\n{cont.group(1).rstrip()}", language)
    return out


def prompt_outputs(text: str) -> dict[str, str]:
    """Each shell command of a terminal session with the lines printed after it, up to the next
    prompt; lines typed into an interpreter it started are not output."""
    out: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in logical_lines(text):
        shell = strip_prompt(line.partition("\n")[0])
        if shell is not None:
            current = out.setdefault(shell, []) if shell and _interpreter(shell) is None else None
        elif current is not None and line.strip():
            current.append(line.strip())
    return {cmd: "\n".join(lines) for cmd, lines in out.items()}


# A line of nothing but a call in a programming language, `gensim.models.LdaMulticore(...)` or
# `install.packages("x")`: no shell command is written with parentheses like that. A package
# list's "numpy (1.9.2)" is output: a space or a bare version in the parentheses.
_CALL_RE = re.compile(r"^[A-Za-z_][\w.]*(?:::[\w.]+)?\((?![\d.]+\)).*\)\s*;?\s*(?:#.*)?$")
# What a fence's tag says a block is written in, for the languages typed into a program rather
# than a shell. Build files, patches and citations (make, diff, bibtex) are not offered.
_FENCE_LANGUAGES = {
    "python": "python",
    "py": "python",
    "r": "r",
    "matlab": "matlab",
    "octave": "matlab",
    "mathematica": "mathematica",
    "julia": "julia",
    "perl": "perl",
}


def fence_language(block: Block) -> str | None:
    """The programming language a fenced block is tagged with (```` ``` python ````), if any."""
    first = block.markdown.lstrip().split("\n", 1)[0]
    m = re.match(r"^(?:```+|~~~+)\s*\{?\s*\.?([\w+-]+)", first)
    return _FENCE_LANGUAGES.get(m.group(1).lower()) if m else None


# A block of nothing but compiler options or variable settings ("-gencode arch=compute_70,...",
# "CUDA_ARCH=70", a Makefile's "CFLAGS  = -O3 -mavx") is meant to be copied into a build, as a
# command is into a shell; a file listing's permission column ("-rw-r--r--") is output, not an
# option, and a variable set to nothing ("BOOST_VERSION=") gives nothing to copy.
_SETTING_RE = re.compile(r"^(?:-{1,2}[A-Za-z]\S*(?:\s+\S+)*|[A-Z][A-Z0-9_]*\s*[+:]?=\s*\S.*)$")
_LISTING_RE = re.compile(r"^[-dl][rwxsStT-]{9}")


def logical_lines(text: str) -> list[str]:
    """The block's lines with a line ending in a backslash joined to the one after it, as the
    shell reads them: `./configure --prefix=X \\` and its `--with-fft=...` lines are one
    command, and the continuation lines carry no prompt of their own."""
    out: list[str] = []
    for line in text.split("\n"):
        if out and out[-1].rstrip().endswith("\\"):
            out[-1] = f"{out[-1]}\n{line}"
        else:
            out.append(line)
    return out


_CODE_SPAN_RE = re.compile(r"`([^`\n]+)`")


def modulefiles_in(block: Block, section: Section) -> list[str]:
    """Modulefiles a prose block names: `modulefile X`, a code span like `python/gcc/3.10`, or
    any name in backticks in a sentence about modulefiles (`python37`)."""
    named = [m.group(1) for m in _MODULE_PROSE_RE.finditer(block.markdown)]
    spans = [m.group(1) for m in _MODULE_SPAN_RE.finditer(block.markdown)]
    found = [f for f in named + spans if is_modulefile(f)]
    if "modulefile" in block.text.lower():
        found += [
            m.group(1).strip()
            for m in _CODE_SPAN_RE.finditer(block.markdown)
            if _BARE_NAME_RE.match(m.group(1).strip()) and not _HASH_RE.match(m.group(1).strip())
        ]
    return list(dict.fromkeys(found))


_BARE_NAME_RE = re.compile(r"^[A-Za-z][\w.+-]*(?:/[\w.+-]+)*$")
# a commit id such as `bb6c682` next to the word modulefile names a build, not a modulefile
_HASH_RE = re.compile(r"^(?=[a-f]*\d)(?=\d*[a-f])[0-9a-f]{7,40}$")


# Prose quotes a command in double quotes too ('or do "module avail cmake"'); those quotes also
# hold names and phrases, so only a command word followed by a subcommand, an option or a path
# counts: "module avail cmake" and "qstat -j JOBID", not "conda environment" or "R 4.1".
_QUOTED_RE = re.compile(r'["\u201c]([^"\u201d]{3,120})["\u201d]')
_SUBCOMMANDS = {
    "module": {"load", "avail", "list", "use", "unload", "purge", "show", "spider", "swap", "display"},
    "conda": {"activate", "deactivate", "create", "install", "env", "list", "init", "config", "remove"},
    "pip": {"install", "uninstall", "list", "show", "freeze"},
    "pip3": {"install", "uninstall", "list", "show", "freeze"},
    "make": {"install", "check", "test", "clean", "all"},
}


def _quoted_command(text: str) -> bool:
    words = text.split()
    if len(words) < 2 or not looks_like_command(text) or text.endswith(("...", "\u2026")):
        return False
    known = _SUBCOMMANDS.get(words[0])
    if known is not None:
        return words[1] in known
    return words[1].startswith("-") or "/" in words[1]


def inline_commands(block: Block) -> list[str]:
    """Commands quoted in running text: "Do `conda activate bioconda` once ...", in double
    quotes: 'or do "module avail cmake"', or a line for a file that the text calls one: 'Note
    the line "`%PAL NPROCS 48 END`"'."""
    out = []
    for m in _CODE_SPAN_RE.finditer(block.markdown):
        text = m.group(1).strip()
        called_a_line = _LINE_LEAD_RE.search(block.markdown, 0, m.start()) is not None
        if len(text.split()) >= 2 and (looks_like_command(text) or called_a_line):
            out.append(text)
    for m in _QUOTED_RE.finditer(_CODE_SPAN_RE.sub(" ", block.markdown)):
        text = " ".join(m.group(1).split())
        if _quoted_command(text):
            out.append(text)
    return out


def _introduced_as_script(section: Section, idx: int) -> bool:
    """Whether the text just before a block, or the section's heading, calls it a script ("a
    bare outline of a job script:"): its lines are then one script to copy, though it has no
    `#!` or scheduler line."""
    lead = next((b.text for b in reversed(section.blocks[:idx]) if b.kind != "code"), "")
    return bool(
        _SCRIPT_WORD_RE.search(section.heading)
        or _SCRIPT_WORD_RE.search(re.split(r"(?<=[.!?])\s+", lead)[-1])
    )


_SCRIPT_WORD_RE = re.compile(r"\bscript\b", re.I)


# "the line `X`", "a line containing "`X`"": the span is a line to put in a file
_LINE_LEAD_RE = re.compile(r"\bline(?:\s+containing)?\s*[\"\u201c]?$", re.I)


def _mentions_modules(section: Section, idx: int) -> bool:
    window = " ".join(b.text for b in section.blocks[max(0, idx - 2) : idx + 1]).lower()
    return "module" in window


# A modulefile line may carry a note after it: `widget/9.4.0 -- docs in /opt/widget`,
# `widget/2.1   (default)`, `widget/2.1  # GPU build`.
_NOTED_MODULE_RE = re.compile(r"^(\S+)(?:\s+(?:--?|#|\()\s*.*)?$")


def listed_modulefile(line: str) -> str | None:
    """The modulefile a line of a module listing names, its note left off."""
    m = _NOTED_MODULE_RE.match(line.strip())
    return m.group(1) if m and is_modulefile(m.group(1), named=True) else None


def _block_modulefiles(block: Block, section: Section, idx: int) -> list[str]:
    """The modulefiles a code block of no commands lists: every name of a listing, or the
    modulefile lines of a block next to text about modules (`module avail` output)."""
    lines = [x.strip() for x in block.text.split("\n") if x.strip()]
    if _lists_modulefiles(lines, section):
        return [listed_modulefile(x) or x for x in lines]
    if _mentions_modules(section, idx):
        return [name for x in lines if (name := listed_modulefile(x))]
    return []


def _lists_modulefiles(lines: list[str], section: Section) -> bool:
    """A code block of nothing but names, with versioned name paths among them
    (`hdf5/intel/2015/1.10.1-serial`, then `nvhpc`), in a section that speaks of modules
    anywhere, or that is headed 'Installed Versions' or the like: a list of modulefiles, even
    when the sentence before it only says 'locally-compiled versions' or 'it provides static
    libraries'."""
    listed = [listed_modulefile(x) for x in lines]
    if not any(listed) or not all(n or _BARE_NAME_RE.match(x) for n, x in zip(listed, lines, strict=True)):
        return False
    return (
        "module" in section.text.lower()
        or "module" in section.heading.lower()
        or bool(INSTALLATION_HEADING_RE.search(section.heading))
    )


def placeholders(command: str) -> tuple[str, ...]:
    return tuple(re.findall(r"<([A-Za-z_][\w-]*)>", command))


def section_commands(section: Section, section_no: int = -1, program: str = "") -> list[Command]:
    """All commands of a section in reading order, obsolete blocks left out; `program` is the
    command the page is about (its id, such as `widget`), if it has one. Each command carries
    `section_no`, the citation it came from."""
    found = _section_commands(section, program)
    return list(found) if section_no == -1 else [replace(c, section=section_no) for c in found]


@lru_cache(maxsize=4096)
def _section_commands(section: Section, program: str) -> tuple[Command, ...]:
    """Cached: answers cite the same sections again and again, and reading their commands takes
    many regular expressions per block."""
    section_no = -1  # the citation is set per answer by section_commands
    out: list[Command] = []
    for i, block in enumerate(section.blocks):
        if block.obsolete:
            continue
        if block.kind == "code":
            language = fence_language(block)
            prompted = has_prompt(block.text)
            if language and not prompted:
                found = [(block.text.strip("\n"), language)]
            else:
                found = commands_from_code(block.text, program)
            if len(found) > 1 and not prompted and _introduced_as_script(section, i):
                found = [(textwrap.dedent(block.text).strip("\n"), "shell")]
            if not found:
                found = [(f"module load {x}", "shell") for x in _block_modulefiles(block, section, i)]
            printed = prompt_outputs(block.text) if prompted else {}
            for cmd, lang in found:
                out.append(Command(cmd, section_no, placeholders(cmd), "code", lang, printed.get(cmd, "")))
        elif block.kind == "item" and is_modulefile(block.text.strip()) and "module" in section.text.lower():
            out.append(Command(f"module load {block.text.strip()}", section_no, (), "modulefile"))
        else:
            for cmd in inline_commands(block):
                language = "shell" if looks_like_command(cmd) else "code"
                out.append(Command(cmd, section_no, placeholders(cmd), "inline", language))
            for mod in modulefiles_in(block, section):
                out.append(Command(f"module load {mod}", section_no, (), "modulefile"))
    return tuple(unique_commands(out))


def unique_commands(commands: Iterable[Command]) -> list[Command]:
    """Each command once, where it first appears: the wiki repeats a line across sections."""
    seen: set[str] = set()
    unique = []
    for c in commands:
        if c.command not in seen:
            seen.add(c.command)
            unique.append(c)
    return unique
