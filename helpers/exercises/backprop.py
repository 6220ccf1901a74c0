"""Self-checked exercises of chapter 3, backpropagation (``notebooks/03-backpropagation.ipynb``).

::

    from helpers.exercises import backprop as exercises
    ex1 = exercises.silu_gradient()
    ex2 = exercises.leaky_relu_layer()
    ex3 = exercises.linear_backward()

The chapter's other exercises are written answers (dropdown only).
"""

from __future__ import annotations

import inspect

import numpy as np

from helpers.exercises import Exercise, Message, Mistake, check_function, compare, numeric_derivative

__all__ = ["leaky_relu_layer", "linear_backward", "silu_gradient"]


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return np.exp(-np.logaddexp(0.0, -x))


def _silu(x: np.ndarray) -> np.ndarray:
    return x * _sigmoid(x)


def silu_gradient() -> Exercise:
    """Exercise 1: ``silu_grad(x)``, the derivative of f(x) = x·σ(x), elementwise, checked by finite differences."""
    rng = np.random.default_rng(3)
    cases = [(np.array(2.0),), (rng.uniform(-6, 6, size=20),), (rng.normal(0, 3, size=(3, 4)),)]
    slope = lambda x: _sigmoid(x) * (1 - _sigmoid(x))  # noqa: E731  σ′(x)
    mistakes = [
        Mistake(_sigmoid, "you kept only the path through the first factor, a = x (it contributes σ(x)); "
                          "add the path through σ(x)."),
        Mistake(lambda x: x * slope(x), "you kept only the path through σ(x); add the path through the "
                                        "first factor, a = x."),
        Mistake(lambda x: _sigmoid(x) * x * slope(x), "you multiplied the two paths' contributions: where a "
                                                      "value is used twice, they *add*."),
        Mistake(slope, "that is the derivative of σ alone; f(x) = x·σ(x) is a product (two paths from x)."),
    ]

    def checker(answer) -> Message:
        with np.errstate(over="ignore"):
            return check_function(answer, lambda x: numeric_derivative(_silu, x), cases, rtol=1e-6, atol=1e-8,
                                  mistakes=mistakes, name="silu_grad")

    return Exercise("Exercise 1", checker, hints=(
        "Write f = a · s with a = x and s = σ(x). Then df/dx = ∂f/∂a · da/dx + ∂f/∂s · ds/dx.",
        "∂f/∂a = s and ∂f/∂s = a; da/dx = 1 and ds/dx = σ(x)(1 − σ(x)).",
    ), correct_message="it matches central differences of x·σ(x) at points you did not choose.")


_SLOPE = 0.01


def _leaky(z: np.ndarray) -> np.ndarray:
    return np.where(z > 0, z, _SLOPE * z)


def _leaky_slope(z: np.ndarray) -> np.ndarray:
    return np.where(z > 0, 1.0, _SLOPE)


def _layer_cases() -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(5)
    cases = []
    for shape in ((6, 5), (3, 8), (1, 4)):
        z = rng.normal(size=shape)
        z[np.abs(z) < 1e-3] = 0.5  # keep clear of the kink at 0, where either slope is a convention
        cases.append((z, rng.normal(size=shape)))
    return cases


def leaky_relu_layer() -> Exercise:
    """Exercise 2: a ``LeakyReLU`` class with ``forward(z)``, ``backward(grad_out)`` and ``params()``."""
    forward_mistakes = [
        Mistake(lambda z, g: np.maximum(z, 0.0), "your forward gives 0 for negative inputs: that is ReLU; "
                                                 "Leaky ReLU multiplies them by the slope 0.01."),
        Mistake(lambda z, g: np.where(z > 0, z, -_SLOPE * z), "your forward flips the sign of negative inputs: "
                                                              "multiply them by +0.01."),
    ]
    backward_mistakes = [
        Mistake(lambda z, g: _leaky_slope(z), "your backward returns the local slope alone: multiply it by "
                                              "`grad_out` (the chain rule)."),
        Mistake(lambda z, g: g * (z > 0), "your backward gives no gradient to negative inputs (that is ReLU's): "
                                          "there the slope is 0.01."),
        Mistake(lambda z, g: g, "your backward returns `grad_out` unchanged: multiply it by the slope at each "
                                "input (1 or 0.01)."),
        Mistake(lambda z, g: g * np.where(g > 0, 1.0, _SLOPE), "your backward picks the slope from the sign of "
                                                                "`grad_out`; it depends on the sign of the "
                                                                "forward pass's *input*."),
        Mistake(lambda z, g: g * _leaky(z), "your backward multiplies by the forward output; the derivative of "
                                            "Leaky ReLU is 1 or 0.01, depending on the input's sign."),
    ]

    def checker(answer) -> Message:
        if inspect.isclass(answer):
            try:
                layer = answer()
            except TypeError as error:
                return f"`LeakyReLU()` must work without arguments (slope 0.01 by default): {error}"
        elif hasattr(answer, "forward"):
            layer = answer
        else:
            return "pass the class, `ex2.check(LeakyReLU)`."
        for name in ("forward", "backward", "params"):
            if not callable(getattr(layer, name, None)):
                return (f"your layer has no `{name}` method: `Network` calls `forward`, `backward` and "
                        "`params` on every layer.")
        for z, grad_out in _layer_cases():
            where = f"a batch of shape {z.shape}"
            try:
                got = layer.forward(z.copy())
            except Exception as error:
                return f"`forward` raised {type(error).__name__} on {where}: {error}"
            message = compare(got, _leaky(z), rtol=1e-12, what=f"`forward` on {where}",
                              mistakes=[Mistake(m.wrong(z, grad_out), m.message) for m in forward_mistakes])
            if message is not None:
                return message
            try:
                got = layer.backward(grad_out.copy())
            except Exception as error:
                return f"`backward` raised {type(error).__name__} on {where}: {error}"
            message = compare(got, grad_out * _leaky_slope(z), rtol=1e-12, what=f"`backward` on {where}",
                              mistakes=[Mistake(m.wrong(z, grad_out), m.message) for m in backward_mistakes])
            if message is not None:
                return message
        params = layer.params()
        if params is None or len(list(params)) != 0:
            return "Leaky ReLU has no parameters to learn: `params()` should return an empty list."
        return None

    return Exercise("Exercise 2", checker, hints=(
        "`forward(z)` must save what `backward` needs (as `ReLU` saves its mask), then return z where z > 0 "
        "and 0.01·z elsewhere.",
        "`backward(grad_out)` returns grad_out times the local slope: 1 where the saved input was positive, "
        "0.01 elsewhere. `params()` returns [].",
    ), correct_message="forward and backward agree with Leaky ReLU on batches you did not choose.")



def _linear_backward(X: np.ndarray, weight: np.ndarray, grad_out: np.ndarray) -> tuple[np.ndarray, ...]:
    return grad_out.T @ X, grad_out.sum(axis=0), grad_out @ weight


def _linear_cases() -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    # square first (batch = inputs = outputs): there a transposed formula gives numbers, not a
    # shape error, so the check can name the mistake; then shapes that are all different
    rng = np.random.default_rng(8)
    return [(rng.normal(size=(batch, n_in)), rng.normal(size=(n_out, n_in)), rng.normal(size=(batch, n_out)))
            for batch, n_in, n_out in ((3, 3, 3), (5, 4, 2), (1, 3, 6), (7, 2, 5))]


def linear_backward() -> Exercise:
    """Exercise 3: ``linear_backward(X, weight, grad_out)`` → ``(d_weight, d_bias, d_X)`` for y = X·weightᵀ + bias."""
    mistakes = {
        "d_weight": [
            Mistake(lambda X, W, G: X.T @ G, "`d_weight` is Xᵀ G, the formula for a Keras-layout kernel "
                                             "(inputs, outputs); PyTorch's weight is (outputs, inputs), so "
                                             "its gradient is the transpose."),
            Mistake(lambda X, W, G: G.T @ X / len(X), "`d_weight` is divided by the batch size: the loss's "
                                                     "gradient `grad_out` already carries any averaging."),
        ],
        "d_bias": [
            Mistake(lambda X, W, G: G.mean(axis=0), "`d_bias` averages over the batch: the bias is used by "
                                                    "every example, so its gradients *add*."),
            Mistake(lambda X, W, G: G, "`d_bias` has one row per example: the bias is shared by the batch, so "
                                       "sum its gradients over axis 0."),
            Mistake(lambda X, W, G: G.sum(axis=1), "`d_bias` sums over the outputs (axis 1); sum over the "
                                                   "examples (axis 0): one gradient per output."),
        ],
        "d_X": [
            Mistake(lambda X, W, G: G @ W.T, "`d_X` uses the weight transposed: for y = X Wᵀ the gradient "
                                             "flows back through W itself, G W."),
        ],
    }

    def checker(answer) -> Message:
        if not callable(answer):
            return f"pass a function (you passed {type(answer).__name__}), e.g. `ex3.check(linear_backward)`."
        for X, weight, grad_out in _linear_cases():
            where = f"X {X.shape}, weight {weight.shape}, grad_out {grad_out.shape}"
            try:
                result = answer(X.copy(), weight.copy(), grad_out.copy())
            except Exception as error:
                return f"`linear_backward` raised {type(error).__name__} on {where}: {error}"
            if result is None:
                return "`linear_backward` returned None: did it forget to `return` the three gradients?"
            if not isinstance(result, tuple | list) or len(result) != 3:
                return "return three arrays, in this order: `d_weight, d_bias, d_X`."
            for name, got, want in zip(("d_weight", "d_bias", "d_X"), result,
                                       _linear_backward(X, weight, grad_out)):
                known = []
                for mistake in mistakes[name]:
                    try:
                        known.append(Mistake(mistake.wrong(X, weight, grad_out), mistake.message))
                    except ValueError:  # the mistake's shapes do not fit on this input
                        pass
                message = compare(got, want, rtol=1e-9, mistakes=known, what=f"`{name}` (on {where})")
                if message is not None:
                    return message
        return None

    return Exercise("Exercise 3", checker, hints=(
        "Write the forward pass with indices: y[b, o] = Σᵢ X[b, i] · weight[o, i] + bias[o]. Then "
        "∂L/∂weight[o, i] sums grad_out[b, o] · X[b, i] over the examples b.",
        "Check each result's shape: d_weight like weight (outputs, inputs), d_bias like bias (outputs,), "
        "d_X like X (batch, inputs). Only one product of the right two matrices has each shape.",
    ), correct_message="all three gradients are right, on shapes you did not choose.")
