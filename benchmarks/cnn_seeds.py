"""Seed study for chapter 5: the notebook's three training runs, repeated over seeds.

Runs ``notebooks/05-cnn-cifar10.ipynb`` top to bottom in a fresh kernel once per seed, with
``SEED = s`` set right after its settings cell, so every number comes from the chapter's own
code (nothing is retyped here). ``SEED`` fixes the initial weights, Keras' augmentation and
shuffling, and PyTorch's batch order, crops and flips; the data split stays the chapter's.
Collects the test accuracies of the Keras ``ReduceLROnPlateau`` run, the Keras one-cycle run
and the PyTorch one-cycle run, and compares them paired by seed (``helpers.stats.paired_seeds``).

    python benchmarks/cnn_seeds.py --seeds 0 1 2 3 4 --out benchmarks/results/cnn_seeds

Needs ``DLBOOK_DATA`` (the CIFAR-10 cache) like the notebook. Cells that raise (a hidden
assertion failing for some seed) are recorded in the results instead of stopping the run.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from helpers.stats import mean_se, paired_seeds  # noqa: E402

NOTEBOOK = ROOT / "notebooks" / "05-cnn-cifar10.ipynb"
RESULTS = ("keras_test_acc", "keras_one_cycle_acc", "torch_test_acc")
REPORT = ("import json as _json\n"
          "print('SEED-STUDY ' + _json.dumps({'seed': SEED, 'keras_test_acc': keras_test_acc, "
          "'keras_one_cycle_acc': keras_one_cycle_acc, 'torch_test_acc': float(torch_test_acc), "
          "'keras_epochs': len(h['loss'])}))")


def run_seed(seed: int) -> dict:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    settings = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.source.startswith("FULL_RUN ="))
    nb.cells.insert(settings + 1, nbformat.v4.new_code_cell(f"SEED = {seed}"))
    nb.cells.append(nbformat.v4.new_code_cell(REPORT))
    client = NotebookClient(nb, timeout=900, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(NOTEBOOK.parent)}})
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    errors = [f"cell {i}: {o.get('ename')}: {o.get('evalue', '')[:80]}" for i, c in enumerate(nb.cells)
              if c.cell_type == "code" for o in c.get("outputs", []) if o.get("output_type") == "error"]
    text = "".join(o.get("text", "") for o in nb.cells[-1].outputs if o.get("output_type") == "stream")
    line = next(line for line in text.splitlines() if line.startswith("SEED-STUDY "))
    return {**json.loads(line.removeprefix("SEED-STUDY ")), "errors": errors, "seconds": seconds}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--out", default="benchmarks/results/cnn_seeds", help="output path without extension")
    args = parser.parse_args(argv)
    runs = []
    for seed in args.seeds:
        runs.append(run_seed(seed))
        r = runs[-1]
        print(f"seed {seed}: " + ", ".join(f"{k} {r[k]:.3f}" for k in RESULTS)
              + f" ({r['seconds']:.0f} s, {len(r['errors'])} errors)", flush=True)
    columns = {k: [r[k] for r in runs] for k in RESULTS}
    command = " ".join(sys.argv[1:]) if argv is None else " ".join(argv)
    lines = [
        f"Chapter 5's three training runs over {len(runs)} seeds: `notebooks/05-cnn-cifar10.ipynb`, default "
        f"setting (2,400 training / 600 validation / 1,000 test images of the JPEG copy, 8 epochs), "
        f"on {platform.processor() or platform.machine()} CPU; test accuracy of each final model, scored once.",
        f"Command: `python benchmarks/cnn_seeds.py {command}`",
        "",
        "| seed | Keras, ReduceLROnPlateau | Keras, one-cycle | PyTorch, one-cycle | notebook errors |",
        "|---:|---:|---:|---:|---|",
    ]
    for r in runs:
        lines.append(f"| {r['seed']} | {r['keras_test_acc']:.3f} | {r['keras_one_cycle_acc']:.3f} | "
                     f"{r['torch_test_acc']:.3f} | {'; '.join(r['errors']) or 'none'} |")
    means = [mean_se(columns[k]) for k in RESULTS]
    lines.append("| mean ± SE | " + " | ".join(f"{m.mean:.3f} ± {m.se:.3f}" for m in means) + " | |")
    lines += ["", "Paired by seed (mean of the per-seed differences, 95 % t interval):", ""]
    for a, b, names in [("keras_one_cycle_acc", "keras_test_acc", ("Keras one-cycle", "Keras plateau")),
                        ("torch_test_acc", "keras_one_cycle_acc", ("PyTorch one-cycle", "Keras one-cycle"))]:
        lines.append(f"- {paired_seeds(columns[a], columns[b], names=names)}")
        wins = sum(x > y for x, y in zip(columns[a], columns[b]))
        lines.append(f"  ({names[0]} higher on {wins} of {len(runs)} seeds)")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    out.with_suffix(".json").write_text(json.dumps(runs, indent=1) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
