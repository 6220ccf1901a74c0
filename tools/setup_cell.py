#!/usr/bin/env python3
"""Write the setup cell, the first code cell of every notebook, from one template.

The cell makes sure the kernel has the book's ``helpers`` at the version the notebook
was executed with. Where they are missing or at another version (Colab, Binder without
``postBuild``, a notebook downloaded from the site into one's own Jupyter) it installs
them from the book's repository, pinned to the release tag of that version; where they
are installed (``./book venv``, CI) it does nothing. The repository comes from
``_config.yml`` (``repository.url``), the version from ``pyproject.toml``.

    python tools/setup_cell.py                 # rewrite the setup cell of every notebook
    python tools/setup_cell.py NOTEBOOK ...    # only these
    python tools/setup_cell.py --check         # exit 1 if a notebook's cell differs

Only the first code cell's source (and its ``hide-cell`` tag) is touched: other cells,
outputs and the file's formatting stay as they are, so the script can run again after
any merge. Running it twice changes nothing.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

TEMPLATE = '''\
# Setup: the book's helpers, at the version this notebook was run with. Installs them
# where they are missing (Colab, Binder, a downloaded notebook); elsewhere does nothing.
from importlib.metadata import PackageNotFoundError, version

try:
    HELPERS_READY = version("dlbook-helpers") == "{version}"
except PackageNotFoundError:
    HELPERS_READY = False
if not HELPERS_READY:
    %pip install --quiet "dlbook-helpers @ git+{url}@v{version}"'''
TAG = "hide-cell"


def _repository_url() -> str:
    text = (ROOT / "_config.yml").read_text(encoding="utf-8")
    block = re.search(r"^repository:\n((?:[ \t]+.*\n?)+)", text, re.M)
    match = block and re.search(r"^\s+url:\s*(\S+)", block.group(1), re.M)
    if not match:
        raise SystemExit("_config.yml has no repository: url: line")
    return match.group(1).strip("'\"")


def _helpers_version() -> str:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    match = re.search(r'^\[project\][^\[]*?^version\s*=\s*"([^"]+)"', text, re.M | re.S)
    if not match:
        raise SystemExit('pyproject.toml has no [project] version = "..." line')
    return match.group(1)


def render() -> str:
    """The setup cell's source, for this checkout's repository URL and helpers version."""
    return TEMPLATE.format(url=_repository_url(), version=_helpers_version())


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def first_code_cell(nb: dict) -> dict:
    for cell in nb["cells"]:
        if cell["cell_type"] == "code" and _source(cell).strip():
            return cell
    raise ValueError("the notebook has no code cell")


def is_current(nb: dict, text: str) -> bool:
    cell = first_code_cell(nb)
    return _source(cell) == text and TAG in cell.get("metadata", {}).get("tags", [])


def apply(path: Path, text: str) -> bool:
    """Put ``text`` into the notebook's setup cell; return True if the file changed."""
    raw = path.read_text(encoding="utf-8")
    nb = json.loads(raw)
    if is_current(nb, text):
        return False
    cell = first_code_cell(nb)
    cell["source"] = text.splitlines(keepends=True)
    metadata = cell.setdefault("metadata", {})
    metadata["tags"] = sorted(set(metadata.get("tags", [])) | {TAG})
    # the format tools/nbfmt.py writes, so a canonical notebook differs only in this cell
    path.write_text(json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    return True


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check; exit 1 if a cell differs")
    parser.add_argument("notebooks", nargs="*", type=Path)
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("*.ipynb"))
    text = render()
    stale = []
    for path in paths:
        if args.check:
            if not is_current(json.loads(path.read_text(encoding="utf-8")), text):
                stale.append(path)
        elif apply(path, text):
            print(f"setup cell written: {path}")
    for path in stale:
        print(f"{path}: the first code cell is not the setup cell (run: python tools/setup_cell.py {path})")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
