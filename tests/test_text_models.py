"""helpers.text_models: padding does not change the models' answers; the attention weights are masked."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch")

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
