"""Self-checked exercises of the CNN chapter (``notebooks/05-cnn-cifar10.ipynb``, "Exercises").

::

    from helpers.exercises import cnn as exercises
    ex1 = exercises.output_sizes()
    ex2 = exercises.receptive_field_of_four_blocks()
    ex3 = exercises.count_parameters()

The other exercises of the chapter (4 to 7) are written answers or measurements (dropdown only).
No check trains anything: they are arithmetic, checked exactly.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from helpers.exercises import Exercise, Message, Mistake, as_array, check_function, compare

__all__ = ["count_parameters", "output_sizes", "receptive_field_of_four_blocks"]

Layer = tuple[int, int, int]  # (kernel size k, padding p, stride s) of a convolution or a pooling


def _check_everywhere(answer, reference, cases, mistakes: Sequence[Mistake], name: str) -> Message:
    """Exact check on every case; a known mistake is named only if it explains *every* case.

    (On a single input two mistakes can give the same wrong number; over all the cases each
    mistake has its own pattern.)
    """
    message = check_function(answer, reference, cases, rtol=0, atol=0, name=name)
    if message is None or not callable(answer):
        return message
    for mistake in mistakes:
        try:
            if all(compare(answer(*case), mistake.wrong(*case), rtol=0, atol=0) is None for case in cases):
                return mistake.message
        except Exception:  # the answer fails on some case: check_function's message says which
            return message
    return message


# --- Exercise 1: output sizes ------------------------------------------------------------------


def _fold(layers: Sequence[Layer], n: int, size) -> float:
    for k, p, s in layers:
        n = size(n, k, p, s)
    return n


def _output_size(n: int, layers: Sequence[Layer]) -> int:
    """The reference: floor((n + 2p - k) / s) + 1, layer after layer."""
    return _fold(layers, n, lambda n, k, p, s: (n + 2 * p - k) // s + 1)


def _size_cases(seed: int = 5, count: int = 40) -> list[tuple[int, list[Layer]]]:
    """Random valid (n, layers): every layer's window fits its padded input. The stem is not among them."""
    rng = np.random.default_rng(seed)
    cases: list[tuple[int, list[Layer]]] = [(32, [(3, 1, 1)]), (33, [(3, 0, 2)])]
    while len(cases) < count:
        n = int(rng.integers(9, 300))
        layers, size = [], n
        for _ in range(int(rng.integers(1, 5))):
            k = int(rng.integers(1, 8))
            p, s = int(rng.integers(0, k // 2 + 1)), int(rng.integers(1, 4))
            if size + 2 * p < k:
                break
            layers.append((k, p, s))
            size = (size + 2 * p - k) // s + 1
        if layers:
            cases.append((n, layers))
    return cases


def output_sizes() -> Exercise:
    """Exercise 1: ``output_size(n, layers)``, the side of an ``n × n`` image after a stack of layers.

    ``layers`` is a list of ``(k, p, s)``: kernel (or pooling window) size, padding on each side,
    stride. Checked on random valid stacks the reader has not seen.
    """
    mistakes = [
        Mistake(lambda n, layers: _fold(layers, n, lambda n, k, p, s: (n - k) // s + 1),
                "the padding is missing: a layer with padding p adds p zeros on *each* side."),
        Mistake(lambda n, layers: _fold(layers, n, lambda n, k, p, s: (n + p - k) // s + 1),
                "the padding is counted once: p zeros go on each side, so the image grows by 2p."),
        Mistake(lambda n, layers: _fold(layers, n, lambda n, k, p, s: n + 2 * p - k + 1),
                "the stride is missing: a stride of s keeps only every s-th window position."),
        Mistake(lambda n, layers: _fold(layers, n, lambda n, k, p, s: (n + 2 * p - k) // s),
                "off by one: count the window positions, including the first one (the `+ 1`)."),
        Mistake(lambda n, layers: _fold(layers, n, lambda n, k, p, s: -((k - n - 2 * p) // s) + 1),
                "the division is rounded up; a window that does not fit any more is dropped, so round down (`//`)."),
        Mistake(lambda n, layers: _fold(layers, n, lambda n, k, p, s: (n + 2 * p - k) / s + 1),
                "the result is not a whole number: use floor division `//`, not `/`."),
        Mistake(lambda n, layers: _output_size(n, layers[:1]),
                "only the first layer is applied: feed each layer's output size into the next layer."),
        Mistake(lambda n, layers: _output_size(n, layers[-1:]),
                "only the last layer is applied: feed each layer's output size into the next layer."),
    ]

    def checker(answer) -> Message:
        return _check_everywhere(answer, _output_size, _size_cases(), mistakes, "output_size")

    return Exercise("Exercise 1", checker, hints=(
        "One layer: `(n + 2 * p - k) // s + 1`, the formula of the section on padding and stride "
        "(pooling follows it too).",
        "Loop over `layers` and replace `n` by each layer's output size before the next layer.",
    ), correct_message="the formula, layer after layer, on stacks you had not tried.")


# --- Exercise 2: the receptive field of a fourth block ------------------------------------------

CONV, POOL = (3, 1), (2, 2)  # (kernel size, stride), as in the chapter
BOOK_LAYERS = [CONV, POOL, CONV, CONV, POOL, CONV, CONV, POOL, CONV]  # the chapter's `book_layers`
FOURTH_BLOCK = [CONV, POOL, CONV]


def _receptive_field(layers: Sequence[tuple[int, int]], *, k_minus_one: bool = True,
                     jump_first: bool = False, grow_jump: bool = True) -> int:
    r, j = 1, 1
    for k, s in layers:
        if jump_first:  # a known mistake: multiply the jump before adding this layer's growth
            j = j * s
        r = r + ((k - 1) if k_minus_one else k) * j
        if grow_jump and not jump_first:
            j = j * s
    return r


def receptive_field_of_four_blocks() -> Exercise:
    """Exercise 2: one number, the receptive field of the last convolution after adding a fourth block."""
    four_blocks = BOOK_LAYERS + FOURTH_BLOCK
    reference = _receptive_field(four_blocks)
    mistakes = [
        Mistake(_receptive_field(BOOK_LAYERS),
                "that is the receptive field of the book's three blocks: add the fourth block's layers."),
        Mistake(_receptive_field(four_blocks, grow_jump=False),
                "the jump never grows: after each stride-2 pooling, one step on the feature map is twice as "
                "many pixels of the input."),
        Mistake(_receptive_field(four_blocks, jump_first=True),
                "a layer's growth uses the jump *before* its own stride: update the jump after adding (k − 1)·j."),
        Mistake(_receptive_field(four_blocks, k_minus_one=False),
                "each layer adds (k − 1)·j, not k·j: a 3×3 window reaches one pixel further on each side."),
        Mistake(_receptive_field(BOOK_LAYERS + [CONV, CONV]),
                "the fourth block is convolution, *pool*, convolution, like the others."),
    ]

    def checker(answer) -> Message:
        try:
            value = as_array(answer)
        except (TypeError, ValueError):
            return "pass one number: the receptive field's side in pixels (e.g. `rf = 70`)."
        if value.shape != ():
            return "pass one number: the receptive field's side in pixels (it is square)."
        return compare(value, reference, rtol=0, atol=0, mistakes=mistakes, what="your receptive field")

    return Exercise("Exercise 2", checker, hints=(
        "`receptive_field` from the section on receptive fields takes a list of (k, s) layers; the "
        "fourth block is `[CONV, POOL, CONV]`.",
        "By hand: after the three blocks the receptive field is 50 and the jump 8 pixels; each new layer "
        "adds (k − 1)·j with the jump j from before its own stride.",
    ), correct_message="the nominal receptive field; much of it lies in the zero padding of a 32×32 image.")


# --- Exercise 3: counting the book network's parameters ------------------------------------------


def _book_cnn_parameters(widths: Sequence[int], num_classes: int = 10, *, conv_bias: bool = False,
                         bn: int = 2, kernel: int = 9, second_from_input: bool = False,
                         head_bias: bool = True) -> int:
    total, c_in = 0, 3
    for width in widths:
        second_in = c_in if second_from_input else width
        for a in (c_in, second_in):  # block: conv (c_in -> width), pool, conv (width -> width)
            total += kernel * a * width + (width if conv_bias else 0) + bn * width
        c_in = width
    return total + c_in * num_classes + (num_classes if head_bias else 0)


def _widths_cases() -> list[tuple[tuple[int, ...], int]]:
    rng = np.random.default_rng(11)
    cases = [((16,), 10), ((8, 16), 5), ((24, 48, 96, 192), 100)]
    for _ in range(6):
        depth = int(rng.integers(1, 5))
        cases.append((tuple(int(w) for w in rng.integers(2, 70, depth)), int(rng.integers(2, 50))))
    return cases


def count_parameters() -> Exercise:
    """Exercise 3: ``book_cnn_parameters(widths, num_classes)``, the trained parameters of ``cnn.book_cnn``.

    Checked exactly on widths and class counts the reader has not tried (the unit tests confirm
    the reference against the parameters of the built PyTorch network).
    """
    mistakes = [
        Mistake(lambda w, c: _book_cnn_parameters(w, c, conv_bias=True),
                "a bias is counted in every convolution; the book's convolutions have none (`bias=False`: "
                "BatchNorm's shift takes its place)."),
        Mistake(lambda w, c: _book_cnn_parameters(w, c, bn=0),
                "BatchNorm is missing: each BatchNorm layer trains a scale and a shift per channel."),
        Mistake(lambda w, c: _book_cnn_parameters(w, c, bn=4),
                "BatchNorm's running mean and variance are counted; they are averaged, not trained."),
        Mistake(lambda w, c: _book_cnn_parameters(w, c, kernel=3),
                "a kernel has k × k = 9 weights per input channel, not 3."),
        Mistake(lambda w, c: _book_cnn_parameters(w, c, second_from_input=True),
                "the second convolution of a block takes the block's width as its input channels, not the "
                "block's input."),
        Mistake(lambda w, c: _book_cnn_parameters(w, c, head_bias=False),
                "the output layer's bias (one per class) is missing."),
        Mistake(lambda w, c: _book_cnn_parameters(w, 10),
                "the output layer must have `num_classes` outputs, not always 10."),
    ]

    def checker(answer) -> Message:
        return _check_everywhere(answer, _book_cnn_parameters, _widths_cases(), mistakes, "book_cnn_parameters")

    return Exercise("Exercise 3", checker, hints=(
        "Each block has two convolutions, each followed by BatchNorm; pooling has no parameters. "
        "Start with 3 input channels.",
        "A 3×3 convolution from a to b channels without bias has 9·a·b weights; BatchNorm(b) trains 2·b; "
        "the head is one `Linear(last width, num_classes)` with its bias.",
    ), correct_message="the same count as PyTorch's `sum(p.numel() for p in model.parameters())`.")
