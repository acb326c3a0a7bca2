"""ruff is part of the suite: a lint or formatting regression fails CI like any other test."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from conftest import ROOT

TARGETS = ["src", "tests", "benchmarks"]


def ruff(*args: str) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("ruff", path=str(ROOT / ".venv" / "bin")) or shutil.which("ruff")
    if exe is None:
        pytest.skip("ruff is not installed (make test installs it)")
    return subprocess.run([exe, *args, *TARGETS], cwd=ROOT, capture_output=True, text=True, check=False)


def test_ruff_finds_no_lint_errors():
    result = ruff("check", "--no-cache")
    assert result.returncode == 0, result.stdout + result.stderr


def test_code_is_ruff_formatted():
    result = ruff("format", "--check", "--no-cache")
    assert result.returncode == 0, result.stdout + result.stderr


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__]))
