"""Self-checked exercises of the transfer-learning chapter (``notebooks/08-transfer-learning.ipynb``).

::

    from helpers.exercises import transfer as exercises
    ex1 = exercises.freeze_for_linear_probe()
    ex2 = exercises.pooled_features()
    ex3 = exercises.mobilenet_input()

None of the checks trains anything: they build small networks (or random images) the reader
has not seen, call the reader's function on them and inspect the result. Exercises 4 to 7 of
the chapter are written answers (dropdown only).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from helpers.exercises import Exercise, Message, Mistake, as_array, compare

__all__ = ["freeze_for_linear_probe", "mobilenet_input", "pooled_features"]


# --- Exercise 1: freeze a backbone and give it a new head ------------------------------------


def _probe_models() -> list[tuple[str, Any, int]]:
    """(description, fresh model with an ``fc`` head, number of target classes): inputs the reader has not seen."""
    import torch
    from torch import nn
    from torchvision.models import resnet18

    class TinyNet(nn.Module):
        """A small network with torchvision's layout: a backbone, then ``self.fc``."""

        def __init__(self) -> None:
            super().__init__()
            self.features = nn.Sequential(nn.Conv2d(3, 24, 3, padding=1), nn.BatchNorm2d(24), nn.ReLU(),
                                          nn.AdaptiveAvgPool2d(1), nn.Flatten())
            self.fc = nn.Linear(24, 10)

        def forward(self, x):
            return self.fc(self.features(x))

    torch.manual_seed(0)
    return [("a ResNet-18 (randomly initialised), 7 classes", resnet18(weights=None), 7),
            ("a small network whose backbone gives 24 features, 3 classes", TinyNet(), 3)]


def _check_probe(function: Any) -> Message:
    from torch import nn

    if not callable(function):
        return f"pass your function (you passed a {type(function).__name__}): `ex1.check(freeze_for_linear_probe)`."
    for what, model, n_classes in _probe_models():
        in_features = model.fc.in_features
        backbone_ids = {id(p) for name, p in model.named_parameters() if not name.startswith("fc.")}
        try:
            result = function(model, n_classes)
        except Exception as error:
            return f"your function raised {type(error).__name__} on {what}: {error}"
        if result is None:
            return "your function returned None: did it forget to `return model`?"
        if isinstance(result, nn.Linear):
            return "you returned a single linear layer (the new head?): return the model itself, with its new head."
        if not isinstance(result, nn.Module):
            return f"return the model itself (an `nn.Module`), not a {type(result).__name__}."
        head = getattr(result, "fc", None)
        if not isinstance(head, nn.Linear):
            return f"on {what} the returned model has no linear layer `fc`: replace `model.fc` with an `nn.Linear`."
        if head.out_features != n_classes:
            return (f"on {what} the new head has {head.out_features} outputs: it needs one per target class "
                    "(use the `n_classes` argument, not a fixed number).")
        if head.in_features != in_features:
            return (f"on {what} the new head expects {head.in_features} features, but this backbone gives "
                    f"{in_features}: read the width from `model.fc.in_features` instead of typing it.")
        backbone = [(name, p) for name, p in result.named_parameters() if not name.startswith("fc.")]
        if any(id(p) not in backbone_ids for _, p in backbone):
            return f"on {what} the backbone's parameters were replaced: keep the pretrained backbone, change only `fc`."
        still_trainable = [name for name, p in backbone if p.requires_grad]
        head_trainable = [p.requires_grad for p in head.parameters()]
        if still_trainable and len(still_trainable) == len(backbone):
            return (f"on {what} every backbone parameter is still trainable: the optimiser would change the "
                    "pretrained weights too. Set `requires_grad = False` on them.")
        if still_trainable:
            return (f"on {what} some backbone parameters are still trainable (e.g. `{still_trainable[0]}`): "
                    "freeze all of them.")
        if not all(head_trainable):
            if not any(head_trainable):
                return (f"on {what} the new head is frozen too, so nothing would train: did you freeze after "
                        "replacing the head? Freeze first, then create the new layer.")
            return f"on {what} part of the new head is frozen: its weight and bias must both train."
        trainable = sum(p.numel() for p in result.parameters() if p.requires_grad)
        if trainable != in_features * n_classes + n_classes:
            return f"on {what} the number of trainable parameters is not the head's weights plus its biases."
        if not head.weight.abs().sum().item() > 0:
            return f"on {what} the new head's weights are all zero: create it with `nn.Linear(...)`, do not zero it."
    return None


def freeze_for_linear_probe() -> Exercise:
    """Exercise 1: ``freeze_for_linear_probe(model, n_classes)`` freezes a torchvision-style model and replaces ``fc``.

    Checked on models the reader has not seen (a ResNet-18 and a small network with a
    24-feature backbone) for the usual mistakes: a backbone left trainable, a head frozen
    together with the backbone, a head of the wrong width or with the wrong number of classes.
    """
    return Exercise(
        "Exercise 1",
        _check_probe,
        hints=[
            "Two steps, in this order: `requires_grad = False` on every parameter of `model`, then "
            "a new `nn.Linear` as `model.fc`.",
            "The new head's input width is the old head's, `model.fc.in_features`; its output width "
            "is `n_classes`. A freshly created layer has `requires_grad = True`.",
        ],
        correct_message="only the new head will train: `in_features · n_classes + n_classes` parameters.",
    )


# --- Exercise 2: one feature vector per image ------------------------------------------------


def _feature_cases() -> list[tuple[Any, Any]]:
    """(backbone returning a feature *map*, images) pairs with BatchNorm whose running statistics are not 0/1."""
    import torch
    from torch import nn

    cases = []
    for seed, (channels, size) in enumerate([(16, 12), (40, 9)]):
        torch.manual_seed(100 + seed)
        backbone = nn.Sequential(nn.Conv2d(3, channels, 3, padding=1), nn.BatchNorm2d(channels), nn.ReLU(),
                                 nn.Conv2d(channels, channels, 3, padding=1))
        batchnorm = backbone[1]
        batchnorm.running_mean.uniform_(-0.5, 0.5)
        batchnorm.running_var.uniform_(0.5, 2.0)
        backbone.train()            # as a model often is after training: the function must switch modes
        images = torch.randn(5, 3, size, size) * 2 + 0.3
        cases.append((backbone, images))
    return cases


def _pooled(backbone: Any, images: Any, mode: str, how: str = "mean") -> np.ndarray:
    """Pool a *copy* of ``backbone`` run in ``mode`` ("eval" or "train"), so the original is untouched."""
    import copy

    import torch

    model = copy.deepcopy(backbone)
    model.train(mode == "train")
    with torch.no_grad():
        feature_map = model(images)
    pooled = feature_map.mean(dim=(2, 3)) if how == "mean" else feature_map.amax(dim=(2, 3))
    return pooled.numpy()


def _check_features(function: Any) -> Message:
    import copy

    import torch

    if not callable(function):
        return f"pass your function (you passed a {type(function).__name__}): `ex2.check(embed)`."
    for backbone, images in _feature_cases():
        want = _pooled(backbone, images, "eval")
        n, c = want.shape
        with torch.no_grad():
            feature_map = copy.deepcopy(backbone).eval()(images)
        stats_before = backbone[1].running_mean.clone()
        what = f"a backbone whose feature map has shape {tuple(feature_map.shape)}"
        try:
            got = function(backbone, images.clone())
        except Exception as error:
            return f"your function raised {type(error).__name__} on {what}: {error}"
        if got is None:
            return "your function returned None: did it forget to `return` the features?"
        if getattr(got, "requires_grad", False):
            return ("the features still carry autograd history (`requires_grad=True`): compute them under "
                    "`torch.no_grad()`, they are fixed inputs for the head.")
        stats_moved = not torch.equal(stats_before, backbone[1].running_mean)
        try:
            array = as_array(got)
        except (TypeError, ValueError):
            return f"return a tensor or an array of features, not a {type(got).__name__}."
        _, _, height, width = feature_map.shape
        if array.shape == tuple(feature_map.shape):
            return (f"on {what} you returned the feature map itself; global average pooling turns each "
                    "channel's map into one number.")
        if array.shape == (n, c * height * width):
            return (f"on {what} your features have {array.shape[1]} numbers per image: that is the flattened "
                    "map. Average over the two spatial axes instead; the head expects one number per channel.")
        if array.shape in {(n, height * width), (n, height, width)}:
            return f"on {what} you averaged over the channels; average over height and width (axes 2 and 3)."
        if array.shape != (n, c):
            return (f"on {what} your features have shape {array.shape}: expected one vector per image, "
                    "one number per channel.")
        message = compare(array, want, rtol=1e-4, atol=1e-5, what=f"your features on {what}", mistakes=[
            Mistake(_pooled(backbone, images, "eval", how="max"),
                    f"on {what} these are the channels' maxima: the chapter's heads sit on global *average* pooling."),
            Mistake(_pooled(backbone, images, "train"),
                    f"on {what} BatchNorm normalised with this batch's own statistics: put the backbone in "
                    "evaluation mode (`backbone.eval()`) before computing features."),
        ])
        if stats_moved and (message is None or "own statistics" not in message):
            return ("computing your features changed the BatchNorm running statistics (the backbone ran in "
                    "training mode at some point): call `backbone.eval()` before any forward pass.")
        if message is not None:
            return message
    return None


def pooled_features() -> Exercise:
    """Exercise 2: ``embed(backbone, images)`` returns one feature vector per image, shape ``(N, C)``.

    ``backbone`` returns a feature map ``(N, C, H, W)``; the answer must global-average-pool it,
    in evaluation mode (BatchNorm with its running statistics, which must not change), without
    autograd history. The check's backbones and images are new to the reader.
    """
    return Exercise(
        "Exercise 2",
        _check_features,
        hints=[
            "A frozen backbone runs in evaluation mode and without gradients: `backbone.eval()` and "
            "`with torch.no_grad():`.",
            "Global average pooling is a mean over the spatial axes of the `(N, C, H, W)` map: "
            "`.mean(dim=(2, 3))`.",
        ],
        correct_message="these vectors are what a linear head (or scikit-learn) trains on.",
    )


# --- Exercise 3: the input MobileNetV2's ImageNet weights expect ------------------------------

_IMAGENET_MEAN = np.array([0.485, 0.456, 0.406])
_IMAGENET_STD = np.array([0.229, 0.224, 0.225])
_CAFFE_MEAN_BGR = np.array([103.939, 116.779, 123.68])


def _mobilenet_reference(images: np.ndarray) -> np.ndarray:
    big = np.repeat(np.repeat(images.astype("float32"), 3, axis=1), 3, axis=2)
    return big / 127.5 - 1.0


def _mobilenet_mistakes() -> list[Mistake]:
    def upsample(x):
        return np.repeat(np.repeat(x.astype("float32"), 3, axis=1), 3, axis=2)

    return [
        Mistake(lambda x: upsample(x) / 255.0,
                "these pixels lie in [0, 1]: MobileNetV2's weights were trained on pixels in [-1, 1] "
                "(`keras.applications.mobilenet_v2.preprocess_input`)."),
        Mistake(lambda x: (upsample(x) / 255.0 - _IMAGENET_MEAN) / _IMAGENET_STD,
                "this is the ImageNet mean/std normalisation of torchvision's weights, not the one "
                "MobileNetV2's Keras weights expect: preprocessing comes with the weights."),
        Mistake(lambda x: upsample(x)[..., ::-1] - _CAFFE_MEAN_BGR,
                "this is the caffe-style preprocessing (BGR, mean subtracted) of Keras' ResNet50 and "
                "VGG: use the `preprocess_input` of the model you load, `mobilenet_v2`."),
        Mistake(lambda x: np.tile(x.astype("float32"), (1, 3, 3, 1)) / 127.5 - 1.0,
                "the 96-pixel image is nine copies of the small one side by side (`np.tile`): enlarge each "
                "pixel into a 3×3 block instead (`np.repeat` along height and width)."),
        Mistake(lambda x: np.repeat(x.astype("float32"), 3, axis=1) / 127.5 - 1.0,
                "only the height was enlarged: repeat along both spatial axes (1 and 2)."),
        Mistake(lambda x: x.astype("float32") / 127.5 - 1.0,
                "the images are still 32 pixels: the 96-pixel ImageNet weights need 96-pixel inputs."),
    ]


def _check_mobilenet_input(function: Any) -> Message:
    if not callable(function):
        return f"pass your function (you passed a {type(function).__name__}): `ex3.check(prepare)`."
    rng = np.random.default_rng(8)
    for n in (3, 6):
        images = rng.integers(0, 256, size=(n, 32, 32, 3), dtype=np.uint8)
        what = f"{n} random 32×32 uint8 images"
        try:
            got = function(images.copy())
        except Exception as error:
            return f"your function raised {type(error).__name__} on {what}: {error}"
        if got is None:
            return "your function returned None: did it forget to `return` the images?"
        try:
            array = np.asarray(as_array(got))
        except (TypeError, ValueError):
            return f"return an array of images, not a {type(got).__name__}."
        if array.shape[-1:] != (3,) and array.ndim == 4 and array.shape[1] == 3:
            return f"on {what} your images are channels-first {array.shape}: Keras models take (N, height, width, 3)."
        mistakes = [Mistake(mistake.wrong(images), mistake.message) for mistake in _mobilenet_mistakes()]
        message = compare(array, _mobilenet_reference(images), rtol=1e-5, atol=1e-4, mistakes=mistakes,
                          what=f"your images for {what}")
        if message is not None:
            return message
    return None


def mobilenet_input() -> Exercise:
    """Exercise 3: ``prepare(images)`` turns 32×32 uint8 images into MobileNetV2's 96-pixel ImageNet input.

    The expected result is nearest-neighbour ×3 upsampling followed by MobileNetV2's
    ``preprocess_input`` (pixels scaled to [-1, 1]). Known mistakes: [0, 1] scaling, torchvision's
    mean/std, the caffe-style ResNet50/VGG preprocessing, tiling instead of upsampling.
    """
    return Exercise(
        "Exercise 3",
        _check_mobilenet_input,
        hints=[
            "Two steps: make each image 96 pixels (each pixel becomes a 3×3 block), then apply the "
            "preprocessing that belongs to the weights.",
            "`np.repeat(x, 3, axis=1)` enlarges the height; do the same for axis 2. Then "
            "`keras.applications.mobilenet_v2.preprocess_input` on float32 pixels.",
        ],
        correct_message="the same function works for every `keras.applications` model: use that model's module.",
    )
