#!/usr/bin/env python3
"""Build the static site into _build/html from the notebooks' stored outputs (no execution).

    ./book site                # what readers and CI get (installs everything first)
    python tools/build_site.py

The one definition of the build, shared by `./book site` and the tests' ``built_site``
fixture: the previous HTML and doctrees are removed first, so no stale page survives, and
every Sphinx warning is an error, reported all together at the end of the build.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "_build"
SITE = BUILD / "html"


def build(capture: bool = False) -> subprocess.CompletedProcess:
    """Run the build; with ``capture`` its output is returned instead of printed."""
    shutil.rmtree(SITE, ignore_errors=True)
    shutil.rmtree(BUILD / ".doctrees", ignore_errors=True)
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    command = [str(jupyter_book), "build", str(ROOT), "--warningiserror", "--keep-going", "--quiet"]
    return subprocess.run(command, cwd=ROOT, capture_output=capture, text=True)


def main() -> int:
    result = build()
    if result.returncode == 0:
        print(f"==> site built: {SITE.relative_to(ROOT)}/index.html")
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
