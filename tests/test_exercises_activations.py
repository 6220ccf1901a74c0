"""helpers.exercises.activations: the reference passes, realistic wrong answers get their diagnosis."""

from __future__ import annotations

import numpy as np

from helpers.exercises import activations


def test_softplus_derivative_exercise():
    ex = activations.softplus_derivative()

    def d_softplus(z):
        return 1 / (1 + np.exp(-z))

    def naive(z):
        return np.exp(z) / (1 + np.exp(z))

    ex.assert_correct(d_softplus)  # e^800 at z = -800 overflows to inf: 1 / inf = 0, the right slope
    ex.assert_correct(lambda z: np.exp(-np.logaddexp(0, -z)))
    ex.assert_mistake(naive, "NaN", "only e^(−z)")
    ex.assert_mistake(lambda z: 1 / (1 + np.exp(z)), "falls where softplus rises")
    ex.assert_mistake(lambda z: np.log1p(np.exp(z)), "softplus itself")
    ex.assert_mistake(np.exp, "u′/u")
    ex.assert_mistake(lambda z: np.tanh(z), "differs")
    assert "3" not in ex.check(lambda z: 0.5 * np.ones_like(z)).message.split("on ")[0]


def test_float32_softmax_limit_exercise():
    ex = activations.float32_softmax_limit()

    def softmax_naive(z):
        e = np.exp(z)
        return e / e.sum()

    with np.errstate(over="ignore", invalid="ignore"):
        n = next(n for n in range(200) if np.isnan(softmax_naive(np.array([n, 0], dtype="float32"))).any())
    ex.assert_correct(n)
    ex.assert_mistake(n - 1, "still returns numbers")
    ex.assert_mistake(710, "float64")
    ex.assert_mistake(float(np.log(np.finfo("float32").max)), "whole number")
    ex.assert_mistake(120, "loop over n")
    for wrong in (n - 1, 710, 120):
        assert str(n) not in ex.check(wrong).message


def test_batched_softmax_exercise():
    ex = activations.batched_softmax()

    def softmax_rows(Z):
        e = np.exp(Z - Z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def naive(Z):
        e = np.exp(Z)
        return e / e.sum(axis=1, keepdims=True)

    def chapter_1d(Z):  # the chapter's softmax, applied to a batch: one maximum and one sum for all
        e = np.exp(Z - Z.max())
        return e / e.sum()

    def global_max(Z):
        e = np.exp(Z - Z.max())
        return e / e.sum(axis=1, keepdims=True)

    def over_columns(Z):
        e = np.exp(Z - Z.max(axis=0, keepdims=True))
        return e / e.sum(axis=0, keepdims=True)

    ex.assert_correct(softmax_rows)
    ex.assert_mistake(naive, "NaN", "each row's own maximum")
    ex.assert_mistake(global_max, "NaN", "each row's own maximum")
    ex.assert_mistake(chapter_1d, "whole batch sums to 1")
    ex.assert_mistake(over_columns, "columns sum to 1")
    ex.assert_mistake(lambda Z: softmax_rows(Z).T, "transposed")
    ex.assert_mistake(3.0, "pass a function")
