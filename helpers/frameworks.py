"""Import PyTorch and TensorFlow/Keras into one process in the order that works.

Setup page, "Two frameworks in one kernel": loading TensorFlow first and PyTorch
(and its ``triton`` compiler) afterwards crashes the Python process with a
segmentation fault on the book's machines. Importing ``torch`` and ``triton``
*before* ``tensorflow`` avoids it, so every notebook that uses both frameworks
gets them from here::

    from helpers.frameworks import keras, tf, torch
"""

from __future__ import annotations

import contextlib
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



@contextlib.contextmanager
def _quiet_native_stderr():
    """Silence C++ log lines written straight to file descriptor 2 while TensorFlow loads.

    TensorFlow's absl logging prints notices ("All log messages before
    absl::InitializeLog() ...", oneDNN) before TF_CPP_MIN_LOG_LEVEL takes effect; in a
    notebook they would land in the cell's output. Python exceptions are unaffected.
    """
    try:
        saved = os.dup(2)
    except OSError:  # no usable stderr (some embedded interpreters): nothing to silence
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        sys.stderr.flush()
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


with warnings.catch_warnings(), _quiet_native_stderr():
    warnings.simplefilter("ignore", category=DeprecationWarning)
    import tensorflow as tf  # noqa: E402
    import keras  # noqa: E402

    tf.constant(0.0) + 1.0  # the first op initialises oneDNN, which logs once more

__all__ = ["keras", "tf", "torch", "triton"]
