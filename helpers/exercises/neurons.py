"""Self-checked exercises of chapter 1, neurons (``notebooks/01-neurons.ipynb``).

::

    from helpers.exercises import neurons as exercises
    ex1 = exercises.neuron_by_hand()
    ex2 = exercises.count_parameters()
    ex3 = exercises.torch_layout_layer()

The chapter's other exercises are written answers (dropdown only).
"""

from __future__ import annotations

import numpy as np

from helpers.exercises import Exercise, Message, Mistake, as_array, check_function, compare

__all__ = ["count_parameters", "neuron_by_hand", "torch_layout_layer"]

# Exercise 1's neuron: weights (1, -2), bias 0.5, ReLU, at the inputs (3, 1) and (1, 2).
_WEIGHTS, _BIAS, _INPUTS = np.array([1.0, -2.0]), 0.5, np.array([[3.0, 1.0], [1.0, 2.0]])


def _relu(z: np.ndarray) -> np.ndarray:
    return np.maximum(0.0, z)


def neuron_by_hand() -> Exercise:
    """Exercise 1: the two outputs of the ReLU neuron, as a list ``[output for (3, 1), output for (1, 2)]``."""
    z = _INPUTS @ _WEIGHTS
    mistakes = [
        Mistake(_relu(z), "it looks as if the bias was left out: add b to the weighted sum before the activation."),
        Mistake(z + _BIAS, "an output is negative: ReLU turns a negative weighted sum into 0."),
        Mistake(z, "the bias is missing and so is the ReLU (a negative weighted sum becomes 0)."),
        Mistake(_relu(z - _BIAS), "the bias is added to the weighted sum, not subtracted."),
        Mistake(_relu(_INPUTS @ _WEIGHTS[::-1] + _BIAS),
                "the weights are paired with the wrong inputs: the first weight multiplies the first input."),
    ]

    def checker(answer) -> Message:
        if np.ndim(answer) == 0 and answer is not None:
            return "give both outputs, as a list: [output for (3, 1), output for (1, 2)]."
        want = _relu(z + _BIAS)
        message = compare(answer, want, rtol=1e-9, atol=1e-12, mistakes=mistakes, what="your answer")
        if message is not None and "differs from the expected values" in message:
            # two hand-computed numbers: say which one is off, never by how much
            right = np.isclose(as_array(answer), want, rtol=1e-9, atol=1e-12)
            which = "neither output is right" if not right.any() else \
                f"the output for {('(3, 1)', '(1, 2)')[int(np.argmin(right))]} is not right"
            message = f"{which} yet: weighted sum, plus the bias, then ReLU."
        return message

    return Exercise("Exercise 1", checker, hints=(
        "First the weighted sum plus bias, z = w₁x₁ + w₂x₂ + b, for each input; then ReLU(z) = max(0, z).",
        "You can compare with the chapter's function: `neuron(np.array([3, 1]), np.array([1, -2]), 0.5, relu)`.",
    ), correct_message="weigh, add, add the bias, activate.")


# Exercise 2's network: Dense layers 784 -> 128 -> 64 -> 10.
_SIZES = (784, 128, 64, 10)


def count_parameters() -> Exercise:
    """Exercise 2: the number of parameters of the 784-128-64-10 dense network, an integer."""
    pairs = list(zip(_SIZES[:-1], _SIZES[1:]))
    weights = sum(n_in * n_out for n_in, n_out in pairs)
    biases = sum(n_out for _, n_out in pairs)
    wrong = {
        weights: "you counted the weights but not the biases: each neuron has one bias too.",
        sum(_SIZES): "you counted neurons (units), not parameters: each connection has a weight.",
        weights + biases + _SIZES[0]: "the input layer has no parameters of its own: only Dense layers have "
                                     "weights and biases.",
        weights + sum(_SIZES[:-1]): "a layer has one bias per *output*, not one per input.",
    }

    def checker(answer) -> Message:
        if answer is None:
            return "your answer is None: did a function forget to `return` its result?"
        try:
            number = float(as_array(answer).reshape(()))
        except (TypeError, ValueError):
            return "give a single number: the total count of parameters."
        if number != round(number):
            return "a count of parameters is a whole number."
        if int(number) == weights + biases:
            return None
        return wrong.get(int(number), "that is not the number of parameters: count inputs × outputs weights "
                                      "plus one bias per output, for each of the three Dense layers.")

    return Exercise("Exercise 2", checker, hints=(
        "A Dense layer from n inputs to m outputs has an n × m weight matrix and m biases.",
        "Add up the three layers 784 → 128, 128 → 64 and 64 → 10. Build the model and call "
        "`count_params()` to check yourself.",
    ), correct_message="inputs × outputs weights plus one bias per output, layer by layer.")


def _linear(X: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    return X @ weight.T + bias


def _layer_cases() -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    # The square case comes first: there a transposed weight gives numbers, not an error, so
    # the check can say what went wrong; the others have inputs ≠ outputs and batch ≠ both.
    rng = np.random.default_rng(21)
    return [(rng.normal(size=(batch, n_in)), rng.normal(size=(n_out, n_in)), rng.normal(size=n_out))
            for batch, n_in, n_out in ((4, 3, 3), (5, 2, 3), (7, 6, 4), (1, 3, 2))]


def torch_layout_layer() -> Exercise:
    """Exercise 3: ``linear(X, weight, bias)``, what ``torch.nn.Linear`` computes, with PyTorch's layout."""
    mistakes = [
        Mistake(lambda X, weight, bias: X @ weight + bias,
                "you multiplied by the weight as Keras stores it, (inputs, outputs); PyTorch's `weight` is "
                "(outputs, inputs), so it needs transposing."),
        Mistake(lambda X, weight, bias: X @ weight.T, "the bias is missing."),
        Mistake(lambda X, weight, bias: X @ weight, "the weight is not transposed and the bias is missing."),
        Mistake(lambda X, weight, bias: _relu(X @ weight.T + bias),
                "`torch.nn.Linear` has no activation: return the weighted sums plus bias, before any ReLU."),
    ]

    def checker(answer) -> Message:
        return check_function(answer, _linear, _layer_cases(), rtol=1e-9, mistakes=mistakes, name="linear")

    return Exercise("Exercise 3", checker, hints=(
        "X has one example per row, shape (batch, inputs); PyTorch's weight has shape (outputs, inputs).",
        "Each output is a dot product of an example with a *row* of `weight`: that is `X @ weight.T`, "
        "then add the bias to every row.",
    ), correct_message="the same numbers as `torch.nn.Linear` with this weight and bias.")
