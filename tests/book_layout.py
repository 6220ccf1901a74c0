"""What the tests need to know about the book's layout, read from its own config files.

The one place the tests name the repository's paths: import ``ROOT``, ``SITE`` and
``NOTEBOOKS`` from here, and read a notebook with :func:`read_notebook`.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import yaml

from build_site import ROOT
from build_site import SITE as SITE  # re-exported: where `./book site` writes the site

_TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())
_CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())

# every page in the table of contents, e.g. "chapters/intro", "notebooks/01-neurons"
TOC_PAGES: list[str] = [_TOC["root"]] + [c["file"] for part in _TOC.get("parts", []) for c in part["chapters"]]
NOTEBOOK_PAGES: list[str] = [p for p in TOC_PAGES if p.startswith("notebooks/")]
REPOSITORY_URL: str = _CONFIG["repository"]["url"]
GITHUB_REPO: str = REPOSITORY_URL.removeprefix("https://github.com/")  # "owner/name"

# every stored notebook, in file-name (reading) order
NOTEBOOKS: list[Path] = sorted((ROOT / "notebooks").glob("*.ipynb"))


def read_notebook(path: Path) -> nbformat.NotebookNode:
    """A stored notebook as nbformat reads it (version 4; cell sources are strings)."""
    return nbformat.read(path, as_version=4)
