"""Every benchmark in turn, each in its own process, then all their tables together.

    .venv/bin/python benchmarks/run_all.py            # what `make bench` runs (about 15 minutes)
    .venv/bin/python benchmarks/run_all.py --quick    # 1k and 10k chunks, 5 s loads (about a minute)

Tables are printed and also written to benchmarks/results/report.md; each script writes its
raw figures as JSON beside it.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common

SCRIPTS = ["bench_retrieval.py", "bench_cli.py", "bench_http.py"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="pass --quick to every benchmark")
    ap.add_argument(
        "--only", choices=[s.removeprefix("bench_").removesuffix(".py") for s in SCRIPTS], action="append"
    )
    args = ap.parse_args(argv)
    here = Path(__file__).resolve().parent
    sections = [f"# wikidesk benchmarks\n\n{common.machine_lines()}"]
    failed = 0
    for script in SCRIPTS:
        name = script.removeprefix("bench_").removesuffix(".py")
        if args.only and name not in args.only:
            continue
        cmd = [common.PYTHON, str(here / script), *(["--quick"] if args.quick else [])]
        print(f"running {script} …", file=sys.stderr, flush=True)
        t = time.perf_counter()
        proc = subprocess.run(cmd, cwd=common.ROOT, stdout=subprocess.PIPE, text=True)
        took = time.perf_counter() - t
        if proc.returncode != 0:
            failed += 1
            sections.append(f"## {script} failed (exit {proc.returncode})\n\n{proc.stdout}")
        else:
            sections.append(proc.stdout.strip() + f"\n\n({script} took {took:.0f} s)")
        print(sections[-1] + "\n", flush=True)
    common.RESULTS.mkdir(parents=True, exist_ok=True)
    (common.RESULTS / "report.md").write_text("\n\n".join(sections) + "\n", encoding="utf-8")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
