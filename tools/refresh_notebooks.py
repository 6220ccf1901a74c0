#!/usr/bin/env python3
"""Re-execute notebooks in place, top to bottom in a fresh kernel, and store them canonically.

    ./book refresh                          # every notebook under notebooks/
    ./book refresh notebooks/01-neurons.ipynb

Stored outputs are only ever produced by this script, never edited by hand.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from nbfmt import format_text  # beside this file, so on sys.path when it runs as a script

ROOT = Path(__file__).resolve().parent.parent


def refresh(path: Path) -> float:
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:  # start from a clean slate so nothing stale survives
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    client = NotebookClient(
        nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    start = time.perf_counter()
    client.execute()
    elapsed = time.perf_counter() - start
    path.write_text(format_text(nbformat.writes(nb)), encoding="utf-8")
    return elapsed


def main(argv: list[str]) -> int:
    paths = [Path(p) for p in argv] or sorted((ROOT / "notebooks").glob("*.ipynb"))
    for path in paths:
        print(f"executing {path} ...", flush=True)
        elapsed = refresh(path)
        print(f"  done in {elapsed:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
