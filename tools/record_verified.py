#!/usr/bin/env python3
"""Copy the last test runs' measurements into the committed tables the site shows.

    ./book test                 # measures the pinned environment -> _build/verified/pinned.json
    ./book test-env colab       # measures Colab's versions      -> _build/verified/colab.json
    ./book record               # -> chapters/runtimes.csv and chapters/verified.json
    ./book record pinned        # only some environments

The test run itself never writes tracked files (the root ``conftest.py`` writes to the
build folder). This command is the one explicit step that updates what readers see: the
landing page's runtime table (``chapters/runtimes.csv``, from the pinned environment)
and every chapter's "last verified" note (``chapters/verified.json``, read by
``_ext/last_verified.py``). Only notebooks whose every cell passed are recorded; the
committed entry of a notebook that failed or was not run stays as it was.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MEASURED = ROOT / "_build" / "verified"
RUNTIMES_CSV = ROOT / "chapters" / "runtimes.csv"
VERIFIED_JSON = ROOT / "chapters" / "verified.json"
DEFAULT_ENVIRONMENTS = ("pinned", "colab")


def machine(hardware: dict) -> str:
    """'2 CPU cores (AMD EPYC 7B13), no GPU' -- the hardware as the runtime table shows it."""
    cpu = f"{hardware.get('cores', '?')} CPU cores" + (f" ({hardware['cpu']})" if hardware.get("cpu") else "")
    gpus = hardware.get("gpus") or []
    return f"{cpu}, {', '.join(gpus) if gpus else 'no GPU'}"


def _read_csv() -> dict[str, list[str]]:
    if not RUNTIMES_CSV.exists():
        return {}
    with open(RUNTIMES_CSV, newline="", encoding="utf-8") as handle:
        return {row[0]: row for row in list(csv.reader(handle))[1:] if row}


def _write_csv(rows: dict[str, list[str]]) -> None:
    with open(RUNTIMES_CSV, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["Notebook", "Chapter", "Minutes", "Machine", "Measured"])
        for key in sorted(rows):
            writer.writerow(rows[key])


def record(environments: list[str]) -> list[str]:
    """Update the committed tables from ``_build/verified/<env>.json``; return what changed."""
    verified = json.loads(VERIFIED_JSON.read_text(encoding="utf-8")) if VERIFIED_JSON.exists() else {}
    rows = _read_csv()
    notebooks_now = {f"notebooks/{p.name}" for p in (ROOT / "notebooks").glob("*.ipynb")}
    log = []
    for env in environments:
        source = MEASURED / f"{env}.json"
        if not source.exists():
            log.append(f"{env}: no measurements (_build/verified/{source.name} missing; run the tests first)")
            continue
        for path, entry in json.loads(source.read_text(encoding="utf-8"))["notebooks"].items():
            if path not in notebooks_now:
                continue
            if not entry["passed"]:
                log.append(f"{env}: {path} did not pass on {entry['date']}; its committed entry is kept")
                continue
            verified.setdefault(path, {})[env] = {
                "date": entry["date"],
                "minutes": round(entry["seconds"] / 60, 1),
                "python": entry["python"],
                "versions": entry["versions"],
                "hardware": entry["hardware"],
            }
            if env == "pinned":
                rows[path] = [path, entry["title"], f"{entry['seconds'] / 60:.1f}", machine(entry["hardware"]),
                              entry["date"]]
            log.append(f"{env}: {path} verified {entry['date']} ({entry['seconds'] / 60:.1f} min)")
    verified = {path: verified[path] for path in sorted(verified) if path in notebooks_now}
    rows = {path: row for path, row in rows.items() if path in notebooks_now}
    VERIFIED_JSON.write_text(json.dumps(verified, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    _write_csv(rows)
    return log


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("environments", nargs="*", default=list(DEFAULT_ENVIRONMENTS),
                        help="environment names (default: pinned colab)")
    args = parser.parse_args(argv)
    for line in record(args.environments):
        print(line)
    print(f"updated {RUNTIMES_CSV.relative_to(ROOT)} and {VERIFIED_JSON.relative_to(ROOT)}: review and commit them")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
