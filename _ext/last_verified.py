"""A generated "Last verified" note at the top of every chapter (before its first section).

The note says when the book's tests last ran the chapter top to bottom, in which
environments every cell and every hidden check passed (the pinned versions of
``requirements.txt``; Colab's versions from ``tests/environments/colab.txt``), with
which library versions, and on what hardware. It is read from
``chapters/verified.json``, which only ``./book record`` writes, from what the test
runs measured: nothing in the note is typed by hand. A reader whose numbers differ
can then tell whether their setup or the book changed.
"""

from __future__ import annotations

import json
from pathlib import Path

from docutils import nodes
from sphinx.application import Sphinx

SOURCE = Path("chapters") / "verified.json"
ENVIRONMENTS = {  # shown in this order
    "pinned": "the book's pinned versions (requirements.txt)",
    "colab": "Colab's versions (tests/environments/colab.txt)",
    "minimum": "the minimum versions (tests/environments/minimum.txt)",
    "latest": "the newest releases",
}
LIBRARIES = [  # (distribution, how the note names it)
    ("torch", "PyTorch"), ("tensorflow", "TensorFlow"), ("tensorflow-cpu", "TensorFlow"), ("keras", "Keras"),
    ("numpy", "NumPy"), ("pandas", "pandas"), ("scikit-learn", "scikit-learn"), ("ipywidgets", "ipywidgets"),
]


def hardware_text(hardware: dict) -> str:
    cpu = f"{hardware.get('cores', '?')} CPU cores" + (f" ({hardware['cpu']})" if hardware.get("cpu") else "")
    gpus = hardware.get("gpus") or []
    return f"{cpu}, {', '.join(gpus) if gpus else 'no GPU'}"


def versions_text(entry: dict) -> str:
    versions = entry.get("versions", {})
    named, seen = [f"Python {entry['python']}"] if entry.get("python") else [], set()
    for distribution, label in LIBRARIES:
        if distribution in versions and label not in seen:
            named.append(f"{label} {versions[distribution]}")
            seen.add(label)
    return ", ".join(named)


def note_lines(entries: dict) -> list[str]:
    """One line per environment the chapter passed in, pinned first."""
    lines = []
    for env in sorted(entries, key=lambda e: list(ENVIRONMENTS).index(e) if e in ENVIRONMENTS else 99):
        entry = entries[env]
        # minutes only for the pinned run (the landing page's table); the other environments
        # run in CI after it, where their wall time says little about the chapter
        took = f"{entry['minutes']:.1f} min " if env == "pinned" else ""
        lines.append(
            f"{entry['date']}, with {ENVIRONMENTS.get(env, env)}: {versions_text(entry)}; "
            f"{took}on {hardware_text(entry.get('hardware', {}))}."
        )
    return lines


def _note(entries: dict | None) -> nodes.Element:
    note = nodes.admonition(classes=["note", "dlbook-last-verified"])
    note += nodes.title(text="Last verified")
    if not entries:
        note += nodes.paragraph(text="Not yet verified by the book's test run (./book test, then ./book record).")
        return note
    note += nodes.paragraph(
        text="The book's tests ran this chapter top to bottom in a fresh kernel; every cell ran and "
             "every hidden check passed:"
    )
    items = nodes.bullet_list()
    for line in note_lines(entries):
        items += nodes.list_item("", nodes.paragraph(text=line))
    note += items
    return note


def _insert(app: Sphinx, doctree: nodes.document) -> None:
    docname = app.env.docname
    if not docname.startswith("notebooks/"):
        return
    path = Path(app.srcdir) / SOURCE
    verified = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    note = _note(verified.get(f"{docname}.ipynb"))
    section = next(iter(doctree.findall(nodes.section)), None)
    if section is None:
        doctree.insert(0, note)
        return
    # after the chapter's opening (objectives, runtime note), before its first subsection
    first = next((i for i, child in enumerate(section.children) if isinstance(child, nodes.section)), None)
    if first is None:
        section += note
    else:
        section.insert(first, note)


def setup(app: Sphinx) -> dict:
    app.connect("doctree-read", _insert)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "env_version": 1}
