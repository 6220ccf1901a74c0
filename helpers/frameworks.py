"""Import PyTorch and TensorFlow/Keras into one process in the order that works.

Setup page, "Two frameworks in one kernel": loading TensorFlow first and PyTorch
(and its ``triton`` compiler) afterwards crashes the Python process with a
segmentation fault on the book's machines. Importing ``torch`` and ``triton``
*before* ``tensorflow`` avoids it, so every notebook that uses both frameworks
gets them from here::

    from helpers.frameworks import keras, tf, torch
"""

from __future__ import annotations

import os
import sys
import warnings

# TensorFlow's C++ start-up chatter (oneDNN notices, CPU feature lists) is noise for
# readers and varies between machines; keep errors only.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

if "tensorflow" in sys.modules and "torch" not in sys.modules:
    raise ImportError(
        "TensorFlow was imported before PyTorch in this process, and loading PyTorch now "
        "can crash the kernel. Restart the kernel and run `from helpers.frameworks import "
        "keras, tf, torch` before any other TensorFlow or Keras import."
    )

import torch  # noqa: E402  (must come before tensorflow)

try:  # triton ships with the CUDA builds of torch; load it before TensorFlow too
    import triton  # noqa: F401,E402
except ImportError:  # CPU-only builds of torch have no triton
    triton = None

with warnings.catch_warnings():
    warnings.simplefilter("ignore", category=DeprecationWarning)
    import tensorflow as tf  # noqa: E402
    import keras  # noqa: E402

__all__ = ["keras", "tf", "torch", "triton"]
