#!/usr/bin/env python3
"""Check that requirements.txt resolves on every platform readers use, without those machines.

    pip install uv==0.13.8                                   # once, into .venv
    .venv/bin/python tests/environments/check_platforms.py   # writes tests/environments/platforms.md

``pip install --dry-run --platform ...`` cannot answer this: pip evaluates environment
markers (``sys_platform == "darwin"``, torch's ``platform_system == "Linux"`` CUDA
dependencies) for the machine it runs on, whatever ``--platform`` says. ``uv pip compile
--python-platform TARGET --only-binary :all:`` evaluates them for the target and only accepts
wheels published for it, so it is what a reader's pip would find there. For this machine's
own platform the script also runs pip's real dry run (``pip install --dry-run --report``).
Nothing is downloaded or installed. Run it after changing requirements.txt; it needs the
package index, so it is not part of the test run.
"""

from __future__ import annotations

import datetime
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(__file__).resolve().parent / "platforms.md"
PLATFORMS = {  # name: (uv's --python-platform, environment)
    "Linux x86_64 (glibc 2.28+)": ("x86_64-manylinux_2_28", {}),
    "Linux aarch64 (glibc 2.28+)": ("aarch64-manylinux_2_28", {}),
    "macOS 14+, Apple silicon": ("aarch64-apple-darwin", {"MACOSX_DEPLOYMENT_TARGET": "14.0"}),
    "macOS 14+, Intel": ("x86_64-apple-darwin", {"MACOSX_DEPLOYMENT_TARGET": "14.0"}),
    "Windows x86_64": ("x86_64-pc-windows-msvc", {}),
}
PYTHONS = ["3.11", "3.12", "3.13"]
WATCH = ("torch", "torchvision", "tensorflow", "tensorflow-cpu", "keras", "numpy", "jupyterlab", "playwright")


def _key(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _summary(pins: dict[str, str]) -> str:
    return f"{len(pins)} packages; " + ", ".join(f"{n} {pins[n]}" for n in WATCH if n in pins)


def with_uv(target: str, env: dict, python: str) -> tuple[bool, str]:
    result = subprocess.run(
        [sys.executable, "-m", "uv", "pip", "compile", str(ROOT / "requirements.txt"), "--python-platform", target,
         "--python-version", python, "--only-binary", ":all:", "--no-header", "--no-annotate", "--quiet"],
        capture_output=True, text=True, env=os.environ | env,
    )
    if result.returncode != 0:
        return False, " ".join(result.stderr.split())[:500]
    pins = dict(line.split("==", 1) for line in result.stdout.split() if "==" in line)
    return True, _summary({_key(k): v for k, v in pins.items()})


def with_pip(python: str) -> tuple[bool, str]:
    """pip's own dry run, for the machine this runs on."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        result = subprocess.run(
            [sys.executable, "-m", "pip", "install", "--dry-run", "--quiet", "--ignore-installed", "--report",
             str(report), "-r", str(ROOT / "requirements.txt")], capture_output=True, text=True)
        if result.returncode != 0:
            return False, " ".join(line for line in result.stderr.splitlines() if line.startswith("ERROR"))[:500]
        items = json.loads(report.read_text())["install"]
        installed = {_key(i["metadata"]["name"]): i["metadata"]["version"] for i in items}
        return True, _summary(installed)


def main() -> int:
    uv = subprocess.run([sys.executable, "-m", "uv", "--version"], capture_output=True, text=True)
    if uv.returncode != 0:
        print("needs uv: pip install uv==0.13.8", file=sys.stderr)
        return 2
    pip = subprocess.run([sys.executable, "-m", "pip", "--version"], capture_output=True, text=True).stdout.split()[1]
    here = f"{sys.version_info.major}.{sys.version_info.minor}"
    lines = [
        "# Does requirements.txt install on each platform?",
        "",
        f"Checked {datetime.date.today().isoformat()} by `python tests/environments/check_platforms.py` "
        f"({uv.stdout.strip()}, pip {pip}): `uv pip compile requirements.txt --python-platform TARGET "
        "--python-version X.Y --only-binary :all:` resolves from the package index with the environment "
        "markers evaluated for that platform and binary wheels only, as pip there would; the last row is "
        "pip's own `pip install --dry-run --report` on this machine. Nothing was installed or run on the "
        "other platforms.",
        "",
        "| platform | Python | resolves | result |",
        "|---|---|---|---|",
    ]
    for name, (target, env) in PLATFORMS.items():
        for python in PYTHONS:
            ok, text = with_uv(target, env, python)
            lines.append(f"| {name} | {python} | {'yes' if ok else '**no**'} | {text.replace('|', '/')} |")
            print(lines[-1], flush=True)
    ok, text = with_pip(here)
    lines.append(f"| this machine, pip's dry run | {here} | {'yes' if ok else '**no**'} | {text.replace('|', '/')} |")
    print(lines[-1])
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
