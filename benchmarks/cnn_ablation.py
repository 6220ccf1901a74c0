"""Which Keras/PyTorch difference makes chapter 5's PyTorch one-cycle run beat the Keras one-cycle run?

Starts from the chapter's PyTorch run exactly (``train_chapter`` of ``benchmarks/cifar10_cnn.py``:
the notebook's split, ``helpers.cnn.TensorBatches``, ``cnn.train_one_cycle`` with ``cnn.Recipe()``,
8 epochs of batches of 64, one thread) and switches ONE setting at a time to what the chapter's
Keras one-cycle run does, then all of them together:

- ``momentum``: fixed 0.9 (``Recipe(cycle_momentum=False)``) instead of OneCycleLR's 0.95 -> 0.85 -> 0.95;
- ``weight decay``: decoupled, ``w -= lr * 5e-4 * w`` (``Recipe(decoupled_weight_decay=True)``), as Keras' SGD;
- ``velocity``: Keras' momentum form ``v = 0.9 v - lr g`` (``Recipe(keras_velocity=True)``), which differs
  from PyTorch's ``b = 0.9 b + g; step lr (g + 0.9 b)`` only while the rate changes;
- ``init``: Glorot-uniform weights and zero dense bias (``cnn.glorot_init_``) instead of Kaiming-uniform(a=sqrt 5);
- ``BN eps``: 1e-3 (``cnn.set_batchnorm_eps_``) instead of 1e-5;
- ``shift``: continuous shifts of up to 4 pixels, bilinear, mirrored with the edge repeated
  (``TensorBatches(shift="bilinear")``; tests/test_cnn.py checks it equals Keras' ``RandomTranslation``
  for a given shift) instead of whole-pixel crops with torchvision's reflect;
- ``init + shift``: the two settings that matter one at a time, together, the other four left as PyTorch's;
- ``all``: every one of the above.

Each seed sets the initial weights, the batch order and the augmentation draws; every variant uses
the same seeds. The test set (1,000 images) scores each final model once. Each variant is compared
with the baseline paired by seed (``helpers.stats.paired_seeds``).

    python benchmarks/cnn_ablation.py --seeds 0 1 2 3 4 --out benchmarks/results/cnn_ablation
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cifar10_cnn import train_chapter

from helpers import cnn
from helpers.data import load_cifar10
from helpers.frameworks import torch
from helpers.stats import mean_se, paired_seeds


@dataclasses.dataclass(frozen=True)
class Variant:
    """One setting of the ablation: what it changes, the network builder, recipe options and shift."""

    label: str
    build: Callable[[], torch.nn.Module] = cnn.book_cnn
    recipe: dict = dataclasses.field(default_factory=dict)
    shift: str = "crop"


def keras_init() -> torch.nn.Module:
    return cnn.glorot_init_(cnn.book_cnn())


def keras_eps() -> torch.nn.Module:
    return cnn.set_batchnorm_eps_(cnn.book_cnn(), 1e-3)


def keras_all() -> torch.nn.Module:
    return cnn.set_batchnorm_eps_(cnn.glorot_init_(cnn.book_cnn()), 1e-3)


KERAS_RECIPE = {"cycle_momentum": False, "decoupled_weight_decay": True, "keras_velocity": True}
VARIANTS = {
    "baseline": Variant("the chapter's PyTorch run"),
    "momentum": Variant("fixed momentum 0.9", recipe={"cycle_momentum": False}),
    "weight decay": Variant("decoupled weight decay", recipe={"decoupled_weight_decay": True}),
    "velocity": Variant("Keras' momentum form", recipe={"keras_velocity": True}),
    "init": Variant("Glorot-uniform initialisation", build=keras_init),
    "BN eps": Variant("BatchNorm epsilon 1e-3", build=keras_eps),
    "shift": Variant("bilinear shifts, edge-repeating mirror", shift="bilinear"),
    "init + shift": Variant("Glorot init and bilinear shifts, nothing else", build=keras_init, shift="bilinear"),
    "all": Variant("all six Keras settings", build=keras_all, recipe=KERAS_RECIPE, shift="bilinear"),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument("--out", default="benchmarks/results/cnn_ablation", help="output path without extension")
    parser.add_argument("--keras-seeds", default="benchmarks/results/cnn_seeds.json",
                        help="the seed study's results, for the Keras one-cycle row (same seeds)")
    args = parser.parse_args(argv)
    if "baseline" not in args.variants:
        parser.error("the baseline is needed for the paired differences")
    torch.set_num_threads(1)  # as the notebook on a CPU
    data = load_cifar10(train_per_class=300, test_per_class=100, seed=0)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    runs: list[dict] = []
    start = time.perf_counter()
    for seed in args.seeds:
        for name in args.variants:
            v = VARIANTS[name]
            recipe = cnn.Recipe(epochs=8, batch=64, **v.recipe)
            record = train_chapter(data, 8, 64, torch.device("cpu"), seed, build=v.build, recipe=recipe,
                                   shift=v.shift)[-1]
            runs.append({"seed": seed, "variant": name, "test_accuracy": record.test_accuracy,
                         "train_seconds": record.train_seconds})
            print(f"seed {seed} {name}: test {record.test_accuracy:.3f} in {record.train_seconds:.1f} s", flush=True)
            out.with_suffix(".json").write_text(json.dumps(runs, indent=1), encoding="utf-8")  # partial results
    total = time.perf_counter() - start

    acc = {name: [r["test_accuracy"] for r in runs if r["variant"] == name] for name in args.variants}
    keras = {}
    keras_path = Path(args.keras_seeds)
    if keras_path.exists():
        by_seed = {r["seed"]: r["keras_one_cycle_acc"] for r in json.loads(keras_path.read_text())}
        if all(s in by_seed for s in args.seeds):
            keras = {"Keras one-cycle": [by_seed[s] for s in args.seeds]}
    command = " ".join(sys.argv[1:]) if argv is None else " ".join(argv)
    lines = [
        "Chapter 5's PyTorch one-cycle run with one Keras setting at a time, "
        f"{len(args.seeds)} seeds (the same for every variant), 3,000 training (2,400 trained on) / 1,000 test "
        f"images of the JPEG copy, 8 epochs of batches of 64, on {platform.processor() or platform.machine()} "
        f"CPU ({platform.platform()}), torch {torch.__version__}, {torch.get_num_threads()} thread, "
        f"shared 2-core machine; {total / 60:.1f} min for all {len(runs)} runs.",
        f"Command: `python benchmarks/cnn_ablation.py {command}`",
        "",
        "Test accuracy of each final model (scored once):",
        "",
        "| seed | " + " | ".join(args.variants) + (" | Keras one-cycle (notebook) |" if keras else " |"),
        "|---:|" + "---:|" * (len(args.variants) + bool(keras)),
    ]
    for i, seed in enumerate(args.seeds):
        cells = [f"{acc[name][i]:.3f}" for name in args.variants] + ([f"{keras['Keras one-cycle'][i]:.3f}"]
                                                                     if keras else [])
        lines.append(f"| {seed} | " + " | ".join(cells) + " |")
    if len(args.seeds) >= 2:
        means = [mean_se(acc[name]).format() for name in args.variants]
        means += [mean_se(keras["Keras one-cycle"]).format()] if keras else []
        lines += ["| mean ± SE | " + " | ".join(means) + " |", "",
                  "Each variant minus the baseline, paired by seed (mean of the per-seed differences, 95 % t "
                  "interval), and on how many seeds the variant scored lower than the baseline:", "",
                  "| variant | what changes | difference | 95 % interval | p | verdict | lower on |",
                  "|---|---|---:|---:|---:|---|---:|"]
        summary = {}
        for name, other in [(n, acc[n]) for n in args.variants if n != "baseline"] + list(keras.items()):
            c = paired_seeds(other, acc["baseline"], names=(name, "baseline"))
            lower = sum(o < b for o, b in zip(other, acc["baseline"]))
            label = VARIANTS[name].label if name in VARIANTS else "the notebook's Keras run (cnn_seeds.json)"
            lines.append(f"| {name} | {label} | {c.difference:+.4f} | [{c.low:+.4f}, {c.high:+.4f}] | "
                         f"{c.p_value:.3g} | {c.verdict} | {lower} of {len(args.seeds)} |")
            summary[name] = {"difference": c.difference, "low": c.low, "high": c.high, "p": c.p_value,
                             "verdict": c.verdict, "lower_on": lower}
        others = [("all", "init + shift", "all six against the two that matter one at a time")]
        if keras:
            others += [(name, "Keras one-cycle", f"{name} against the notebook's Keras one-cycle run, by seed "
                        "number (the two frameworks draw different random numbers, so this pairs only the "
                        "seed label and the data split)") for name in ("all", "init + shift")]
        others = [o for o in others if all(n in acc or n in keras for n in o[:2])]
        if others:
            lines += ["", "Other pairs, by seed:", ""]
        for a, b, what in others:
            c = paired_seeds((acc | keras)[a], (acc | keras)[b], names=(a, b))
            higher = sum(x > y for x, y in zip((acc | keras)[a], (acc | keras)[b]))
            lines.append(f"- {what}: {c} ({a} higher on {higher} of {len(args.seeds)} seeds)")
            summary[f"{a} vs {b}"] = {"difference": c.difference, "low": c.low, "high": c.high, "p": c.p_value,
                                      "verdict": c.verdict, "higher_on": higher}
        out.with_suffix(".json").write_text(json.dumps({"runs": runs, "paired": summary, "command": command,
                                                        "minutes": total / 60}, indent=1), encoding="utf-8")
    out.with_suffix(".md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
