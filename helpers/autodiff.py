"""A reverse-mode automatic differentiation engine in a few dozen lines (Backpropagation chapter).

Backpropagation chapter, "A general engine: backpropagation on any graph". The chapter's
layers hand gradients back along a *chain*; real computations branch: a value can feed
several later operations (a weight used by every example, ``x * sigmoid(x)``). The
engine below handles any such graph, the way ``torch.autograd`` does, with two rules:

1. **Order.** Visit the nodes in reverse *topological* order: a node is processed only
   after every node that used it, so its gradient is complete when it is passed on.
2. **Accumulate.** A node used several times receives one contribution per use, and
   they add up: every local backward rule does ``child.grad += ...``, never ``=``.

The second rule is also why PyTorch *accumulates* into ``.grad`` across calls of
``backward()`` and why a training loop calls ``optimizer.zero_grad()`` (here:
:func:`zero_grad`) before each backward pass. It is the idea of micrograd (Karpathy),
written for scalars so that every number can be printed::

    >>> x = Value(2.0)
    >>> y = x * x + 3 * x          # x is used three times
    >>> y.backward()
    >>> x.grad                     # dy/dx = 2x + 3
    7.0
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable

__all__ = ["Value", "topological_order", "zero_grad"]


class Value:
    """A scalar that remembers how it was computed, so that ``backward()`` can differentiate it.

    ``data`` is the number, ``grad`` the derivative of the value ``backward()`` was last
    called on with respect to this one (accumulated over calls, as in PyTorch).
    ``inputs`` are the Values it was computed from and ``op`` names the operation.
    """

    def __init__(self, data: float, inputs: tuple[Value, ...] = (), op: str = "", label: str = ""):
        if isinstance(data, Value):
            raise TypeError("Value(...) takes a number; use the Value itself (or .detach()) instead")
        if not isinstance(data, numbers.Real) or isinstance(data, bool):
            raise TypeError(f"a Value holds one real number, got {type(data).__name__}: {data!r}")
        self.data = float(data)
        self.grad = 0.0
        self.inputs = inputs
        self.op = op
        self.label = label
        self._backward: Callable[[], None] = lambda: None  # adds this node's grad into its inputs'

    def __repr__(self) -> str:
        name = f"{self.label}=" if self.label else ""
        return f"Value({name}{self.data:.6g}, grad={self.grad:.6g})"

    # --- the operations: each builds a new node and says how to pass its gradient back ---

    def __add__(self, other: Value | float) -> Value:
        other = _as_value(other)
        out = Value(self.data + other.data, (self, other), "+")

        def backward():  # d(a + b)/da = d(a + b)/db = 1
            self.grad += out.grad
            other.grad += out.grad

        out._backward = backward
        return out

    def __mul__(self, other: Value | float) -> Value:
        other = _as_value(other)
        out = Value(self.data * other.data, (self, other), "*")

        def backward():  # d(a b)/da = b, d(a b)/db = a
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = backward
        return out

    def __pow__(self, exponent: float) -> Value:
        if isinstance(exponent, Value) or not isinstance(exponent, numbers.Real):
            raise TypeError("Value ** k needs a plain number k; write exp(k * log(x)) for a Value exponent")
        out = Value(self.data**exponent, (self,), f"**{exponent:g}")

        def backward():  # d(a^k)/da = k a^(k-1)
            self.grad += exponent * self.data ** (exponent - 1) * out.grad

        out._backward = backward
        return out

    def exp(self) -> Value:
        out = Value(math.exp(self.data), (self,), "exp")

        def backward():  # d(e^a)/da = e^a
            self.grad += out.data * out.grad

        out._backward = backward
        return out

    def log(self) -> Value:
        if self.data <= 0:
            raise ValueError(f"log needs a positive number, got {self.data}")
        out = Value(math.log(self.data), (self,), "log")

        def backward():  # d(log a)/da = 1/a
            self.grad += out.grad / self.data

        out._backward = backward
        return out

    def tanh(self) -> Value:
        out = Value(math.tanh(self.data), (self,), "tanh")

        def backward():  # d(tanh a)/da = 1 - tanh(a)^2
            self.grad += (1.0 - out.data**2) * out.grad

        out._backward = backward
        return out

    def sigmoid(self) -> Value:
        # two branches, so that neither exp can overflow
        z = self.data
        s = 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))
        out = Value(s, (self,), "sigmoid")

        def backward():  # d(sigma(a))/da = sigma(a) (1 - sigma(a))
            self.grad += out.data * (1.0 - out.data) * out.grad

        out._backward = backward
        return out

    def relu(self) -> Value:
        out = Value(max(self.data, 0.0), (self,), "relu")

        def backward():  # slope 1 where the input was positive, 0 elsewhere (also at 0)
            self.grad += (self.data > 0) * out.grad

        out._backward = backward
        return out

    def detach(self) -> Value:
        """The same number as a new leaf: gradients stop here (like ``tensor.detach()``)."""
        return Value(self.data, label=self.label)

    # --- the rest is arithmetic built from the operations above ---

    def __neg__(self) -> Value:
        return self * -1.0

    def __sub__(self, other: Value | float) -> Value:
        return self + (-_as_value(other))

    def __truediv__(self, other: Value | float) -> Value:
        return self * _as_value(other) ** -1.0

    def __radd__(self, other: float) -> Value:
        return self + other

    def __rmul__(self, other: float) -> Value:
        return self * other

    def __rsub__(self, other: float) -> Value:
        return _as_value(other) - self

    def __rtruediv__(self, other: float) -> Value:
        return _as_value(other) / self

    # --- the backward pass ---

    def backward(self) -> None:
        """Add d(self)/d(node) to ``node.grad`` for every node this value was computed from.

        Like PyTorch's ``loss.backward()``, it *adds* to the gradients already there:
        call :func:`zero_grad` on the parameters before the next backward pass.
        """
        self.grad += 1.0  # d(self)/d(self)
        for node in reversed(topological_order(self)):
            node._backward()


def topological_order(root: Value) -> list[Value]:
    """Every node ``root`` depends on, each listed after all of its inputs (``root`` last).

    Iterative depth-first search, so that long chains do not hit Python's recursion limit.
    """
    order: list[Value] = []
    seen: set[int] = set()
    stack: list[tuple[Value, bool]] = [(root, False)]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))  # comes back once all its inputs are in `order`
        stack.extend((child, False) for child in node.inputs if id(child) not in seen)
    return order


def zero_grad(params: Iterable[Value]) -> None:
    """Reset the gradients of ``params`` to 0 (what ``optimizer.zero_grad()`` does in PyTorch)."""
    for p in params:
        p.grad = 0.0


def _as_value(x: Value | float) -> Value:
    return x if isinstance(x, Value) else Value(x)
