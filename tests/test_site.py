"""The static site builds from the stored outputs with no warnings, and hangs together."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import unquote, urldefrag, urlparse

import pytest

from book_layout import GITHUB_REPO, TOC_PAGES

pytestmark = pytest.mark.slow


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        for key in ("href", "src"):
            if attrs.get(key) and tag in ("a", "img", "link", "script"):
                self.links.append(attrs[key])


def test_every_toc_page_is_built(built_site):
    for page in TOC_PAGES:
        assert (built_site / f"{page}.html").is_file(), f"{page} missing from the built site"


def test_no_broken_internal_links(built_site):
    broken = []
    for html in built_site.rglob("*.html"):
        if "_static" in html.parts:
            continue
        parser = _Links()
        parser.feed(html.read_text(encoding="utf-8"))
        for link in parser.links:
            parsed = urlparse(link)
            if parsed.scheme or link.startswith(("//", "mailto:", "#", "javascript:")):
                continue
            target_path, fragment = urldefrag(unquote(parsed.path))
            target = (html.parent / target_path).resolve()
            if not target.exists():
                broken.append(f"{html.relative_to(built_site)} -> {link}")
    assert not broken, "broken links:\n" + "\n".join(broken[:30])


def test_notebook_pages_have_launch_buttons_and_download(built_site):
    repo = GITHUB_REPO
    for page in TOC_PAGES:
        if not page.startswith("notebooks/"):
            continue
        html = (built_site / f"{page}.html").read_text(encoding="utf-8")
        assert f"colab.research.google.com/github/{repo}/blob/main/{page}.ipynb" in html, f"{page}: no Colab link"
        binder = rf"mybinder\.org/v2/gh/{re.escape(repo)}/main\?urlpath=lab/tree/{re.escape(page)}\.ipynb"
        assert re.search(binder, html), f"{page}: no Binder link"
        assert f"_sources/{page}.ipynb" in html, f"{page}: no .ipynb download link"
        assert "MathJax" in html or "mathjax" in html, f"{page}: math rendering not configured"


def test_search_index_exists(built_site):
    index = (built_site / "searchindex.js").read_text(encoding="utf-8")
    assert "neuron" in index.lower()


def test_figures_have_alt_text(built_site):
    """Every figure a notebook draws carries a description (cell metadata mystnb.image.alt)."""
    missing = []
    for page in TOC_PAGES:
        if not page.startswith("notebooks/"):
            continue
        html = (built_site / f"{page}.html").read_text(encoding="utf-8")
        for tag in re.findall(r'<img [^>]*src="\.\./_images/[^"]+"[^>]*>', html):
            alt = re.search(r'alt="([^"]*)"', tag)
            if not alt or alt.group(1).endswith(".png") or len(alt.group(1)) < 15:
                missing.append(f"{page}: {tag[:120]}")
    assert not missing, "figures without alt text:\n" + "\n".join(missing)


def test_figures_are_opaque_and_reasonably_sized(built_site):
    """Plots keep their own white background (readable in dark mode) and a sensible size."""
    from PIL import Image

    for path in (built_site / "_images").glob("*.png"):
        with Image.open(path) as image:
            rgba = image.convert("RGBA")
            assert rgba.getpixel((1, 1))[3] == 255, f"{path.name}: transparent background"
        assert path.stat().st_size < 400_000, f"{path.name}: {path.stat().st_size:,} bytes; lower the dpi"
