"""The CNN chapter's PyTorch network, augmentation and training recipe (chapter 5).

One definition, used by ``notebooks/05-cnn-cifar10.ipynb`` (which shows this code with
``helpers.display.show_source``), by ``benchmarks/cifar10_cnn.py`` and by ``tests/test_cnn.py``:

- ``conv_bn_relu`` and ``book_cnn``: section "The same network in PyTorch";
- ``train_transform``, ``eval_transform`` and ``ImageDataset``: the augmentation in the data pipeline;
- ``Recipe``, ``train_one_cycle`` and ``evaluate``: the training loop with the one-cycle schedule;
- ``residual_block``: section "Residual connections";
- ``reestimate_bn_statistics``: section "Batch normalisation at training and at test time".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torchvision.transforms import v2

__all__ = ["ImageDataset", "Recipe", "book_cnn", "conv_bn_relu", "eval_transform", "evaluate",
           "reestimate_bn_statistics", "residual_block", "train_one_cycle", "train_transform"]


def conv_bn_relu(c_in: int, c_out: int, pool: bool = False) -> list[nn.Module]:
    """3x3 convolution without bias (BatchNorm adds the shift), optional 2x2 max-pool, BatchNorm, ReLU."""
    if c_in < 1 or c_out < 1:
        raise ValueError(f"channel counts must be positive, got c_in={c_in}, c_out={c_out}")
    layers: list[nn.Module] = [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False)]
    if pool:
        layers.append(nn.MaxPool2d(2))
    return layers + [nn.BatchNorm2d(c_out, momentum=0.1), nn.ReLU()]


def book_cnn(widths: Sequence[int] = (32, 64, 128), num_classes: int = 10) -> nn.Sequential:
    """The book's CNN: per width one block (conv, pool, conv), then global max-pool and one linear layer.

    Takes standardised images ``(N, 3, 32, 32)`` and returns ``num_classes`` logits.
    """
    layers, c_in = [], 3
    for width in widths:  # each block: convolution, pool, convolution
        layers += conv_bn_relu(c_in, width, pool=True) + conv_bn_relu(width, width)
        c_in = width
    return nn.Sequential(*layers, nn.AdaptiveMaxPool2d(1), nn.Flatten(), nn.Linear(c_in, num_classes))


class ResidualBlock(nn.Module):
    """Two conv-BN-ReLU layers whose output is added to their input: ``x + f(x)`` (He et al. 2016)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.body = nn.Sequential(*conv_bn_relu(channels, channels), *conv_bn_relu(channels, channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)  # the skip: the block only has to learn a correction to x


def residual_block(channels: int) -> ResidualBlock:
    """A residual block that keeps the shape ``(N, channels, H, W)``."""
    return ResidualBlock(channels)


def train_transform(mean01: Sequence[float], std01: Sequence[float]) -> v2.Compose:
    """Random whole-pixel shifts of up to 4 pixels (reflected border) and horizontal flips, then standardise.

    Input: one ``(32, 32, 3)`` uint8 image; output: a ``(3, 32, 32)`` float tensor.
    """
    return v2.Compose([
        v2.ToImage(),  # (H, W, C) uint8 array -> (C, H, W) image tensor
        v2.RandomCrop(32, padding=4, padding_mode="reflect"),
        v2.RandomHorizontalFlip(),
        v2.ToDtype(torch.float32, scale=True),  # 0..255 -> 0..1
        v2.Normalize(list(mean01), list(std01)),
    ])


def eval_transform(mean01: Sequence[float], std01: Sequence[float]) -> v2.Compose:
    """The same standardisation as ``train_transform`` without the random parts."""
    return v2.Compose([v2.ToImage(), v2.ToDtype(torch.float32, scale=True), v2.Normalize(list(mean01), list(std01))])


class ImageDataset(torch.utils.data.Dataset):
    """Images ``(N, 32, 32, 3)`` uint8 and labels ``(N,)``, transformed afresh on every access.

    Defined in a module (not in the notebook) so that ``DataLoader(num_workers > 0)`` also works
    where worker processes are spawned (Windows, macOS): they must import the class.
    """

    def __init__(self, images: np.ndarray, labels: np.ndarray, transform: Callable) -> None:
        if len(images) != len(labels):
            raise ValueError(f"{len(images)} images but {len(labels)} labels")
        self.images, self.labels, self.transform = images, np.asarray(labels), transform

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        return self.transform(self.images[i]), int(self.labels[i])


@dataclass(frozen=True)
class Recipe:
    """The chapter's training recipe (SGD with Nesterov momentum, one-cycle rate, label smoothing)."""

    epochs: int = 8
    batch: int = 64
    peak_lr: float = 0.05
    momentum: float = 0.9
    weight_decay: float = 5e-4  # coupled (added to the gradient), on every parameter
    warmup: float = 0.25  # fraction of the steps in which the rate rises
    label_smoothing: float = 0.1


def evaluate(model: nn.Module, loader: torch.utils.data.DataLoader,
             device: torch.device | str = "cpu") -> tuple[float, np.ndarray]:
    """Accuracy and class probabilities ``(N, classes)`` on ``loader``, in eval mode, without gradients."""
    model.eval()
    probs = []
    with torch.no_grad():
        for xb, _ in loader:
            probs.append(torch.softmax(model(xb.to(device)), dim=1).cpu())
    probs_np = torch.cat(probs).numpy()
    return float(np.mean(probs_np.argmax(axis=1) == np.asarray(loader.dataset.labels))), probs_np


def train_one_cycle(model: nn.Module, train_loader: torch.utils.data.DataLoader,
                    val_loader: torch.utils.data.DataLoader | None = None, recipe: Recipe = Recipe(),
                    device: torch.device | str = "cpu", log: Callable[[str], None] | None = print) -> dict:
    """Train ``model`` in place with ``recipe``; returns the history (loss, validation accuracy, rates).

    ``OneCycleLR`` with its defaults: the rate starts at peak/25, rises linearly to the peak, falls
    linearly to peak/25/1e4; momentum cycles 0.95 -> 0.85 -> 0.95 in the opposite direction.
    """
    optimizer = torch.optim.SGD(model.parameters(), lr=recipe.peak_lr, momentum=recipe.momentum,
                                nesterov=True, weight_decay=recipe.weight_decay)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=recipe.peak_lr, epochs=recipe.epochs, steps_per_epoch=len(train_loader),
        pct_start=recipe.warmup, anneal_strategy="linear")
    loss_fn = nn.CrossEntropyLoss(label_smoothing=recipe.label_smoothing)
    history: dict[str, list[float]] = {"loss": [], "val_accuracy": [], "learning_rate": []}
    for epoch in range(recipe.epochs):
        model.train()  # batch norm uses batch statistics while training
        total, count = 0.0, 0
        for xb, yb in train_loader:
            xb, yb = xb.to(device), yb.to(device)
            loss = loss_fn(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            history["learning_rate"].append(optimizer.param_groups[0]["lr"])
            optimizer.step()
            scheduler.step()  # one-cycle moves the learning rate every batch
            total, count = total + loss.item() * len(yb), count + len(yb)
        history["loss"].append(total / count)
        if val_loader is not None:
            history["val_accuracy"].append(evaluate(model, val_loader, device)[0])
            if log:
                log(f"epoch {epoch + 1}: loss {total / count:.3f}, "
                    f"validation accuracy {history['val_accuracy'][-1]:.3f}")
    return history


def reestimate_bn_statistics(model: nn.Module, loader: torch.utils.data.DataLoader,
                             device: torch.device | str = "cpu") -> nn.Module:
    """Replace every BatchNorm's running mean and variance by their average over ``loader`` (no gradients).

    ``momentum=None`` makes BatchNorm keep a cumulative average, so every batch counts equally.
    """
    norms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    saved = [m.momentum for m in norms]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None
    model.train()
    with torch.no_grad():
        for xb, _ in loader:
            model(xb.to(device))
    for m, momentum in zip(norms, saved):
        m.momentum = momentum
    model.eval()
    return model
