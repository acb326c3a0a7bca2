"""HTTP: `wikidesk serve` (gunicorn, 2 sync workers) on 127.0.0.1, under a bounded load.

1. Closed loop: 32 concurrent clients for `--seconds` on POST /api/ask with the evaluation
   set's questions in turn, then the same on GET /healthz (the stack's ceiling). wrk drives the
   load when it is installed (`apt-get install wrk`; `make bench` installs it), otherwise a
   small threaded client of our own does.
2. Open loop: a steady 100 requests a second on /api/ask; each request has a scheduled send
   time and its latency is measured from that time, so queueing behind a slow request counts.

Traffic goes to 127.0.0.1 only, and every loop stops by itself after a fixed time.

    .venv/bin/python benchmarks/bench_http.py           # 25 s closed loops, 20 s open loop
    .venv/bin/python benchmarks/bench_http.py --quick   # 5 s each
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common

HOST = "127.0.0.1"
CONNECTIONS = 32
RATE = 100
WIKIDESK = str(Path(common.PYTHON).parent / "wikidesk")


# --------------------------------------------------------------------------- server


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Server:
    """`wikidesk serve` in its own process group, stopped by its own pid when done."""

    def __init__(self, corpus: Path, index: Path, workers: int = 2):
        self.port = free_port()
        self.log = Path(index).parent / "serve.log"
        env = dict(os.environ, WIKIDESK_INDEX=str(index), WIKIDESK_CORPUS=str(corpus))
        env["WIKIDESK_DATA_DIR"] = str(Path(index).parent)
        cmd = [WIKIDESK, "serve", "--host", HOST, "--port", str(self.port), "--workers", str(workers)]
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(
                cmd, cwd=common.ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        self._wait_ready()

    def _wait_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited; see {self.log}")
            try:
                status, _ = request("GET", "/healthz", port=self.port)
                if status == 200 and len(self.workers()) >= 2:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"server not ready after {timeout:.0f} s; see {self.log}")

    def workers(self) -> list[int]:
        try:
            path = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
            return [int(x) for x in path.read_text().split()]
        except OSError:
            return []

    def rss_mb(self) -> dict[str, float]:
        workers = self.workers()
        rss = {"master": common.rss_mb(self.proc.pid)}
        for i, pid in enumerate(workers, 1):
            rss[f"worker{i}"] = common.rss_mb(pid)
        rss["total"] = sum(v for v in rss.values() if v == v)
        return rss

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def request(method: str, path: str, body: bytes | None = None, port: int = 8000, timeout: float = 30):
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, data
    finally:
        conn.close()


def ask_bodies(questions: list[str]) -> list[bytes]:
    return [json.dumps({"question": q}).encode() for q in questions]


def unique_body(body: bytes, tag: str) -> bytes:
    """The same question with a tag word no page holds, so the answer cache never hits and
    every request is searched and composed."""
    return body[:-2] + f' {tag}"}}'.encode()


# --------------------------------------------------------------------------- closed loop


def closed_loop_wrk(
    port: int, path: str, bodies: list[bytes] | None, seconds: float, unique: bool = False
) -> dict:
    """wrk with 2 threads and 32 connections; a Lua script cycles the POST bodies (tagged
    r<thread>x<n> when `unique`) and prints the summary as JSON."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        if bodies:
            items = ",\n".join(f"[==[{(b[:-2] if unique else b).decode()}]==]" for b in bodies)
            tail = '.. " r" .. tid .. "x" .. i .. \'"}\'' if unique else ""
            fh.write(
                f"local bodies = {{\n{items}\n}}\nlocal i = 0\nlocal threads = 0\n"
                'function setup(thread)\n  threads = threads + 1\n  thread:set("tid", threads)\nend\n'
                "request = function()\n  i = i + 1\n"
                '  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, '
                f"bodies[(i % #bodies) + 1] {tail})\nend\n"
            )
        fh.write(
            "done = function(s, latency, requests)\n"
            '  io.write(string.format("JSON {\\"requests\\":%d,\\"duration_us\\":%d,\\"connect\\":%d,'
            '\\"read\\":%d,\\"write\\":%d,\\"status\\":%d,\\"timeout\\":%d,\\"p50_us\\":%d,'
            '\\"p99_us\\":%d,\\"mean_us\\":%f,\\"max_us\\":%d}\\n", s.requests, s.duration, '
            "s.errors.connect, s.errors.read, s.errors.write, s.errors.status, s.errors.timeout, "
            "latency:percentile(50), latency:percentile(99), latency.mean, latency.max))\nend\n"
        )
        script = fh.name
    try:
        proc = subprocess.run(
            [
                "wrk",
                "-t",
                "2",
                "-c",
                str(CONNECTIONS),
                "-d",
                f"{seconds:.0f}s",
                "--timeout",
                "10s",
                "-s",
                script,
                f"http://{HOST}:{port}{path}",
            ],
            capture_output=True,
            text=True,
            timeout=seconds + 60,
        )
    finally:
        os.unlink(script)
    line = next((x for x in proc.stdout.splitlines() if x.startswith("JSON ")), None)
    if line is None:
        return {"error": proc.stderr.strip() or proc.stdout.strip()}
    s = json.loads(line[5:])
    errors = s["connect"] + s["read"] + s["write"] + s["status"] + s["timeout"]
    return {
        "tool": "wrk",
        "requests": s["requests"],
        "seconds": s["duration_us"] / 1e6,
        "rps": s["requests"] / (s["duration_us"] / 1e6),
        "p50_ms": s["p50_us"] / 1000,
        "p99_ms": s["p99_us"] / 1000,
        "max_ms": s["max_us"] / 1000,
        "errors": errors,
        "error_detail": {k: s[k] for k in ("connect", "read", "write", "status", "timeout")},
    }


def closed_loop_threads(
    port: int, path: str, bodies: list[bytes] | None, seconds: float, unique: bool = False
) -> dict:
    """32 client threads, each sending its next request as soon as the last one answered."""
    stop_at = time.perf_counter() + seconds
    lat: list[list[float]] = [[] for _ in range(CONNECTIONS)]
    errors = [0] * CONNECTIONS

    def client(n: int) -> None:
        i = n
        while time.perf_counter() < stop_at:
            body = bodies[i % len(bodies)] if bodies else None
            if body is not None and unique:
                body = unique_body(body, f"r{n}x{i}")
            i += CONNECTIONS
            t = time.perf_counter()
            try:
                status, _ = request("POST" if body else "GET", path, body, port=port, timeout=10)
                ok = status == 200
            except OSError:
                ok = False
            lat[n].append(time.perf_counter() - t)
            errors[n] += not ok

    start = time.perf_counter()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(CONNECTIONS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    all_lat = np.concatenate([np.asarray(x) for x in lat]) * 1000
    return {
        "tool": "python threads",
        "requests": len(all_lat),
        "seconds": elapsed,
        "rps": len(all_lat) / elapsed,
        "p50_ms": float(np.median(all_lat)),
        "p99_ms": float(np.percentile(all_lat, 99)),
        "max_ms": float(all_lat.max()),
        "errors": sum(errors),
    }


# --------------------------------------------------------------------------- open loop


def open_loop(port: int, bodies: list[bytes], rate: float, seconds: float, unique: bool = False) -> dict:
    """Requests at fixed scheduled times; latency counts from the scheduled time."""
    n = int(rate * seconds)
    start = time.perf_counter() + 0.5
    lat = np.zeros(n)
    ok = np.zeros(n, dtype=bool)

    def one(i: int) -> None:
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        try:
            body = bodies[i % len(bodies)]
            body = unique_body(body, f"o{i}") if unique else body
            status, _ = request("POST", "/api/ask", body, port=port, timeout=10)
            ok[i] = status == 200
        except OSError:
            ok[i] = False
        lat[i] = time.perf_counter() - due

    with ThreadPoolExecutor(max_workers=64) as pool:
        list(pool.map(one, range(n)))
    elapsed = time.perf_counter() - start
    ms = lat * 1000
    return {
        "offered_rps": rate,
        "requests": n,
        "achieved_rps": n / elapsed,
        "p50_ms": float(np.median(ms)),
        "p90_ms": float(np.percentile(ms, 90)),
        "p99_ms": float(np.percentile(ms, 99)),
        "max_ms": float(ms.max()),
        "errors": int((~ok).sum()),
    }


# --------------------------------------------------------------------------- driver


def run_corpus(name: str, corpus: Path, seconds: float, open_seconds: float, tool: str, log) -> dict:
    """Build a fresh index for the corpus, serve it, load it, stop it."""
    workdir = Path(tempfile.mkdtemp(prefix="wikidesk-http-"))
    index = workdir / "index"
    subprocess.run(
        [WIKIDESK, "index", "--corpus", str(corpus), "--out", str(index)],
        cwd=common.ROOT,
        capture_output=True,
        check=True,
    )
    bodies = ask_bodies(common.eval_questions())
    loop = closed_loop_wrk if tool == "wrk" else closed_loop_threads
    server = Server(corpus, index)
    try:
        for b in bodies[:20]:  # every worker answers a few before measuring
            request("POST", "/api/ask", b, port=server.port)
        result: dict = {"corpus": name, "port": server.port, "rss_before_mb": server.rss_mb()}
        log(f"  {name}: closed loop /api/ask, repeated questions …")
        result["ask"] = loop(server.port, "/api/ask", bodies, seconds)
        log(f"  {name}: closed loop /api/ask, unique questions …")
        result["ask_unique"] = loop(server.port, "/api/ask", bodies, seconds, unique=True)
        log(f"  {name}: closed loop /healthz …")
        result["healthz"] = loop(server.port, "/healthz", None, seconds)
        log(f"  {name}: open loop {RATE}/s, repeated questions …")
        result["open"] = open_loop(server.port, bodies, RATE, open_seconds)
        log(f"  {name}: open loop {RATE}/s, unique questions …")
        result["open_unique"] = open_loop(server.port, bodies, RATE, open_seconds, unique=True)
        result["rss_after_mb"] = server.rss_mb()
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return result


def render(results: list[dict], info: dict, seconds: float, open_seconds: float) -> str:
    closed, opened, memory = [], [], []
    for r in results:
        for label, key in (
            ("POST /api/ask, repeated questions", "ask"),
            ("POST /api/ask, unique questions", "ask_unique"),
            ("GET /healthz", "healthz"),
        ):
            c = r[key]
            closed.append(
                [
                    r["corpus"],
                    label,
                    c.get("tool"),
                    c.get("requests"),
                    c.get("rps"),
                    c.get("p50_ms"),
                    c.get("p99_ms"),
                    c.get("max_ms"),
                    c.get("errors"),
                ]
            )
        for label, key in (("repeated", "ask"), ("unique", "ask_unique")):
            top = r["healthz"].get("rps")
            ratio = r[key].get("rps", 0) / top if top else None
            closed.append(
                [r["corpus"], f"ask ({label}) / healthz req/s", None, None, ratio, None, None, None, None]
            )
        for label, key in (("repeated", "open"), ("unique", "open_unique")):
            o = r[key]
            opened.append(
                [
                    r["corpus"],
                    label,
                    o["offered_rps"],
                    o["achieved_rps"],
                    o["requests"],
                    o["p50_ms"],
                    o["p90_ms"],
                    o["p99_ms"],
                    o["max_ms"],
                    o["errors"],
                ]
            )
        b, a = r["rss_before_mb"], r["rss_after_mb"]
        for k in b:
            memory.append([r["corpus"], k, b[k], a.get(k)])
    return "\n\n".join(
        [
            "## HTTP (gunicorn, 2 sync workers, 127.0.0.1)",
            common.machine_lines(info),
            f"Closed loop: {CONNECTIONS} concurrent connections for {seconds:.0f} s each; the load "
            "generator runs on the same 2 cores as the server.",
            common.table(
                ["corpus", "endpoint", "client", "requests", "req/s", "p50 ms", "p99 ms", "max ms", "errors"],
                closed,
            ),
            f"Open loop: {RATE} requests/s on POST /api/ask for {open_seconds:.0f} s, latency from each "
            "request's scheduled send time.",
            common.table(
                [
                    "corpus",
                    "questions",
                    "offered/s",
                    "achieved/s",
                    "requests",
                    "p50 ms",
                    "p90 ms",
                    "p99 ms",
                    "max ms",
                    "errors",
                ],
                opened,
            ),
            "Repeated questions cycle the evaluation set's questions, so after the first round the "
            "service's answer cache serves them; unique questions carry a tag word no page holds, "
            "so every request is searched and composed.",
            "Server memory (RSS)",
            common.table(["corpus", "process", "before MB", "after MB"], memory),
        ]
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="5 s loops, default corpus only")
    ap.add_argument("--seconds", type=float, help="closed-loop duration per endpoint (default 25)")
    ap.add_argument("--open-seconds", type=float, help="open-loop duration (default 20)")
    ap.add_argument("--client", choices=["auto", "wrk", "threads"], default="auto")
    args = ap.parse_args(argv)
    seconds = args.seconds or (5 if args.quick else 25)
    open_seconds = args.open_seconds or (5 if args.quick else 20)
    tool = "wrk" if args.client == "wrk" or (args.client == "auto" and shutil.which("wrk")) else "threads"
    info = common.machine()
    corpora = [("default (corpus/)", common.ROOT / "corpus")]
    if not args.quick and common.SHARED_CORPUS.is_dir():
        corpora.append(("shared wiki", common.SHARED_CORPUS))
    results = []
    for name, corpus in corpora:
        results.append(
            run_corpus(name, corpus, seconds, open_seconds, tool, lambda m: print(m, file=sys.stderr))
        )
        common.write_result("http", {"machine": info, "results": results})
    print(render(results, info, seconds, open_seconds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
