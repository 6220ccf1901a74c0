"""Chapter 5's network with and without one residual block, at the chapter's CPU budget, over seeds.

Three networks train with the chapter's PyTorch run exactly (``train_chapter`` of
``benchmarks/cifar10_cnn.py``: the notebook's split, ``helpers.cnn.TensorBatches``,
``cnn.train_one_cycle`` with ``cnn.Recipe()``, 8 epochs of batches of 64, one thread); the only
change is the network: ``cnn.book_cnn`` (plain), ``cnn.book_cnn_residual(skip=False)`` (the same
plus two convolution layers, no skip: the control) and ``cnn.book_cnn_residual()`` (the same two
layers as a ``ResidualBlock``). Plain against control measures the extra depth, control against
residual the skip itself. Each seed sets the initial weights and the batch order, crops and
flips, the same seed for every network; the validation split (600 images) is recorded, and the
test set (1,000 images) scores each final model once.

    python benchmarks/cnn_residual.py --seeds 0 1 2 3 4 --out benchmarks/results/cnn_residual
"""

from __future__ import annotations

import argparse
import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from functools import partial

from cifar10_cnn import train_chapter

from helpers import cnn
from helpers.data import load_cifar10
from helpers.frameworks import torch
from helpers.stats import mean_se, paired_seeds

NETWORKS = {"plain": cnn.book_cnn, "no skip": partial(cnn.book_cnn_residual, skip=False),
            "residual": cnn.book_cnn_residual}
COMPARISONS = [("residual", "plain", "the block, skip included"), ("no skip", "plain", "two more layers, no skip"),
               ("residual", "no skip", "the skip itself, same layers")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--out", default="benchmarks/results/cnn_residual", help="output path without extension")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)  # as the notebook on a CPU
    data = load_cifar10(train_per_class=300, test_per_class=100, seed=0)
    results: dict[str, list] = {name: [] for name in NETWORKS}
    for seed in args.seeds:
        for name, build in NETWORKS.items():
            record = train_chapter(data, 8, 64, torch.device("cpu"), seed, build=build)[-1]
            results[name].append(record)
            print(f"seed {seed} {name}: test {record.test_accuracy:.3f} in {record.train_seconds:.1f} s", flush=True)
    params = {name: sum(p.numel() for p in build().parameters()) for name, build in NETWORKS.items()}
    command = " ".join(sys.argv[1:]) if argv is None else " ".join(argv)
    names = list(NETWORKS)
    lines = [
        f"Chapter 5's PyTorch run: plain, plus two convolution layers without a skip, and with them as a "
        f"residual block; {len(args.seeds)} seeds, 3,000 training (2,400 trained on, 600 validation) / 1,000 "
        f"test images of the JPEG copy, on {platform.processor() or platform.machine()} CPU, "
        f"{torch.get_num_threads()} thread.",
        f"Command: `python benchmarks/cnn_residual.py {command}`",
        "",
        "| seed | " + " | ".join(f"{n}: val / test" for n in names) + " | "
        + " | ".join(f"{n}: s" for n in names) + " |",
        "|---:|" + "---:|" * (2 * len(names)),
    ]
    for i, seed in enumerate(args.seeds):
        recs = [results[n][i] for n in names]
        lines.append(f"| {seed} | " + " | ".join(f"{r.val_accuracy:.3f} / {r.test_accuracy:.3f}" for r in recs)
                     + " | " + " | ".join(f"{r.train_seconds:.1f}" for r in recs) + " |")
    val = {n: [rec.val_accuracy for rec in recs] for n, recs in results.items()}
    acc = {n: [rec.test_accuracy for rec in recs] for n, recs in results.items()}
    lines.append("| mean ± SE | " + " | ".join(f"{mean_se(val[n]).format()} / {mean_se(acc[n]).format()}"
                                              for n in names) + " |" + " |" * len(names))
    lines += ["", "Parameters: " + ", ".join(f"{n} {params[n]:,}" for n in names) + ".", "",
              "Paired by seed, validation accuracy (what a choice between them may use):"]
    for a, b, what in COMPARISONS:
        wins = sum(x > y for x, y in zip(val[a], val[b]))
        lines.append(f"- {what}: {paired_seeds(val[a], val[b], names=(a, b))} ({a} higher on {wins} of "
                     f"{len(args.seeds)} seeds)")
    lines += ["", "Paired by seed, test accuracy:"]
    for a, b, what in COMPARISONS:
        wins = sum(x > y for x, y in zip(acc[a], acc[b]))
        lines.append(f"- {what}: {paired_seeds(acc[a], acc[b], names=(a, b))} ({a} higher on {wins} of "
                     f"{len(args.seeds)} seeds)")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
