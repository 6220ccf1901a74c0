"""The CNN chapter's Keras network and one-cycle schedule (chapter 5).

``book_cnn_keras`` is the network of section "The book's network in Keras"; ``OneCycle`` is the
schedule of the section that tests the schedule explanation. The notebook shows both with
``helpers.display.show_source``; ``tests/test_cnn.py`` tests them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from helpers.frameworks import keras

__all__ = ["OneCycle", "book_cnn_keras"]


def book_cnn_keras(mean: Sequence[float], std: Sequence[float], widths: Sequence[int] = (32, 64, 128),
                   num_classes: int = 10) -> keras.Sequential:
    """The book's CNN in Keras: augmentation and standardisation inside, ``num_classes`` logits out.

    ``mean`` and ``std`` are per-channel statistics of the training pixels on the 0-255 scale.
    """
    L = keras.layers

    def conv_bn_relu(width: int, pool: bool = False) -> list:
        return ([L.Conv2D(width, 3, padding="same", use_bias=False)] + ([L.MaxPooling2D(2)] if pool else [])
                + [L.BatchNormalization(momentum=0.9), L.ReLU()])

    layers = [
        keras.Input((32, 32, 3)),
        L.RandomFlip("horizontal"),  # augmentation: only active during training
        L.RandomTranslation(0.125, 0.125, fill_mode="reflect"),  # shifts of up to 4 pixels
        L.Normalization(mean=np.asarray(mean), variance=np.asarray(std) ** 2),  # per-channel standardisation
    ]
    for width in widths:  # each block: convolution, pool, convolution
        layers += conv_bn_relu(width, pool=True) + conv_bn_relu(width)
    layers += [L.GlobalMaxPooling2D(), L.Dense(num_classes)]  # logits
    return keras.Sequential(layers, name="book_cnn")


class OneCycle(keras.optimizers.schedules.LearningRateSchedule):
    """PyTorch's ``OneCycleLR(anneal_strategy="linear")`` learning rate as a Keras schedule.

    Rises linearly from ``peak / start_div`` to ``peak`` at ``warmup * total_steps - 1``, falls linearly
    to ``peak / start_div / final_div`` at the last step and stays there afterwards (never negative).
    Momentum is not cycled: Keras' SGD has one fixed momentum.
    """

    def __init__(self, peak: float, total_steps: int, warmup: float = 0.25, start_div: float = 25.0,
                 final_div: float = 1e4) -> None:
        if peak <= 0 or total_steps < 2 or not 0 < warmup < 1:
            raise ValueError(f"need peak > 0, total_steps >= 2 and 0 < warmup < 1; got {peak}, "
                             f"{total_steps}, {warmup}")
        self.peak, self.total_steps, self.warmup = float(peak), int(total_steps), float(warmup)
        self.start_div, self.final_div = float(start_div), float(final_div)
        self.start = self.peak / self.start_div  # the rate at step 0
        self.end = self.start / self.final_div  # the rate at the last step
        self.top = self.warmup * self.total_steps - 1  # the step at which the rate peaks
        self.last = self.total_steps - 1

    def __call__(self, step):
        step = keras.ops.minimum(keras.ops.cast(step, "float32"), float(self.last))  # clamp past the end
        rising = self.start + (self.peak - self.start) * step / self.top
        falling = self.peak + (self.end - self.peak) * (step - self.top) / (self.last - self.top)
        return keras.ops.where(step <= self.top, rising, falling)

    def get_config(self) -> dict:
        return {"peak": self.peak, "total_steps": self.total_steps, "warmup": self.warmup,
                "start_div": self.start_div, "final_div": self.final_div}
