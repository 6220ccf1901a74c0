"""The helpers install with pip, as the Colab setup cell does."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_helpers_build_as_a_wheel_with_every_module(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", str(tmp_path), str(ROOT)],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    wheel = next(tmp_path.glob("dlbook_helpers-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    modules = {f"helpers/{p.name}" for p in (ROOT / "helpers").glob("*.py")}
    assert modules <= names, f"missing from the wheel: {sorted(modules - names)}"
    assert not any(n.startswith(("tests/", "notebooks/")) for n in names)


def test_binder_and_colab_files_agree_with_requirements():
    assert (ROOT / "runtime.txt").read_text().strip() == "python-3.11"
    assert "pip install --no-deps -e ." in (ROOT / "postBuild").read_text()
    requirements = (ROOT / "requirements.txt").read_text()
    for pinned in ("torch==", "torchvision==", "tensorflow-cpu==", "jupyter-book==", "nbval=="):
        assert pinned in requirements
