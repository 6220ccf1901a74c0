"""Reproducible runs: one call seeds every random number generator the book uses."""

from __future__ import annotations

import os
import random

import numpy as np


def seed_everything(seed: int = 42, deterministic: bool = True) -> None:
    """Seed Python, NumPy, PyTorch and TensorFlow/Keras (Neurons chapter, "Reproducibility").

    With ``deterministic=True`` the frameworks are also asked to use deterministic
    kernels where they have them (``torch.use_deterministic_algorithms`` and
    ``tf.config.experimental.enable_op_determinism``), so that a rerun on the same
    machine and library versions gives the same numbers. Different hardware or
    library versions can still differ in the last digits.
    """
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or not 0 <= seed < 2**32:
        raise ValueError(f"seed must be an integer between 0 and 2**32 - 1, got {seed!r}")
    seed = int(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)
    random.seed(seed)
    np.random.seed(seed)

    from helpers.frameworks import keras, tf, torch  # torch first: see helpers.frameworks

    torch.manual_seed(seed)
    keras.utils.set_random_seed(seed)  # seeds Python, NumPy and TensorFlow's global generator
    if deterministic:
        # cuBLAS needs this to be deterministic on GPUs; harmless on CPUs.
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True, warn_only=True)
        torch.backends.cudnn.benchmark = False
        tf.config.experimental.enable_op_determinism()
