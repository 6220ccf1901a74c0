"""tools/nbfmt.py: one canonical notebook format, keeping what the book relies on and nothing else."""

from __future__ import annotations

import copy
import json

import nbformat
import pytest

import nbfmt

DLBOOK = {"prose_numbers": {"allow": {"64": "hidden width, set in the model cell"}, "results": ["r.md"]}}
ALT = {"image": {"alt": "A sigmoid curve rising from 0 to 1"}}


def messy_notebook() -> dict:
    """A notebook as Jupyter, Colab or an editor might save it."""
    return {
        "cells": [
            {"cell_type": "markdown", "id": "intro",
             "metadata": {"collapsed": True, "jp-MarkdownHeadingCollapsed": True},
             "source": "# 1. Title\nSome prose.", "attachments": {"a.png": {"image/png": "iVBOR"}}},
            {"cell_type": "code", "id": "plot", "execution_count": 1, "source": ["x = 1\n", "x"],
             "metadata": {"tags": ["remove-cell", "hide-input", "remove-cell"], "mystnb": ALT,
                          "execution": {"iopub.execute_input": "2026-12-01T10:00:00Z"}, "scrolled": True,
                          "colab": {"base_uri": "https://localhost:8080/"}},
             "outputs": [
                 {"output_type": "stream", "name": "stdout", "text": "one\ntwo\n"},
                 {"output_type": "execute_result", "execution_count": 1, "transient": {"display_id": "x"},
                  "data": {"text/plain": "1\n2", "image/png": "iVBORw0KGgo\nAAAA"}},
                 {"output_type": "display_data", "data": {"text/html": "<b>bold</b>\n<i>it</i>"},
                  "metadata": {"image/png": {"width": 300}}},
             ]},
            {"cell_type": "code", "id": "plot", "execution_count": None, "source": "", "metadata": {}, "outputs": []},
            {"cell_type": "code", "execution_count": 2, "source": "print(2)", "metadata": {"tags": []},
             "outputs": [{"output_type": "error", "ename": "E", "evalue": "v", "traceback": ["t"]}]},
        ],
        "metadata": {
            "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
            "language_info": {"name": "python", "version": "3.11.7", "mimetype": "text/x-python"},
            "widgets": {"application/vnd.jupyter.widget-state+json": {"state": {}}},
            "colab": {"provenance": []},
            "dlbook": DLBOOK,
        },
        "nbformat": 4,
        "nbformat_minor": 2,
    }


@pytest.fixture()
def canonical() -> dict:
    return nbfmt.canonicalize(messy_notebook())


def test_idempotent(canonical):
    assert nbfmt.canonicalize(copy.deepcopy(canonical)) == canonical
    text = nbfmt.format_text(json.dumps(messy_notebook()))
    assert nbfmt.format_text(text) == text


def test_does_not_modify_its_input():
    nb = messy_notebook()
    nbfmt.canonicalize(nb)
    assert nb == messy_notebook()


def test_result_is_a_valid_nbformat_4_5_notebook(canonical):
    nbformat.validate(nbformat.from_dict(canonical))
    assert (canonical["nbformat"], canonical["nbformat_minor"]) == (4, 5)


def test_keeps_the_dlbook_block_and_fixes_kernel_and_language(canonical):
    assert canonical["metadata"] == {
        "dlbook": DLBOOK, "kernelspec": nbfmt.KERNELSPEC, "language_info": {"name": "python"},
    }


def test_keeps_tags_sorted_and_once_and_myst_nb_options(canonical):
    plot = canonical["cells"][1]
    assert plot["metadata"] == {"tags": ["hide-input", "remove-cell"], "mystnb": ALT}


def test_drops_timestamps_editor_state_and_empty_metadata(canonical):
    markdown, plot, empty, printed = canonical["cells"]
    assert markdown["metadata"] == {} and empty["metadata"] == {} and printed["metadata"] == {}
    assert "execution" not in plot["metadata"] and "colab" not in plot["metadata"]
    assert "widgets" not in canonical["metadata"] and "colab" not in canonical["metadata"]
    assert "transient" not in plot["outputs"][1]


def test_cell_ids_are_kept_made_unique_and_stable():
    ids = [cell["id"] for cell in nbfmt.canonicalize(messy_notebook())["cells"]]
    assert ids[:2] == ["intro", "plot"], "existing unique ids are kept"
    assert len(set(ids)) == len(ids), "a repeated or missing id is replaced"
    assert ids == [cell["id"] for cell in nbfmt.canonicalize(messy_notebook())["cells"]], "same input, same ids"
    edited = messy_notebook()
    edited["cells"][1]["source"] = "x = 2"  # editing a cell keeps its id
    assert [c["id"] for c in nbfmt.canonicalize(edited)["cells"]][:2] == ["intro", "plot"]


def test_text_is_stored_as_lines_and_images_as_one_string(canonical):
    markdown, plot, _, printed = canonical["cells"]
    assert markdown["source"] == ["# 1. Title\n", "Some prose."]
    assert markdown["attachments"] == {"a.png": {"image/png": "iVBOR"}}
    stream, result, display = plot["outputs"]
    assert stream["text"] == ["one\n", "two\n"]
    assert result["data"] == {"text/plain": ["1\n", "2"], "image/png": "iVBORw0KGgo\nAAAA"}
    assert result["metadata"] == {}
    assert display["data"]["text/html"] == ["<b>bold</b>\n", "<i>it</i>"]
    assert display["metadata"] == {"image/png": {"width": 300}}
    assert printed["outputs"] == [{"output_type": "error", "ename": "E", "evalue": "v", "traceback": ["t"]}]


def test_command_line_checks_and_rewrites(tmp_path, capsys):
    path = tmp_path / "messy.ipynb"
    path.write_text(json.dumps(messy_notebook()), encoding="utf-8")
    assert nbfmt.main(["--test", str(path)]) == 1
    assert "not in canonical format" in capsys.readouterr().out
    assert json.loads(path.read_text(encoding="utf-8")) == messy_notebook(), "--test must not write"
    assert nbfmt.main([str(path)]) == 0
    assert path.read_text(encoding="utf-8") == nbfmt.dumps(nbfmt.canonicalize(messy_notebook()))
    assert nbfmt.main(["--test", str(path)]) == 0
