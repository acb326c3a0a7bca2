"""`wikidesk` on the command line: thin commands that parse arguments and call the core.

Errors a user can cause end as one line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .config import Config, load_config
from .errors import WikideskError


class _Once(argparse.Action):
    """An option that takes one value: given twice, it is reported as an error rather than the
    last one silently winning (`ask --corpus a --corpus b` would search `b` alone)."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: object,
        option_string: str | None = None,
    ) -> None:
        if getattr(namespace, self.dest, None) is not None:
            namespace.repeated = option_string
        setattr(namespace, self.dest, values)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", metavar="FILE", help="TOML config file (default ./wikidesk.toml)")


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="wikidesk", description="Answers from the research-computing wiki.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("index", help="build the index from a folder of wiki pages")
    p.add_argument("--corpus", type=Path, action=_Once, help="folder of .md/.markdown/.txt pages")
    p.add_argument("--out", type=Path, help="index folder (default .wikidesk/index)")
    _common(p)

    p = sub.add_parser("ask", help="answer a question ('-' reads one question per line)")
    p.add_argument("question", nargs="+", help="the question, or - for standard input")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--corpus", type=Path, action=_Once, help="corpus folder (index kept up to date)")
    src.add_argument("--index", type=Path, action=_Once, help="use this index folder as it is")
    p.add_argument("--top", type=int, default=None, metavar="N", help="number of sources")
    p.add_argument("--json", action="store_true", help="print the JSON answer contract")
    _common(p)

    p = sub.add_parser("search", help="list ranked sections with scores")
    p.add_argument("query", nargs="+")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--corpus", type=Path, action=_Once)
    src.add_argument("--index", type=Path, action=_Once)
    p.add_argument("--top", type=int, default=10, metavar="N")
    p.add_argument("--json", action="store_true")
    _common(p)

    p = sub.add_parser("serve", help="serve the chat and the JSON API")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.add_argument("--workers", type=int, help="gunicorn worker processes")
    p.add_argument("--dev", action="store_true", help="Flask's development server instead of gunicorn")
    p.add_argument("--corpus", type=Path, action=_Once)
    _common(p)

    p = sub.add_parser("eval", help="evaluate retrieval and answers on a question set")
    p.add_argument("questions", type=Path, help="questions.jsonl")
    p.add_argument("--corpus", type=Path, action="append", help="corpus folder (repeatable)")
    p.add_argument("--split", choices=["all", "tune", "heldout"], default="all")
    p.add_argument("--json", action="store_true")
    p.add_argument("--misses", type=int, default=20, help="misses to list (0: none)")
    p.add_argument(
        "--no-ablation", dest="ablation", action="store_false", help="skip the feature ablation table"
    )
    _common(p)

    p = sub.add_parser("report", help="feedback and usage report from the store")
    p.add_argument("--days", type=int, default=30)
    p.add_argument("--json", action="store_true")
    _common(p)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 2
    try:
        if getattr(args, "repeated", None):
            raise WikideskError(
                f"{args.repeated} given more than once: {args.command} reads one folder "
                "(only eval takes several --corpus folders)"
            )
        config = load_config(args.config)
        if getattr(args, "corpus", None) is not None and args.command not in ("eval",):
            if not args.corpus.is_dir():
                raise WikideskError(f"corpus folder {args.corpus} does not exist or is not a folder")
            config = config.replace(corpus=args.corpus)
        return COMMANDS[args.command](args, config)
    except WikideskError as exc:
        print(f"wikidesk: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except OSError as exc:
        print(f"wikidesk: error: {exc}", file=sys.stderr)
        return 1


# --------------------------------------------------------------------------- commands


def cmd_index(args: argparse.Namespace, config: Config) -> int:
    from .service import build

    out = args.out or config.index
    progress = _progress_bar() if sys.stderr.isatty() else None
    index, corpus = build(config, config.corpus, out, progress)
    if progress:
        sys.stderr.write("\n")
    for warning in [*corpus.skipped, *corpus.repaired]:
        print(str(warning), file=sys.stderr)
    print(
        f"indexed {len(corpus.pages)} pages, "
        f"{sum(len(p.sections) for p in corpus.pages)} sections, {index.n_chunks} chunks, "
        f"{len(index.terms)} terms; skipped {len(corpus.skipped)} files, "
        f"repaired {len(corpus.repaired)}; index at {out}"
    )
    return 0


def _progress_bar():
    width = 30

    def show(done: int, total: int) -> None:
        filled = int(width * done / max(total, 1))
        sys.stderr.write(f"\rparsing [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
        sys.stderr.flush()

    return show


def _open(args: argparse.Namespace, config: Config):
    from .service import Wikidesk, open_index

    index = open_index(config, getattr(args, "index", None))
    return Wikidesk(index, config)


def cmd_ask(args: argparse.Namespace, config: Config) -> int:
    if args.top is not None and not 1 <= args.top <= 20:
        raise WikideskError(f"--top must be between 1 and 20, got {args.top}")
    from .service import validate_question

    stream = args.question == ["-"]
    question = "" if stream else validate_question(" ".join(args.question), config)
    desk = _open(args, config)
    if stream:
        return _ask_stream(desk, args)
    result = desk.ask(question, k=args.top)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print(render_answer(result, color=sys.stdout.isatty()))
    return 0


def _ask_stream(desk: Any, args: argparse.Namespace) -> int:
    """One JSON object per input line, in order; a bad line gets an error object, not an exit."""
    for line in sys.stdin:
        question = line.rstrip("\r\n")
        try:
            result = desk.ask(question, k=args.top)
        except WikideskError as exc:
            result = {
                "question": question,
                "answered": False,
                "answer": "",
                "citations": [],
                "commands": [],
                "warnings": [str(exc)],
                "error": str(exc),
            }
        if args.json:
            print(json.dumps(result, ensure_ascii=False), flush=True)
        else:
            print(render_answer(result, color=False) + "\n", flush=True)
    return 0


def cmd_search(args: argparse.Namespace, config: Config) -> int:
    if not 1 <= args.top <= 100:
        raise WikideskError(f"--top must be between 1 and 100, got {args.top}")
    from .service import validate_question

    validate_question(" ".join(args.query), config)
    desk = _open(args, config)
    rows = desk.search(" ".join(args.query), k=args.top)
    if args.json:
        print(json.dumps(rows, ensure_ascii=False))
        return 0
    if not rows:
        print("no matching sections")
        return 3
    for r in rows:
        path = " > ".join([r["title"], *r["heading_path"]])
        print(f"{r['rank']:>3}  {r['score']:.4f}  {path}  (/page/{r['page']}#{r['anchor']})")
    return 0


def cmd_serve(args: argparse.Namespace, config: Config) -> int:
    from .service import open_index

    config = config.replace(
        **{k: v for k, v in {"host": args.host, "port": args.port, "workers": args.workers}.items() if v}
    )
    open_index(config)  # build or refresh before workers start, so they only load
    if args.dev or (shutil.which("gunicorn") is None and not _has_gunicorn()):
        from .web import create_app

        create_app(config).run(host=config.host, port=config.port)
        return 0
    env = dict(os.environ)
    env.update(_config_env(config))
    cmd = [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        f"{config.host}:{config.port}",
        "--workers",
        str(config.workers),
        "--preload",
        "--access-logfile",
        "-",
        "wikidesk.web:create_app()",
    ]
    os.execvpe(sys.executable, cmd, env)
    return 0  # pragma: no cover


def _has_gunicorn() -> bool:
    import importlib.util

    return importlib.util.find_spec("gunicorn") is not None


def _config_env(config: Config) -> dict[str, str]:
    """Pass the resolved settings to gunicorn's workers through WIKIDESK_* variables."""
    out = {}
    for name in ("corpus", "index", "data_dir", "helpdesk_url", "wiki_base_url"):
        out[f"WIKIDESK_{name.upper()}"] = str(getattr(config, name))
    out["WIKIDESK_ALLOWED_ORIGINS"] = ",".join(config.allowed_origins)
    return out


def cmd_eval(args: argparse.Namespace, config: Config) -> int:
    from .evaluate import run_eval

    return run_eval(args, config)


def cmd_report(args: argparse.Namespace, config: Config) -> int:
    from .store import Store

    report = Store(config.feedback_db).report(days=args.days)
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
    else:
        from .store import render_report

        print(render_report(report))
    return 0


COMMANDS = {
    "index": cmd_index,
    "ask": cmd_ask,
    "search": cmd_search,
    "serve": cmd_serve,
    "eval": cmd_eval,
    "report": cmd_report,
}


# --------------------------------------------------------------------------- rendering


LANGUAGE_NAMES = {
    "r": "R",
    "python": "Python",
    "matlab": "MATLAB",
    "mathematica": "Mathematica",
    "julia": "Julia",
    "perl": "Perl",
}


def render_answer(result: dict[str, Any], color: bool = False, width: int = 88) -> str:
    """A readable answer for a terminal: answer, commands to copy, numbered sources, warnings."""
    bold = (lambda s: f"\033[1m{s}\033[0m") if color else (lambda s: s)
    if "error" in result:
        return f"error: {result['error']}"
    lines = [bold("Answer")]
    lines += textwrap.wrap(result["answer"], width, initial_indent="  ", subsequent_indent="  ")
    if result.get("commands"):
        lines += ["", bold("Commands")]
        for c in result["commands"]:
            cmd_lines = c["command"].split("\n")
            # compiler options are pasted into a build line, not run: no shell prompt before them;
            # code for R or Python says where it is typed instead
            language = c.get("language", "shell")
            if language != "shell":
                prompt = f"({LANGUAGE_NAMES.get(language, language)}) "
            else:
                prompt = "  " if cmd_lines[0].startswith("-") else "$ "
            lines.append(
                f"  {prompt}{cmd_lines[0]}" + (f"   [{c['citation']}]" if len(cmd_lines) == 1 else "")
            )
            lines += [f"    {x}" for x in cmd_lines[1:]]
    if result.get("citations"):
        lines += ["", bold("Sources")]
        for c in result["citations"]:
            path = " > ".join([c["title"], *c["heading_path"]])
            lines.append(f"  [{c['n']}] {path}")
            lines.append(f"      {c['url']}")
    if result.get("warnings"):
        lines += ["", bold("Warnings")]
        lines += [f"  ! {w}" for w in result["warnings"]]
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
