#!/usr/bin/env python3
"""Store notebooks in one canonical format so that diffs stay readable.

Keeps only the metadata that matters (cell tags, myst-nb display options such as a
figure's alt text; the notebook's kernelspec and language, and its ``dlbook`` block), gives every cell a stable id, drops execution timestamps, and writes
sorted keys with one-space indentation.

    python tools/nbfmt.py notebooks/*.ipynb          # rewrite in place
    python tools/nbfmt.py --test notebooks/*.ipynb   # exit 1 if any would change
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def canonicalize(nb: dict) -> dict:
    """Return ``nb`` in the book's canonical form (does not execute anything)."""
    cells = []
    seen: set[str] = set()
    for index, cell in enumerate(nb.get("cells", [])):
        kind = cell["cell_type"]
        text = _source(cell)
        cell_id = cell.get("id")
        if not cell_id or cell_id in seen:
            digest = hashlib.sha1(f"{index}:{text}".encode()).hexdigest()[:8]
            cell_id = f"c{digest}"
        seen.add(cell_id)
        out = {"cell_type": kind, "id": cell_id, "metadata": {}, "source": text.splitlines(keepends=True)}
        tags = cell.get("metadata", {}).get("tags")
        if tags:
            out["metadata"]["tags"] = sorted(set(tags))
        if cell.get("metadata", {}).get("mystnb"):  # e.g. {"image": {"alt": "..."}} for the site
            out["metadata"]["mystnb"] = cell["metadata"]["mystnb"]
        if kind == "code":
            out["execution_count"] = cell.get("execution_count")
            outputs = []
            for output in cell.get("outputs", []):
                output = dict(output)
                if output.get("output_type") in ("display_data", "execute_result"):
                    output.setdefault("metadata", {})
                if output.get("output_type") == "stream" and isinstance(output.get("text"), str):
                    output["text"] = output["text"].splitlines(keepends=True)
                if "data" in output:
                    output["data"] = {
                        key: (value.splitlines(keepends=True) if isinstance(value, str) and not key.startswith("image/") else value)
                        for key, value in output["data"].items()
                    }
                outputs.append(output)
            out["outputs"] = outputs
        elif "attachments" in cell:
            out["attachments"] = cell["attachments"]
        cells.append(out)
    return {
        "cells": cells,
        "metadata": _notebook_metadata(nb.get("metadata", {})),
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def _notebook_metadata(metadata: dict) -> dict:
    """Kernel and language, plus the book's own ``dlbook`` block (e.g. the prose-number allow-list)."""
    out = {"kernelspec": KERNELSPEC, "language_info": {"name": "python"}}
    if metadata.get("dlbook"):
        out["dlbook"] = metadata["dlbook"]
    return out


def dumps(nb: dict) -> str:
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--test", action="store_true", help="only check; exit 1 if a file is not canonical")
    parser.add_argument("paths", nargs="+", type=Path)
    args = parser.parse_args(argv)
    bad = 0
    for path in args.paths:
        text = path.read_text(encoding="utf-8")
        want = dumps(canonicalize(json.loads(text)))
        if text != want:
            if args.test:
                print(f"{path}: not in canonical format (run: python tools/nbfmt.py {path})")
                bad += 1
            else:
                path.write_text(want, encoding="utf-8")
                print(f"formatted {path}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
