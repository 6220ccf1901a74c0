"""helpers.exercises.attention: the reference passes, realistic wrong answers get their diagnosis."""

from __future__ import annotations

import numpy as np

from helpers.exercises import attention


def test_attention_exercise():
    ex = attention.write_attention()

    def solution(q, k, v):
        scores = q @ k.T / np.sqrt(q.shape[-1])
        weights = np.exp(scores - scores.max(axis=-1, keepdims=True))
        return weights / weights.sum(axis=-1, keepdims=True) @ v

    def unscaled(q, k, v):
        scores = q @ k.T
        weights = np.exp(scores - scores.max(axis=-1, keepdims=True))
        return weights / weights.sum(axis=-1, keepdims=True) @ v

    def wrong_axis(q, k, v):
        scores = q @ k.T / np.sqrt(q.shape[-1])
        weights = np.exp(scores - scores.max(axis=0, keepdims=True))
        return weights / weights.sum(axis=0, keepdims=True) @ v

    ex.assert_correct(solution)
    ex.assert_mistake(unscaled, "not divided by √d")
    ex.assert_mistake(wrong_axis, "over the queries")
    assert not ex.check(lambda q, k, v: v[:3])


def test_causal_mask_exercise():
    ex = attention.write_causal_mask()
    ex.assert_correct(lambda n: np.tril(np.ones((n, n), dtype=bool)))
    ex.assert_mistake(lambda n: np.triu(np.ones((n, n), dtype=bool)), "transposed")
    ex.assert_mistake(lambda n: np.tril(np.ones((n, n), dtype=bool), -1), "diagonal")
