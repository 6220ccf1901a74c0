"""Chapter 5's network with and without one residual block, at the chapter's CPU budget, over seeds.

Both networks train with the chapter's PyTorch run exactly (``train_chapter`` of
``benchmarks/cifar10_cnn.py``: the notebook's split, ``helpers.cnn.TensorBatches``,
``cnn.train_one_cycle`` with ``cnn.Recipe()``, 8 epochs of batches of 64, one thread); the only
change is ``cnn.book_cnn`` versus ``cnn.book_cnn_residual`` (one ``ResidualBlock`` after the last
stage). Each seed sets the initial weights and the batch order, crops and flips, the same seed for
both networks; the test set (1,000 images) scores each final model once.

    python benchmarks/cnn_residual.py --seeds 0 1 2 3 4 --out benchmarks/results/cnn_residual
"""

from __future__ import annotations

import argparse
import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cifar10_cnn import train_chapter

from helpers import cnn
from helpers.data import load_cifar10
from helpers.frameworks import torch
from helpers.stats import mean_se, paired_seeds

NETWORKS = {"plain": cnn.book_cnn, "residual": cnn.book_cnn_residual}


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
    lines = [
        f"Chapter 5's PyTorch run with and without one residual block, {len(args.seeds)} seeds, "
        f"3,000 training (2,400 trained on) / 1,000 test images of the JPEG copy, on "
        f"{platform.processor() or platform.machine()} CPU, {torch.get_num_threads()} thread.",
        f"Command: `python benchmarks/cnn_residual.py {command}`",
        "",
        "| seed | plain: test accuracy | residual: test accuracy | plain: training s | residual: training s |",
        "|---:|---:|---:|---:|---:|",
    ]
    for i, seed in enumerate(args.seeds):
        p, r = results["plain"][i], results["residual"][i]
        lines.append(f"| {seed} | {p.test_accuracy:.3f} | {r.test_accuracy:.3f} | {p.train_seconds:.1f} | "
                     f"{r.train_seconds:.1f} |")
    acc = {name: [rec.test_accuracy for rec in recs] for name, recs in results.items()}
    lines.append(f"| mean ± SE | {mean_se(acc['plain']).format()} | {mean_se(acc['residual']).format()} | | |")
    wins = sum(r > p for p, r in zip(acc["plain"], acc["residual"]))
    lines += ["", f"Parameters: plain {params['plain']:,}, residual {params['residual']:,}.", "",
              f"Paired by seed: {paired_seeds(acc['residual'], acc['plain'], names=('residual', 'plain'))} "
              f"(residual higher on {wins} of {len(args.seeds)} seeds)."]
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
