"""Self-checked exercises of the optimizers chapter (``notebooks/04-optimizers.ipynb``).

::

    from helpers.exercises import optimizers as exercises
    ex1 = exercises.epoch_arithmetic()
    ex3 = exercises.momentum_speed_limit()
    ex4 = exercises.adam_step()

Exercises 2, 5 and 6 of the chapter are written answers (dropdown only). Every check calls
the reader's function on inputs the notebook does not show.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from helpers.exercises import Exercise, Message, Mistake, check_function

__all__ = ["adam_step", "epoch_arithmetic", "momentum_speed_limit"]


# --- Exercise 1: iterations of a training run ---------------------------------------------------


def _iterations(n: int, batch_size: int, epochs: int, drop_last: bool = False) -> int:
    per_epoch = n // batch_size if drop_last else math.ceil(n / batch_size)
    return epochs * per_epoch


def epoch_arithmetic() -> Exercise:
    """Exercise 1: ``iterations(n, batch_size, epochs, drop_last=False)``, the number of optimiser steps."""
    # sizes that do not divide evenly, so that ceil and floor differ; and one that divides
    cases = [(n, b, e, drop) for (n, b, e) in [(1000, 32, 3), (60_000, 256, 7), (37, 5, 11), (4096, 64, 2)]
             for drop in (False, True)]

    def floor_always(n, b, e, drop_last=False):
        return e * (n // b)

    def ceil_always(n, b, e, drop_last=False):
        return e * math.ceil(n / b)

    def one_epoch(n, b, e, drop_last=False):
        return _iterations(n, b, 1, drop_last)

    def float_division(n, b, e, drop_last=False):
        return e * n / b

    mistakes = [
        Mistake(float_division, "it is not a whole number of steps: a batch is a step, so round the number "
                                "of batches per epoch (up, or down with drop_last)."),
        Mistake(one_epoch, "it counts the batches of one epoch: multiply by the number of epochs."),
        Mistake(floor_always, "without drop_last the last, smaller batch is a step too: round the batches "
                              "per epoch *up* (`math.ceil`) unless drop_last is True."),
        Mistake(ceil_always, "with drop_last=True the incomplete last batch is dropped: round *down* "
                             "(`n // batch_size`) in that case."),
    ]

    def checker(answer: Any) -> Message:
        return check_function(answer, _iterations, cases, rtol=0, atol=0, mistakes=mistakes, name="iterations")

    return Exercise("Exercise 1", checker, hints=(
        "An epoch is one pass over the n examples in batches of batch_size; each batch is one step.",
        "Batches per epoch: `math.ceil(n / batch_size)`, or `n // batch_size` when the last incomplete "
        "batch is dropped. Then multiply by epochs.",
    ), correct_message="one step per batch, the last smaller batch included unless it is dropped.")


# --- Exercise 3: momentum's stability limit -----------------------------------------------------


def _momentum_limit(curvature: float, mu: float) -> float:
    return 2 * (1 + mu) / curvature


def momentum_speed_limit() -> Exercise:
    """Exercise 3: ``momentum_limit(curvature, mu)``, the largest stable learning rate of heavy-ball momentum."""
    rng = np.random.default_rng(4)
    cases = [(float(lam), float(mu)) for lam, mu in zip(rng.uniform(0.5, 80, 6), (0.0, 0.5, 0.8, 0.9, 0.95, 0.99),
                                                        strict=True)]
    mistakes = [
        Mistake(lambda lam, mu: 2 / lam, "that is plain gradient descent's limit: momentum raises it by a "
                                         "factor that depends on mu."),
        Mistake(lambda lam, mu: 2 * (1 + mu) / ((1 + 2 * mu) * lam),
                "that is the limit of Nesterov's momentum (the lower one); the heavy ball allows more."),
        Mistake(lambda lam, mu: 2 / ((1 - mu) * lam),
                "1/(1 − mu) is how much the velocity grows where the gradient keeps its sign; stability is "
                "decided where it flips sign every step."),
        Mistake(lambda lam, mu: 2 * (1 + mu) * lam, "the limit should shrink as the curvature grows: divide "
                                                    "by the curvature."),
    ]

    def checker(answer: Any) -> Message:
        return check_function(answer, _momentum_limit, cases, rtol=1e-9, mistakes=mistakes, name="momentum_limit")

    return Exercise("Exercise 3", checker, hints=(
        "Along one direction of curvature λ the heavy ball is a linear recursion in (θ, v); the chapter "
        "gives its stable range where the optimizers race, next to plain gradient descent's 2/λ.",
        "With mu = 0 it must give gradient descent's limit 2/λ; momentum multiplies that by (1 + mu).",
    ), correct_message="momentum is stable for η·λ < 2(1 + μ).")


# --- Exercise 4: one Adam step ------------------------------------------------------------------


def _adam(p, g, m, v, t, lr, beta1=0.9, beta2=0.999, eps=1e-8, correct_m=True, correct_v=True,
          sqrt=True, t_offset=0, sign=-1.0):
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g**2
    m_hat = m / (1 - beta1 ** (t + t_offset)) if correct_m else m
    v_hat = v / (1 - beta2 ** (t + t_offset)) if correct_v else v
    scale = np.sqrt(v_hat) if sqrt else v_hat
    return np.stack([p + sign * lr * m_hat / (scale + eps), m, v])


def _adam_cases() -> list[tuple]:
    rng = np.random.default_rng(11)
    cases = []
    for t, n in [(1, 3), (2, 5), (7, 4), (60, 6)]:
        p, g = rng.normal(size=n), rng.normal(size=n) * rng.choice([0.01, 1.0, 30.0])
        if t == 1:
            m, v = np.zeros(n), np.zeros(n)   # the first step starts from zero moments
        else:
            m, v = rng.normal(size=n) * 0.1, rng.uniform(0.001, 0.5, size=n)
        cases.append((p, g, m, v, t, float(rng.choice([1e-3, 0.01, 0.1]))))
    return cases


def adam_step() -> Exercise:
    """Exercise 4: ``adam_step(p, g, m, v, t, lr)`` returning ``(new_p, new_m, new_v)``.

    The reader's defaults must be Adam's (β1 0.9, β2 0.999, ε 1e-8); ``t`` is this step's number.
    """
    mistakes = [
        Mistake(lambda *c: _adam(*c, correct_m=False, correct_v=False),
                "the moments are not bias-corrected: divide m by 1 − β1**t and v by 1 − β2**t (t = this step's "
                "number, 1 for the first) before the update."),
        Mistake(lambda *c: _adam(*c, correct_v=False),
                "only m is bias-corrected; v needs its own correction, 1 − β2**t."),
        Mistake(lambda *c: _adam(*c, correct_m=False),
                "only v is bias-corrected; m needs its own correction, 1 − β1**t."),
        Mistake(lambda *c: _adam(*c, t_offset=1),
                "the bias correction uses t + 1: t is already this step's number (1 for the first step)."),
        Mistake(lambda *c: _adam(*c, sqrt=False), "the step divides by v̂, not by its square root √v̂."),
        Mistake(lambda *c: _adam(*c, sign=1.0), "your step goes uphill: subtract the step from p."),
    ]

    def reference(p, g, m, v, t, lr):
        return _adam(p, g, m, v, t, lr)

    def checker(answer: Any) -> Message:
        if not callable(answer):
            return f"pass a function (you passed {type(answer).__name__}), e.g. `check(adam_step)`."

        def as_stack(p, g, m, v, t, lr):
            result = answer(p.copy(), g.copy(), m.copy(), v.copy(), t, lr)
            if not isinstance(result, tuple | list) or len(result) != 3:
                raise TypeError("adam_step must return three arrays, (new_p, new_m, new_v)")
            return np.stack([np.asarray(part, dtype=float) for part in result])

        return check_function(as_stack, reference, _adam_cases(), rtol=1e-7, atol=1e-12, mistakes=mistakes,
                              name="adam_step")

    return Exercise("Exercise 4", checker, hints=(
        "Update the two moving averages first, then correct each for its start at zero, then step.",
        "`m_hat = m / (1 - beta1**t)`, `v_hat = v / (1 - beta2**t)`, and the step is "
        "`lr * m_hat / (np.sqrt(v_hat) + eps)`, *subtracted* from p.",
    ), correct_message="your step matches Adam's on inputs you had not seen, first step included.")
