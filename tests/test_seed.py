"""helpers.seed.seed_everything makes every generator repeat itself."""

from __future__ import annotations

import random

import numpy as np
import pytest

from helpers.seed import seed_everything


def _draw():
    from helpers.frameworks import tf, torch

    return (
        random.random(),
        np.random.rand(),
        torch.rand(1).item(),
        float(tf.random.uniform(())),
    )


def _dense_init():
    from helpers.frameworks import keras, torch

    layer = keras.layers.Dense(3)
    layer.build((None, 2))
    return layer.kernel.numpy().copy(), torch.nn.Linear(2, 3).weight.detach().numpy().copy()


def test_same_seed_same_numbers_everywhere():
    seed_everything(7)
    first = _draw(), _dense_init()
    seed_everything(7)
    second = _draw(), _dense_init()
    assert first[0] == second[0]
    np.testing.assert_array_equal(first[1][0], second[1][0])
    np.testing.assert_array_equal(first[1][1], second[1][1])


def test_different_seed_different_numbers():
    seed_everything(1)
    a = _draw()
    seed_everything(2)
    b = _draw()
    assert all(x != y for x, y in zip(a, b))


@pytest.mark.parametrize("bad", [-1, 2**32, 1.5, "42", None, True])
def test_bad_seeds_are_rejected(bad):
    with pytest.raises(ValueError, match="seed must be an integer"):
        seed_everything(bad)
