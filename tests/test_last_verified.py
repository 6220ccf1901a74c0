"""Measured runtimes and the "last verified" notes: written by the test run into the build
folder, copied into committed tables only by `./book record`, shown on every chapter page."""

from __future__ import annotations

import importlib.util
import json

import pytest

from book_layout import NOTEBOOK_PAGES, ROOT


def _load(path):
    spec = importlib.util.spec_from_file_location(f"_dlbook_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


record_verified = _load(ROOT / "tools" / "record_verified.py")
last_verified = _load(ROOT / "_ext" / "last_verified.py")
root_conftest = _load(ROOT / "conftest.py")

ENTRY = {
    "title": "1. Neurons", "passed": True, "seconds": 75.0, "date": "2026-12-01", "python": "3.13.0",
    "versions": {"torch": "2.11.0", "tensorflow": "2.20.0", "keras": "3.13.2", "numpy": "2.1.3"},
    "hardware": {"cpu": "Example CPU", "cores": 2, "gpus": []},
}


def test_the_run_records_the_real_hardware_and_versions():
    machine = root_conftest.hardware()
    assert machine["cores"] >= 1 and machine["cpu"] and isinstance(machine["gpus"], list)
    env = root_conftest.environment()
    assert env["environment"] and env["python"].count(".") == 2
    assert "numpy" in env["versions"] and "dlbook-helpers" in env["versions"]


def test_record_copies_passing_runs_and_keeps_failed_ones(tmp_path, monkeypatch):
    measured = tmp_path / "verified"
    measured.mkdir()
    monkeypatch.setattr(record_verified, "MEASURED", measured)
    monkeypatch.setattr(record_verified, "RUNTIMES_CSV", tmp_path / "runtimes.csv")
    monkeypatch.setattr(record_verified, "VERIFIED_JSON", tmp_path / "verified.json")
    failed = dict(ENTRY, passed=False, date="2026-12-02")
    (measured / "pinned.json").write_text(json.dumps({"notebooks": {
        "notebooks/01-neurons.ipynb": ENTRY, "notebooks/02-activation-functions.ipynb": failed}}))
    log = record_verified.record(["pinned", "colab"])
    verified = json.loads((tmp_path / "verified.json").read_text())
    assert verified["notebooks/01-neurons.ipynb"]["pinned"]["minutes"] == 1.2
    assert "notebooks/02-activation-functions.ipynb" not in verified
    assert any("did not pass" in line for line in log) and any("colab: no measurements" in line for line in log)
    rows = (tmp_path / "runtimes.csv").read_text().splitlines()
    assert rows[0] == "Notebook,Chapter,Minutes,Machine,Measured"
    assert rows[1] == 'notebooks/01-neurons.ipynb,1. Neurons,1.2,"2 CPU cores (Example CPU), no GPU",2026-12-01'


def test_note_names_date_versions_environment_and_hardware():
    lines = last_verified.note_lines({"colab": dict(ENTRY, minutes=1.2),
                                      "pinned": dict(ENTRY, minutes=1.0, versions={"torch": "2.14.1"})})
    assert lines[0].startswith("2026-12-01, with the book's pinned versions")
    assert "Colab's versions" in lines[1] and "PyTorch 2.11.0, TensorFlow 2.20.0, Keras 3.13.2" in lines[1]
    assert "; on 2 CPU cores (Example CPU), no GPU" in lines[1] and "1.0 min on" in lines[0]


def test_committed_table_and_notes_cover_every_notebook():
    verified = json.loads((ROOT / "chapters" / "verified.json").read_text())
    for page in NOTEBOOK_PAGES:
        if (ROOT / f"{page}.ipynb").exists():
            assert "pinned" in verified.get(f"{page}.ipynb", {}), f"{page}: no pinned run recorded (./book record)"


@pytest.mark.slow
def test_every_chapter_page_shows_its_last_verified_note(built_site):
    verified = json.loads((ROOT / "chapters" / "verified.json").read_text())
    for page in NOTEBOOK_PAGES:
        html = (built_site / f"{page}.html").read_text(encoding="utf-8")
        assert "dlbook-last-verified" in html and "Last verified" in html, f"{page}: no note"
        for env, entry in verified.get(f"{page}.ipynb", {}).items():
            label = last_verified.ENVIRONMENTS[env].split(" (")[0]
            assert entry["date"] in html and label in html.replace("&#8217;", "'"), (page, env)
