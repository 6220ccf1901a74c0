"""helpers.exercises.neurons: the reference passes, realistic wrong answers get their diagnosis."""

from __future__ import annotations

import numpy as np

from helpers.exercises import STARTER, neurons


def test_neuron_by_hand_exercise():
    ex = neurons.neuron_by_hand()
    ex.assert_correct([1.5, 0.0])
    ex.assert_correct(np.array([1.5, 0]))
    ex.assert_mistake([1.0, 0.0], "bias was left out")
    ex.assert_mistake([1.5, -2.5], "ReLU")
    ex.assert_mistake([0.5, 0.0], "not subtracted")
    ex.assert_mistake([0.0, 0.5], "wrong inputs")
    ex.assert_mistake(1.5, "both outputs")
    ex.assert_mistake([2.0, 0.0], "the output for (3, 1) is not right yet")
    ex.assert_mistake([1.5, 1.0], "the output for (1, 2) is not right yet")
    ex.assert_mistake([7.0, 3.0], "neither output is right yet")
    assert "1.5" not in ex.check([2.0, 0.0]).message and "0.33" not in ex.check([2.0, 0.0]).message
    assert ex.check(...).message == STARTER


def test_count_parameters_exercise():
    ex = neurons.count_parameters()
    ex.assert_correct((784 * 128 + 128) + (128 * 64 + 64) + (64 * 10 + 10))
    ex.assert_correct(np.int64(109386))
    ex.assert_mistake(784 * 128 + 128 * 64 + 64 * 10, "not the biases")
    ex.assert_mistake(784 + 128 + 64 + 10, "neurons")
    ex.assert_mistake(784 * 128 + 784 + 128 * 64 + 128 + 64 * 10 + 64, "per *output*")
    ex.assert_mistake(109386.5, "whole number")
    ex.assert_mistake(120000, "not the number of parameters")
    for wrong in (109184, 986, 120000):
        assert "109386" not in ex.check(wrong).message and "109,386" not in ex.check(wrong).message


def test_torch_layout_layer_exercise():
    ex = neurons.torch_layout_layer()

    def linear(X, weight, bias):
        return X @ weight.T + bias

    ex.assert_correct(linear)
    ex.assert_mistake(lambda X, weight, bias: X @ weight + bias, "as Keras stores it")
    ex.assert_mistake(lambda X, weight, bias: X @ weight.T, "bias is missing")
    ex.assert_mistake(lambda X, weight, bias: np.maximum(0, X @ weight.T + bias), "no activation")
    ex.assert_mistake(lambda X, weight, bias: X @ weight.T - bias, "differs")  # right shape, wrong numbers
    ex.assert_mistake(lambda X, weight, bias: weight @ X.T + bias[:, None], "transposed")

    torch = __import__("pytest").importorskip("torch")
    layer = torch.nn.Linear(3, 2).double()
    X = torch.randn(5, 3, dtype=torch.float64)
    expected = layer(X).detach().numpy()
    got = linear(X.numpy(), layer.weight.detach().numpy(), layer.bias.detach().numpy())
    np.testing.assert_allclose(got, expected, rtol=1e-12)  # the reference is what torch.nn.Linear computes
