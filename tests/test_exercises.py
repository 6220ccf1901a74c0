"""helpers.exercises: self-checks say correct / not yet and what kind of mistake, never the answer."""

from __future__ import annotations

import re

import numpy as np
import pytest

from book_layout import NOTEBOOKS, read_notebook
from helpers.exercises import (
    STARTER,
    Exercise,
    Mistake,
    check_function,
    compare,
    in_range,
    is_starter,
    numeric_derivative,
)


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


def test_a_mistake_that_raises_on_some_inputs_is_skipped_there():
    cases = [(np.ones((2, 2)), np.arange(4.0).reshape(2, 2)), (np.ones((3, 2)), np.arange(6.0).reshape(3, 2))]
    keras_layout = Mistake(lambda X, W: X @ W, "transposed weight")  # raises on the second case
    assert check_function(lambda X, W: X @ W.T, lambda X, W: X @ W.T, cases, mistakes=[keras_layout]) is None
    assert "transposed weight" in check_function(lambda X, W: X @ W, lambda X, W: X @ W.T, cases,
                                                 mistakes=[keras_layout])


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


def test_hints_are_graded_and_cycle_to_the_last():
    exercise = Exercise("Exercise 3", lambda a: None, hints=["first", "second"])
    assert exercise.hint().endswith("first")
    assert exercise.hint().endswith("second")
    assert exercise.hint().endswith("second")
    assert exercise.hint(1).endswith("first")
    with pytest.raises(ValueError, match="hints 1 to 2"):
        exercise.hint(3)
    hint = exercise.hint(1)
    assert hint == "Hint 1 of 2: first" and repr(hint) == str(hint)  # shown without quotes
    assert hint._repr_markdown_() == "**Hint 1 of 2:** first"
    assert "no hints" in Exercise("Exercise 4", lambda a: None).hint()


def test_feedback_is_the_cells_result_in_text_and_markdown():
    feedback = Exercise("Exercise 5", lambda a: "the sign is off.").check(1.0)
    assert str(feedback) == repr(feedback) == "✗ Exercise 5: not yet. The sign is off."
    assert "**✗ Exercise 5: not yet.**</span> The sign is off." in feedback._repr_markdown_()
    assert str(Exercise("Exercise 5", lambda a: None).check(1.0)) == "✓ Exercise 5: correct."


def test_function_starters_are_recognised():
    def stub(x):
        ...

    def stub_with_docstring(x):
        """Write me."""
        pass

    def written(x):
        return x

    assert is_starter(stub) and is_starter(stub_with_docstring)
    namespace: dict = {}
    exec("def made_by_exec(x):\n    ...\n", namespace)  # no source to read: the bytecode decides
    assert is_starter(namespace["made_by_exec"])
    assert not is_starter(written) and not is_starter(lambda x: x) and not is_starter(3)
    exercise = Exercise("Exercise 6", lambda f: compare(f(2.0), 4.0))
    assert exercise.check(stub).message == STARTER
    assert "forget to `return`" in exercise.check(lambda x: None).message


def test_class_starters_are_recognised():
    class Stub:
        def forward(self, z):
            ...

        def backward(self, grad_out):
            """Write me."""
            pass

    class Empty:
        ...

    class HalfDone:
        def forward(self, z):
            return z

        def backward(self, grad_out):
            ...

    class WithStaticStub:
        @staticmethod
        def forward(z):
            ...

    assert is_starter(Stub) and is_starter(Empty) and is_starter(WithStaticStub)
    assert not is_starter(HalfDone)  # half done gets a diagnosis, not the starter message
    exercise = Exercise("Exercise 8", lambda cls: compare(cls().forward(2.0), 2.0))
    assert exercise.check(Stub).message == STARTER
    assert exercise.check(HalfDone).correct


def test_hidden_cell_assertions():
    exercise = Exercise("Exercise 7", lambda a: compare(a, REFERENCE))
    assert exercise.assert_correct(REFERENCE.copy())
    exercise.assert_mistake(REFERENCE.T, "TRANSPOSED")  # case-insensitive
    with pytest.raises(AssertionError, match="accepts a wrong answer"):
        exercise.assert_mistake(REFERENCE.copy(), "transposed")
    with pytest.raises(AssertionError, match="without"):
        exercise.assert_mistake(-REFERENCE, "transposed")
    with pytest.raises(AssertionError, match="starter"):
        exercise.assert_mistake(..., "Replace")
    with pytest.raises(AssertionError, match="reference solution fails"):
        exercise.assert_correct(REFERENCE + 1)


def test_a_mistake_that_coincides_with_the_reference_is_not_reported():
    # on this input the mistake (a transpose) gives the right answer: the answer is correct
    symmetric = np.array([[1.0, 2.0], [2.0, 1.0]])
    assert compare(symmetric, symmetric, mistakes=[Mistake(symmetric.T, "transposed")]) is None


def test_a_wrong_single_number_gets_no_distance_to_the_answer():
    message = compare(0.3, 0.25)
    assert message == "your answer is not the expected value."
    assert compare(0.5, 0.25) == "your answer is not the expected value."  # not "a constant factor"


def test_range_messages_name_the_likely_cause():
    message = in_range(0.5, 0.8, 0.9, measured="5 seeds", too_low="use the regularised settings.")
    assert message.endswith("(5 seeds): use the regularised settings.")


def test_torch_and_plain_lists_are_accepted():
    torch = pytest.importorskip("torch")
    assert compare(torch.tensor(REFERENCE), REFERENCE.tolist()) is None


# --- the notebook pattern (CONTRIBUTING.md, "Self-checked exercises") ---------------------------

TASK = re.compile(r"^(\d+)\. \*\*[^*]+\*\*")
WRITTEN = "*(written answer)*"
SOLUTION = re.compile(r"^:::\{admonition\} Solution\n:class: dropdown\n", re.M)
PYTHON_BLOCK = re.compile(r"```python\n(.*?)```", re.S)


def _tags(cell) -> list[str]:
    return list(cell.metadata.get("tags", []))


def _text_plain(cell) -> list[str]:
    return [o.get("data", {}).get("text/plain", o.get("text", "")) for o in cell.get("outputs", [])]


def _exercise_cells(nb) -> list:
    starts = [i for i, c in enumerate(nb.cells) if c.cell_type == "markdown"
              and re.search(r"^## Exercises\s*$", c.source, re.M)]
    return nb.cells[starts[-1]:] if starts else []


def _checked_exercises(cells) -> list[int]:
    return sorted(int(m.group(1)) for c in cells if c.cell_type == "code" and "remove-cell" not in _tags(c)
                  for m in re.finditer(r"^ex(\d+)\.check\(", c.source, re.M))


def test_every_chapter_has_at_least_two_checked_exercises():
    for path in NOTEBOOKS:
        checked = _checked_exercises(_exercise_cells(read_notebook(path)))
        assert len(checked) >= 2, f"{path.name}: {len(checked)} checked exercises, at least two needed"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_exercises_follow_the_pattern(path):
    """Task, starter (its stored output says "not yet"), hint, dropdown solution, hidden test."""
    cells = _exercise_cells(read_notebook(path))
    tasks = [(i, int(TASK.match(c.source).group(1))) for i, c in enumerate(cells)
             if c.cell_type == "markdown" and TASK.match(c.source)]
    assert [n for _, n in tasks] == list(range(1, len(tasks) + 1)), f"{path.name}: exercises numbered 1, 2, ..."
    setup = "\n".join(c.source for c in cells[:tasks[0][0]] if c.cell_type == "code")
    for i, n in tasks:
        where = f"{path.name}, exercise {n}"
        if WRITTEN in cells[i].source.split("\n\n")[0]:
            assert SOLUTION.search(cells[i + 1].source), f"{where}: a written answer needs its dropdown next"
            continue
        following = cells[i + 1:i + 5]
        assert len(following) == 4 and following[0].cell_type == "code" and not _tags(following[0]), \
            f"{where}: an untagged starter cell follows the task (or mark it {WRITTEN})"
        starter, hint, solution, hidden = following
        last_line = starter.source.rstrip().splitlines()[-1]
        assert "..." in starter.source and re.fullmatch(rf"ex{n}\.check\(\w+\)", last_line), \
            f"{where}: the starter has `...` where the reader writes and ends with `ex{n}.check(answer)`"
        assert f"ex{n} = " in setup, f"{where}: create ex{n} in a code cell before exercise 1"
        out = _text_plain(starter)
        assert out == [f"✗ Exercise {n}: not yet. {STARTER}"], f"{where}: the stored starter output is {out}"
        assert hint.cell_type == "code" and _tags(hint) == ["hide-output"] and hint.source.startswith(f"ex{n}.hint()")
        assert _text_plain(hint)[0].startswith("Hint 1 of "), f"{where}: the hint cell shows hint 1"
        assert solution.cell_type == "markdown" and SOLUTION.search(solution.source), f"{where}: dropdown solution"
        assert hidden.cell_type == "code" and "remove-cell" in _tags(hidden), f"{where}: hidden test cell last"
        assert f"ex{n}.assert_correct(" in hidden.source and hidden.source.count(f"ex{n}.assert_mistake(") >= 2, \
            f"{where}: the hidden cell asserts the solution passes and at least two wrong answers fail"
        hidden_lines = {line.strip() for line in hidden.source.splitlines()}
        for block in PYTHON_BLOCK.findall(solution.source):
            untested = [line for line in block.splitlines()
                        if line.strip() and not line.strip().startswith("#") and line.strip() not in hidden_lines]
            assert not untested, f"{where}: the hidden cell must run the dropdown's code; it lacks {untested}"

