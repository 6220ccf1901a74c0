"""The CNN chapter's PyTorch network, augmentation and training recipe (chapter 5).

One definition, used by ``notebooks/05-cnn-cifar10.ipynb`` (which shows this code with
``helpers.display.show_source``), by ``benchmarks/cifar10_cnn.py`` and by ``tests/test_cnn.py``:

- ``conv_bn_relu`` and ``book_cnn``: section "The same network in PyTorch";
- ``train_transform``, ``eval_transform`` and ``ImageDataset``: the augmentation in the data pipeline,
  one image at a time; ``random_crop_flip`` and ``TensorBatches``: the same crop and flip on whole
  batches of in-memory images (what the chapter trains with: several times cheaper on a CPU);
- ``Recipe``, ``train_one_cycle`` and ``evaluate``: the training loop with the one-cycle schedule;
- ``residual_block`` and ``book_cnn_residual``: section "Residual connections";
- ``reestimate_bn_statistics``: section "Batch normalisation at training and at test time";
- Keras' settings for the PyTorch run, one at a time (``benchmarks/cnn_ablation.py``): ``glorot_init_``,
  ``set_batchnorm_eps_``, ``shift_bilinear`` / ``random_shift_flip`` (``TensorBatches(shift="bilinear")``)
  and ``Recipe(cycle_momentum=False, decoupled_weight_decay=True)``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torchvision.transforms import v2

__all__ = ["ImageDataset", "Recipe", "TensorBatches", "book_cnn", "book_cnn_residual", "conv_bn_relu",
           "eval_transform", "evaluate", "glorot_init_", "random_crop_flip", "random_shift_flip",
           "reestimate_bn_statistics", "residual_block", "set_batchnorm_eps_", "shift_bilinear",
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
    """He et al. (2016)'s basic block: conv-BN-ReLU, conv-BN, add the input, then ReLU: ``relu(x + f(x))``.

    ``skip=False`` drops the addition and leaves the same two layers as a plain stack, the control
    that separates the skip from the extra depth (chapter 5, "Residual connections";
    ``benchmarks/cnn_residual.py``).
    """

    def __init__(self, channels: int, skip: bool = True) -> None:
        super().__init__()
        second = conv_bn_relu(channels, channels)[:-1]  # no ReLU before the addition
        self.body = nn.Sequential(*conv_bn_relu(channels, channels), *second)
        self.skip = skip
        self.relu = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.body(x)
        if self.skip:
            out = out + x  # the skip: the two layers only have to learn a correction to x
        return self.relu(out)


def residual_block(channels: int, skip: bool = True) -> ResidualBlock:
    """A residual block that keeps the shape ``(N, channels, H, W)``; ``skip=False``: the same layers, no skip."""
    return ResidualBlock(channels, skip)


def book_cnn_residual(widths: Sequence[int] = (32, 64, 128), num_classes: int = 10, skip: bool = True) -> nn.Sequential:
    """``book_cnn`` with one :class:`ResidualBlock` after its last stage, before the pooling head.

    ``skip=False`` gives the same network without the skip: two more plain convolution layers.
    """
    plain = list(book_cnn(widths, num_classes))
    return nn.Sequential(*plain[:-3], residual_block(widths[-1], skip), *plain[-3:])


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


def _symmetric(index: torch.Tensor, n: int) -> torch.Tensor:
    """Map indices in ``[-n, 2n)`` into ``[0, n)`` by mirroring with the edge repeated (``d c b a | a b c d``)."""
    index = torch.where(index < 0, -index - 1, index)
    return torch.where(index >= n, 2 * n - 1 - index, index)


def shift_bilinear(x: torch.Tensor, dy: torch.Tensor, dx: torch.Tensor) -> torch.Tensor:
    """Shift every image of ``x`` ``(N, C, H, W)`` by its own ``dy[i]`` rows and ``dx[i]`` columns (floats).

    Output pixel ``(r, c)`` is the input bilinearly interpolated at ``(r - dy, c - dx)``; outside the
    image the input is mirrored with the edge pixel repeated (NumPy's ``"symmetric"``). This is what
    Keras' ``RandomTranslation(fill_mode="reflect", interpolation="bilinear")`` computes for a given
    translation (``tests/test_cnn.py`` checks it against the layer). Shifts must be smaller than the image.
    """
    n, c, h, w = x.shape
    dy, dx = torch.as_tensor(dy, dtype=x.dtype).reshape(n), torch.as_tensor(dx, dtype=x.dtype).reshape(n)
    if bool((dy.abs() >= h).any() or (dx.abs() >= w).any()):
        raise ValueError(f"shifts must be smaller than the image ({h}x{w}), got up to "
                         f"{float(dy.abs().max()):g} rows and {float(dx.abs().max()):g} columns")
    src_r = torch.arange(h, dtype=x.dtype, device=x.device)[None, :] - dy[:, None].to(x.device)  # (N, H)
    src_c = torch.arange(w, dtype=x.dtype, device=x.device)[None, :] - dx[:, None].to(x.device)  # (N, W)
    r0, c0 = src_r.floor(), src_c.floor()
    fr, fc = (src_r - r0)[:, None, :, None], (src_c - c0)[:, None, None, :]  # interpolation weights
    r0, c0 = r0.long(), c0.long()
    batch = torch.arange(n, device=x.device)[:, None, None, None]
    channel = torch.arange(c, device=x.device)[None, :, None, None]

    def at(rows: torch.Tensor, cols: torch.Tensor) -> torch.Tensor:
        return x[batch, channel, _symmetric(rows, h)[:, None, :, None], _symmetric(cols, w)[:, None, None, :]]

    top = at(r0, c0) * (1 - fc) + at(r0, c0 + 1) * fc
    bottom = at(r0 + 1, c0) * (1 - fc) + at(r0 + 1, c0 + 1) * fc
    return top * (1 - fr) + bottom * fr


def random_shift_flip(x: torch.Tensor, max_shift: float = 4.0,
                      generator: torch.Generator | None = None) -> torch.Tensor:
    """Keras-like augmentation for a batch ``(N, C, H, W)``: continuous shifts and left-right flips.

    Every image gets its own shift drawn uniformly from ``[-max_shift, max_shift]`` pixels along each
    axis (as ``RandomTranslation(max_shift / H, max_shift / W, fill_mode="reflect")``), applied by
    :func:`shift_bilinear`, and is flipped with probability 1/2 (``RandomFlip("horizontal")``).
    """
    n = x.shape[0]
    dy = (torch.rand(n, generator=generator) * 2 - 1) * max_shift
    dx = (torch.rand(n, generator=generator) * 2 - 1) * max_shift
    flip = (torch.rand(n, generator=generator) < 0.5).to(x.device)
    out = shift_bilinear(x, dy, dx)
    return torch.where(flip[:, None, None, None], out.flip(-1), out)


class TensorBatches:
    """Batches ``(images (B, 3, 32, 32) standardised float, labels (B,))`` of uint8 images held in memory.

    A stand-in for ``DataLoader(ImageDataset(...))`` when the images fit in memory: the pixels are
    converted once, and with ``augment=True`` each batch gets fresh random crops and flips from
    :func:`random_crop_flip` (new ones every epoch). ``shuffle`` draws a new order every epoch;
    ``seed`` fixes both, independently of the global random state. ``shift="bilinear"`` replaces the
    whole-pixel crops by Keras-like continuous shifts (:func:`random_shift_flip`).
    """

    def __init__(self, images: np.ndarray, labels: np.ndarray, mean01: Sequence[float], std01: Sequence[float],
                 batch_size: int = 500, shuffle: bool = False, augment: bool = False, seed: int = 0,
                 shift: str = "crop") -> None:
        if len(images) != len(labels):
            raise ValueError(f"{len(images)} images but {len(labels)} labels")
        if batch_size < 1:
            raise ValueError(f"batch_size must be positive, got {batch_size}")
        if shift not in ("crop", "bilinear"):
            raise ValueError(f"shift must be 'crop' or 'bilinear', got {shift!r}")
        self.images = torch.as_tensor(np.asarray(images)).permute(0, 3, 1, 2).contiguous()  # NHWC -> NCHW, uint8
        self.labels = np.asarray(labels)
        self._labels = torch.as_tensor(self.labels, dtype=torch.long)
        self.mean = torch.tensor(list(mean01), dtype=torch.float32)[:, None, None]
        self.std = torch.tensor(list(std01), dtype=torch.float32)[:, None, None]
        self.batch_size, self.shuffle, self.augment, self.shift = batch_size, shuffle, augment, shift
        self.generator = torch.Generator().manual_seed(seed)

    def __len__(self) -> int:
        return -(-len(self.labels) // self.batch_size)

    def __iter__(self):
        n = len(self.labels)
        order = torch.randperm(n, generator=self.generator) if self.shuffle else torch.arange(n)
        for start in range(0, n, self.batch_size):
            idx = order[start:start + self.batch_size]
            xb = (self.images[idx].float() / 255 - self.mean) / self.std
            if self.augment and self.shift == "crop":  # after standardising: the border copies standardised pixels
                xb = random_crop_flip(xb, generator=self.generator)
            elif self.augment:  # bilinear interpolation is linear, so it commutes with standardising
                xb = random_shift_flip(xb, generator=self.generator)
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
    cycle_momentum: bool = True  # OneCycleLR's default 0.95 -> 0.85 -> 0.95; False keeps `momentum`
    decoupled_weight_decay: bool = False  # True: w -= lr * weight_decay * w before each step, as Keras' SGD
    keras_velocity: bool = False  # True: the momentum keeps past steps' rates (Keras' v = mu*v - lr*g)


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
    linearly to peak/25/1e4; momentum cycles 0.95 -> 0.85 -> 0.95 in the opposite direction
    (``recipe.cycle_momentum=False``: fixed ``recipe.momentum``). Weight decay is added to the gradient
    (PyTorch's SGD) or, with ``recipe.decoupled_weight_decay``, subtracted from the weights (Keras' SGD).
    PyTorch's momentum buffer sums raw gradients and the current rate scales the step; Keras' SGD sums
    rate-scaled steps. With a changing rate they differ; ``recipe.keras_velocity`` gives Keras' form by
    rescaling the buffer by (previous rate / current rate) before each step.
    """
    coupled_decay = 0.0 if recipe.decoupled_weight_decay else recipe.weight_decay
    optimizer = torch.optim.SGD(model.parameters(), lr=recipe.peak_lr, momentum=recipe.momentum,
                                nesterov=True, weight_decay=coupled_decay)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=recipe.peak_lr, epochs=recipe.epochs, steps_per_epoch=len(train_loader),
        pct_start=recipe.warmup, anneal_strategy="linear", cycle_momentum=recipe.cycle_momentum)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=recipe.label_smoothing)
    history: dict[str, list[float]] = {"loss": [], "val_accuracy": [], "learning_rate": []}
    previous_lr = None
    for epoch in range(recipe.epochs):
        model.train()  # batch norm uses batch statistics while training
        total, count = torch.zeros((), device=device), 0
        for xb, yb in train_loader:
            xb, yb = xb.to(device), yb.to(device)
            loss = loss_fn(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            history["learning_rate"].append(optimizer.param_groups[0]["lr"])
            if recipe.decoupled_weight_decay:  # Keras: w <- w - lr * wd * w, outside the momentum
                with torch.no_grad():
                    for p in model.parameters():
                        p.mul_(1 - optimizer.param_groups[0]["lr"] * recipe.weight_decay)
            lr = optimizer.param_groups[0]["lr"]
            if recipe.keras_velocity and previous_lr is not None:  # buffer b = -v / lr in Keras' terms
                for state in optimizer.state.values():
                    if "momentum_buffer" in state:
                        state["momentum_buffer"].mul_(previous_lr / lr)
            previous_lr = lr
            optimizer.step()
            scheduler.step()  # one-cycle moves the learning rate every batch
            # summed on the device: loss.item() every step would make a GPU wait for each batch
            total, count = total + loss.detach() * len(yb), count + len(yb)
        history["loss"].append(float(total) / count)
        if val_loader is not None:
            history["val_accuracy"].append(evaluate(model, val_loader, device)[0])
            if log:
                log(f"epoch {epoch + 1}: loss {history['loss'][-1]:.3f}, "
                    f"validation accuracy {history['val_accuracy'][-1]:.3f}")
    return history


def glorot_init_(model: nn.Module) -> nn.Module:
    """Keras' default initialisation, in place: Glorot-uniform weights of every convolution and linear
    layer, zero linear biases (PyTorch's default is Kaiming-uniform with ``a=sqrt(5)``).

    Both libraries compute fan-in and fan-out as channels times kernel area, so the limits agree
    with Keras' ``GlorotUniform``. BatchNorm keeps scale 1 and shift 0, as in both libraries.
    """
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.xavier_uniform_(m.weight)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
    return model


def set_batchnorm_eps_(model: nn.Module, eps: float = 1e-3) -> nn.Module:
    """Set every BatchNorm's epsilon (added to the variance) in place; Keras' default is 1e-3, PyTorch's 1e-5."""
    if not eps > 0:
        raise ValueError(f"eps must be positive, got {eps}")
    for m in model.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.eps = float(eps)
    return model


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
