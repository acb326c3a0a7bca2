"""Feedback and asked questions in one SQLite file, for `wikidesk report`.

Several gunicorn workers write to the same file in WAL mode with a busy timeout. Feedback is
one short transaction on its own connection with synchronous=FULL, so an acknowledged vote
survives even a power cut. The log of asked questions, written on every answer, goes through a
connection kept per thread with synchronous=NORMAL: it survives a crash of the server and costs
one INSERT per request, not a connect and an fsync.
The schema only ever grows: tables are created when missing
and an existing file is never dropped or rewritten.
"""

from __future__ import annotations

import os
import re
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .errors import WikideskError

SCHEMA_VERSION = 1
KINDS = ("helpful", "deflection")
BUSY_TIMEOUT_MS = 10_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY,
    ts REAL NOT NULL,
    question TEXT NOT NULL,
    helpful INTEGER,
    page TEXT NOT NULL DEFAULT '',
    section TEXT NOT NULL DEFAULT '',
    kind TEXT NOT NULL DEFAULT 'helpful',
    origin TEXT NOT NULL DEFAULT '',
    comment TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS feedback_ts ON feedback(ts);
CREATE TABLE IF NOT EXISTS questions (
    id INTEGER PRIMARY KEY,
    ts REAL NOT NULL,
    question TEXT NOT NULL,
    answered INTEGER NOT NULL,
    page TEXT NOT NULL DEFAULT '',
    confidence REAL
);
CREATE INDEX IF NOT EXISTS questions_ts ON questions(ts);
"""


class StoreError(WikideskError):
    """The feedback store cannot be written; the message names the file."""

    status = 503


@dataclass(frozen=True)
class Feedback:
    question: str
    helpful: bool | None
    page: str = ""
    section: str = ""
    kind: str = "helpful"
    origin: str = ""
    comment: str = ""


class Store:
    """A handle on the SQLite file; holds no connection, so one instance is safe in any thread."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._local = threading.local()

    def _log_connection(self) -> sqlite3.Connection:
        """A connection kept per thread and process for the question log, opened on first use
        (after gunicorn forks), so logging an answer costs one INSERT, not a connect."""
        conn = getattr(self._local, "conn", None)
        if conn is not None and self._local.pid == os.getpid():
            return conn
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        if conn.execute("PRAGMA user_version").fetchone()[0] < SCHEMA_VERSION:
            conn.executescript(_SCHEMA + f"PRAGMA user_version = {SCHEMA_VERSION};")
        self._local.conn, self._local.pid = conn, os.getpid()
        return conn

    @contextmanager
    def _connect(self, create: bool = True) -> Iterator[sqlite3.Connection]:
        if create:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        try:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            if create:
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = FULL")
                if conn.execute("PRAGMA user_version").fetchone()[0] < SCHEMA_VERSION:
                    conn.executescript(_SCHEMA + f"PRAGMA user_version = {SCHEMA_VERSION};")
            yield conn
        finally:
            conn.close()

    def _write(self, sql: str, params: tuple[Any, ...]) -> int:
        try:
            with self._connect() as conn:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    cur = conn.execute(sql, params)
                    conn.execute("COMMIT")
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                return int(cur.lastrowid or 0)
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(f"cannot write to the feedback store {self.path}: {exc}") from exc

    def add_feedback(self, fb: Feedback, ts: float | None = None) -> int:
        if fb.kind not in KINDS:
            raise WikideskError(f"kind must be one of {', '.join(KINDS)}, got {fb.kind!r}")
        return self._write(
            "INSERT INTO feedback (ts, question, helpful, page, section, kind, origin, comment)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                time.time() if ts is None else ts,
                fb.question,
                None if fb.helpful is None else int(fb.helpful),
                fb.page,
                fb.section,
                fb.kind,
                fb.origin,
                fb.comment,
            ),
        )

    def add_question(
        self,
        question: str,
        answered: bool,
        page: str = "",
        confidence: float | None = None,
        ts: float | None = None,
    ) -> int:
        row = (time.time() if ts is None else ts, question, int(answered), page, confidence)
        try:
            cur = self._log_connection().execute(
                "INSERT INTO questions (ts, question, answered, page, confidence) VALUES (?, ?, ?, ?, ?)", row
            )
            return int(cur.lastrowid or 0)
        except (sqlite3.Error, OSError) as exc:
            self._local.conn = None
            raise StoreError(f"cannot write to the feedback store {self.path}: {exc}") from exc

    def feedback_rows(self) -> list[dict[str, Any]]:
        return self._rows("SELECT * FROM feedback ORDER BY id")

    def question_rows(self) -> list[dict[str, Any]]:
        return self._rows("SELECT * FROM questions ORDER BY id")

    def _rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        try:
            with self._connect(create=False) as conn:
                conn.row_factory = sqlite3.Row
                return [dict(r) for r in conn.execute(sql, params)]
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return []
            raise StoreError(f"cannot read the feedback store {self.path}: {exc}") from exc
        except sqlite3.Error as exc:
            raise StoreError(f"cannot read the feedback store {self.path}: {exc}") from exc

    def report(self, days: int | None = 30, top: int = 10, now: float | None = None) -> dict[str, Any]:
        """Counts over the last `days` days (all time when days is None or 0)."""
        now = time.time() if now is None else now
        since = now - days * 86400 if days else 0.0
        questions = self._rows("SELECT * FROM questions WHERE ts >= ?", (since,))
        feedback = self._rows("SELECT * FROM feedback WHERE ts >= ?", (since,))
        asked = len(questions)
        answered = sum(1 for q in questions if q["answered"])
        helpful = [f for f in feedback if f["kind"] == "helpful"]
        return {
            "store": str(self.path),
            "days": days or None,
            "since": _iso(since) if since else None,
            "questions": asked,
            "answered": answered,
            "answered_rate": round(answered / asked, 4) if asked else None,
            "helpful_yes": sum(1 for f in helpful if f["helpful"] == 1),
            "helpful_no": sum(1 for f in helpful if f["helpful"] == 0),
            "deflections": sum(1 for f in feedback if f["kind"] == "deflection"),
            "top_unanswered": _top_questions([q for q in questions if not q["answered"]], top),
            "not_helpful": _top_questions([f for f in helpful if f["helpful"] == 0], top),
            "most_cited_pages": _top_pages(questions, top),
        }


def normalize_question(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().rstrip("?!. ").lower()


def _top_questions(rows: list[dict[str, Any]], top: int) -> list[dict[str, Any]]:
    groups: dict[str, dict[str, Any]] = {}
    for r in rows:
        key = normalize_question(r["question"])
        g = groups.setdefault(key, {"question": r["question"].strip(), "count": 0, "last": 0.0})
        g["count"] += 1
        g["last"] = max(g["last"], r["ts"])
    ranked = sorted(groups.values(), key=lambda g: (-g["count"], -g["last"]))
    return [{"question": g["question"], "count": g["count"]} for g in ranked[:top]]


def _top_pages(rows: list[dict[str, Any]], top: int) -> list[dict[str, Any]]:
    counts: dict[str, int] = {}
    for r in rows:
        if r["answered"] and r["page"]:
            counts[r["page"]] = counts.get(r["page"], 0) + 1
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [{"page": p, "count": n} for p, n in ranked[:top]]


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M UTC")


def render_report(report: dict[str, Any]) -> str:
    """The report as plain text for a terminal or an e-mail."""
    period = f"last {report['days']} days (since {report['since']})" if report.get("days") else "all time"
    rate = report["answered_rate"]
    votes = report["helpful_yes"] + report["helpful_no"]
    lines = [
        f"wikidesk report, {period}",
        f"store: {report['store']}",
        "",
        f"questions asked     {report['questions']}",
        f"answered            {report['answered']}" + (f" ({rate:.0%})" if rate is not None else ""),
        f"helpful: yes / no   {report['helpful_yes']} / {report['helpful_no']}"
        + (f" ({report['helpful_yes'] / votes:.0%} yes)" if votes else ""),
        f"tickets deflected   {report['deflections']}",
    ]
    for title, key, label in (
        ("Top unanswered questions", "top_unanswered", "question"),
        ("Answers marked not helpful", "not_helpful", "question"),
        ("Most cited pages", "most_cited_pages", "page"),
    ):
        lines += ["", title + ":"]
        rows = report.get(key) or []
        lines += [f"  {r['count']:>4}  {r[label]}" for r in rows] or ["  (none)"]
    return "\n".join(lines)
