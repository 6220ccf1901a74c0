"""helpers.seed.seed_everything makes every generator repeat itself."""

from __future__ import annotations

import os
import random

import numpy as np
import pytest

from helpers.seed import CUBLAS_WORKSPACE_CONFIG, seed_everything


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


class _RecordingModule:
    """Stands in for ``torch.cuda``: notes CUBLAS_WORKSPACE_CONFIG at every use, then delegates."""

    def __init__(self, module, seen: list):
        self._module, self._seen = module, seen

    def __getattr__(self, name):
        self._seen.append(os.environ.get("CUBLAS_WORKSPACE_CONFIG"))
        return getattr(self._module, name)


def test_cublas_workspace_is_set_before_torch_cuda_is_touched(monkeypatch):
    from helpers.frameworks import torch

    monkeypatch.delenv("CUBLAS_WORKSPACE_CONFIG", raising=False)
    seen: list = []
    monkeypatch.setattr(torch, "cuda", _RecordingModule(torch.cuda, seen))
    seed_everything(3)
    assert seen, "seed_everything should reach torch.cuda (torch.manual_seed seeds every GPU)"
    assert set(seen) == {CUBLAS_WORKSPACE_CONFIG}, f"torch.cuda was used before the variable was set: {seen}"
    assert os.environ["CUBLAS_WORKSPACE_CONFIG"] == CUBLAS_WORKSPACE_CONFIG


def test_cublas_workspace_keeps_a_readers_own_setting(monkeypatch):
    monkeypatch.setenv("CUBLAS_WORKSPACE_CONFIG", ":16:8")
    seed_everything(3)
    assert os.environ["CUBLAS_WORKSPACE_CONFIG"] == ":16:8"


def test_cublas_workspace_set_after_cuda_started_warns(monkeypatch):
    from helpers.frameworks import torch

    monkeypatch.delenv("CUBLAS_WORKSPACE_CONFIG", raising=False)
    monkeypatch.setattr(torch.cuda, "is_initialized", lambda: True)
    with pytest.warns(UserWarning, match="CUDA was already in use"):
        seed_everything(3)


def test_no_determinism_no_cublas_setting(monkeypatch):
    monkeypatch.delenv("CUBLAS_WORKSPACE_CONFIG", raising=False)
    seed_everything(3, deterministic=False)
    assert "CUBLAS_WORKSPACE_CONFIG" not in os.environ
