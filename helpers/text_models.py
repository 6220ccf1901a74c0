"""The sentence classifiers of the recurrent chapter's text section, shared with the attention chapter.

``tfidf_classifier`` / ``choose_tfidf`` (TF-IDF + logistic regression, C chosen on validation),
``BiLSTMClassifier`` and ``train_classifier`` are the code of
``notebooks/06-recurrent-networks.ipynb`` (text section, quick settings), moved here so that
``notebooks/07-attention-transformers.ipynb`` compares against the same baselines computed the
same way. ``TransformerClassifier`` is the attention chapter's small encoder. Load PyTorch
through ``helpers.frameworks`` before importing this module in a notebook that also uses Keras.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

import numpy as np
import torch
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from sklearn.pipeline import Pipeline, make_pipeline

from helpers.attention import sinusoidal_positions
from helpers.text import PAD_ID, Vocabulary, tokenize

__all__ = ["POSITIONS", "BiLSTMClassifier", "TransformerClassifier", "choose_tfidf", "positive_probability",
           "tfidf_classifier", "train_classifier"]


def tfidf_classifier(vocabulary: Vocabulary, C: float) -> Pipeline:
    "TF-IDF over a fixed token list (our tokeniser), then logistic regression."
    vectoriser = TfidfVectorizer(tokenizer=tokenize, lowercase=False, token_pattern=None,
                                 vocabulary=list(vocabulary.tokens[2:]), sublinear_tf=True)
    return make_pipeline(vectoriser, LogisticRegression(C=C, max_iter=5000))


def choose_tfidf(train_part, val_part, vocabulary: Vocabulary,
                 grid: Sequence[float] = (0.3, 1, 3, 10, 30, 100, 300, 1000)):
    "Fit one classifier per C on train_part; return (model, best C, validation accuracy by C)."
    fitted = {C: tfidf_classifier(vocabulary, C).fit(train_part["text"], train_part["label"]) for C in grid}
    val_acc = {C: accuracy_score(val_part["label"], m.predict(val_part["text"])) for C, m in fitted.items()}
    best_C = max(val_acc, key=val_acc.get)  # ties go to the smaller C, the stronger regularisation
    return fitted[best_C], best_C, val_acc


class BiLSTMClassifier(torch.nn.Module):
    "Embedding -> bidirectional LSTM over the packed (unpadded) sentences -> one logit."

    def __init__(self, vocab_size: int, embed: int = 32, units: int = 32, dropout: float = 0.3):
        super().__init__()
        self.embedding = torch.nn.Embedding(vocab_size, embed, padding_idx=PAD_ID)
        torch.nn.init.uniform_(self.embedding.weight, -0.05, 0.05)   # as Keras initialises it
        with torch.no_grad():
            self.embedding.weight[PAD_ID] = 0.0
        self.lstm = torch.nn.LSTM(embed, units, batch_first=True, bidirectional=True)
        self.dropout = torch.nn.Dropout(dropout)
        self.head = torch.nn.Linear(2 * units, 1)

    def forward(self, ids, lengths, pack=True):
        x = self.dropout(self.embedding(ids))                       # (batch, steps, embed)
        if pack:
            x = torch.nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        _, (h, _) = self.lstm(x)                                    # h: (2 directions, batch, units)
        return self.head(self.dropout(torch.cat([h[0], h[1]], dim=1))).squeeze(-1)


POSITIONS = ("learned", "sinusoidal", "none")


class TransformerClassifier(torch.nn.Module):
    """Token + position embeddings -> post-norm encoder blocks -> masked mean -> one logit.

    Each block: multi-head self-attention (padding keys masked), residual, layer norm,
    a two-layer ReLU feed-forward, residual, layer norm (Vaswani et al. 2017). After a forward
    pass ``self.attention`` holds each block's weights ``(batch, heads, length, length)``.
    ``positions``: ``"learned"`` (one trained vector per position, the default),
    ``"sinusoidal"`` (the fixed codes of ``helpers.attention.sinusoidal_positions``) or
    ``"none"`` (the model sees a bag of words; the attention chapter's ablation).
    """

    def __init__(self, vocab_size: int, max_len: int, d_model: int = 32, heads: int = 2, ff: int = 64,
                 blocks: int = 1, dropout: float = 0.1, positions: str = "learned"):
        super().__init__()
        if positions not in POSITIONS:
            raise ValueError(f"positions must be one of {POSITIONS}, got {positions!r}")
        self.positions = positions
        self.embedding = torch.nn.Embedding(vocab_size, d_model, padding_idx=PAD_ID)
        # drawn in every variant, so that all other weights start the same whichever positions are used
        learned = torch.nn.Embedding(max_len, d_model)
        self.position = learned if positions == "learned" else None
        codes = sinusoidal_positions(max_len, d_model) if positions == "sinusoidal" else np.zeros((max_len, d_model))
        self.register_buffer("fixed_positions", torch.tensor(codes, dtype=torch.float32), persistent=False)
        self.attn = torch.nn.ModuleList(torch.nn.MultiheadAttention(d_model, heads, dropout=dropout, batch_first=True)
                                        for _ in range(blocks))
        self.norm1 = torch.nn.ModuleList(torch.nn.LayerNorm(d_model) for _ in range(blocks))
        self.norm2 = torch.nn.ModuleList(torch.nn.LayerNorm(d_model) for _ in range(blocks))
        self.ff = torch.nn.ModuleList(torch.nn.Sequential(torch.nn.Linear(d_model, ff), torch.nn.ReLU(),
                                                          torch.nn.Linear(ff, d_model)) for _ in range(blocks))
        self.dropout = torch.nn.Dropout(dropout)
        self.head = torch.nn.Linear(d_model, 1)
        self.attention: list[torch.Tensor] = []

    def forward(self, ids, lengths=None):
        pad = ids == PAD_ID                                          # (batch, length): True on padding
        steps = torch.arange(ids.shape[1], device=ids.device)
        where = self.position(steps) if self.position is not None else self.fixed_positions[steps]
        x = self.dropout(self.embedding(ids) + where)
        self.attention = []
        for attn, n1, ff, n2 in zip(self.attn, self.norm1, self.ff, self.norm2, strict=True):
            a, w = attn(x, x, x, key_padding_mask=pad, average_attn_weights=False)
            self.attention.append(w.detach())
            x = n1(x + self.dropout(a))
            x = n2(x + self.dropout(ff(x)))
        keep = (~pad).unsqueeze(-1).float()
        pooled = (x * keep).sum(1) / keep.sum(1).clamp(min=1.0)     # mean over the real tokens only
        return self.head(self.dropout(pooled)).squeeze(-1)


def positive_probability(model: torch.nn.Module, ids: np.ndarray, lengths: np.ndarray, **kwargs) -> np.ndarray:
    "P(positive) for padded ids, in evaluation mode (no dropout)."
    model.eval()
    with torch.no_grad():
        return torch.sigmoid(model(torch.from_numpy(ids), torch.from_numpy(lengths), **kwargs)).numpy()


def train_classifier(model: torch.nn.Module, train_data, val_data, epochs: int = 10, patience: int = 3,
                     batch_size: int = 64, lr: float = 3e-3, seed: int = 0) -> tuple[int, float]:
    "Adam on the logistic loss; keeps the weights of the epoch with the best validation accuracy."
    ids, lengths, y = (torch.tensor(np.asarray(a)) for a in train_data)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    order = torch.Generator().manual_seed(seed)
    best_acc, best_epoch, best_weights = -1.0, 0, None
    for epoch in range(1, epochs + 1):
        model.train()
        for batch in torch.randperm(len(ids), generator=order).split(batch_size):
            optimizer.zero_grad()
            logits = model(ids[batch], lengths[batch])
            torch.nn.functional.binary_cross_entropy_with_logits(logits, y[batch].float()).backward()
            optimizer.step()
        acc = float(np.mean((positive_probability(model, *val_data[:2]) > 0.5) == val_data[2]))
        if acc > best_acc:
            best_acc, best_epoch, best_weights = acc, epoch, copy.deepcopy(model.state_dict())
        elif epoch - best_epoch >= patience:
            break
    model.load_state_dict(best_weights)
    return best_epoch, best_acc
