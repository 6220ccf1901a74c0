"""Notebook hygiene: what readers and nbval meet when they open a stored notebook.

nbval (run by the same test command) re-executes every notebook and compares outputs;
these checks cover what it does not: the stored notebook itself.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

import nbfmt
from book_layout import NOTEBOOK_PAGES, NOTEBOOKS, REPOSITORY_URL, ROOT, read_notebook

MACHINE_PATH = re.compile(r"(/root/|/home/[\w.-]+/|/tmp/|/work/|/Users/|site-packages|[A-Z]:\\\\)")
MAX_OUTPUT_BYTES = 1_000_000
MAX_NOTEBOOK_BYTES = 3_000_000


def _code_cells(nb: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]


@pytest.fixture(scope="module", params=NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def notebook(request) -> tuple[Path, nbformat.NotebookNode]:
    path = request.param
    return path, read_notebook(path)


def test_there_are_notebooks():
    assert NOTEBOOKS, "no notebooks found under notebooks/"


def test_every_notebook_is_in_the_table_of_contents():
    for path in NOTEBOOKS:
        assert f"notebooks/{path.stem}" in NOTEBOOK_PAGES, f"{path.name} is not listed in _toc.yml"


def test_names_are_numbered_in_reading_order():
    numbers = [int(p.name.split("-")[0]) for p in NOTEBOOKS]
    assert numbers == list(range(1, len(NOTEBOOKS) + 1)), [p.name for p in NOTEBOOKS]


def test_executed_top_to_bottom_in_a_fresh_kernel(notebook):
    path, nb = notebook
    counts = [c.get("execution_count") for c in _code_cells(nb)]
    assert counts == list(range(1, len(counts) + 1)), f"{path.name}: run `./book refresh {path.relative_to(ROOT)}`"


def test_no_error_outputs(notebook):
    path, nb = notebook
    errors = [i for i, c in enumerate(nb.cells) for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors, f"{path.name}: error outputs in cells {errors}"


def test_no_stderr_noise_or_machine_paths(notebook):
    path, nb = notebook
    for index, cell in enumerate(nb["cells"]):
        text = json.dumps(cell.get("outputs", []))
        assert not MACHINE_PATH.search(text), f"{path.name} cell {index}: a machine path in the output"
        for output in cell.get("outputs", []):
            if output["output_type"] == "stream" and output["name"] == "stderr":
                stderr = output["text"]
                assert "Traceback" not in stderr and "absl::" not in stderr, f"{path.name} cell {index}: {stderr[:300]}"


def test_figures_carry_alt_text(notebook):
    """Every drawn figure has a description for screen readers (cell metadata mystnb.image.alt).

    tests/test_site.py checks the same on the built page; this catches it in `./book check`.
    """
    path, nb = notebook
    missing = []
    for i, c in enumerate(nb.cells):
        if c.cell_type != "code" or not any("image/png" in o.get("data", {}) for o in c.get("outputs", [])):
            continue
        alt = c.metadata.get("mystnb", {}).get("image", {}).get("alt", "")
        if len(alt) < 15:
            missing.append(i)
    assert not missing, f"{path.name}: cells {missing} draw a figure without metadata mystnb.image.alt"


def test_outputs_stay_small(notebook):
    path, nb = notebook
    for index, cell in enumerate(nb["cells"]):
        size = len(json.dumps(cell.get("outputs", [])))
        assert size <= MAX_OUTPUT_BYTES, f"{path.name} cell {index}: outputs are {size:,} bytes"
    assert path.stat().st_size <= MAX_NOTEBOOK_BYTES, f"{path.name} is {path.stat().st_size:,} bytes"


def test_canonical_format(notebook):
    path, _ = notebook
    text = path.read_text(encoding="utf-8")
    assert nbfmt.format_text(text) == text, f"{path.name}: run `python tools/nbfmt.py {path.relative_to(ROOT)}`"


def test_structure_objectives_runtime_recap_exercises(notebook):
    path, nb = notebook
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert re.match(r"# \d+\. ", nb.cells[0].source), f"{path.name}: first cell must be the '# N. Title'"
    assert "Learning objectives" in markdown, f"{path.name}: no learning objectives"
    assert "**Runtime.**" in markdown, f"{path.name}: no runtime note"
    assert "## Recap" in markdown and "## Exercises" in markdown, f"{path.name}: no recap/exercises"
    assert ":class: dropdown" in markdown, f"{path.name}: exercise solutions must sit in dropdowns"


def test_tags_compare_what_is_deterministic(notebook):
    path, nb = notebook
    code = _code_cells(nb)
    tags = [set(c.get("metadata", {}).get("tags", [])) for c in code]
    compared = [c for c, t in zip(code, tags) if "nbval-ignore-output" not in t and "nbval-skip" not in t
                and c.get("outputs")]
    assert compared, f"{path.name}: no cell output is compared by nbval"
    assert not any("nbval-skip" in t for t in tags), f"{path.name}: skipped cells hide failures"
    # every ignored training cell checks itself or is followed (soon) by a hidden assertion cell
    hidden_asserts = [i for i, (c, t) in enumerate(zip(code, tags)) if "remove-cell" in t and "assert" in c.source]
    assert hidden_asserts, f"{path.name}: no hidden (remove-cell) assertion cell"
    for i, (cell, t) in enumerate(zip(code, tags)):
        source = cell.source
        if "nbval-ignore-output" in t and re.search(r"\.fit\(|\.backward\(\)|\.step\(\)", source):
            assert "assert" in source or any(i < j <= i + 3 for j in hidden_asserts), (
                f"{path.name}: training cell {i} has ignored output but no hidden assertion right after it"
            )


def test_no_magic_comments_for_test_plumbing(notebook):
    path, nb = notebook
    for cell in _code_cells(nb):
        assert not re.search(r"#\s*(NBVAL_|nbval)", cell.source), f"{path.name}: use cell tags, not magic comments"


def test_setup_cell_is_the_template(notebook):
    """The first code cell is tools/setup_cell.py's template: it installs the helpers where missing."""
    path, nb = notebook
    import setup_cell  # tools/ is on pytest's pythonpath

    first_code = _code_cells(nb)[0]
    assert f"git+{REPOSITORY_URL}@v" in setup_cell.render()
    assert first_code.source == setup_cell.render(), f"{path.name}: run `python tools/setup_cell.py {path.name}`"
    assert "hide-cell" in first_code.get("metadata", {}).get("tags", []), f"{path.name}: hide the setup cell"


def test_shared_hygiene_tool_agrees():
    """The project-wide nb-hygiene tool (beside the repository in ../shared) finds nothing."""
    tool = ROOT.parent / "shared" / "tools" / "nb-hygiene"
    if not tool.exists():
        pytest.skip("../shared/tools/nb-hygiene is not beside this checkout")
    result = subprocess.run([sys.executable, str(tool), *map(str, NOTEBOOKS)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
