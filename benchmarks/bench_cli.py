"""Cold CLI: `wikidesk ask` as a new process on the default corpus (index prebuilt), and where
its wall time goes: interpreter start, imports, index freshness check and load, the query.

    .venv/bin/python benchmarks/bench_cli.py           # 20 runs of each
    .venv/bin/python benchmarks/bench_cli.py --quick   # 5 runs
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common

QUESTION = "which Python should I use on Picotte?"
BIN = Path(common.PYTHON).parent
WIKIDESK = str(BIN / "wikidesk")

# Run in a fresh interpreter: times each stage of what `wikidesk ask` does, in the same order.
STAGES = r"""
import json, sys, time
t0 = time.perf_counter()
from wikidesk.cli import main  # what the console script imports
from wikidesk.config import load_config
from wikidesk.service import Wikidesk, open_index
t1 = time.perf_counter()
config = load_config()
index = open_index(config)
t2 = time.perf_counter()
desk = Wikidesk(index, config)
desk.ask(sys.argv[1])
t3 = time.perf_counter()
print(json.dumps({"imports": t1 - t0, "load": t2 - t1, "query": t3 - t2,
                  "sklearn": "sklearn" in sys.modules, "scipy": "scipy" in sys.modules,
                  "modules": len(sys.modules)}))
"""


def wall(cmd: list[str], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, cwd=common.ROOT, capture_output=True, check=True)
        out.append(time.perf_counter() - t)
    return out


def importtime(cmd_tail: list[str]) -> tuple[list[tuple[str, float]], bool]:
    """Top-level modules by cumulative import time, from `python -X importtime`."""
    proc = subprocess.run(
        [common.PYTHON, "-X", "importtime", *cmd_tail], cwd=common.ROOT, capture_output=True, text=True
    )
    top: dict[str, float] = {}
    names = set()
    for line in proc.stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \| (\s*)(\S+)", line)
        if not m:
            continue
        names.add(m.group(4).strip())
        if m.group(3) == "":
            top[m.group(4)] = top.get(m.group(4), 0.0) + int(m.group(2)) / 1e6
    sklearn = any(n == "sklearn" or n.startswith("sklearn.") for n in names)
    return sorted(top.items(), key=lambda kv: -kv[1]), sklearn


def ensure_index() -> None:
    subprocess.run([WIKIDESK, "index"], cwd=common.ROOT, capture_output=True, check=True)


def run(runs: int) -> dict:
    ensure_index()
    ask = [WIKIDESK, "ask", QUESTION]
    wall(ask, 2)  # warm the page cache
    ask_s = wall(ask, runs)
    ask_json_s = wall([*ask, "--json"], runs)
    python_s = wall([common.PYTHON, "-c", "pass"], runs)
    stages = []
    for _ in range(runs):
        proc = subprocess.run(
            [common.PYTHON, "-c", STAGES, QUESTION],
            cwd=common.ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        stages.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    top, sklearn_seen = importtime([WIKIDESK, "ask", QUESTION])
    med = {k: float(np.median([s[k] for s in stages])) for k in ("imports", "load", "query")}
    return {
        "question": QUESTION,
        "runs": runs,
        "ask_median_s": float(np.median(ask_s)),
        "ask_p90_s": float(np.percentile(ask_s, 90)),
        "ask_json_median_s": float(np.median(ask_json_s)),
        "python_c_pass_median_s": float(np.median(python_s)),
        "stages_median_s": med,
        "sklearn_imported": sklearn_seen or any(s["sklearn"] for s in stages),
        "scipy_imported": any(s["scipy"] for s in stages),
        "modules_loaded": stages[-1]["modules"],
        "top_imports_s": top[:8],
    }


def render(r: dict, info: dict) -> str:
    st = r["stages_median_s"]
    interp = r["python_c_pass_median_s"]
    rest = r["ask_median_s"] - interp - st["imports"] - st["load"] - st["query"]
    rows = [
        ["`wikidesk ask` (terminal output), whole process", r["ask_median_s"] * 1000],
        ["`wikidesk ask --json`, whole process", r["ask_json_median_s"] * 1000],
        ["  interpreter start (`python -c pass`)", interp * 1000],
        ["  imports (wikidesk.cli, config, service)", st["imports"] * 1000],
        ["  config, freshness check, index load", st["load"] * 1000],
        ["  query and answer", st["query"] * 1000],
        ["  rest (argument parsing, printing, exit)", rest * 1000],
    ]
    imports = [[name, secs * 1000] for name, secs in r["top_imports_s"]]
    return "\n\n".join(
        [
            "## Cold CLI",
            common.machine_lines(info),
            f'`wikidesk ask "{r["question"]}"` on the default corpus, index prebuilt; '
            f"median of {r['runs']} runs (p90 {r['ask_p90_s'] * 1000:.0f} ms).",
            common.table(["stage", "median ms"], rows),
            "Heaviest top-level imports (`-X importtime`, cumulative)",
            common.table(["module", "ms"], imports),
            f"scikit-learn imported: {'YES' if r['sklearn_imported'] else 'no'}; "
            f"SciPy imported: {'yes' if r['scipy_imported'] else 'no'}; "
            f"modules loaded: {r['modules_loaded']}.",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="5 runs instead of 20")
    ap.add_argument("--runs", type=int)
    args = ap.parse_args(argv)
    os.environ.pop("WIKIDESK_INDEX", None)
    info = common.machine()
    result = run(args.runs or (5 if args.quick else 20))
    common.write_result("cli", {"machine": info, **result})
    print(render(result, info))
    return 0


if __name__ == "__main__":
    sys.exit(main())
