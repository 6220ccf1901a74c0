#!/usr/bin/env python3
"""Store notebooks in one canonical format so that diffs stay readable.

Each level of a notebook keeps only what its allow-list names (below): the notebook its
``dlbook`` block, with a fixed kernelspec and language; a cell its tags and myst-nb
display options; an output the fields of the nbformat schema. Everything else (execution
timestamps, editor and widget state) is dropped. Every cell gets a stable id, text is
stored as lists of lines, and the JSON is written with sorted keys and one-space indents.

    python tools/nbfmt.py notebooks/*.ipynb          # rewrite in place
    python tools/nbfmt.py --test notebooks/*.ipynb   # exit 1 if any would change
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

# --- the allow-lists, one per level -------------------------------------------------
NOTEBOOK_METADATA = ("dlbook",)  # the book's own block, e.g. the prose-number allow-list
CELL_METADATA = ("tags", "mystnb")  # nbval and site tags; myst-nb options such as a figure's alt text
OUTPUT_FIELDS = ("output_type", "name", "text", "data", "metadata", "execution_count", "ename", "evalue", "traceback")

KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}
LANGUAGE_INFO = {"name": "python"}


def canonicalize(nb: dict) -> dict:
    """Return ``nb`` in the book's canonical form (does not execute anything)."""
    return {
        "cells": _cells(nb.get("cells", [])),
        "metadata": _notebook_metadata(nb.get("metadata", {})),
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def dumps(nb: dict) -> str:
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def format_text(text: str) -> str:
    """The canonical file contents for a notebook file's contents ``text``."""
    return dumps(canonicalize(json.loads(text)))


# --- the steps ----------------------------------------------------------------------
def _notebook_metadata(metadata: dict) -> dict:
    out = {"kernelspec": KERNELSPEC, "language_info": LANGUAGE_INFO}
    out.update(_allowed(metadata, NOTEBOOK_METADATA))
    return out


def _cells(cells: list[dict]) -> list[dict]:
    return [_cell(cell, cell_id) for cell, cell_id in zip(cells, _stable_ids(cells))]


def _stable_ids(cells: list[dict]) -> list[str]:
    """Each cell's id: its own if it has a unique one, else one derived from its position and source."""
    ids: list[str] = []
    for index, cell in enumerate(cells):
        cell_id = cell.get("id")
        if not cell_id or cell_id in ids:
            digest = hashlib.sha1(f"{index}:{_text(cell.get('source', ''))}".encode()).hexdigest()[:8]
            cell_id = f"c{digest}"
        ids.append(cell_id)
    return ids


def _cell(cell: dict, cell_id: str) -> dict:
    out = {
        "cell_type": cell["cell_type"],
        "id": cell_id,
        "metadata": _cell_metadata(cell.get("metadata", {})),
        "source": _lines(_text(cell.get("source", ""))),
    }
    if cell["cell_type"] == "code":
        out["execution_count"] = cell.get("execution_count")
        out["outputs"] = [_output(output) for output in cell.get("outputs", [])]
    elif "attachments" in cell:
        out["attachments"] = cell["attachments"]
    return out


def _cell_metadata(metadata: dict) -> dict:
    out = _allowed(metadata, CELL_METADATA)
    if "tags" in out:
        out["tags"] = sorted(set(out["tags"]))
    return out


def _output(output: dict) -> dict:
    out = _allowed(output, OUTPUT_FIELDS, keep_empty=True)
    if out.get("output_type") in ("display_data", "execute_result"):
        out.setdefault("metadata", {})
    if out.get("output_type") == "stream" and isinstance(out.get("text"), str):
        out["text"] = _lines(out["text"])
    if "data" in out:  # text of every kind as lines; images (base64) stay one string
        out["data"] = {
            mime: _lines(value) if isinstance(value, str) and not mime.startswith("image/") else value
            for mime, value in out["data"].items()
        }
    return out


# --- small pieces -------------------------------------------------------------------
def _allowed(mapping: dict, keys: tuple[str, ...], keep_empty: bool = False) -> dict:
    """The entries of ``mapping`` named in ``keys`` (empty ones dropped unless ``keep_empty``)."""
    return {key: mapping[key] for key in keys if key in mapping and (keep_empty or mapping[key])}


def _text(source: str | list[str]) -> str:
    return "".join(source) if isinstance(source, list) else source


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--test", action="store_true", help="only check; exit 1 if a file is not canonical")
    parser.add_argument("paths", nargs="+", type=Path)
    args = parser.parse_args(argv)
    bad = 0
    for path in args.paths:
        text = path.read_text(encoding="utf-8")
        want = format_text(text)
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
