"""Reproducible runs: one call seeds every random number generator the book uses."""

from __future__ import annotations

import os
import random
import sys
import warnings

import numpy as np

CUBLAS_WORKSPACE_CONFIG = ":4096:8"
"""The cuBLAS workspace setting that makes its matrix products deterministic on GPUs."""


def seed_everything(seed: int = 42, deterministic: bool = True) -> None:
    """Seed Python, NumPy, PyTorch and TensorFlow/Keras (Neurons chapter, "Reproducibility").

    With ``deterministic=True`` the frameworks are also asked to use deterministic
    kernels where they have them (``torch.use_deterministic_algorithms`` and
    ``tf.config.experimental.enable_op_determinism``), so that a rerun on the same
    machine and library versions gives the same numbers. Different hardware or
    library versions can still differ in the last digits.

    On a GPU, cuBLAS is deterministic only if ``CUBLAS_WORKSPACE_CONFIG`` is set before
    CUDA starts in the process, so this function sets it (unless it is already set)
    before it touches PyTorch: call it at the top of the notebook, before any tensor goes
    to the GPU. Called later, it warns that the setting came too late.

    Python's string hashing (``PYTHONHASHSEED``) is not seeded here: the interpreter fixes
    it when it starts, so setting it inside a running kernel changes nothing. Set the
    variable before starting Jupyter if your code depends on the order of a set of strings.
    """
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or not 0 <= seed < 2**32:
        raise ValueError(f"seed must be an integer between 0 and 2**32 - 1, got {seed!r}")
    seed = int(seed)
    if deterministic:
        # Before PyTorch is imported or used below: cuBLAS reads it when CUDA initialises.
        already_set = "CUBLAS_WORKSPACE_CONFIG" in os.environ
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", CUBLAS_WORKSPACE_CONFIG)
        if not already_set and _cuda_started():
            warnings.warn(
                "CUDA was already in use when seed_everything set CUBLAS_WORKSPACE_CONFIG, so GPU "
                "matrix products may not be deterministic. Call seed_everything before any tensor "
                "goes to the GPU, or set CUBLAS_WORKSPACE_CONFIG=:4096:8 before starting Python.",
                stacklevel=2,
            )
    random.seed(seed)
    np.random.seed(seed)

    from helpers.frameworks import keras, tf, torch  # torch first: see helpers.frameworks

    torch.manual_seed(seed)
    keras.utils.set_random_seed(seed)  # seeds Python, NumPy and TensorFlow's global generator
    if deterministic:
        torch.use_deterministic_algorithms(True, warn_only=True)
        torch.backends.cudnn.benchmark = False
        tf.config.experimental.enable_op_determinism()


def _cuda_started() -> bool:
    """Whether PyTorch has already initialised CUDA in this process (never imports torch)."""
    torch = sys.modules.get("torch")
    return torch is not None and torch.cuda.is_initialized()
