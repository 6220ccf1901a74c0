"""helpers.exercises.backprop: the reference passes, realistic wrong answers get their diagnosis."""

from __future__ import annotations

import numpy as np
import pytest

from helpers.exercises import STARTER, backprop


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def test_silu_gradient_exercise():
    ex = backprop.silu_gradient()

    def silu_grad(x):
        s = _sigmoid(x)
        return s + x * s * (1 - s)

    ex.assert_correct(silu_grad)
    ex.assert_mistake(_sigmoid, "only the path through the first factor")
    ex.assert_mistake(lambda x: x * _sigmoid(x) * (1 - _sigmoid(x)), "only the path through σ(x)")
    ex.assert_mistake(lambda x: _sigmoid(x) * x * _sigmoid(x) * (1 - _sigmoid(x)), "they *add*")
    ex.assert_mistake(lambda x: x * _sigmoid(x), "not the expected value")  # f itself: no distance given
    assert "1.09" not in ex.check(lambda x: x * _sigmoid(x)).message


class LeakyReLU:
    def __init__(self, slope=0.01):
        self.slope = slope

    def forward(self, z):
        self.factor = np.where(z > 0, 1.0, self.slope)
        return z * self.factor

    def backward(self, grad_out):
        return grad_out * self.factor

    def params(self):
        return []


def test_leaky_relu_layer_exercise():
    ex = backprop.leaky_relu_layer()
    ex.assert_correct(LeakyReLU)
    ex.assert_correct(LeakyReLU())  # an instance is fine too

    class Stub:
        def forward(self, z):
            ...

        def backward(self, grad_out):
            ...

    assert ex.check(Stub).message == STARTER

    class LocalSlopeOnly(LeakyReLU):
        def backward(self, grad_out):
            return self.factor

    class ReLUBackward(LeakyReLU):
        def backward(self, grad_out):
            return grad_out * (self.factor == 1.0)

    class ReLUForward(LeakyReLU):
        def forward(self, z):
            self.factor = np.where(z > 0, 1.0, self.slope)
            return np.maximum(z, 0)

    class NoParams:
        def forward(self, z):
            return z

        def backward(self, grad_out):
            return grad_out

    class ForgetsToSave:
        def forward(self, z):
            return np.where(z > 0, z, 0.01 * z)

        def backward(self, grad_out):
            return grad_out * self.factor

        def params(self):
            return []

    ex.assert_mistake(LocalSlopeOnly, "chain rule")
    ex.assert_mistake(ReLUBackward, "no gradient to negative inputs")
    ex.assert_mistake(ReLUForward, "that is ReLU")
    ex.assert_mistake(NoParams, "no `params` method")
    ex.assert_mistake(ForgetsToSave, "`backward` raised AttributeError")
    ex.assert_mistake(lambda z: z, "pass the class")


def test_linear_backward_exercise():
    ex = backprop.linear_backward()

    def linear_backward(X, weight, grad_out):
        return grad_out.T @ X, grad_out.sum(axis=0), grad_out @ weight

    ex.assert_correct(linear_backward)
    ex.assert_mistake(lambda X, W, G: (X.T @ G, G.sum(axis=0), G @ W), "Keras-layout")
    ex.assert_mistake(lambda X, W, G: (G.T @ X, G.mean(axis=0), G @ W), "*add*")
    ex.assert_mistake(lambda X, W, G: (G.T @ X, G, G @ W), "one row per example")
    ex.assert_mistake(lambda X, W, G: (G.T @ X, G.sum(axis=0), G @ W.T), "weight transposed")
    ex.assert_mistake(lambda X, W, G: (G.T @ X, G.sum(axis=0)), "three arrays")
    ex.assert_mistake(lambda X, W, G: None, "forget to `return`")

    # the reference is what autograd computes for y = X weightᵀ + bias, L = Σ grad_out · y
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    X, weight, grad_out = rng.normal(size=(5, 4)), rng.normal(size=(3, 4)), rng.normal(size=(5, 3))
    tX, tW = torch.tensor(X, requires_grad=True), torch.tensor(weight, requires_grad=True)
    tb = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    (torch.nn.functional.linear(tX, tW, tb) * torch.tensor(grad_out)).sum().backward()
    for mine, autograd in zip(linear_backward(X, weight, grad_out), (tW.grad, tb.grad, tX.grad)):
        np.testing.assert_allclose(mine, autograd.numpy(), rtol=1e-12)
