"""The Python code passes ruff: pycodestyle, pyflakes and import order (settings in pyproject.toml)."""

from __future__ import annotations

import subprocess
import sys

from book_layout import ROOT


def test_ruff_finds_nothing():
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "--output-format", "concise", str(ROOT)],
        capture_output=True, text=True, cwd=ROOT,
    )
    assert result.returncode == 0, f"ruff (fix with `.venv/bin/ruff check --fix`):\n{result.stdout}{result.stderr}"
