"""Self-checked exercises of the recurrent chapter (``notebooks/06-recurrent-networks.ipynb``).

::

    from helpers.exercises import recurrent as exercises
    ex1 = exercises.count_lstm_parameters()
    ex2 = exercises.rnn_step()
    ex3 = exercises.padding_mask()

The other exercises of the chapter are written answers (dropdown only). The checks call the
reader's functions on sizes and arrays the notebook does not show; none of them trains anything.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from helpers.exercises import Exercise, Message, Mistake, check_function

__all__ = ["count_lstm_parameters", "padding_mask", "rnn_step"]


# --- Exercise 1: parameters of an LSTM layer ----------------------------------------------------


def _lstm_parameters(n_inputs: int, units: int) -> int:
    return 4 * units * (n_inputs + units + 1)


def count_lstm_parameters() -> Exercise:
    """Exercise 1: ``lstm_parameters(n_inputs, units)``, the weights of ``keras.layers.LSTM(units)``."""
    cases = [(1, 50), (50, 50), (3, 7), (128, 16), (10, 1)]
    mistakes = [
        Mistake(lambda n, u: 4 * u * (n + u + 2),
                "that is PyTorch's count, with two bias vectors per gate; Keras keeps one."),
        Mistake(lambda n, u: 4 * u * (n + u), "the biases are missing: every gate has one per unit."),
        Mistake(lambda n, u: 4 * u * (n + 1), "the recurrent weights (from the previous hidden state, units × "
                                              "units per gate) are missing."),
        Mistake(lambda n, u: 3 * u * (n + u + 1), "that counts three blocks, as a GRU has; an LSTM has four "
                                                  "(input, forget and output gates and the candidate)."),
        Mistake(lambda n, u: u * (n + u + 1), "that counts one block, a plain RNN's; an LSTM has four."),
        Mistake(lambda n, u: 4 * (n * u + u + 1), "the recurrent weights are units × units per gate, and "
                                                  "every unit of every gate has a bias."),
    ]

    def checker(answer: Any) -> Message:
        return check_function(answer, _lstm_parameters, cases, rtol=0, atol=0, mistakes=mistakes,
                              name="lstm_parameters")

    return Exercise("Exercise 1", checker, hints=(
        "An LSTM has four blocks (three gates and the candidate), each a small dense layer of `units` outputs.",
        "Each block reads the input x (n_inputs numbers) and the previous hidden state h (units numbers), "
        "and adds a bias.",
    ), correct_message="four blocks, each with input weights, recurrent weights and a bias.")


# --- Exercise 2: one step of a plain RNN --------------------------------------------------------


def _rnn_step(x, h, W, U, b):
    return np.tanh(x @ W + h @ U + b)


def _rnn_cases() -> list[tuple]:
    rng = np.random.default_rng(6)
    cases = []
    for batch, n_x, n_h in [(2, 3, 4), (5, 1, 6), (1, 7, 2)]:
        cases.append((rng.normal(size=(batch, n_x)), rng.normal(size=(batch, n_h)) * 0.8,
                      rng.normal(size=(n_x, n_h)), rng.normal(size=(n_h, n_h)) * 0.7, rng.normal(size=n_h)))
    return cases


def rnn_step() -> Exercise:
    """Exercise 2: ``rnn_step(x, h, W, U, b)``, the next hidden state of a tanh RNN, batch-first."""
    mistakes = [
        Mistake(lambda x, h, W, U, b: x @ W + h @ U + b,
                "the activation is missing: the new state is tanh of the sum."),
        Mistake(lambda x, h, W, U, b: 1 / (1 + np.exp(-(x @ W + h @ U + b))),
                "that is a sigmoid; a plain RNN's state uses tanh (values between −1 and 1)."),
        Mistake(lambda x, h, W, U, b: np.tanh(x @ W + b),
                "the previous hidden state h is ignored: without h @ U there is no recurrence."),
        Mistake(lambda x, h, W, U, b: np.tanh(x @ W + h @ U), "the bias b is missing."),
        Mistake(lambda x, h, W, U, b: np.tanh(x @ W + h @ U.T + b),
                "U is used transposed (PyTorch's layout stores it so): in this chapter's convention it is h @ U."),
    ]

    def checker(answer: Any) -> Message:
        return check_function(answer, _rnn_step, _rnn_cases(), rtol=1e-9, atol=1e-12, mistakes=mistakes,
                              name="rnn_step")

    return Exercise("Exercise 2", checker, hints=(
        "x is (batch, n_x) and W is (n_x, n_h), so `x @ W` is (batch, n_h); h is (batch, n_h) and U (n_h, n_h).",
        "Add the two products and the bias, then squash with `np.tanh`.",
    ), correct_message="h_t = tanh(x_t W + h_{t-1} U + b), the same weights at every step.")


# --- Exercise 3: a padding mask -----------------------------------------------------------------


def _padding_mask(lengths, max_len):
    return np.arange(max_len)[None, :] < np.asarray(lengths)[:, None]


def padding_mask() -> Exercise:
    """Exercise 3: ``padding_mask(lengths, max_len)``, a boolean ``(len(lengths), max_len)`` array.

    True on each row's real tokens, False on the padding after them ("post" padding).
    """
    cases = [(np.array([3, 1, 5]), 5), (np.array([2]), 6), (np.array([4, 4, 0, 7]), 8), (np.array([1, 2, 3, 4]), 4)]
    mistakes = [
        Mistake(lambda lengths, n: ~_padding_mask(lengths, n),
                "your mask is True on the padding; here True marks the real tokens (as Keras' mask does)."),
        Mistake(lambda lengths, n: np.arange(n)[None, :] <= np.asarray(lengths)[:, None],
                "one padding position too many is marked real: a sentence of length L has positions 0 … L − 1."),
        Mistake(lambda lengths, n: np.arange(n)[None, :] < np.asarray(lengths)[:, None] - 1,
                "the last real token is marked as padding: a sentence of length L has positions 0 … L − 1."),
        Mistake(lambda lengths, n: _padding_mask(lengths, n)[:, ::-1],
                "the padding is at the *start* in your mask; the book pads at the end (\"post\" padding)."),
    ]

    def checker(answer: Any) -> Message:
        return check_function(answer, _padding_mask, cases, rtol=0, atol=0, mistakes=mistakes, name="padding_mask")

    return Exercise("Exercise 3", checker, hints=(
        "Row i has lengths[i] real tokens followed by padding; compare each position with the row's length.",
        "`np.arange(max_len)[None, :]` is a row of positions and `lengths[:, None]` a column of lengths: "
        "compare them with broadcasting.",
    ), correct_message="True on each sentence's real tokens, False on the padding after them.")
