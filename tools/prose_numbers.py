#!/usr/bin/env python3
"""Every number in a chapter's prose is produced by its code, a results file, or an allow-list.

The book's rule: a number a reader sees in the text is printed by a visible cell of the same
notebook (rounding allowed), comes from a committed results file that names the command which
regenerates it, is cited, or is one of the few numbers that are not results (years, formula
constants, settings chosen in a code cell), each listed with a reason in the notebook's
metadata::

    "metadata": {"dlbook": {"prose_numbers": {
        "allow": {"0.25": "maximum of the sigmoid's derivative (formula constant)"},
        "results": ["benchmarks/results/cifar10_cnn_cpu_full.md"]}}}

Usage::

    python tools/prose_numbers.py notebooks/05-cnn-cifar10.ipynb   # list what is unsupported
    python tools/prose_numbers.py --all                            # every notebook; exit 1 if any

A number is supported when (in this order) it is allow-listed; it is the result of arithmetic the
prose itself shows in math and that checks out (``$784 \\cdot 128 + 128 = 100{,}480$``); it is
written literally in a visible code cell (a setting such as ``lr=0.05``: exact, no rounding); or a
visible output or a listed results file prints it (rounding to the digits written, percent and
fraction scales, seconds/minutes/hours converted). Outputs of cells tagged ``remove-cell`` or
``remove-output`` do not count: readers never see them.

What counts as a number in prose: decimals, percentages, money, quantities with a unit (time,
size, ppm, points), "N times" / "N×", dates, and integers of two or more digits. Ignored:
single-digit integers without a unit, code (fenced and inline), link targets and MyST role
targets, ordered-list markers and heading numbers, references ("chapter 4", "Exercise 2"),
library versions ("Keras 3.13"), names with digits ("CIFAR-10", "float32", "2-core"), math
subscripts, and every number in a sentence that contains a ``{cite}`` role.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
MAX_ALLOW_ENTRIES = 50
HIDDEN_TAGS = {"remove-cell", "remove-output"}

# ---------------------------------------------------------------------------------------------
# What a number in prose looks like
# ---------------------------------------------------------------------------------------------

_SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")
_TIME_UNITS = {"ms": 1e-3, "s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1,
               "min": 60, "mins": 60, "minute": 60, "minutes": 60,
               "h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600, "hours": 3600}
_OTHER_UNITS = {"kb", "mb", "gb", "tb", "ppm", "point", "points", "pp"}
_UNIT_PATTERN = (r"(?:ms|s|secs?|seconds?|mins?|minutes?|h|hrs?|hours?|kB|KB|MB|GB|TB|ppm|points?|pp)")
# a number as written: 1,409 | 0.85 | 5.8e-11 | .5 is not used in the book
_NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?(?:[eE][-+]?\d+)?"
_REFERENCE_WORDS = (r"chapters?|sections?|exercises?|figures?|fig\.|equations?|eq\.|parts?|lessons?"
                    r"|appendix|modules?|issues?|findings?|items?|questions?|page|pages|cells?|rules?")
_VERSION_WORDS = (r"python|torch|pytorch|torchvision|tensorflow|tf|keras|numpy|pandas|scikit-learn|sklearn"
                  r"|scipy|statsmodels|matplotlib|ipywidgets|ipykernel|jupyter|jupyterlab|jupyter-book|cuda"
                  r"|cudnn|pillow|pooch|tqdm|nbval|fastapi|uvicorn|pydantic|version|versions|release|v")


@dataclass(frozen=True)
class ProseNumber:
    """One number found in a markdown cell."""

    cell: int
    key: str            # as written (the allow-list key), e.g. "1,409", "0.85", "5.8e-11"
    value: float        # in the prose's own scale: 85 for "85 %"
    decimals: int       # digits after the decimal point as written (-k: rounded to 10^k)
    significant: int    # significant digits, for scientific notation (0 otherwise)
    kind: str           # decimal | percent | points | money | time | unit | times | count | sci | date
    context: str
    seconds: float = 0.0  # for kind == "time": the unit in seconds

    def describe(self) -> str:
        return f"{self.key!r} ({self.kind})"


@dataclass
class Report:
    """What the check found in one notebook."""

    notebook: Path
    numbers: list[ProseNumber] = field(default_factory=list)
    unsupported: list[tuple[ProseNumber, list[float]]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # allow-list / results-file problems

    @property
    def ok(self) -> bool:
        return not self.unsupported and not self.problems

    def format(self) -> str:
        name = _display_name(self.notebook)
        lines = [f"{name}: {len(self.numbers)} numbers in prose, {len(self.unsupported)} unsupported"]
        for number, nearest in self.unsupported:
            near = ", ".join(_fmt(x) for x in nearest) or "none"
            lines.append(
                f"  cell {number.cell}: {number.describe()} in “{number.context}” is not printed by any visible "
                f"output (nearest outputs: {near}); print it in a cell, cite it, take it from a results file, "
                f"or allow-list it with a reason (key {json.dumps(number.key, ensure_ascii=False)})"
            )
        lines.extend(f"  {problem}" for problem in self.problems)
        return "\n".join(lines)


def _display_name(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def _fmt(x: float) -> str:
    return f"{x:.6g}"


# ---------------------------------------------------------------------------------------------
# Markdown -> plain prose
# ---------------------------------------------------------------------------------------------

_FENCE = re.compile(r"^(?P<fence>`{3,}|~{3,})(?P<info>[^\n]*)\n(?P<body>.*?)^(?P=fence)[ \t]*$", re.S | re.M)
_CODE_DIRECTIVES = {"code", "code-block", "code-cell", "sourcecode", "literalinclude", "raw", "math-code"}


def _strip_fences(text: str) -> str:
    def replace(match: re.Match) -> str:
        info = match.group("info").strip()
        name = re.match(r"\{([\w-]+)\}", info)
        if name and name.group(1) not in _CODE_DIRECTIVES:
            return _strip_fences(match.group("body"))  # a directive (admonition, note, …): its body is prose
        if info.startswith("{") and name and name.group(1) == "math":
            return "$" + match.group("body") + "$"
        return "\n"
    return _FENCE.sub(replace, text)


def to_prose(markdown: str) -> str:
    """Markdown with code, link targets, role targets, markers and markup removed."""
    text = _strip_fences(markdown)
    text = re.sub(r"^:{3,}.*$", "", text, flags=re.M)                     # ::: fences
    text = re.sub(r"^\s*:[\w-]+:.*$", "", text, flags=re.M)               # directive options
    text = re.sub(r"<!--.*?-->", " ", text, flags=re.S)
    text = re.sub(r"\{cite[:\w]*\}`[^`]*`", " CITED ", text)
    text = re.sub(r"\{[\w:-]+\}`([^`<]*)(?:<[^`]*>)?`", lambda m: m.group(1), text)  # {term}`text <t>` -> text
    text = re.sub(r"``.+?``|`[^`\n]+`", " CODE ", text)
    text = re.sub(r"!\[([^\]]*)\]\([^)]*\)", " ", text)                   # images
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)                  # links -> their text
    text = re.sub(r"https?://\S+", " ", text)
    text = re.sub(r"</?[A-Za-z][^>]*>", " ", text)                        # html tags
    text = re.sub(r"^\s*#{1,6}\s*(\d+(\.\d+)*\.?\s+)?", "", text, flags=re.M)   # heading markers and numbers
    text = re.sub(r"^(\s*)\d+[.)]\s+", r"\1", text, flags=re.M)           # ordered-list markers
    text = re.sub(r"\*\*|__", "", text)
    return text


def _normalise_math(text: str) -> str:
    """LaTeX and Unicode spellings of numbers → plain ones (inside and outside $…$)."""
    text = re.sub(r"(?<=\d)(?:\\,|\{,\}|[\u2009\u202f\u00a0])(?=\d{3}\b)", ",", text)   # 109\,386, 109 386
    text = text.replace("\\%", "%").replace("\\$", " USD ").replace("\\,", " ")
    text = text.replace("−", "-").replace("–", "–")
    text = re.sub(r"\s*\\(?:times|cdot)\s*10\^\{?\s*([-+]?\d+)\s*\}?", r"e\1", text)  # 5.8 \times 10^{-11}
    text = re.sub(r"\s*[×x·]\s*10([⁻⁺]?[⁰¹²³⁴⁵⁶⁷⁸⁹]+)",
                  lambda m: "e" + m.group(1).translate(_SUPERSCRIPT), text)           # 5.8 × 10⁻¹¹
    text = re.sub(r"(?<![\d.])10\^\{?\s*([-+]?\d+)\s*\}?", r"1e\1", text)               # 10^{-8}
    text = re.sub(r"(?<![\d.])10([⁻⁺]?[⁰¹²³⁴⁵⁶⁷⁸⁹]+)", lambda m: "1e" + m.group(1).translate(_SUPERSCRIPT), text)
    text = re.sub(r"[⁰¹²³⁴⁵⁶⁷⁸⁹]+", " ", text)                              # other superscripts: exponents
    text = re.sub(r"_\{[^}]*\}|_\d+", " ", text)                            # subscripts are indices
    text = re.sub(r"\\[A-Za-z]+", " ", text)                                # other commands: \sigma, \frac
    return text


def _sentences(prose: str) -> Iterable[str]:
    for block in re.split(r"\n\s*\n|\n(?=\s*[-*+|] )|\n(?=\s*\|)", prose):
        yield from re.split(r"(?<=[.!?])\s+(?=[A-Z(])", block)


_TOKEN = re.compile(
    r"(?P<date>(?<![\d,.])(?:1[89]|20)\d{2}-(?:0[1-9]|1[0-2])(?:-(?:0[1-9]|[12]\d|3[01]))?(?![\d]))"
    r"|(?P<money>(?:USD|US\$)\s*(?P<money_n>" + _NUMBER + r"))"
    r"|(?P<num>" + _NUMBER + r")"
)
_RANGE_LINK = re.compile(r"^\s*(?:–|-|to|and|or|,)\s*$")


def _skip_by_context(sentence: str, start: int, end: int) -> bool:
    before, after = sentence[:start], sentence[end:]
    if re.search(r"[A-Za-z_]-?$", before) and not re.search(r"(?:USD|e)\s*$", before):
        return True                                    # CIFAR-10, ResNet-18, float32, top-1, x2
    if before.endswith("#"):
        return True                                    # keras-team/keras#20285
    if re.search(r"\d\.$|\.\d*$", before) and not before.endswith(" "):
        return True                                    # the tail of 3.13.2
    if re.match(r"\.\d", after):
        return True                                    # the head of 3.13.2
    if re.match(r"-[A-Za-z]", after):
        return True                                    # 2-core, 10-layer, 1-D, 5-NN
    if re.match(r"[A-Za-z]", after) and not re.match(_UNIT_PATTERN + r"\b|[x×]\b|k\b", after):
        return True                                    # 3rd, 2D, 16GiB-like names
    if re.search(r"(?i)\b(?:" + _REFERENCE_WORDS + r")\s*(?:\d+\s*(?:–|-|to|and|or|,)\s*)*$", before):
        return True                                    # chapter 4, Exercises 2 and 3
    if re.search(r"(?i)\b(?:" + _VERSION_WORDS + r")\s*(?:≥|>=|<=|==|<|>|=)?\s*$", before):
        return True                                    # Keras 3.13, Python ≥ 3.10
    return False


def _parse_number(raw: str) -> tuple[float, int, int]:
    """value, decimals as written (negative: rounding to tens/hundreds), significant digits (sci)."""
    text = raw.replace(",", "")
    if re.search(r"[eE]", text):
        mantissa = re.split(r"[eE]", text)[0]
        digits = mantissa.replace(".", "").lstrip("0") or "0"
        return float(text), 0, max(len(digits), 1)
    value = float(text)
    if "." in text:
        return value, len(text.split(".")[1]), 0
    digits = text.lstrip("0") or "0"
    trailing = len(digits) - len(digits.rstrip("0"))
    # trailing zeros mean rounding, but keep at least two significant digits
    rounding = min(trailing, max(len(digits) - 2, 0))
    return value, -rounding, 0


_MATH = re.compile(r"(?<!\\)\$\$(.+?)(?<!\\)\$\$|(?<!\\)\$(.+?)(?<!\\)\$", re.S)
_RELATION = re.compile(r"\\approx|\\simeq|≈|(?<![<>!\\])=(?!=)|\\l[et]q?\b|\\g[et]q?\b|\\leqslant|\\geqslant|[<>≤≥]")
_EQUALITY = {"=", "\\approx", "\\simeq", "≈"}


def _to_python(latex: str) -> str | None:
    """Pure arithmetic in LaTeX → a Python expression; None if it is not pure arithmetic."""
    text = re.sub(r"(?<=\d)(?:\\,|\{,\}|,)(?=\d{3}(?!\d))", "", latex)    # thousands separators
    text = text.replace("−", "-").replace("\\left", "").replace("\\right", "")
    text = re.sub(r"\\[,;!:]|\\quad|\\qquad|\\text\{[^}]*\}|\\mathrm\{[^}]*\}", " ", text)
    text = re.sub(r"\\(?:cdot|times)|[×·]", "*", text)
    text = re.sub(r"\\lceil(.*?)\\rceil", r"ceil(\1)", text)
    text = re.sub(r"\\lfloor(.*?)\\rfloor", r"floor(\1)", text)
    for _ in range(5):                                   # innermost \frac / \sqrt first
        text = re.sub(r"\\[dt]?frac\{([^{}]*)\}\{([^{}]*)\}", r"((\1)/(\2))", text)
        text = re.sub(r"\\sqrt\{([^{}]*)\}", r"sqrt(\1)", text)
        text = re.sub(r"(?<![\w.])e\^\{([^{}]*)\}", r"exp(\1)", text)
        text = re.sub(r"\^\{([^{}]*)\}", r"**(\1)", text)
    text = re.sub(r"(?<![\w.])e\^(-?[\d.]+)", r"exp(\1)", text)
    text = re.sub(r"\^(-?[\d.]+)", r"**(\1)", text)
    text = text.replace("{", "(").replace("}", ")")
    arithmetic = r"[\d.+\-*/()\s]*(?:(?:exp|sqrt|ceil|floor)[\d.+\-*/()\s]*)*"
    if not re.fullmatch(arithmetic, text) or not re.search(r"\d", text):
        return None
    return text


def _evaluate(latex: str) -> float | None:
    expression = _to_python(latex)
    if expression is None:
        return None
    try:
        # safe: _to_python let through only digits, operators, brackets and these four functions
        functions = {"exp": math.exp, "sqrt": math.sqrt, "ceil": math.ceil, "floor": math.floor}
        value = eval(expression, {"__builtins__": {}}, functions)
    except (SyntaxError, ZeroDivisionError, OverflowError, TypeError, ValueError):
        return None
    return float(value) if isinstance(value, (int, float)) and math.isfinite(value) else None


def _verify_math(sentence: str, derived: set[str]) -> str:
    """Replace the results of arithmetic the prose shows in math by a marker, when the arithmetic holds.

    In ``$784 \\cdot 128 + 128 = 100{,}480$`` the right-hand side is *derived*: the check
    evaluates the left side and, if it rounds to the written result, the result needs no other
    support (its inputs still do). A wrong sum stays in the prose and is reported.
    """
    def replace(match: re.Match) -> str:
        latex = match.group(1) if match.group(1) is not None else match.group(2)
        parts = _RELATION.split(latex)
        relations = _RELATION.findall(latex)
        if len(parts) < 2:
            return match.group(0)
        out = [parts[0]]
        previous = _evaluate(parts[0])
        for relation, part in zip(relations, parts[1:]):
            if relation not in _EQUALITY:              # an inequality breaks the chain
                out.append(relation + part)
                previous = _evaluate(part)
                continue
            literal = re.fullmatch(
                r"\s*(-?\s*(?:\d{1,3}(?:(?:\\,|\{,\}|,)\d{3})+|\d+)(?:\.\d+)?)\s*(\\?%)?\s*[.,;]?\s*", part
            )
            value = _evaluate(part)
            if previous is not None and literal is not None and value is not None:
                target = previous * 100 if literal.group(2) else previous
                written, decimals, _ = _parse_number(re.sub(r"\\,|\{,\}|\s", "", literal.group(1)).lstrip("-"))
                if abs(abs(target) - written) <= 0.5 * 10.0 ** (-decimals) * (1 + 1e-9) + 1e-12:
                    derived.add(re.sub(r"\\,|\{,\}", ",", literal.group(1)).replace(" ", "").lstrip("-"))
                    part = " DERIVED " + ("%" if literal.group(2) else "")
            out.append(relation + part)
            previous = value if value is not None else _evaluate(part)
        return "$" + "".join(out) + "$"

    return _MATH.sub(replace, sentence)


def extract(markdown: str, cell: int, derived: set[str] | None = None) -> list[ProseNumber]:
    """All numbers a reader sees in one markdown cell (see the module docstring for the rules).

    Results of arithmetic shown in math that checks out are not returned; they are added to
    ``derived`` instead.
    """
    derived = set() if derived is None else derived
    found: list[ProseNumber] = []
    prose = to_prose(markdown)
    for sentence in _sentences(prose):
        if "CITED" in sentence:
            continue
        sentence = _normalise_math(_verify_math(sentence, derived))
        tokens = list(_TOKEN.finditer(sentence))
        for index, match in enumerate(tokens):
            context = _context(sentence, match.start(), match.end())
            if match.group("date"):
                found.append(ProseNumber(cell, match.group("date"), 0.0, 0, 0, "date", context))
                continue
            if match.group("money"):
                raw = match.group("money_n")
                value, decimals, significant = _parse_number(raw)
                found.append(ProseNumber(cell, raw, value, decimals, significant, "money", context))
                continue
            raw = match.group("num")
            if _skip_by_context(sentence, match.start(), match.end()):
                continue
            value, decimals, significant = _parse_number(raw)
            after = sentence[match.end():]
            # a range shares its unit: "3–11 %", "0.2 to 0.5 s"
            unit_source = after
            if index + 1 < len(tokens) and _RANGE_LINK.match(sentence[match.end():tokens[index + 1].start()]):
                unit_source = sentence[tokens[index + 1].end():]
            kind, seconds = _kind(unit_source, raw, significant)
            if kind == "count" and value < 10 and "." not in raw:
                continue                                   # single digits without a unit
            found.append(ProseNumber(cell, raw, value, decimals, significant, kind, context, seconds))
    return found


def _kind(after: str, raw: str, significant: int) -> tuple[str, float]:
    if re.match(r"\s?(?:%|percent\b|per cent\b)", after):
        return "percent", 0.0
    if re.match(r"\s?(?:percentage )?(?:points?|pp)\b", after):
        return "points", 0.0
    unit = re.match(r"\s?(" + _UNIT_PATTERN + r")\b", after)
    if unit:
        name = unit.group(1)
        if name.lower() in _OTHER_UNITS:
            return "unit", 0.0
        return "time", float(_TIME_UNITS[name])
    if re.match(r"\s?(?:×|x\b)(?!\s*\d)|\s(?:times|fold)\b", after):
        return "times", 0.0
    if significant:
        return "sci", 0.0
    if "." in raw:
        return "decimal", 0.0
    return "count", 0.0


def _context(sentence: str, start: int, end: int, width: int = 40) -> str:
    left = sentence[max(0, start - width):start]
    right = sentence[end:end + width]
    return re.sub(r"\s+", " ", f"{left}{sentence[start:end]}{right}").strip()


# ---------------------------------------------------------------------------------------------
# Numbers the notebook produces
# ---------------------------------------------------------------------------------------------

_OUTPUT_NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][-+]?\d+)?(?P<pct>\s?%)?"
                            r"|(?<![\w.])[-+]?\.\d+(?:[eE][-+]?\d+)?")
_CODE_NUMBER = re.compile(r"(?<![\w.])(?:\d[\d_]*)(?:\.\d+)?(?:[eE][-+]?\d+)?(?![\w.])")
_BASE64 = re.compile(r"data:[\w/+.-]+;base64,[A-Za-z0-9+/=\s]+|[A-Za-z0-9+/=]{60,}")


@dataclass
class Produced:
    """Every number printed by the notebook's visible outputs and its results files."""

    plain: np.ndarray
    percent: np.ndarray      # numbers printed with a % sign, in percent scale
    strings: str             # the raw text, for dates
    literals: np.ndarray = field(default_factory=lambda: np.zeros(0))  # numbers written in visible code

    @classmethod
    def from_texts(cls, texts: Iterable[str], code: Iterable[str] = ()) -> Produced:
        plain: list[float] = []
        percent: list[float] = []
        kept: list[str] = []
        for text in texts:
            text = _BASE64.sub(" ", text)
            kept.append(text)
            for match in _OUTPUT_NUMBER.finditer(text):
                token = match.group(0)
                is_pct = bool(match.group("pct"))
                number = token.replace("%", "").replace(",", "").strip()
                try:
                    value = abs(float(number))
                except ValueError:
                    continue
                if not math.isfinite(value):
                    continue
                (percent if is_pct else plain).append(value)
        literals = [abs(float(m.group(0).replace("_", ""))) for source in code
                    for m in _CODE_NUMBER.finditer(source)]
        return cls(np.array(plain, dtype=float), np.array(percent, dtype=float), "\n".join(kept),
                   np.array(literals, dtype=float))

    def supports(self, number: ProseNumber) -> bool:
        if number.kind == "date":
            return number.key in self.strings
        if self.literals.size:
            # a setting the reader sees in the code (lr=0.05, 16 units): exact, no rounding
            targets = [abs(number.value)] + ([abs(number.value) / 100] if number.kind == "percent" else [])
            if any(np.any(np.isclose(self.literals, t, rtol=1e-12, atol=0)) for t in targets):
                return True
        return bool(np.any(_matches(self.candidates(number), number)))

    def candidates(self, number: ProseNumber) -> np.ndarray:
        plain, percent = self.plain, self.percent
        with np.errstate(over="ignore"):
            return self._candidates(number, plain, percent)

    @staticmethod
    def _candidates(number: ProseNumber, plain: np.ndarray, percent: np.ndarray) -> np.ndarray:
        if number.kind in ("percent", "points"):
            return np.concatenate([plain * 100, plain, percent])
        if number.kind in ("decimal", "sci"):
            return np.concatenate([plain, percent / 100])
        if number.kind == "time":
            # outputs in seconds, minutes or hours, whichever the prose converted from
            factors = [1.0, 1 / 60, 60.0, 1 / 3600, 3600.0, 1000.0, 1 / 1000]
            return np.concatenate([plain * f for f in factors])
        return np.concatenate([plain, percent])

    def nearest(self, number: ProseNumber, count: int = 3) -> list[float]:
        values = self.candidates(number)
        values = values[np.isfinite(values)]
        if number.kind == "date" or values.size == 0:
            return []
        target = abs(number.value)
        with np.errstate(over="ignore", invalid="ignore"):
            distance = np.nan_to_num(np.abs(values - target) / max(target, 1e-12), nan=np.inf)
        order = np.argsort(distance, kind="stable")
        seen: list[float] = []
        for index in order:
            value = float(values[index])
            if all(not math.isclose(value, s, rel_tol=1e-12) for s in seen):
                seen.append(value)
            if len(seen) == count:
                break
        return seen


def _matches(values: np.ndarray, number: ProseNumber) -> np.ndarray:
    values = values[np.isfinite(values)]
    target = abs(number.value)
    if number.significant:                       # scientific: same significant digits
        nonzero = values > 0
        rounded = np.zeros_like(values)
        exponent = np.floor(np.log10(values[nonzero]))
        scale = 10.0 ** (exponent - (number.significant - 1))
        rounded[nonzero] = np.round(values[nonzero] / scale) * scale
        return np.isclose(rounded, target, rtol=1e-9, atol=0) | np.isclose(values, target, rtol=1e-12, atol=0)
    tolerance = 0.5 * 10.0 ** (-number.decimals) * (1 + 1e-9) + 1e-12
    return np.abs(values - target) <= tolerance


def _output_texts(cell: dict) -> Iterable[str]:
    for output in cell.get("outputs", []):
        kind = output.get("output_type")
        if kind == "stream":
            yield _join(output.get("text", ""))
        elif kind in ("execute_result", "display_data"):
            data = output.get("data", {})
            for mime in ("text/markdown", "text/html", "text/latex"):
                if mime in data:
                    text = _join(data[mime])
                    if mime == "text/html":
                        text = re.sub(r"<(script|style)\b.*?</\1>", " ", text, flags=re.S | re.I)
                        text = re.sub(r"<[^>]+>", " ", text)
                    yield text
            if "text/plain" in data and not any(m in data for m in ("text/html", "text/markdown")):
                yield _join(data["text/plain"])


def _join(source) -> str:
    return "".join(source) if isinstance(source, list) else str(source)


# ---------------------------------------------------------------------------------------------
# The check
# ---------------------------------------------------------------------------------------------

_COMMAND_LINE = re.compile(r"(?im)^\W*command\W*:")


def check(path: Path) -> Report:
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    report = Report(Path(path))
    config = nb.get("metadata", {}).get("dlbook", {}).get("prose_numbers", {})
    allow: dict[str, str] = config.get("allow", {}) or {}
    results: list[str] = config.get("results", []) or []

    texts: list[str] = []
    code: list[str] = []
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        if HIDDEN_TAGS & set(cell.get("metadata", {}).get("tags", [])):
            continue                                  # readers never see these cells
        texts.extend(_output_texts(cell))
        code.append(_join(cell.get("source", "")))
    for name in results:
        result = ROOT / name
        if not result.is_file():
            report.problems.append(f"results file {name} (listed in the notebook metadata) does not exist")
            continue
        content = result.read_text(encoding="utf-8")
        if not _COMMAND_LINE.search(content):
            report.problems.append(f"results file {name} has no 'Command:' line saying how to regenerate it")
        texts.append(content)
    produced = Produced.from_texts(texts, code)

    derived: set[str] = set()
    for index, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "markdown":
            report.numbers.extend(extract(_join(cell.get("source", "")), index, derived))

    used_keys = set()
    for number in report.numbers:
        if number.key in allow:
            used_keys.add(number.key)
            continue
        if number.key in derived:
            continue
        if not produced.supports(number):
            report.unsupported.append((number, produced.nearest(number)))

    for key, reason in allow.items():
        if not isinstance(reason, str) or len(reason.strip()) < 8:
            report.problems.append(f"allow-list entry {key!r} needs a reason (why it is not a result)")
        if key not in used_keys:
            report.problems.append(f"allow-list entry {key!r} is not used in the prose any more: remove it")
    if len(allow) > MAX_ALLOW_ENTRIES:
        report.problems.append(f"the allow-list has {len(allow)} entries (at most {MAX_ALLOW_ENTRIES}): "
                               "print results in cells instead of allow-listing them")
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="*", type=Path)
    parser.add_argument("--all", action="store_true", help="check every notebook under notebooks/")
    parser.add_argument("--list", action="store_true", help="also list every number found and how it is supported")
    args = parser.parse_args(argv)
    paths = sorted((ROOT / "notebooks").glob("*.ipynb")) if args.all or not args.paths else args.paths
    failed = False
    for path in paths:
        report = check(path)
        print(report.format())
        if args.list:
            for number in report.numbers:
                print(f"    cell {number.cell:3d} {number.describe():28s} {number.context}")
        failed |= not report.ok
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
