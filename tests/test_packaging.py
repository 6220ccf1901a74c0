"""The helpers install with pip, as the Colab setup cell does."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from book_layout import ROOT

PACKAGE_FILES = sorted(
    f"helpers/{p.relative_to(ROOT / 'helpers').as_posix()}"
    for p in (ROOT / "helpers").rglob("*")
    if p.is_file() and "__pycache__" not in p.parts
)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel pip builds, from a copy of the sources (a build writes build/ and *.egg-info/ beside them)."""
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    shutil.copytree(ROOT / "helpers", source / "helpers", ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp_path_factory.mktemp("wheel")
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", str(out), str(source)],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return next(out.glob("dlbook_helpers-*.whl"))


def test_helpers_build_as_a_wheel_with_every_module_and_data_file(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"helpers/explorer/explorer.html", "helpers/explorer/explorer.js"} <= set(PACKAGE_FILES)
    missing = sorted(set(PACKAGE_FILES) - names)
    assert not missing, f"missing from the wheel: {missing}"
    assert not any(n.startswith(("tests/", "notebooks/", "tools/")) for n in names)


def _install(wheel: Path, tmp_path: Path) -> Path:
    "pip-install the wheel alone (no dependencies, no index) into a fresh folder; return the folder."
    target = tmp_path / "site-packages"
    result = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--target", str(target), str(wheel)],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return target


def _run_installed(script: str, target: Path, tmp_path: Path) -> subprocess.CompletedProcess:
    "Run a Python script with the installed copy first on the path, ahead of this checkout's editable install."
    env = {**os.environ, "PYTHONPATH": str(target)}
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path, env=env)
    assert run.returncode == 0, run.stderr[-3000:]
    return run


def test_an_installed_wheel_renders_an_explorer(wheel, tmp_path):
    target = _install(wheel, tmp_path)
    script = (
        "import helpers, matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot as plt\n"
        "from helpers.widgets import explore\n"
        "def draw(k):\n"
        "    fig, ax = plt.subplots(figsize=(1, 1), dpi=30); ax.plot([0, k]); return fig\n"
        "print(helpers.__file__)\n"
        "print(explore(draw, k=[1, 2]).to_html())\n"
    )
    run = _run_installed(script, target, tmp_path)
    location, html = run.stdout.split("\n", 1)
    assert Path(location).is_relative_to(target), f"imported {location}, not the installed wheel"
    assert '<div class="dlbook-explorer">' in html and 'type="range"' in html and "document.currentScript" in html


def test_an_installed_wheel_runs_the_self_checked_exercises(wheel, tmp_path):
    """helpers.exercises and its chapter modules are subpackage files: the Colab install must carry them."""
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"helpers/exercises/__init__.py", "helpers/exercises/churn.py"} <= names
    target = _install(wheel, tmp_path)
    script = (
        "import helpers.exercises.churn as exercises\n"
        "ex3 = exercises.other_costs()\n"
        "def starter(costs):\n"
        "    ...\n"
        "print(exercises.__file__)\n"
        "print(ex3.check(starter))\n"
        "print(ex3.check(lambda c: (c[0, 1] - c[0, 0]) / (c[1, 0] - c[1, 1])))\n"
    )
    run = _run_installed(script, target, tmp_path)
    location, starter, odds = run.stdout.splitlines()
    assert Path(location).is_relative_to(target), f"imported {location}, not the installed wheel"
    assert starter == "✗ Exercise 3: not yet. Replace the `...` with your answer, then run the cell again."
    assert odds.startswith("✗ Exercise 3: not yet. It looks like the odds")


def test_binder_and_colab_files_agree_with_requirements():
    assert (ROOT / "runtime.txt").read_text().strip() == "python-3.11"
    assert "pip install --no-deps -e ." in (ROOT / "postBuild").read_text()
    requirements = (ROOT / "requirements.txt").read_text()
    for pinned in ("torch==", "torchvision==", "tensorflow-cpu==", "jupyter-book==", "nbval=="):
        assert pinned in requirements


def test_the_package_version_is_stated_once_per_place_and_agrees():
    """pyproject.toml's version, helpers.__version__ and every setup cell's pin must agree (tools/setup_cell.py)."""
    import tomllib

    import helpers

    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert helpers.__version__ == version, "bump helpers/__init__.py's __version__ with pyproject.toml"
    check = subprocess.run([sys.executable, str(ROOT / "tools" / "setup_cell.py"), "--check"],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
