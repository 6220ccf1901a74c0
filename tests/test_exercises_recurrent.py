"""helpers.exercises.recurrent: the reference passes, realistic wrong answers get their diagnosis."""

from __future__ import annotations

import numpy as np

from helpers.exercises import recurrent


def test_lstm_parameter_count():
    ex = recurrent.count_lstm_parameters()
    ex.assert_correct(lambda n_inputs, units: 4 * units * (n_inputs + units + 1))
    ex.assert_mistake(lambda n_inputs, units: 4 * units * (n_inputs + units + 2), "PyTorch's count")
    ex.assert_mistake(lambda n_inputs, units: 4 * units * (n_inputs + units), "biases are missing")
    ex.assert_mistake(lambda n_inputs, units: 3 * units * (n_inputs + units + 1), "three blocks")
    ex.assert_mistake(lambda n_inputs, units: 4 * units * (n_inputs + 1), "recurrent weights")
    # a wrong count is not told how far off it is, and the expected count (10,400 for (1, 50)) never shows
    message = ex.check(lambda n_inputs, units: 4 * units * (n_inputs + units + 1) + 7).message
    assert "(1, 50)" in message and "not the expected value" in message and "10400" not in message


def test_rnn_step():
    ex = recurrent.rnn_step()

    def rnn_step(x, h, W, U, b):
        return np.tanh(x @ W + h @ U + b)

    ex.assert_correct(rnn_step)
    ex.assert_mistake(lambda x, h, W, U, b: x @ W + h @ U + b, "activation is missing")
    ex.assert_mistake(lambda x, h, W, U, b: np.tanh(x @ W + b), "previous hidden state h is ignored")
    ex.assert_mistake(lambda x, h, W, U, b: np.tanh(x @ W + h @ U), "bias b is missing")
    ex.assert_mistake(lambda x, h, W, U, b: np.tanh(x @ W + h @ U.T + b), "transposed")
    # W used transposed cannot even multiply x (n_x differs from n_h): the error names the input's shapes
    feedback = ex.check(lambda x, h, W, U, b: np.tanh(x @ W.T + h @ U + b))
    assert not feedback and "raised ValueError" in feedback.message


def test_padding_mask():
    ex = recurrent.padding_mask()

    def padding_mask(lengths, max_len):
        return np.arange(max_len)[None, :] < np.asarray(lengths)[:, None]

    ex.assert_correct(padding_mask)
    ex.assert_correct(lambda lengths, max_len: np.array([[i < n for i in range(max_len)] for n in lengths]))
    ex.assert_mistake(lambda lengths, max_len: ~padding_mask(lengths, max_len), "True on the padding")
    ex.assert_mistake(lambda lengths, max_len: np.arange(max_len)[None, :] <= np.asarray(lengths)[:, None],
                      "one padding position too many")
    ex.assert_mistake(lambda lengths, max_len: padding_mask(lengths, max_len)[:, ::-1], "start")
    ex.assert_mistake(lambda lengths, max_len: padding_mask(lengths, max_len).T, "transposed")
