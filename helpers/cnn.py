"""The CNN chapter's PyTorch network, augmentation and training recipe (chapter 5).

One definition, used by ``notebooks/05-cnn-cifar10.ipynb`` (which shows this code with
``helpers.display.show_source``), by ``benchmarks/cifar10_cnn.py`` and by ``tests/test_cnn.py``:

- ``conv_bn_relu`` and ``book_cnn``: section "The same network in PyTorch";
- ``train_transform``, ``eval_transform`` and ``ImageDataset``: the augmentation in the data pipeline,
  one image at a time; ``random_crop_flip`` and ``TensorBatches``: the same crop and flip on whole
  batches of in-memory images (what the chapter trains with: several times cheaper on a CPU);
- ``Recipe``, ``train_one_cycle`` and ``evaluate``: the training loop with the one-cycle schedule;
- ``residual_block`` and ``book_cnn_residual``: section "Residual connections";
- ``reestimate_bn_statistics``: section "Batch normalisation at training and at test time".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torchvision.transforms import v2

__all__ = ["ImageDataset", "Recipe", "TensorBatches", "book_cnn", "book_cnn_residual", "conv_bn_relu",
           "eval_transform", "evaluate", "random_crop_flip", "reestimate_bn_statistics", "residual_block",
           "train_one_cycle", "train_transform"]


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


def book_cnn_residual(widths: Sequence[int] = (32, 64, 128), num_classes: int = 10) -> nn.Sequential:
    """``book_cnn`` with one :class:`ResidualBlock` after its last stage, before the pooling head."""
    plain = list(book_cnn(widths, num_classes))
    return nn.Sequential(*plain[:-3], residual_block(widths[-1]), *plain[-3:])


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


def random_crop_flip(x: torch.Tensor, pad: int = 4, generator: torch.Generator | None = None) -> torch.Tensor:
    """``train_transform``'s crop and flip for a whole batch ``(N, C, H, W)`` at once.

    Every image gets its own random whole-pixel shift of up to ``pad`` pixels (a window of its
    ``"reflect"``-padded copy, as ``v2.RandomCrop(padding=pad, padding_mode="reflect")``) and is
    flipped left-right with probability 1/2 (``v2.RandomHorizontalFlip``).
    """
    n, c, h, w = x.shape
    padded = nn.functional.pad(x, (pad, pad, pad, pad), mode="reflect")
    dy = torch.randint(0, 2 * pad + 1, (n,), generator=generator).to(x.device)
    dx = torch.randint(0, 2 * pad + 1, (n,), generator=generator).to(x.device)
    flip = (torch.rand(n, generator=generator) < 0.5).to(x.device)
    rows = (dy[:, None] + torch.arange(h, device=x.device))[:, None, :, None]
    cols = (dx[:, None] + torch.arange(w, device=x.device))[:, None, None, :]
    out = padded[torch.arange(n, device=x.device)[:, None, None, None],
                 torch.arange(c, device=x.device)[None, :, None, None], rows, cols]
    return torch.where(flip[:, None, None, None], out.flip(-1), out)


class TensorBatches:
    """Batches ``(images (B, 3, 32, 32) standardised float, labels (B,))`` of uint8 images held in memory.

    A stand-in for ``DataLoader(ImageDataset(...))`` when the images fit in memory: the pixels are
    converted once, and with ``augment=True`` each batch gets fresh random crops and flips from
    :func:`random_crop_flip` (new ones every epoch). ``shuffle`` draws a new order every epoch;
    ``seed`` fixes both, independently of the global random state.
    """

    def __init__(self, images: np.ndarray, labels: np.ndarray, mean01: Sequence[float], std01: Sequence[float],
                 batch_size: int = 500, shuffle: bool = False, augment: bool = False, seed: int = 0) -> None:
        if len(images) != len(labels):
            raise ValueError(f"{len(images)} images but {len(labels)} labels")
        if batch_size < 1:
            raise ValueError(f"batch_size must be positive, got {batch_size}")
        self.images = torch.as_tensor(np.asarray(images)).permute(0, 3, 1, 2).contiguous()  # NHWC -> NCHW, uint8
        self.labels = np.asarray(labels)
        self._labels = torch.as_tensor(self.labels, dtype=torch.long)
        self.mean = torch.tensor(list(mean01), dtype=torch.float32)[:, None, None]
        self.std = torch.tensor(list(std01), dtype=torch.float32)[:, None, None]
        self.batch_size, self.shuffle, self.augment = batch_size, shuffle, augment
        self.generator = torch.Generator().manual_seed(seed)

    def __len__(self) -> int:
        return -(-len(self.labels) // self.batch_size)

    def __iter__(self):
        n = len(self.labels)
        order = torch.randperm(n, generator=self.generator) if self.shuffle else torch.arange(n)
        for start in range(0, n, self.batch_size):
            idx = order[start:start + self.batch_size]
            xb = (self.images[idx].float() / 255 - self.mean) / self.std
            if self.augment:  # after standardising: the reflected border copies standardised pixels
                xb = random_crop_flip(xb, generator=self.generator)
            yield xb, self._labels[idx]


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


def evaluate(model: nn.Module, loader: Iterable,
             device: torch.device | str = "cpu") -> tuple[float, np.ndarray]:
    """Accuracy and class probabilities ``(N, classes)`` on ``loader``, in eval mode, without gradients.

    ``loader`` yields ``(images, labels)`` batches in a fixed order (a ``DataLoader`` without
    shuffling, or :class:`TensorBatches`).
    """
    model.eval()
    probs, labels = [], []
    with torch.no_grad():
        for xb, yb in loader:
            probs.append(torch.softmax(model(xb.to(device)), dim=1).cpu())
            labels.append(torch.as_tensor(yb))
    probs_np = torch.cat(probs).numpy()
    return float(np.mean(probs_np.argmax(axis=1) == torch.cat(labels).numpy())), probs_np


def train_one_cycle(model: nn.Module, train_loader: Iterable,
                    val_loader: Iterable | None = None, recipe: Recipe = Recipe(),
                    device: torch.device | str = "cpu", log: Callable[[str], None] | None = print) -> dict:
    """Train ``model`` in place with ``recipe``; returns the history (loss, validation accuracy, rates).

    ``train_loader`` yields ``(images, labels)`` batches and has a length (a ``DataLoader`` or
    :class:`TensorBatches`).

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


def reestimate_bn_statistics(model: nn.Module, loader: Iterable,
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
