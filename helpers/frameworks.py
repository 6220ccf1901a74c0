"""Import PyTorch and TensorFlow/Keras into one process in the order that works.

Setup page, "Two frameworks in one kernel": loading TensorFlow first and PyTorch
(and its ``triton`` compiler) afterwards crashes the Python process with a
segmentation fault on the book's machines. Importing ``torch`` and ``triton``
*before* ``tensorflow`` avoids it, so every notebook that uses both frameworks
gets them from here::

    from helpers.frameworks import keras, tf, torch

Whichever frameworks are installed are loaded; a missing one becomes a stand-in that
raises a clear ``ModuleNotFoundError`` (naming the ``pip install`` that fixes it) the
first time a cell uses it, so a reader with only PyTorch can still run the PyTorch
cells. Keras is pinned to the TensorFlow backend unless ``KERAS_BACKEND`` says
otherwise: the chapters use ``tf.GradientTape`` on Keras models, which needs it.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import sys
import warnings
from types import ModuleType
from typing import Any

# TensorFlow's C++ start-up chatter (oneDNN notices, CPU feature lists) is noise for
# readers and varies between machines; keep errors only.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# Before Keras is imported: a reader's ~/.keras/keras.json may name jax or torch.
os.environ.setdefault("KERAS_BACKEND", "tensorflow")


class MissingFramework(ModuleType):
    """Stands in for a framework that is not installed; using it explains what to install."""

    def __init__(self, name: str, install: str) -> None:
        super().__init__(name)
        self._install = install

    def __getattr__(self, attribute: str) -> Any:
        if attribute.startswith("__"):  # keep introspection (copy, pickle, IPython) working
            raise AttributeError(attribute)
        raise ModuleNotFoundError(
            f"{self.__name__} is not installed in this kernel, and this cell needs it "
            f"({self.__name__}.{attribute}). Install it with `%pip install {self._install}` "
            "(or `pip install -r requirements.txt` from the book's repository), then restart "
            "the kernel. Cells that use only the other framework work without it.",
            name=self.__name__,
        )

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return f"<{self.__name__}: not installed (pip install {self._install})>"


def _installed(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ImportError:  # an import hook that hides the package
        return False
    except ValueError:  # a module object without a spec (sys.modules entry set by hand)
        return sys.modules.get(name) is not None


HAS_TORCH = _installed("torch")
HAS_TENSORFLOW = _installed("tensorflow") and _installed("keras")

if HAS_TORCH and HAS_TENSORFLOW and "tensorflow" in sys.modules and "torch" not in sys.modules:
    raise ImportError(
        "TensorFlow was imported before PyTorch in this process, and loading PyTorch now "
        "can crash the kernel. Restart the kernel and run `from helpers.frameworks import "
        "keras, tf, torch` before any other TensorFlow or Keras import."
    )

if HAS_TORCH:
    import torch  # must come before tensorflow

    try:  # triton ships with the CUDA builds of torch; load it before TensorFlow too
        import triton
    except ImportError:  # CPU-only builds of torch have no triton
        triton = None
else:
    torch = MissingFramework("torch", "torch")
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


if HAS_TENSORFLOW:
    with warnings.catch_warnings(), _quiet_native_stderr():
        warnings.simplefilter("ignore", category=DeprecationWarning)
        import keras
        import tensorflow as tf

        tf.constant(0.0) + 1.0  # the first op initialises oneDNN, which logs once more
    if keras.backend.backend() != "tensorflow":
        warnings.warn(
            f"Keras runs on the {keras.backend.backend()!r} backend (KERAS_BACKEND="
            f"{os.environ.get('KERAS_BACKEND')!r}, or Keras was imported before this module). "
            "The book's Keras cells use tf.GradientTape and expect the 'tensorflow' backend: "
            "restart the kernel and unset KERAS_BACKEND.",
            stacklevel=2,
        )
else:
    tf = MissingFramework("tensorflow", "tensorflow")
    keras = MissingFramework("keras", "tensorflow")

__all__ = ["HAS_TENSORFLOW", "HAS_TORCH", "MissingFramework", "keras", "tf", "torch", "triton"]
