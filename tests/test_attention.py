"""helpers.attention against PyTorch, number for number."""

from __future__ import annotations

import numpy as np
import pytest

from helpers.attention import (
    causal_mask,
    multi_head_attention,
    padding_mask,
    scaled_dot_product_attention,
    sinusoidal_positions,
    softmax,
)

torch = pytest.importorskip("torch")
F = torch.nn.functional
rng = np.random.default_rng(0)


def test_softmax_rows_sum_to_one_and_all_masked_rows_are_zero():
    p = softmax(np.array([[1.0, 2.0, 3.0], [-np.inf, -np.inf, -np.inf]]))
    assert np.allclose(p[0].sum(), 1) and np.all(p[1] == 0)


def test_matches_torch_sdpa_without_and_with_masks():
    q, k, v = rng.normal(size=(2, 5, 8)), rng.normal(size=(2, 7, 8)), rng.normal(size=(2, 7, 3))
    for mask in (None, padding_mask(np.array([7, 4]), 7)):
        ours, w = scaled_dot_product_attention(q, k, v, mask)
        theirs = F.scaled_dot_product_attention(*(torch.tensor(a) for a in (q, k, v)),
                                                attn_mask=None if mask is None else torch.tensor(mask))
        np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-10, atol=1e-12)
        assert np.allclose(w.sum(-1), 1)
    x = rng.normal(size=(1, 6, 4))
    ours, w = scaled_dot_product_attention(x, x, x, causal_mask(6))
    theirs = F.scaled_dot_product_attention(*(torch.tensor(x),) * 3, is_causal=True)
    np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-10, atol=1e-12)
    assert np.all(np.triu(w[0], 1) == 0)


def test_padding_mask_zeroes_the_padded_keys():
    _, w = scaled_dot_product_attention(*(rng.normal(size=(2, 5, 4)),) * 3, padding_mask(np.array([5, 2]), 5))
    assert np.all(w[1, :, 2:] == 0)


def test_multi_head_matches_torch_multihead_attention_with_copied_weights():
    torch.manual_seed(0)
    layer = torch.nn.MultiheadAttention(12, 3, batch_first=True, dtype=torch.float64)
    W_q, W_k, W_v = layer.in_proj_weight.detach().numpy().reshape(3, 12, 12)
    b_q, b_k, b_v = layer.in_proj_bias.detach().numpy().reshape(3, 12)
    weights = dict(W_q=W_q, W_k=W_k, W_v=W_v, b_q=b_q, b_k=b_k, b_v=b_v,
                   W_o=layer.out_proj.weight.detach().numpy(), b_o=layer.out_proj.bias.detach().numpy())
    x = rng.normal(size=(2, 6, 12))
    lengths = np.array([6, 3])
    ours, attn = multi_head_attention(x, x, x, weights, 3, padding_mask(lengths, 6))
    theirs, theirs_attn = layer(*(torch.tensor(x),) * 3, key_padding_mask=torch.tensor(~padding_mask(lengths, 6)[:, 0]),
                                average_attn_weights=False)
    np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(attn, theirs_attn.detach().numpy(), rtol=1e-9, atol=1e-12)


def test_sinusoidal_positions_follow_the_formula():
    P = sinusoidal_positions(10, 6)
    assert P.shape == (10, 6) and np.allclose(P[0, 0::2], 0) and np.allclose(P[0, 1::2], 1)
    assert np.isclose(P[3, 2], np.sin(3 / 10000 ** (2 / 6)))


def test_bad_input_gets_a_clear_error():
    with pytest.raises(ValueError, match="same width"):
        scaled_dot_product_attention(np.ones((2, 3)), np.ones((2, 4)), np.ones((2, 1)))
    with pytest.raises(ValueError, match="even"):
        sinusoidal_positions(3, 5)
