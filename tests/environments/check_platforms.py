#!/usr/bin/env python3
"""Check that requirements.txt resolves on every platform readers use, without those machines.

    python tests/environments/check_platforms.py            # writes tests/environments/platforms.md

For each platform, ``pip install --dry-run --only-binary=:all: --platform ... --python-version
...`` resolves requirements.txt from the package index as pip on that machine would (binary
wheels only, environment markers evaluated for that platform) and downloads no package. The
result (resolved, or pip's error) goes into platforms.md with the date and pip's version. Run
it after changing requirements.txt; it needs the index, so it is not part of the test run.
"""

from __future__ import annotations

import datetime
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(__file__).resolve().parent / "platforms.md"


def _manylinux(arch: str, newest_glibc: int = 28) -> list[str]:
    """What pip on a glibc 2.28+ Linux accepts (e.g. Debian 10+, Ubuntu 20.04+, RHEL 8+)."""
    return [f"manylinux_2_{minor}_{arch}" for minor in range(newest_glibc, 16, -1)] + [
        f"manylinux2014_{arch}", f"linux_{arch}"]


PLATFORMS = {  # name: the wheel platform tags pip on that machine accepts (newest first)
    "Linux x86_64": _manylinux("x86_64"),
    "Linux aarch64": _manylinux("aarch64"),
    "macOS, Apple silicon (arm64)": ["macosx_14_0_arm64"],
    "macOS, Intel (x86_64)": ["macosx_14_0_x86_64"],
    "Windows x86_64": ["win_amd64"],
}
PYTHONS = ["3.11", "3.12", "3.13"]
WATCH = ("torch", "torchvision", "tensorflow", "tensorflow-cpu", "keras", "numpy", "jupyterlab", "playwright")


def resolve(tags: list[str], python: str) -> tuple[bool, str]:
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        command = [sys.executable, "-m", "pip", "install", "--dry-run", "--quiet", "--ignore-installed",
                   "--target", str(Path(tmp) / "target"), "--only-binary=:all:", "--implementation", "cp",
                   "--python-version", python, "--report", str(report), "-r", str(ROOT / "requirements.txt")]
        for tag in tags:
            command += ["--platform", tag]
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0:
            errors = [line for line in result.stderr.splitlines() if line.startswith("ERROR")]
            return False, " ".join(errors)[:400] or result.stderr[-400:]
        installed = {re.sub(r"[-_.]+", "-", item["metadata"]["name"]).lower(): item["metadata"]["version"]
                     for item in json.loads(report.read_text())["install"]}
        named = ", ".join(f"{name} {installed[name]}" for name in WATCH if name in installed)
        return True, f"{len(installed)} packages; {named}"


def main() -> int:
    pip = subprocess.run([sys.executable, "-m", "pip", "--version"], capture_output=True, text=True).stdout.split()[1]
    lines = [
        "# Does requirements.txt install on each platform?",
        "",
        f"Checked {datetime.date.today().isoformat()} with pip {pip} by `python tests/environments/check_platforms.py`:",
        "`pip install --dry-run --only-binary=:all: --platform TAG --python-version X.Y -r requirements.txt`,",
        "i.e. resolved from the package index as pip on that machine would (environment markers",
        "evaluated for it, binary wheels only); nothing was installed or run on those platforms.",
        "",
        "| platform | Python | resolves | result |",
        "|---|---|---|---|",
    ]
    failures = 0
    for name, tags in PLATFORMS.items():
        for python in PYTHONS:
            ok, text = resolve(tags, python)
            failures += not ok
            lines.append(f"| {name} | {python} | {'yes' if ok else '**no**'} | {text.replace('|', '/')} |")
            print(lines[-1], flush=True)
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
