"""Attention in NumPy: scaled dot-product attention with masks, multi-head attention, positions.

Written for reading, not speed; ``tests/test_attention.py`` checks every function number for
number against ``torch.nn.functional.scaled_dot_product_attention`` and
``torch.nn.MultiheadAttention`` with copied weights. Arrays are ``(..., length, features)``.

Masks follow PyTorch's boolean convention for ``attn_mask``: ``True`` means *may attend*.
"""

from __future__ import annotations

import numpy as np

__all__ = ["causal_mask", "multi_head_attention", "padding_mask", "scaled_dot_product_attention",
           "sinusoidal_positions", "softmax"]


def softmax(scores: np.ndarray, axis: int = -1) -> np.ndarray:
    """Softmax along ``axis``, stable (subtracts the maximum); rows that are all ``-inf`` give 0."""
    scores = np.asarray(scores, dtype=float)
    top = np.max(scores, axis=axis, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    e = np.exp(scores - top)
    total = e.sum(axis=axis, keepdims=True)
    return np.divide(e, total, out=np.zeros_like(e), where=total > 0)


def scaled_dot_product_attention(q: np.ndarray, k: np.ndarray, v: np.ndarray, mask: np.ndarray | None = None,
                                 scale: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """softmax(q kᵀ · scale) v, with ``scale = 1/√d`` by default; returns ``(output, weights)``.

    ``q`` is ``(..., n_queries, d)``, ``k`` ``(..., n_keys, d)``, ``v`` ``(..., n_keys, d_v)``;
    ``mask`` (boolean, broadcastable to ``(..., n_queries, n_keys)``) is ``True`` where a query
    may look at a key. The weights of each query sum to 1 over the keys it may see.
    """
    q, k, v = (np.asarray(a, dtype=float) for a in (q, k, v))
    if q.shape[-1] != k.shape[-1]:
        raise ValueError(f"queries and keys need the same width, got {q.shape[-1]} and {k.shape[-1]}")
    if k.shape[-2] != v.shape[-2]:
        raise ValueError(f"one value per key is needed, got {k.shape[-2]} keys and {v.shape[-2]} values")
    scale = 1.0 / np.sqrt(q.shape[-1]) if scale is None else scale
    scores = q @ np.swapaxes(k, -1, -2) * scale
    if mask is not None:
        scores = np.where(np.asarray(mask, dtype=bool), scores, -np.inf)
    weights = softmax(scores, axis=-1)
    return weights @ v, weights


def causal_mask(length: int) -> np.ndarray:
    """``(length, length)`` boolean mask: position i may attend to positions 0..i only."""
    return np.tril(np.ones((length, length), dtype=bool))


def padding_mask(lengths: np.ndarray, max_len: int) -> np.ndarray:
    """``(batch, 1, max_len)`` boolean mask: ``True`` on the real tokens, ``False`` on padding."""
    lengths = np.asarray(lengths)
    return (np.arange(max_len)[None, :] < lengths[:, None])[:, None, :]


def multi_head_attention(query: np.ndarray, key: np.ndarray, value: np.ndarray, weights: dict[str, np.ndarray],
                         num_heads: int, mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Multi-head attention as in ``torch.nn.MultiheadAttention`` (batch first).

    ``weights`` holds ``W_q, W_k, W_v, W_o`` (each ``(d_model, d_model)``, applied as ``x @ W.T``
    like ``nn.Linear``) and biases ``b_q, b_k, b_v, b_o``. Each of the ``num_heads`` heads attends
    in its own slice of ``d_model / num_heads`` features; the heads are concatenated and mixed
    by ``W_o``. Returns the output ``(batch, n_queries, d_model)`` and the weights
    ``(batch, heads, n_queries, n_keys)``.
    """
    d_model = weights["W_q"].shape[0]
    if d_model % num_heads:
        raise ValueError(f"d_model = {d_model} is not divisible by num_heads = {num_heads}")
    head = d_model // num_heads

    def project(x: np.ndarray, name: str) -> np.ndarray:
        y = np.asarray(x, dtype=float) @ weights[f"W_{name}"].T + weights[f"b_{name}"]
        return y.reshape(*y.shape[:-1], num_heads, head).swapaxes(-2, -3)   # (batch, heads, length, head)

    if mask is not None:
        mask = np.asarray(mask, dtype=bool)
        mask = mask[:, None] if mask.ndim == 3 else mask                   # one mask for every head
    out, attn = scaled_dot_product_attention(project(query, "q"), project(key, "k"), project(value, "v"), mask)
    out = out.swapaxes(-2, -3).reshape(*out.shape[:-3], out.shape[-2], d_model)
    return out @ weights["W_o"].T + weights["b_o"], attn


def sinusoidal_positions(length: int, d_model: int) -> np.ndarray:
    """The sinusoidal position codes of Vaswani et al. (2017), ``(length, d_model)``.

    Even features ``sin(pos / 10000^(2i/d))``, odd ones ``cos`` of the same angle.
    """
    if d_model % 2:
        raise ValueError(f"d_model must be even, got {d_model}")
    pos = np.arange(length)[:, None]
    angle = pos / 10000 ** (np.arange(0, d_model, 2)[None, :] / d_model)
    codes = np.zeros((length, d_model))
    codes[:, 0::2], codes[:, 1::2] = np.sin(angle), np.cos(angle)
    return codes
