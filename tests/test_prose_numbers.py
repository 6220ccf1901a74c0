"""Every number in a chapter's prose is printed by its code, a results file, or an allow-list.

The rules are in tools/prose_numbers.py (and CONTRIBUTING.md). The first tests pin the rules
down on small examples; the last one runs the check on every notebook, so a chapter added
later is checked too.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import prose_numbers
from book_layout import NOTEBOOKS, ROOT


def keys(markdown: str) -> list[str]:
    return [n.key for n in prose_numbers.extract(markdown, 0)]


def kinds(markdown: str) -> dict[str, str]:
    return {n.key: n.kind for n in prose_numbers.extract(markdown, 0)}


def test_finds_the_kinds_of_numbers_a_reader_sees():
    found = kinds("Accuracy 0.85 after 45 s, 85 % of 1,409 customers, 3 times faster, 9.3 points, "
                  "\\$135.8 per customer, a 163 MB file, 6 ppm, 2 minutes, 17× more.")
    assert found == {"0.85": "decimal", "45": "time", "85": "percent", "1,409": "count", "3": "times",
                     "9.3": "points", "135.8": "money", "163": "unit", "6": "unit", "2": "time", "17": "times"}


def test_scientific_notation_in_text_and_math():
    assert kinds("moved by $5.8 \\times 10^{-11}$ of its size") == {"5.8e-11": "sci"}
    assert kinds("moved by 5.8 × 10⁻¹¹ of its size") == {"5.8e-11": "sci"}
    assert kinds("epsilon $10^{-8}$") == {"1e-8": "sci"}


def test_ignores_what_is_not_a_claim():
    text = "\n".join([
        "# 5. Convolutional networks",
        "1. First item with 3 seeds",
        "See chapter 4 and Exercises 2 and 3; section 12.",
        "CIFAR-10 on ResNet-18 in float32 on a 2-core CPU with 1-D filters, top-1.",
        "Keras 3.13.2, Python ≥ 3.10 and scikit-learn 1.4 (keras-team/keras#20285).",
        "Code `lr=0.05` and [a link](https://example.com/x/2024/0.5) and $x_{12}$.",
        "```python\nprint(0.123)\n```",
        "A paper found 94 % {cite}`keller2024` in 3.83 s.",
    ])
    assert keys(text) == []


def test_a_range_shares_its_unit():
    assert kinds("3–11 % and 0.2 to 0.5 s") == {"3": "percent", "11": "percent", "0.2": "time", "0.5": "time"}


def test_directive_bodies_are_prose_but_code_blocks_are_not():
    assert keys(":::{admonition} Solution\n:class: dropdown\nIt reaches 0.913.\n:::") == ["0.913"]
    assert keys("```{note}\nAbout 0.75.\n```") == ["0.75"]
    assert keys("```{code-block} python\nx = 0.75\n```") == []


def test_arithmetic_shown_in_math_is_verified():
    derived: set[str] = set()
    math = "$784 \\cdot 128 + 128 = 100{,}480$ and $\\lceil 50000/128 \\rceil = 391$"
    found = prose_numbers.extract(math, 0, derived)
    assert {"100,480", "391"} <= derived
    assert "100,480" not in [n.key for n in found] and "784" in [n.key for n in found]
    wrong: set[str] = set()
    assert "21" in [n.key for n in prose_numbers.extract("$16 + 6 = 21$", 0, wrong)]  # a wrong sum is reported
    assert not wrong


def _notebook(tmp_path: Path, markdown: str, outputs: list[str], code: str = "", hidden: bool = False,
              metadata: dict | None = None) -> Path:
    cell = {"cell_type": "code", "execution_count": 1, "id": "c",
            "metadata": {"tags": ["remove-cell"] if hidden else []}, "source": code,
            "outputs": [{"output_type": "stream", "name": "stdout", "text": t} for t in outputs]}
    nb = {"cells": [{"cell_type": "markdown", "id": "m", "metadata": {}, "source": markdown}, cell],
          "metadata": {"dlbook": {"prose_numbers": metadata}} if metadata else {}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps(nb))
    return path


@pytest.mark.parametrize("prose, output", [
    ("It scored 0.85.", "test accuracy 0.8503\n"),
    ("It scored 85 %.", "test accuracy 0.850\n"),
    ("It scored 85 %.", "test accuracy 85.0%\n"),
    ("It scored 0.85.", "test accuracy 85.0%\n"),
    ("It moved by 5.8 × 10⁻¹¹.", "ratio 5.83e-11\n"),
    ("About 2,280 on average.", "mean 2283.0\n"),
    ("It took 5.8 min.", "elapsed 349 s\n"),
    ("It fell from 0.3 to -0.622.", "0.3 -0.622\n"),
    ("It was 1,409 customers.", "1409\n"),
])
def test_a_printed_output_supports_the_prose_with_rounding(tmp_path, prose, output):
    assert prose_numbers.check(_notebook(tmp_path, prose, [output])).ok


@pytest.mark.parametrize("prose, output", [
    ("It scored 0.85.", "test accuracy 0.8403\n"),
    ("It scored 85 %.", "test accuracy 0.84\n"),
    ("About 100 customers.", "count 91\n"),
    ("a billionth, 1e-9", "5.8e-11\n"),
])
def test_a_number_that_no_output_prints_is_reported(tmp_path, prose, output):
    report = prose_numbers.check(_notebook(tmp_path, prose, [output]))
    assert not report.ok
    message = report.format()
    assert "cell 0" in message and "nb.ipynb" in message and "nearest outputs" in message


def test_hidden_cells_do_not_count_but_visible_code_settings_do(tmp_path):
    assert not prose_numbers.check(_notebook(tmp_path, "It scored 0.64.", ["0.64\n"], hidden=True)).ok
    assert prose_numbers.check(_notebook(tmp_path, "With learning rate 0.05 and 16 units.", [],
                                         code="model = make(lr=0.05, units=16)")).ok


def test_allow_list_needs_reasons_and_no_stale_entries(tmp_path):
    good = {"allow": {"1943": "year of McCulloch and Pitts's paper"}}
    assert prose_numbers.check(_notebook(tmp_path, "In 1943 the neuron.", [], metadata=good)).ok
    no_reason = {"allow": {"1943": ""}}
    assert not prose_numbers.check(_notebook(tmp_path, "In 1943 the neuron.", [], metadata=no_reason)).ok
    stale = {"allow": {"1943": "year of McCulloch and Pitts's paper", "0.5": "a threshold we no longer quote"}}
    report = prose_numbers.check(_notebook(tmp_path, "In 1943 the neuron.", [], metadata=stale))
    assert not report.ok and "not used" in report.format()


def test_results_files_must_name_their_command(tmp_path, monkeypatch):
    monkeypatch.setattr(prose_numbers, "ROOT", tmp_path)
    (tmp_path / "with.md").write_text("Command: `python bench.py --all`\n\n| run | acc |\n| a | 0.850 |\n")
    (tmp_path / "without.md").write_text("| run | acc |\n| a | 0.850 |\n")
    assert prose_numbers.check(_notebook(tmp_path, "It reached 0.850.", [], metadata={"results": ["with.md"]})).ok
    report = prose_numbers.check(_notebook(tmp_path, "It reached 0.850.", [], metadata={"results": ["without.md"]}))
    assert "no 'Command:' line" in report.format()
    missing = prose_numbers.check(_notebook(tmp_path, "It reached 0.850.", [], metadata={"results": ["gone.md"]}))
    assert "does not exist" in missing.format()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_every_number_in_the_prose_is_produced_or_allowed(path):
    report = prose_numbers.check(path)
    if not report.ok:
        pytest.fail(report.format() + "\n(rules: tools/prose_numbers.py; list all with "
                    f"`python tools/prose_numbers.py {path.relative_to(ROOT)} --list`)", pytrace=False)
