"""Serve MathJax from the site itself instead of a CDN.

Readers offline (a laptop on a train, this project's CI) still get rendered maths, and
the site makes no third-party requests. The files come from the PyPI package
``sphinx-mathjax-offline`` (MathJax 3); only the TeX-to-CommonHTML bundle, its web fonts
and the on-demand TeX extensions are copied (about 2.2 MB), not the package's whole 24 MB tree.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

from sphinx.application import Sphinx

BUNDLE = "tex-chtml.js"
FONTS = Path("output") / "chtml" / "fonts" / "woff-v2"
# TeX packages MathJax loads on demand (e.g. \boldsymbol -> boldsymbol.js)
TEX_EXTENSIONS = Path("input") / "tex" / "extensions"


def _mathjax_source() -> Path:
    spec = importlib.util.find_spec("sphinx-mathjax-offline")
    if spec is None or spec.origin is None:
        raise RuntimeError("MathJax files not found: pip install sphinx-mathjax-offline (see requirements.txt)")
    return Path(spec.origin).parent / "static" / "mathjax"


def _copy(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    source = _mathjax_source()
    target = Path(app.outdir) / "_static" / "mathjax"
    (target / FONTS).mkdir(parents=True, exist_ok=True)
    shutil.copy2(source / BUNDLE, target / BUNDLE)
    shutil.copytree(source / FONTS, target / FONTS, dirs_exist_ok=True)
    shutil.copytree(source / TEX_EXTENSIONS, target / TEX_EXTENSIONS, dirs_exist_ok=True)


def setup(app: Sphinx) -> dict:
    _mathjax_source()  # fail early, with the fix in the message
    app.config.mathjax_path = f"mathjax/{BUNDLE}"
    app.connect("build-finished", _copy)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
