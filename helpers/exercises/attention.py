"""Self-checked exercises of the attention chapter (``notebooks/07-attention-transformers.ipynb``).

::

    from helpers.exercises import attention as exercises
    ex1 = exercises.write_attention()
    ex2 = exercises.write_causal_mask()

The other exercises of the chapter are written answers (dropdown only).
"""

from __future__ import annotations

import numpy as np

from helpers.attention import causal_mask, scaled_dot_product_attention, softmax
from helpers.exercises import Exercise, Mistake, check_function

__all__ = ["write_attention", "write_causal_mask"]


def _cases() -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(7)
    return [(rng.normal(size=(3, d)) * 2, rng.normal(size=(5, d)) * 2, rng.normal(size=(5, 2))) for d in (4, 8, 16)]


def write_attention() -> Exercise:
    """Exercise 1: ``attention(q, k, v)`` returning softmax(q kᵀ / √d) v for 2-D arrays."""
    def reference(q, k, v):
        return scaled_dot_product_attention(q, k, v)[0]

    mistakes = [
        Mistake(lambda q, k, v: scaled_dot_product_attention(q, k, v, scale=1.0)[0],
                "the scores are not divided by √d (d = the width of the queries and keys)."),
        Mistake(lambda q, k, v: softmax(q @ k.T / np.sqrt(q.shape[-1]), axis=0) @ v,
                "the softmax runs over the queries (axis 0); each query's weights must sum to 1 over the keys."),
        Mistake(lambda q, k, v: softmax(q @ k.T / q.shape[-1], axis=-1) @ v,
                "the scores are divided by d; divide by √d."),
    ]

    def checker(answer):
        return check_function(answer, reference, _cases(), rtol=1e-6, mistakes=mistakes, name="attention")

    return Exercise("Exercise 1", checker, hints=(
        "Scores: one dot product per (query, key) pair is `q @ k.T`, shape (n_queries, n_keys).",
        "Divide by `np.sqrt(q.shape[-1])`, take a softmax along the last axis (subtract the row maximum "
        "first), then multiply by `v`.",
    ), correct_message="each output row is a weighted average of the rows of v.")


def write_causal_mask() -> Exercise:
    """Exercise 2: ``causal(length)``, a boolean ``(length, length)`` mask, True where i may see j."""
    mistakes = [
        Mistake(lambda n: np.triu(np.ones((n, n), dtype=bool)),
                "your mask lets each position see the *future* (it is transposed): row i must allow columns ≤ i."),
        Mistake(lambda n: np.tril(np.ones((n, n), dtype=bool), -1),
                "a position cannot see itself in your mask: the diagonal must be allowed."),
    ]

    def checker(answer):
        return check_function(answer, causal_mask, [(1,), (4,), (7,)], rtol=0, atol=0, mistakes=mistakes,
                              name="causal")

    return Exercise("Exercise 2", checker, hints=(
        "Row i is the query at position i; column j the key at position j. Which j may it see?",
        "`np.tril` keeps the lower triangle, diagonal included.",
    ), correct_message="a query sees itself and the past, never the future.")
