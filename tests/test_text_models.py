"""helpers.text_models: padding does not change the models' answers; the attention weights are masked."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch")

from helpers.attention import sinusoidal_positions  # noqa: E402
from helpers.text import build_vocabulary, encode_texts  # noqa: E402
from helpers.text_models import (  # noqa: E402
    BiLSTMClassifier,
    TransformerClassifier,
    choose_tfidf,
    positive_probability,
    train_classifier,
)

TEXTS = ["good great fine", "bad awful", "great good", "awful bad terrible", "fine good", "terrible bad"] * 5
LABELS = np.array([1, 0, 1, 0, 1, 0] * 5)


def test_extra_padding_changes_nothing_and_padding_gets_no_attention():
    vocab = build_vocabulary(TEXTS, min_count=1)
    torch.manual_seed(0)
    model = TransformerClassifier(len(vocab), max_len=12)
    short, short_len = encode_texts(TEXTS[:4], vocab, 4)
    long, long_len = encode_texts(TEXTS[:4], vocab, 12)
    np.testing.assert_allclose(positive_probability(model, short, short_len),
                               positive_probability(model, long, long_len), atol=1e-6)
    weights = model.attention[0]
    assert weights.shape == (4, 2, 12, 12) and float(weights[1, :, :, 2:].abs().max()) == 0.0
    bilstm = BiLSTMClassifier(len(vocab))
    np.testing.assert_allclose(positive_probability(bilstm, short, short_len),
                               positive_probability(bilstm, long, long_len), atol=1e-6)


def test_the_transformer_learns_a_separable_toy_task_and_tfidf_chooses_c():
    vocab = build_vocabulary(TEXTS, min_count=1)
    data = (*encode_texts(TEXTS, vocab, 4), LABELS)
    torch.manual_seed(0)
    model = TransformerClassifier(len(vocab), max_len=4)
    _, accuracy = train_classifier(model, data, data, epochs=20, lr=3e-3)
    assert accuracy == 1.0
    frame = pd.DataFrame({"text": TEXTS, "label": LABELS})
    _, best_C, val_acc = choose_tfidf(frame, frame, vocab, grid=(1, 10))
    assert best_C in (1, 10) and max(val_acc.values()) == 1.0


def test_position_variants_start_from_the_same_weights_and_differ_only_in_positions():
    vocab = build_vocabulary(TEXTS, min_count=1)
    models = {}
    for positions in ("learned", "sinusoidal", "none"):
        torch.manual_seed(0)
        models[positions] = TransformerClassifier(len(vocab), max_len=6, positions=positions)
    shared = {k: v for k, v in models["learned"].state_dict().items() if not k.startswith("position.")}
    for positions in ("sinusoidal", "none"):
        state = models[positions].state_dict()
        assert set(state) == set(shared), "only the learned variant has trainable position vectors"
        for name, value in shared.items():
            assert torch.equal(state[name], value), name
    np.testing.assert_allclose(models["sinusoidal"].fixed_positions.numpy(), sinusoidal_positions(6, 32), rtol=1e-6)
    assert float(models["none"].fixed_positions.abs().max()) == 0.0
    n_learned = sum(p.numel() for p in models["learned"].parameters())
    assert n_learned - sum(p.numel() for p in models["none"].parameters()) == 6 * 32


def test_without_positions_word_order_cannot_change_the_answer():
    vocab = build_vocabulary(TEXTS, min_count=1)
    torch.manual_seed(0)
    bag = TransformerClassifier(len(vocab), max_len=4, positions="none")
    torch.manual_seed(0)
    ordered = TransformerClassifier(len(vocab), max_len=4, positions="sinusoidal")
    ids, lengths = encode_texts(["good awful bad", "bad awful good"], vocab, 4)
    p_bag, p_ordered = positive_probability(bag, ids, lengths), positive_probability(ordered, ids, lengths)
    assert abs(p_bag[0] - p_bag[1]) < 1e-6
    assert abs(p_ordered[0] - p_ordered[1]) > 1e-6


def test_an_unknown_position_kind_is_refused():
    with pytest.raises(ValueError, match="positions must be one of"):
        TransformerClassifier(10, max_len=4, positions="rotary")
