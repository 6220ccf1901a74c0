"""helpers.exercises: self-checks say correct / not yet and what kind of mistake, never the answer."""

from __future__ import annotations

import numpy as np
import pytest

from helpers.exercises import Exercise, Mistake, check_function, compare, in_range, numeric_derivative


def _softmax(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _naive_softmax(z):
    e = np.exp(np.asarray(z, dtype=float))
    return e / e.sum(axis=-1, keepdims=True)


REFERENCE = np.array([[0.5, -1.25, 2.0], [3.0, 0.125, -0.75]])


def test_correct_answer_passes_and_feedback_is_truthy():
    exercise = Exercise("Exercise 1", lambda a: compare(a, REFERENCE))
    feedback = exercise.check(REFERENCE.copy())
    assert feedback and feedback.correct and str(feedback).startswith("✓ Exercise 1: correct")


@pytest.mark.parametrize("answer, words", [
    (REFERENCE.T, "transposed"),
    (REFERENCE + 0.5, "same constant"),
    (-REFERENCE, "opposite sign"),
    (REFERENCE * 2, "constant factor"),
    (REFERENCE.ravel(), "shape (6,)"),
    (np.ones((4, 4)), "not the shape expected"),
    (np.where(REFERENCE > 1, np.nan, REFERENCE), "NaN"),
    ("a string", "number or an array"),
])
def test_typical_mistakes_are_named(answer, words):
    message = compare(answer, REFERENCE)
    assert message is not None and words in message


def test_messages_never_reveal_the_reference_numbers():
    secret = np.array([0.73125, 0.2687])
    message = compare(np.array([0.6, 0.4]), secret)
    assert message is not None
    assert "0.731" not in message and "0.268" not in message and "0.269" not in message


def test_ellipsis_starter_and_errors_are_feedback_not_crashes():
    exercise = Exercise("Exercise 2", lambda a: compare(a(np.zeros(3)), np.zeros(3)))
    assert "Replace the `...`" in exercise.check(...).message
    def broken(x):
        raise RuntimeError("oops")
    feedback = exercise.check(broken)
    assert not feedback and "RuntimeError" in feedback.message


def test_function_checks_use_unseen_inputs_and_known_mistakes():
    rng = np.random.default_rng(0)
    cases = [(rng.normal(size=(3, 5)) * 10,), (np.array([[1000.0, 1001.0, 999.0]]),)]
    assert check_function(_softmax, _softmax, cases) is None
    message = check_function(_naive_softmax, _softmax, cases,
                             mistakes=[Mistake(_naive_softmax, "subtract the maximum before exp")])
    assert message is not None and ("NaN" in message or "maximum" in message)
    transposed = check_function(lambda z: _softmax(z).T, _softmax, cases)
    assert transposed is not None and "transposed" in transposed
    assert "pass a function" in check_function(3.0, _softmax, cases)


def test_derivative_check_against_finite_differences():
    x = np.linspace(-3, 3, 13)
    sigmoid = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    derivative = numeric_derivative(sigmoid, x)
    assert compare(sigmoid(x) * (1 - sigmoid(x)), derivative, rtol=1e-6, atol=1e-9) is None
    assert compare(sigmoid(x), derivative, rtol=1e-6) is not None


def test_training_results_are_checked_against_a_measured_range():
    assert in_range(0.85, 0.80, 0.90) is None
    assert "lower" in in_range(0.5, 0.80, 0.90)
    assert "leaking" in in_range(0.99, 0.80, 0.90)
    assert "diverged" in in_range(float("nan"), 0.80, 0.90)


def test_hints_are_graded_and_cycle_to_the_last(capsys):
    exercise = Exercise("Exercise 3", lambda a: None, hints=["first", "second"])
    assert exercise.hint().endswith("first")
    assert exercise.hint().endswith("second")
    assert exercise.hint().endswith("second")
    assert exercise.hint(1).endswith("first")
    with pytest.raises(ValueError, match="hints 1 to 2"):
        exercise.hint(3)
    assert "Hint 1 of 2" in capsys.readouterr().out


def test_torch_and_plain_lists_are_accepted():
    torch = pytest.importorskip("torch")
    assert compare(torch.tensor(REFERENCE), REFERENCE.tolist()) is None
