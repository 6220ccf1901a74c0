"""Self-checked exercises of chapter 2, activation functions (``notebooks/02-activation-functions.ipynb``).

::

    from helpers.exercises import activations as exercises
    ex2 = exercises.softplus_derivative()
    ex3 = exercises.float32_softmax_limit()
    ex4 = exercises.batched_softmax()

The chapter's other exercises are written answers (dropdown only).
"""

from __future__ import annotations

import numpy as np

from helpers.exercises import Exercise, Message, Mistake, as_array, check_function, compare, numeric_derivative

__all__ = ["batched_softmax", "float32_softmax_limit", "softplus_derivative"]


def _softplus(z: np.ndarray) -> np.ndarray:
    return np.logaddexp(0.0, z)  # log(1 + e^z) without overflow


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return np.exp(-np.logaddexp(0.0, -z))  # 1 / (1 + e^-z) without overflow


def _derivative_cases() -> list[tuple[np.ndarray]]:
    # random points where finite differences are accurate, then large |z| where exp overflows
    rng = np.random.default_rng(2)
    return [(rng.uniform(-6, 6, size=25),), (rng.normal(0, 15, size=(4, 5)),),
            (np.array([-800.0, -40.0, 40.0, 800.0]),)]


def softplus_derivative() -> Exercise:
    """Exercise 2: ``d_softplus(z)``, the derivative of softplus(z) = log(1 + eᶻ), elementwise."""
    mistakes = [
        Mistake(lambda z: _sigmoid(-z), "your slope falls where softplus rises: did you drop the inner "
                                        "derivative e^z, or flip a sign in the exponent?"),
        Mistake(_softplus, "that is softplus itself, not its derivative."),
        Mistake(np.exp, "that is the derivative of the inside, e^z, alone: the derivative of log(u) is u′/u."),
    ]

    def reference(z: np.ndarray) -> np.ndarray:
        # central differences of softplus, where they are accurate; the exact slope where |z| is huge
        # (there the slope is 0 or 1 to machine precision, and e^z overflows in float64 beyond 709)
        return np.where(np.abs(z) < 30, numeric_derivative(_softplus, z), _sigmoid(z))

    def checker(answer) -> Message:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            message = check_function(answer, reference, _derivative_cases(), rtol=1e-6, atol=1e-8,
                                     mistakes=mistakes, name="d_softplus")
        if message and "NaN or infinity" in message:
            message += (" For large z, e^z overflows to inf (and inf / inf is NaN): rewrite the derivative so "
                        "that only e^(−z) appears, which is at most 1 for the z that matter.")
        return message

    return Exercise("Exercise 2", checker, hints=(
        "Chain rule: the derivative of log(u) is u′/u, with u = 1 + e^z.",
        "Divide the top and the bottom of your fraction by e^z: the result is one of the chapter's "
        "activations, and it needs no large exponentials.",
    ), correct_message="it matches finite differences of softplus at random points and stays finite for large z.")


def _naive_softmax_float32(n: int) -> np.ndarray:
    e = np.exp(np.array([n, 0], dtype="float32"))
    return e / e.sum()


def float32_softmax_limit() -> Exercise:
    """Exercise 3: the smallest integer n for which the naive softmax of float32 [n, 0] is nan."""
    with np.errstate(over="ignore", invalid="ignore"):
        limit = next(n for n in range(200) if np.isnan(_naive_softmax_float32(n)).any())
    float64_limit = int(np.ceil(np.log(np.finfo("float64").max)))
    wrong = {
        limit - 1: "at this n the naive softmax still returns numbers: run it and look.",
        float64_limit: "that is where float64 overflows; this array is float32.",
        float64_limit - 1: "that is about where float64 overflows; this array is float32.",
    }

    def checker(answer) -> Message:
        if answer is None:
            return "your answer is None."
        try:
            number = float(as_array(answer).reshape(()))
        except (TypeError, ValueError):
            return "give a single integer n."
        if number != round(number):
            return "give a whole number: the first integer n at which the result turns into nan."
        if int(number) == limit:
            return None
        return wrong.get(int(number), "not that n: loop over n = 0, 1, 2, … and stop at the first nan.")

    return Exercise("Exercise 3", checker, hints=(
        "`np.exp` overflows to `inf` when its result exceeds `np.finfo(\"float32\").max`; `inf / inf` is `nan`.",
        "Try it: loop over n and test `np.isnan(softmax_naive(np.array([n, 0], dtype=\"float32\"))).any()`, "
        "inside `with np.errstate(over=\"ignore\", invalid=\"ignore\"):` to silence the warnings.",
    ), correct_message="e^n exceeds the largest float32 there; the stable softmax never exponentiates a "
                       "positive number.")


def _softmax_rows(Z: np.ndarray) -> np.ndarray:
    Z = np.asarray(Z, dtype=float)
    e = np.exp(Z - Z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _softmax_cases() -> list[tuple[np.ndarray]]:
    rng = np.random.default_rng(4)
    return [
        (rng.normal(0, 2, size=(4, 5)),),
        (rng.normal(0, 2, size=(1, 7)),),
        (np.array([[1000.0, 1001.0, 999.0], [2.0, 1.0, 0.1]]),),   # a row that overflows e^z
        (np.array([[1000.0, 1001.0, 999.0], [-1000.0, -999.0, -1001.0]]),),  # rows of very different size
    ]


def batched_softmax() -> Exercise:
    """Exercise 4: ``softmax_rows(Z)``, a stable softmax of each row of a 2-D batch of logits."""
    def checker(answer) -> Message:
        if not callable(answer):
            return f"pass a function (you passed {type(answer).__name__}), e.g. `ex4.check(softmax_rows)`."
        for (Z,) in _softmax_cases():
            with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
                try:
                    got = answer(Z.copy())
                except Exception as error:
                    return f"`softmax_rows` raised {type(error).__name__} on a batch of shape {Z.shape}: {error}"
            try:
                finite = np.all(np.isfinite(as_array(got)))
            except (TypeError, ValueError):
                finite = True  # compare says what is wrong with the type
            if not finite:
                return (f"`softmax_rows` gives NaN or infinity on the logits {Z.tolist()}: e^z overflowed, or a "
                        "row fell to 0 / 0 after subtracting a maximum that is not its own. Subtract each "
                        "row's own maximum (`axis=1, keepdims=True`).")
            message = compare(got, _softmax_rows(Z), rtol=1e-6, atol=1e-12, what="`softmax_rows`")
            if message is not None and np.shape(got) == Z.shape and Z.shape[0] > 1:
                sums = as_array(got)
                if np.isclose(sums.sum(), 1.0):
                    message = ("the whole batch sums to 1 in your answer: each row must (reduce along axis 1 "
                               "with `keepdims=True`).")
                elif np.allclose(sums.sum(axis=0), 1.0):
                    message = "your columns sum to 1: each *row* (one example's logits) must; sum along axis 1."
            if message is not None:
                return f"on a batch of shape {Z.shape}, {message}"
        return None

    return Exercise("Exercise 4", checker, hints=(
        "Row i holds the logits of example i; its probabilities must sum to 1, so every reduction runs "
        "along axis 1.",
        "`Z.max(axis=1, keepdims=True)` has shape (batch, 1), so `Z - it` subtracts each row's own maximum; "
        "do the same for the sum.",
    ), correct_message="each row sums to 1 and no logit overflows.")
