"""Plumbing shared by the notebooks of *Deep Learning, Executable*.

Each module holds code a chapter has already explained, so that later chapters can
call it instead of repeating it:

* :mod:`helpers.frameworks` -- import PyTorch and TensorFlow/Keras in the one safe order.
* :mod:`helpers.seed` -- one call that seeds Python, NumPy, PyTorch and TensorFlow.
* :mod:`helpers.data` -- the book's data directory, verified downloads, CIFAR-10, Telco and UCI sentiment loaders.
* :mod:`helpers.text` -- tokens, a training-split vocabulary, padding with lengths, and the text splits.
* :mod:`helpers.plots` -- decision boundaries, image grids and training curves.
* :mod:`helpers.widgets` -- explorers: sliders that work in a live kernel and on the static site.
* :mod:`helpers.churn` -- the churn project's validated, saveable production predictor.
* :mod:`helpers.stats` -- mean ± standard error over seeds, paired bootstrap, McNemar, Diebold–Mariano.
* :mod:`helpers.display` -- ``show_source``: print a helper's code on the page.
* :mod:`helpers.autodiff` -- the backpropagation chapter's reverse-mode engine on scalars (``Value``).
* :mod:`helpers.transfer` -- chapter 8's offline ImageNet network (EfficientNet-Lite0): input, features, linear probe.

Nothing heavy is imported here, so ``import helpers`` is instant.
"""

__version__ = "0.3.0"
