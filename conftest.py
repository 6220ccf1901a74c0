"""Repository-wide pytest hooks: measure each notebook's runtime under nbval.

This file sits at the repository root (not in tests/) because pytest only calls a
conftest's per-test hooks for tests below its folder, and nbval's tests live in
notebooks/.

What a run measured goes to ``_build/verified/<environment>.json`` (the build folder,
never a tracked file): per notebook, whether every cell passed, its runtime, the date,
the library versions and the hardware. ``./book record`` copies the last passing
measurements into the committed tables the site shows (``chapters/runtimes.csv``,
``chapters/verified.json``). The environment's name comes from ``$DLBOOK_ENV``
(``./book test-env NAME`` sets it; ``pinned`` otherwise, i.e. requirements.txt).
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent
SITE = ROOT / "_build" / "html"
VERIFIED = ROOT / "_build" / "verified"

# Libraries named in the "last verified" note (distribution names).
LIBRARIES = (
    "torch", "torchvision", "tensorflow", "tensorflow-cpu", "keras", "numpy", "pandas", "scikit-learn",
    "scipy", "statsmodels", "matplotlib", "pillow", "ipywidgets", "ipykernel", "nbval", "dlbook-helpers",
)

_notebook_seconds: dict[str, float] = {}
_notebook_failed: set[str] = set()
_notebook_items: dict[str, int] = {}
_notebook_passed: dict[str, int] = {}


def _notebook_of(nodeid: str) -> str | None:
    path = nodeid.split("::")[0]
    return path if path.startswith("notebooks/") and path.endswith(".ipynb") else None


def pytest_collection_modifyitems(session, config, items):
    for item in items:
        path = _notebook_of(item.nodeid)
        if path:
            _notebook_items[path] = _notebook_items.get(path, 0) + 1


def pytest_runtest_logreport(report):
    path = _notebook_of(report.nodeid)
    if path:
        _notebook_seconds[path] = _notebook_seconds.get(path, 0.0) + report.duration
        if report.failed:
            _notebook_failed.add(path)
        elif report.when == "call" and report.passed:
            _notebook_passed[path] = _notebook_passed.get(path, 0) + 1


def _chapter_title(path: Path) -> str:
    import json

    first = json.loads(path.read_text(encoding="utf-8"))["cells"][0]["source"]
    return ("".join(first) if isinstance(first, list) else first).splitlines()[0].lstrip("# ").strip()


def hardware() -> dict:
    """The machine this run used: CPU model, logical cores, GPUs (what nvidia-smi lists)."""
    import platform
    import shutil
    import subprocess

    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    if not cpu and platform.system() == "Darwin":
        brand = ["sysctl", "-n", "machdep.cpu.brand_string"]
        cpu = subprocess.run(brand, capture_output=True, text=True).stdout.strip()
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 0
    gpus: list[str] = []
    if shutil.which("nvidia-smi"):
        result = subprocess.run(["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"],
                                capture_output=True, text=True, timeout=60)
        if result.returncode == 0:
            gpus = [line.strip() for line in result.stdout.splitlines() if line.strip()]
    return {"cpu": cpu or platform.processor() or platform.machine(), "cores": cores, "gpus": gpus,
            "system": platform.system(), "machine": platform.machine()}


def environment() -> dict:
    """Name, Python and library versions of the environment running this session."""
    import platform
    from importlib import metadata

    versions = {}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return {"environment": os.environ.get("DLBOOK_ENV", "pinned"), "python": platform.python_version(),
            "versions": versions}


def pytest_sessionfinish(session, exitstatus):
    """Write what this run measured into _build/verified/ (never into tracked files).

    A notebook counts as verified only if every one of its cells ran and passed in this
    session. Entries for notebooks not run in this session are kept from earlier runs.
    """
    import datetime
    import json

    if not _notebook_items:
        return
    env = environment()
    machine = hardware()
    now = datetime.datetime.now(datetime.timezone.utc)
    VERIFIED.mkdir(parents=True, exist_ok=True)
    target = VERIFIED / f"{env['environment']}.json"
    try:
        record = json.loads(target.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        record = {}
    notebooks = record.get("notebooks", {})
    for path, items in _notebook_items.items():
        if path not in _notebook_seconds:  # collected but never run (deselected, stopped early)
            continue
        passed = path not in _notebook_failed and _notebook_passed.get(path, 0) == items
        notebooks[path] = {
            "title": _chapter_title(ROOT / path),
            "passed": passed,
            "seconds": round(_notebook_seconds[path], 1),
            "date": now.date().isoformat(),
            "python": env["python"],
            "versions": env["versions"],
            "hardware": machine,
        }
    record = {"environment": env["environment"], "updated": now.isoformat(timespec="seconds"),
              "notebooks": dict(sorted(notebooks.items()))}
    target.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def pytest_terminal_summary(terminalreporter):
    if _notebook_seconds:
        terminalreporter.section(
            f"notebook runtimes (nbval, fresh kernel, environment {os.environ.get('DLBOOK_ENV', 'pinned')})"
        )
        for path, seconds in sorted(_notebook_seconds.items()):
            status = "FAILED" if path in _notebook_failed else "ok"
            terminalreporter.write_line(f"{seconds / 60:6.1f} min  {path}  {status}")
        terminalreporter.write_line(f"written to {VERIFIED.relative_to(ROOT)}/; `./book record` copies them "
                                    "into chapters/runtimes.csv and chapters/verified.json")
    if (SITE / "index.html").exists():
        pages = [p for p in SITE.rglob("*.html") if "_static" not in p.parts]
        total = sum(p.stat().st_size for p in SITE.rglob("*") if p.is_file())
        largest = max(pages, key=lambda p: p.stat().st_size)
        terminalreporter.section("site weight")
        terminalreporter.write_line(
            f"{total / 1e6:.1f} MB in {sum(1 for p in SITE.rglob('*') if p.is_file())} files; largest page "
            f"{largest.relative_to(SITE)} at {largest.stat().st_size / 1e6:.2f} MB"
        )
