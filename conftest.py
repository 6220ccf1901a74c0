"""Repository-wide pytest hooks: record each notebook's measured runtime under nbval.

This file sits at the repository root (not in tests/) because pytest only calls a
conftest's per-test hooks for tests below its folder, and nbval's tests live in
notebooks/.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent
SITE = ROOT / "_build" / "html"


RUNTIMES_CSV = ROOT / "chapters" / "runtimes.csv"
_notebook_seconds: dict[str, float] = {}
_notebook_failed: set[str] = set()


def pytest_runtest_logreport(report):
    path = report.nodeid.split("::")[0]
    if path.startswith("notebooks/") and path.endswith(".ipynb"):
        _notebook_seconds[path] = _notebook_seconds.get(path, 0.0) + report.duration
        if report.failed:
            _notebook_failed.add(path)


def _chapter_title(path: Path) -> str:
    import json

    first = json.loads(path.read_text(encoding="utf-8"))["cells"][0]["source"]
    return ("".join(first) if isinstance(first, list) else first).splitlines()[0].lstrip("# ").strip()


def pytest_sessionfinish(session, exitstatus):
    """Record how long each notebook took under nbval (fresh kernel, top to bottom).

    The landing page shows this table, so the runtimes readers see are measured by the
    tests rather than typed by hand. Only notebooks that ran completely and passed are
    written; rows for notebooks not run in this session are kept.
    """
    import csv
    import datetime

    measured = {p: s for p, s in _notebook_seconds.items() if p not in _notebook_failed}
    if not measured:
        return
    rows: dict[str, list[str]] = {}
    if RUNTIMES_CSV.exists():
        with open(RUNTIMES_CSV, newline="", encoding="utf-8") as handle:
            for row in list(csv.reader(handle))[1:]:
                rows[row[0]] = row
    today = datetime.date.today().isoformat()
    cores = os.cpu_count() or 0
    for path, seconds in measured.items():
        notebook = ROOT / path
        rows[path] = [path, _chapter_title(notebook), f"{seconds / 60:.1f}", f"{cores} CPU cores, no GPU", today]
    with open(RUNTIMES_CSV, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["Notebook", "Chapter", "Minutes", "Machine", "Measured"])
        for key in sorted(rows):
            writer.writerow(rows[key])


def pytest_terminal_summary(terminalreporter):
    if _notebook_seconds:
        terminalreporter.section("notebook runtimes (nbval, fresh kernel)")
        for path, seconds in sorted(_notebook_seconds.items()):
            status = "FAILED" if path in _notebook_failed else "ok"
            terminalreporter.write_line(f"{seconds / 60:6.1f} min  {path}  {status}")
    if (SITE / "index.html").exists():
        pages = [p for p in SITE.rglob("*.html") if "_static" not in p.parts]
        total = sum(p.stat().st_size for p in SITE.rglob("*") if p.is_file())
        largest = max(pages, key=lambda p: p.stat().st_size)
        terminalreporter.section("site weight")
        terminalreporter.write_line(
            f"{total / 1e6:.1f} MB in {sum(1 for p in SITE.rglob('*') if p.is_file())} files; largest page "
            f"{largest.relative_to(SITE)} at {largest.stat().st_size / 1e6:.2f} MB"
        )
