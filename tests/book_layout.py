"""What the tests need to know about the book's layout, read from its own config files."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
_TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())
_CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())

# every page in the table of contents, e.g. "chapters/intro", "notebooks/01-neurons"
TOC_PAGES: list[str] = [_TOC["root"]] + [c["file"] for part in _TOC.get("parts", []) for c in part["chapters"]]
NOTEBOOK_PAGES: list[str] = [p for p in TOC_PAGES if p.startswith("notebooks/")]
REPOSITORY_URL: str = _CONFIG["repository"]["url"]
GITHUB_REPO: str = REPOSITORY_URL.removeprefix("https://github.com/")  # "owner/name"
