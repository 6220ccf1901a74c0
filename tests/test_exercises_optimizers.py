"""helpers.exercises.optimizers: the reference passes, realistic wrong answers get their diagnosis."""

from __future__ import annotations

import math

import numpy as np

from helpers.exercises import optimizers


def test_epoch_arithmetic():
    ex = optimizers.epoch_arithmetic()

    def iterations(n, batch_size, epochs, drop_last=False):
        per_epoch = n // batch_size if drop_last else math.ceil(n / batch_size)
        return epochs * per_epoch

    ex.assert_correct(iterations)
    ex.assert_mistake(lambda n, b, e, drop_last=False: e * (n // b), "round", "up")
    ex.assert_mistake(lambda n, b, e, drop_last=False: e * math.ceil(n / b), "drop_last=True", "down")
    ex.assert_mistake(lambda n, b, e, drop_last=False: math.ceil(n / b), "multiply by the number of epochs")
    ex.assert_mistake(lambda n, b, e, drop_last=False: e * n / b, "whole number")
    # the message names the failing input, never the expected count (96 for the first input)
    message = ex.check(lambda n, b, e, drop_last=False: iterations(n, b, e, drop_last) + 1).message
    assert "(1000, 32, 3, False)" in message and "not the expected value" in message and "96" not in message


def test_momentum_speed_limit():
    ex = optimizers.momentum_speed_limit()
    ex.assert_correct(lambda curvature, mu: 2 * (1 + mu) / curvature)
    ex.assert_mistake(lambda curvature, mu: 2 / curvature, "gradient descent's limit")
    ex.assert_mistake(lambda curvature, mu: 2 * (1 + mu) / ((1 + 2 * mu) * curvature), "Nesterov")
    ex.assert_mistake(lambda curvature, mu: 2 / ((1 - mu) * curvature), "flips sign")
    feedback = ex.check(lambda curvature, mu: 2 * (1 + mu) / curvature + 0.01)
    assert not feedback and "not the expected value" in feedback.message  # no distance to the answer


def _adam_solution(p, g, m, v, t, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g**2
    m_hat = m / (1 - beta1**t)
    v_hat = v / (1 - beta2**t)
    return p - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def test_adam_step():
    ex = optimizers.adam_step()
    ex.assert_correct(_adam_solution)

    def uncorrected(p, g, m, v, t, lr, beta1=0.9, beta2=0.999, eps=1e-8):
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        return p - lr * m / (np.sqrt(v) + eps), m, v

    def counted_from_zero(p, g, m, v, t, lr, beta1=0.9, beta2=0.999, eps=1e-8):
        return _adam_solution(p, g, m, v, t + 1, lr, beta1, beta2, eps)

    def uphill(p, g, m, v, t, lr):
        new_p, m, v = _adam_solution(p, g, m, v, t, lr)
        return 2 * p - new_p, m, v

    def in_place_class_style(p, g, m, v, t, lr):
        m *= 0.9
        m += 0.1 * g                 # updates the caller's array: still a correct step
        v = 0.999 * v + 0.001 * g**2
        return p - lr * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8), m, v

    ex.assert_mistake(uncorrected, "not bias-corrected")
    ex.assert_mistake(counted_from_zero, "t + 1")
    ex.assert_mistake(uphill, "uphill")
    ex.assert_mistake(lambda p, g, m, v, t, lr: _adam_solution(p, g, m, v, t, lr)[0], "three arrays")
    ex.assert_correct(in_place_class_style)
    # the diagnosis is the mistake's, with no numbers of the expected step
    message = ex.check(lambda p, g, m, v, t, lr: (p + 1.0, m, v)).message
    assert "differs from the expected values" in message
    first = optimizers._adam_cases()[0]
    assert f"{_adam_solution(*first)[0][0]:.4f}"[:-1] not in message
