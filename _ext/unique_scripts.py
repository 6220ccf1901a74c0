"""Drop script tags that a page would otherwise include twice.

Some extensions (sphinx-thebe, sphinx-togglebutton) add their inline configuration
scripts again when Sphinx restores its pickled environment, once with ``filename=None``
and once with ``filename=""``. Every page then declared ``const THEBE_JS_URL`` twice and
the browser logged a SyntaxError. Keeping the first copy of each identical script fixes
that without touching the extensions themselves.
"""

from __future__ import annotations

from sphinx.application import Sphinx


def _unique(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    scripts = context.get("script_files")
    if not scripts:
        return
    seen: set[tuple] = set()
    kept = []
    for script in scripts:
        attributes = getattr(script, "attributes", {}) or {}
        # a script added with filename None and one restored from the environment with
        # filename "" are the same inline script
        key = (getattr(script, "filename", script) or "", attributes.get("body"), attributes.get("src"))
        if key in seen:
            continue
        seen.add(key)
        kept.append(script)
    scripts[:] = kept  # in place: other handlers hold the same list


def setup(app: Sphinx) -> dict:
    app.connect("html-page-context", _unique, priority=10_000)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
