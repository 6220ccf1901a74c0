"""helpers.autodiff: the chapter's reverse-mode engine must give PyTorch's gradients."""

from __future__ import annotations

import math

import pytest
import torch

from helpers.autodiff import Value, topological_order, zero_grad


def _torch_leaves(*numbers: float) -> list[torch.Tensor]:
    return [torch.tensor(n, dtype=torch.float64, requires_grad=True) for n in numbers]


def test_the_docstring_example():
    x = Value(2.0)
    y = x * x + 3 * x
    y.backward()
    assert y.data == 10.0 and x.grad == 7.0


def test_a_graph_with_fan_out_matches_pytorch():
    # a and b are each used several times, along paths of different lengths
    def f(a, b, sigmoid, tanh, exp, log):
        c = a * b + b
        d = sigmoid(c) * a - tanh(b) / (a + 2.0)
        e = d * d + exp(-c) + log(a * a + 1.0)
        return e * c - 0.5 * (d - b) ** 3

    a, b = Value(0.7), Value(-1.3)
    out = f(a, b, Value.sigmoid, Value.tanh, Value.exp, Value.log)
    out.backward()

    ta, tb = _torch_leaves(0.7, -1.3)
    t_out = f(ta, tb, torch.sigmoid, torch.tanh, torch.exp, torch.log)
    t_out.backward()
    assert math.isclose(out.data, t_out.item(), rel_tol=1e-12)
    assert math.isclose(a.grad, ta.grad.item(), rel_tol=1e-12)
    assert math.isclose(b.grad, tb.grad.item(), rel_tol=1e-12)


@pytest.mark.parametrize("x", [-2.5, -0.3, 0.4, 3.0])
def test_every_operation_matches_pytorch(x):
    ops = {
        "add": lambda v: v + 1.5, "radd": lambda v: 1.5 + v, "sub": lambda v: v - 4.0,
        "rsub": lambda v: 4.0 - v, "mul": lambda v: v * -3.0, "rmul": lambda v: -3.0 * v,
        "div": lambda v: v / 2.5, "rdiv": lambda v: 2.5 / v, "neg": lambda v: -v,
        "pow": lambda v: v**3, "square_of_self": lambda v: v * v,
    }
    for name, op in ops.items():
        v, (t,) = Value(x), _torch_leaves(x)
        op(v).backward()
        op(t).backward()
        assert math.isclose(v.grad, t.grad.item(), rel_tol=1e-12), name
    for name, ours, theirs in [("exp", Value.exp, torch.exp), ("tanh", Value.tanh, torch.tanh),
                               ("sigmoid", Value.sigmoid, torch.sigmoid), ("relu", Value.relu, torch.relu)]:
        v, (t,) = Value(x), _torch_leaves(x)
        out, t_out = ours(v), theirs(t)
        out.backward()
        t_out.backward()
        assert math.isclose(out.data, t_out.item(), rel_tol=1e-12, abs_tol=1e-300), name
        assert math.isclose(v.grad, t.grad.item(), rel_tol=1e-12, abs_tol=1e-300), name


def test_a_neuron_with_shared_inputs_matches_pytorch():
    xs, ws, b = [0.5, -1.0, 2.0], [0.3, -0.8, 0.1], 0.2
    vx, vw, vb = [Value(v) for v in xs], [Value(v) for v in ws], Value(b)
    tx, tw, (tb,) = _torch_leaves(*xs), _torch_leaves(*ws), _torch_leaves(b)
    z = sum((w * x for w, x in zip(vw, vx)), vb)
    loss = (z.tanh() - 1.0) ** 2 + 0.01 * sum(w * w for w in vw)  # the weights feed two terms
    loss.backward()
    t_z = sum(w * x for w, x in zip(tw, tx)) + tb
    t_loss = (torch.tanh(t_z) - 1.0) ** 2 + 0.01 * sum(w * w for w in tw)
    t_loss.backward()
    for ours, theirs in zip(vx + vw + [vb], tx + tw + [tb]):
        assert math.isclose(ours.grad, theirs.grad.item(), rel_tol=1e-12)


def test_gradients_accumulate_across_backward_calls_like_pytorch():
    w, (tw,) = Value(1.5), _torch_leaves(1.5)
    for _ in range(3):  # three forward and backward passes, no zero_grad in between
        (w * w).sigmoid().backward()
        torch.sigmoid(tw * tw).backward()
    assert math.isclose(w.grad, tw.grad.item(), rel_tol=1e-12)
    single = Value(1.5)
    (single * single).sigmoid().backward()
    assert math.isclose(w.grad, 3 * single.grad, rel_tol=1e-12)
    zero_grad([w])
    tw.grad = None
    (w * w).sigmoid().backward()
    assert math.isclose(w.grad, single.grad, rel_tol=1e-12)


def test_detach_stops_the_gradient_like_pytorch():
    x, (tx,) = Value(0.8), _torch_leaves(0.8)
    (x * x.detach()).backward()  # only the first factor carries gradient
    (tx * tx.detach()).backward()
    assert x.grad == pytest.approx(tx.grad.item()) == pytest.approx(0.8)


def test_topological_order_lists_inputs_before_their_users():
    a, b = Value(1.0), Value(2.0)
    c = a * b
    d = c + a
    e = d * c
    order = topological_order(e)
    assert order[-1] is e and len(order) == len({id(n) for n in order})
    position = {id(n): i for i, n in enumerate(order)}
    for node in order:
        for child in node.inputs:
            assert position[id(child)] < position[id(node)]


def test_a_long_chain_does_not_hit_the_recursion_limit():
    x = Value(0.5)
    y = x
    for _ in range(5000):
        y = y * 1.0 + 0.0
    y.backward()
    assert x.grad == 1.0


def test_bad_input_gets_a_clear_error():
    with pytest.raises(TypeError, match="one real number"):
        Value("3")
    with pytest.raises(TypeError, match="plain number"):
        Value(2.0) ** Value(3.0)
    with pytest.raises(ValueError, match="positive"):
        Value(-1.0).log()
    with pytest.raises(TypeError, match="takes a number"):
        Value(Value(1.0))


def test_sigmoid_does_not_overflow():
    assert Value(-1000.0).sigmoid().data == 0.0
    assert Value(1000.0).sigmoid().data == 1.0
