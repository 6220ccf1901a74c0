"""helpers.exercises.cnn: each check passes the reference solution and names typical wrong answers."""

from __future__ import annotations

import math

import pytest

from helpers.exercises import STARTER, cnn

# --- Exercise 1: output sizes --------------------------------------------------------------------


def output_size(n, layers):
    """The dropdown's solution."""
    for k, p, s in layers:
        n = (n + 2 * p - k) // s + 1
    return n


def starter(n, layers):
    ...


def test_ex1_accepts_the_solution_and_gives_the_stem():
    ex = cnn.output_sizes()
    ex.assert_correct(output_size)
    assert output_size(224, [(7, 3, 2), (3, 1, 2)]) == 56  # the task's ImageNet stem
    assert ex.check(starter).message == STARTER


def _per_layer(size):
    def answer(n, layers):
        for k, p, s in layers:
            n = size(n, k, p, s)
        return n
    return answer


@pytest.mark.parametrize("wrong, words", [
    (_per_layer(lambda n, k, p, s: (n - k) // s + 1), "padding is missing"),
    (_per_layer(lambda n, k, p, s: (n + p - k) // s + 1), "counted once"),
    (_per_layer(lambda n, k, p, s: n + 2 * p - k + 1), "stride is missing"),
    (_per_layer(lambda n, k, p, s: (n + 2 * p - k) // s), "off by one"),
    (_per_layer(lambda n, k, p, s: math.ceil((n + 2 * p - k) / s) + 1), "rounded up"),
    (_per_layer(lambda n, k, p, s: (n + 2 * p - k) / s + 1), "not a whole number"),
    (lambda n, layers: output_size(n, layers[:1]), "only the first layer"),
    (lambda n, layers: output_size(n, layers) + 2, "not the expected value"),
    (lambda n, layers: None, "forget to `return`"),
    (56, "pass a function"),
])
def test_ex1_names_the_mistake_and_never_the_size(wrong, words):
    feedback = cnn.output_sizes().assert_mistake(wrong, words)
    assert " is 5" not in feedback.message and "expected 5" not in feedback.message


def test_ex1_cases_are_valid_and_varied():
    cases = cnn._size_cases()
    assert len(cases) >= 30 and all(output_size(n, layers) >= 1 for n, layers in cases)
    assert any(p > 0 for _, layers in cases for _, p, _ in layers)
    assert any(s > 1 for _, layers in cases for _, _, s in layers)
    assert any(len(layers) > 2 for _, layers in cases)
    assert (224, [(7, 3, 2), (3, 1, 2)]) not in cases  # the task's own example is not a test case


# --- Exercise 2: receptive field of a fourth block -----------------------------------------------


def receptive_field(layers):
    """The chapter's function, as the dropdown uses it."""
    r, j = 1, 1
    for k, s in layers:
        r, j = r + (k - 1) * j, j * s
    return r


def test_ex2_accepts_the_chapters_formula_applied_to_four_blocks():
    ex = cnn.receptive_field_of_four_blocks()
    CONV, POOL = (3, 1), (2, 2)
    book_layers = [CONV, POOL, CONV, CONV, POOL, CONV, CONV, POOL, CONV]
    assert receptive_field(book_layers) == 50  # the chapter's printed value
    ex.assert_correct(receptive_field(book_layers + [CONV, POOL, CONV]))
    ex.assert_correct(float(receptive_field(book_layers + [CONV, POOL, CONV])))
    assert ex.check(...).message == STARTER


@pytest.mark.parametrize("wrong, words", [
    (50, "three blocks"),
    (21, "jump never grows"),
    (121, "before* its own stride"),
    (166, "not k·j"),
    (82, "*pool*"),
    (105, "not the expected value"),
    ([106, 106], "one number"),
])
def test_ex2_names_the_mistake_and_never_the_number(wrong, words):
    feedback = cnn.receptive_field_of_four_blocks().assert_mistake(wrong, words)
    assert "106" not in feedback.message


# --- Exercise 3: parameters of the book's network -----------------------------------------------


def book_cnn_parameters(widths, num_classes=10):
    """The dropdown's solution."""
    total, c_in = 0, 3
    for width in widths:
        total += 9 * c_in * width + 2 * width  # conv (no bias) + BatchNorm scale and shift
        total += 9 * width * width + 2 * width
        c_in = width
    return total + c_in * num_classes + num_classes


def test_ex3_reference_is_pytorchs_count():
    torch = pytest.importorskip("torch")
    from helpers.cnn import book_cnn
    for widths, classes in cnn._widths_cases():
        model = book_cnn(widths, classes)
        assert sum(p.numel() for p in model.parameters()) == cnn._book_cnn_parameters(widths, classes)
        buffers = sum(b.numel() for name, b in model.named_buffers() if not name.endswith("num_batches_tracked"))
        assert buffers == 2 * 2 * sum(widths)  # running mean and variance: not trained, not counted
    assert isinstance(torch.zeros(1), torch.Tensor)


def test_ex3_accepts_the_solution():
    ex = cnn.count_parameters()
    ex.assert_correct(book_cnn_parameters)
    assert book_cnn_parameters((32, 64, 128)) == 288_746  # the chapter's printed count


def _variant(**change):
    return lambda widths, num_classes=10: cnn._book_cnn_parameters(widths, num_classes, **change)


@pytest.mark.parametrize("wrong, words", [
    (_variant(conv_bias=True), "bias is counted in every convolution"),
    (_variant(bn=0), "BatchNorm is missing"),
    (_variant(bn=4), "running mean and variance"),
    (_variant(kernel=3), "k × k"),
    (_variant(second_from_input=True), "second convolution"),
    (_variant(head_bias=False), "output layer's bias"),
    (lambda widths, num_classes=10: book_cnn_parameters(widths), "`num_classes`"),
    (lambda widths, num_classes=10: book_cnn_parameters(widths, num_classes) - 1, "not the expected value"),
    (288_746, "pass a function"),
])
def test_ex3_names_the_mistake_and_never_the_count(wrong, words):
    feedback = cnn.count_parameters().assert_mistake(wrong, words)
    for widths, classes in cnn._widths_cases():
        assert str(cnn._book_cnn_parameters(widths, classes)) not in feedback.message
