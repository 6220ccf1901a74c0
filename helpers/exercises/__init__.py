"""Exercises that check the reader's own answer, in the reader's own kernel.

Each chapter's exercises live in a module of this package (``helpers.exercises.neurons`` for
chapter 1, …) as :class:`Exercise` objects. In the notebook::

    from helpers.exercises.neurons import ex1
    ex1.hint()          # the first hint; call again for the next one, or ex1.hint(2)
    ex1.check(answer)   # ✓ correct, or ✗ not yet — with what kind of mistake it looks like

A check never shows the reference answer: it says *what kind* of difference it sees (a
wrong shape, a transposed matrix, a constant offset such as a missing bias, a flipped sign,
NaN from an overflow, a function that fails on inputs you did not try). Checks that take a
function call it on fresh inputs, property-style. Training exercises are checked against a
range measured over seeds and devices, never against one stored number. The worked solution
stays in the page's dropdown.

Building blocks for a chapter's checks: :func:`compare`, :func:`check_function`,
:func:`in_range`, :func:`numeric_derivative`, and :class:`Mistake` for known wrong answers.
"""

from __future__ import annotations

import ast
import inspect
import math
import textwrap
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "STARTER",
    "Exercise",
    "Feedback",
    "Hint",
    "Message",
    "Mistake",
    "as_array",
    "check_function",
    "compare",
    "in_range",
    "is_starter",
    "numeric_derivative",
]

Message = str | None  # None means "correct"; a string explains what is not right yet
STARTER = "Replace the `...` with your answer, then run the cell again."


@dataclass(frozen=True)
class Feedback:
    """The result of one check: shown as a short coloured line in Jupyter and Colab."""

    exercise: str
    correct: bool
    message: str

    def __bool__(self) -> bool:
        return self.correct

    @property
    def verdict(self) -> str:
        return f"{'✓' if self.correct else '✗'} {self.exercise}: {'correct' if self.correct else 'not yet'}."

    @property
    def sentence(self) -> str:
        """The message as a sentence (checks may write it starting in lower case)."""
        return self.message[:1].upper() + self.message[1:]

    def __str__(self) -> str:
        return f"{self.verdict} {self.sentence}".rstrip()

    def _repr_markdown_(self) -> str:
        colour = "#1a7f37" if self.correct else "#b35900"
        return f'<span style="color:{colour}">**{self.verdict}**</span> {self.sentence}'.rstrip()

    __repr__ = __str__


class Hint(str):
    """A hint: plain text that Jupyter and Colab show without quotes."""

    def __repr__(self) -> str:
        return str(self)

    def _repr_markdown_(self) -> str:
        number, _, text = self.partition(": ")
        return f"**{number}:** {text}"


@dataclass
class Exercise:
    """One self-checked exercise: ``check(answer)`` and graded ``hint(n)``.

    ``checker(answer)`` returns ``None`` when the answer is right and otherwise a message that
    says what kind of mistake it looks like (without revealing the reference answer). The
    notebook's starter (``answer = ...``, a function whose body is only ``...``, or a class whose
    methods all are) gets the :data:`STARTER` message instead of a diagnosis.
    """

    name: str
    checker: Callable[[Any], Message]
    hints: Sequence[str] = ()
    correct_message: str = ""
    _next_hint: int = field(default=0, init=False, repr=False)

    def check(self, answer: Any = ...) -> Feedback:
        """Check ``answer``; the :class:`Feedback` is true when it is correct, and shows as the cell's result."""
        if answer is ... or is_starter(answer):
            return Feedback(self.name, False, STARTER)
        try:
            message = self.checker(answer)
        except Exception as error:  # the reader's code failing is feedback, not a crash
            message = f"Checking your answer raised {type(error).__name__}: {error}"
        if message is None:
            return Feedback(self.name, True, self.correct_message)
        return Feedback(self.name, False, message)

    def hint(self, n: int | None = None) -> Hint:
        """Hint ``n`` (1-based); without ``n``, the next hint each time it is called."""
        if not self.hints:
            return Hint(f"{self.name} has no hints: the solution is in the dropdown below the exercise.")
        if n is None:
            n = min(self._next_hint, len(self.hints) - 1) + 1
        if not 1 <= n <= len(self.hints):
            raise ValueError(f"{self.name} has hints 1 to {len(self.hints)}, not {n}")
        self._next_hint = n
        return Hint(f"Hint {n} of {len(self.hints)}: {self.hints[n - 1]}")

    # -- for the notebook's hidden test cell and the unit tests ----------------------------------

    def assert_correct(self, answer: Any) -> Feedback:
        """Assert that ``answer`` (the reference solution) passes the check."""
        feedback = self.check(answer)
        assert feedback.correct, f"the reference solution fails {self.name}: {feedback.message}"
        return feedback

    def assert_mistake(self, answer: Any, *words: str) -> Feedback:
        """Assert that ``answer`` (a typical wrong answer) fails with a message containing ``words``.

        Words are compared case-insensitively; the starter message is not a diagnosis.
        """
        feedback = self.check(answer)
        assert not feedback.correct, f"{self.name} accepts a wrong answer (expected: {', '.join(words)})"
        assert feedback.message != STARTER, f"{self.name} took a wrong answer for the starter"
        missing = [word for word in words if word.lower() not in feedback.message.lower()]
        assert not missing, f"{self.name} says {feedback.message!r}, without {missing}"
        return feedback


def _empty() -> None:
    pass


def is_starter(answer: Any) -> bool:
    """True for the notebook's starters: a function whose body is only ``...`` or ``pass``, or a
    class whose methods are all such functions (or that has no methods at all).

    Such a function returns None, which would otherwise get a diagnosis about None; such a
    class has nothing to check yet.
    """
    if inspect.isclass(answer):
        methods = [method for method in map(_unwrap, vars(answer).values()) if inspect.isfunction(method)]
        return all(is_starter(method) for method in methods)  # an empty body (`...`) has none
    if not inspect.isfunction(answer):
        return False
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(answer)))
    except (OSError, TypeError, SyntaxError):  # no source (`python -c`, exec) or a lambda mid-expression
        return answer.__code__.co_code == _empty.__code__.co_code  # compiles like `def f(): pass`
    definition = tree.body[0] if tree.body else None
    if not isinstance(definition, ast.FunctionDef | ast.AsyncFunctionDef):
        return False
    body = definition.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]  # the docstring
    return all(isinstance(statement, ast.Pass)
               or (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant)
                   and statement.value.value is ...)
               for statement in body)


def _unwrap(value: Any) -> Any:
    """The function inside a ``staticmethod``, ``classmethod`` or ``property``."""
    if isinstance(value, staticmethod | classmethod):
        return value.__func__
    if isinstance(value, property):
        return value.fget
    return value


# ---------------------------------------------------------------------------------------------
# Building blocks for checks
# ---------------------------------------------------------------------------------------------


def as_array(value: Any) -> np.ndarray:
    """NumPy array from a NumPy value, a list, a PyTorch tensor or a TensorFlow/Keras tensor."""
    if hasattr(value, "detach"):                    # torch.Tensor
        value = value.detach().cpu().numpy()
    elif hasattr(value, "numpy") and not isinstance(value, np.ndarray):
        value = value.numpy()                        # tf.Tensor, keras variables
    return np.asarray(value, dtype=float)


@dataclass(frozen=True)
class Mistake:
    """A known wrong answer: if the reader's answer equals ``wrong``, say ``message``.

    ``wrong`` is a value, or a function of the same inputs as the reference (for
    :func:`check_function`), computed the way the mistake would compute it.
    """

    wrong: Any
    message: str


def compare(answer: Any, reference: Any, *, rtol: float = 1e-6, atol: float = 1e-9,
            mistakes: Iterable[Mistake] = (), what: str = "your answer") -> Message:
    """Compare an array or number with the reference and diagnose the usual mistakes.

    For a single number the message never says by how much it differs (that would give the
    reference away); for arrays it gives the largest relative difference.
    """
    if answer is None:
        return f"{what} is None: did a function forget to `return` its result?"
    if answer is ...:
        return f"{what} is `...`: replace the `...` in your code with the computation."
    try:
        got = as_array(answer)
    except (TypeError, ValueError):
        return f"{what} should be a number or an array, not {type(answer).__name__}."
    want = as_array(reference)
    if not np.all(np.isfinite(got)):
        return (f"{what} contains NaN or infinity: something overflowed, divided by zero or "
                "met a missing value.")
    if got.shape == want.shape and np.allclose(got, want, rtol=rtol, atol=atol):
        return None  # before the mistakes: on some inputs a mistake gives the right answer too
    for mistake in mistakes:
        wrong = as_array(mistake.wrong)
        if wrong.shape == got.shape and np.allclose(got, wrong, rtol=rtol, atol=atol):
            return mistake.message
    if got.shape != want.shape:
        if got.ndim == 2 and got.T.shape == want.shape and np.allclose(got.T, want, rtol=rtol, atol=atol):
            return f"{what} has the right numbers but transposed: shape {got.shape} instead of the one expected."
        if got.size == want.size:
            return f"{what} has shape {got.shape}; the numbers may be right but arranged in another shape."
        return f"{what} has shape {got.shape}, which is not the shape expected here (check which axis is which)."
    if np.allclose(got, -want, rtol=rtol, atol=atol):
        return f"{what} has the right size but the opposite sign."
    difference = got - want
    if want.size > 1 and np.allclose(difference, difference.flat[0], rtol=0, atol=max(atol, rtol * np.abs(want).max())):
        return f"{what} is off by the same constant everywhere — a missing or extra offset (a bias?)."
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = got / want
    finite = ratio[np.isfinite(ratio) & (np.abs(want) > atol)]
    if finite.size > 1 and np.allclose(finite, finite[0], rtol=1e-6) and not math.isclose(finite[0], 1.0):
        return (f"{what} is the reference times a constant factor — a missing or extra scale "
                "(check the formula's constants).")
    if want.size == 1:
        return f"{what} is not the expected value."
    scale = max(float(np.abs(want).max()), atol)
    worst = float(np.abs(difference).max()) / scale
    return f"{what} differs from the expected values (largest relative difference {worst:.2g})."


def check_function(function: Callable[..., Any], reference: Callable[..., Any],
                   cases: Iterable[tuple[Any, ...]], *, rtol: float = 1e-6, atol: float = 1e-9,
                   mistakes: Iterable[Mistake] = (), name: str | None = None) -> Message:
    """Call the reader's ``function`` on each case (inputs the reader has not seen) and compare.

    The message names the failing input — never the expected output. ``mistakes`` hold
    functions that compute a known wrong answer (e.g. softmax without subtracting the max).
    """
    if not callable(function):
        return f"pass a function (you passed {type(function).__name__}), e.g. `check(my_function)`."
    label = name or getattr(function, "__name__", "your function")
    mistakes = list(mistakes)
    for case in cases:
        case = case if isinstance(case, tuple) else (case,)
        try:
            got = function(*case)
        except Exception as error:
            return f"`{label}` raised {type(error).__name__} on input {_describe(case)}: {error}"
        want = reference(*case)
        wrong_values = []
        for mistake in mistakes:
            try:
                wrong = mistake.wrong(*case) if callable(mistake.wrong) else mistake.wrong
            except Exception:  # the mistake cannot be made on this input (e.g. shapes that do not fit)
                continue
            wrong_values.append(Mistake(wrong, mistake.message))
        message = compare(got, want, rtol=rtol, atol=atol, mistakes=wrong_values,
                          what=f"`{label}` on {_describe(case)}")
        if message is not None:
            return message
    return None


def in_range(value: Any, low: float, high: float, *, what: str = "your result", measured: str = "",
             too_low: str = "check the recipe", too_high: str = "is the test set leaking in?") -> Message:
    """A training result must land in a range measured over seeds and devices (inclusive).

    ``measured`` says where the range comes from; ``too_low`` and ``too_high`` end the
    message with what most likely went wrong in this exercise.
    """
    try:
        number = float(as_array(value).reshape(()))
    except (TypeError, ValueError):
        return f"{what} should be a single number."
    if not math.isfinite(number):
        return f"{what} is {number}: training diverged (try a smaller learning rate)."
    if number < low:
        return f"{what} ({number:.4g}) is lower than the runs we measured{_measured(measured)}: {too_low}"
    if number > high:
        return f"{what} ({number:.4g}) is higher than the runs we measured{_measured(measured)}: {too_high}"
    return None


def numeric_derivative(function: Callable[[np.ndarray], np.ndarray], x: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Central difference (f(x + h) − f(x − h)) / 2h, elementwise; h ≈ ε^(1/3) for float64."""
    x = np.asarray(x, dtype=float)
    return (np.asarray(function(x + h), dtype=float) - np.asarray(function(x - h), dtype=float)) / (2 * h)


def _measured(measured: str) -> str:
    return f" ({measured})" if measured else ""


def _describe(case: tuple[Any, ...]) -> str:
    parts = []
    for value in case:
        array = np.asarray(value) if not hasattr(value, "shape") else value
        if getattr(array, "ndim", 0) and getattr(array, "size", 0) > 6:
            parts.append(f"an array of shape {tuple(array.shape)}")
        else:
            parts.append(repr(value.tolist() if isinstance(value, np.ndarray) else value))
    return "(" + ", ".join(parts) + ")"
