"""Comparing models honestly: seeds with mean ± standard error, and paired tests.

The book's rule (CONTRIBUTING.md, "How the book makes a claim"): a claim that A beats B
rests on at least three seeds or data draws reported as mean ± standard error, or on a
paired comparison on the same test examples; a difference inside the noise is a tie.
This module is the one place those numbers are computed, so every chapter reports them
the same way.

- :func:`mean_se` — mean ± standard error over seeds or draws.
- :func:`paired_seeds` — the per-seed difference of two methods run on the same seeds.
- :func:`bootstrap_ci` — a percentile bootstrap interval for one metric on one test set.
- :func:`paired_bootstrap` — metric(A) − metric(B) resampled on the *same* examples.
- :func:`mcnemar` — the exact McNemar test for two classifiers on the same examples.
- :func:`diebold_mariano` — the Diebold–Mariano test for two forecasts of one series.

Every comparison returns an object whose ``verdict`` says "A better", "B better" or
"tie" from whether the interval (or test) excludes no difference.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats as _scipy_stats

__all__ = [
    "Comparison",
    "Estimate",
    "MeanSE",
    "bootstrap_ci",
    "diebold_mariano",
    "mcnemar",
    "mean_se",
    "paired_bootstrap",
    "paired_seeds",
]


def _as_1d(values: Sequence[float] | np.ndarray, name: str) -> np.ndarray:
    array = np.asarray(values, dtype=float).ravel()
    if array.size == 0:
        raise ValueError(f"{name} is empty: pass one value per seed, draw or example")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or infinite values: {array[~np.isfinite(array)][:5]}")
    return array


@dataclass(frozen=True)
class MeanSE:
    """A mean over ``n`` independent runs with its standard error (sample SD / √n)."""

    mean: float
    se: float
    n: int

    def __str__(self) -> str:
        return f"{self.mean:.3f} ± {self.se:.3f} (n={self.n})"

    def format(self, spec: str = ".3f") -> str:
        """``format(".1%")`` gives e.g. ``"51.2% ± 0.8%"``."""
        return f"{self.mean:{spec}} ± {self.se:{spec}}"


def mean_se(values: Sequence[float] | np.ndarray) -> MeanSE:
    """Mean and standard error of the mean of runs that differ only in their seed or draw.

    >>> str(mean_se([0.50, 0.52, 0.54]))
    '0.520 ± 0.012 (n=3)'
    """
    array = _as_1d(values, "values")
    if array.size < 2:
        raise ValueError("a standard error needs at least 2 runs (the book asks for 3 or more)")
    return MeanSE(float(array.mean()), float(array.std(ddof=1) / math.sqrt(array.size)), int(array.size))


@dataclass(frozen=True)
class Comparison:
    """A difference A − B with an interval (or a test) and the verdict it supports."""

    difference: float
    low: float
    high: float
    p_value: float
    method: str
    names: tuple[str, str] = ("A", "B")

    @property
    def verdict(self) -> str:
        """ "A better" / "B better" when the interval excludes 0 (higher is better), else "tie"."""
        a, b = self.names
        if self.low > 0:
            return f"{a} better"
        if self.high < 0:
            return f"{b} better"
        return "tie"

    def __str__(self) -> str:
        a, b = self.names
        return (f"{a} − {b} = {self.difference:+.4f}, 95% interval [{self.low:+.4f}, {self.high:+.4f}], "
                f"p = {self.p_value:.3g} ({self.method}): {self.verdict}")


def paired_seeds(a: Sequence[float], b: Sequence[float], names: tuple[str, str] = ("A", "B"),
                 level: float = 0.95) -> Comparison:
    """Compare two methods run on the same seeds: the mean of the per-seed differences.

    The interval is the t interval of the mean difference, so with three seeds it is wide
    on purpose. Higher values must mean better (pass accuracies, not errors).
    """
    a_arr, b_arr = _as_1d(a, "a"), _as_1d(b, "b")
    if a_arr.shape != b_arr.shape:
        raise ValueError(f"paired seeds need one value per seed for both methods, got {a_arr.size} and {b_arr.size}")
    if a_arr.size < 2:
        raise ValueError("a paired comparison over seeds needs at least 2 seeds (the book asks for 3 or more)")
    diff = a_arr - b_arr
    mean = float(diff.mean())
    se = float(diff.std(ddof=1) / math.sqrt(diff.size))
    if se == 0.0:
        return Comparison(mean, mean, mean, 0.0 if mean != 0 else 1.0, f"paired over {diff.size} seeds", names)
    t = _scipy_stats.t.ppf(0.5 + level / 2, df=diff.size - 1)
    p = float(2 * _scipy_stats.t.sf(abs(mean / se), df=diff.size - 1))
    return Comparison(mean, mean - t * se, mean + t * se, p, f"paired t over {diff.size} seeds", names)


@dataclass(frozen=True)
class Estimate:
    """A metric on one test set with a percentile bootstrap interval."""

    value: float
    low: float
    high: float

    def __str__(self) -> str:
        return f"{self.value:.3f} [{self.low:.3f}, {self.high:.3f}]"


def _resample_indices(n: int, n_boot: int, seed: int, strata: np.ndarray | None) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if strata is None:
        return rng.integers(0, n, size=(n_boot, n))
    # resample within each class so every resample keeps the test set's class balance
    parts = [np.flatnonzero(strata == value) for value in np.unique(strata)]
    return np.concatenate([rng.choice(part, size=(n_boot, part.size)) for part in parts], axis=1)


def bootstrap_ci(metric: Callable[..., float], *arrays: np.ndarray, n_boot: int = 2000, seed: int = 0,
                 level: float = 0.95, stratify: np.ndarray | None = None) -> Estimate:
    """Percentile bootstrap interval of ``metric(*arrays)`` over resampled test examples.

    ``arrays`` are aligned per example (e.g. ``y_true, y_score``); each resample draws the
    same rows from all of them. ``stratify`` (usually ``y_true``) keeps class counts fixed.
    """
    columns = [np.asarray(x) for x in arrays]
    n = _check_aligned(columns)
    value = float(metric(*columns))
    idx = _resample_indices(n, n_boot, seed, None if stratify is None else np.asarray(stratify))
    samples = np.array([metric(*(c[i] for c in columns)) for i in idx], dtype=float)
    low, high = np.quantile(samples, [(1 - level) / 2, (1 + level) / 2])
    return Estimate(value, float(low), float(high))


def paired_bootstrap(metric: Callable[[np.ndarray, np.ndarray], float], y_true: np.ndarray,
                     pred_a: np.ndarray, pred_b: np.ndarray, names: tuple[str, str] = ("A", "B"),
                     n_boot: int = 2000, seed: int = 0, level: float = 0.95,
                     stratify: bool = True) -> Comparison:
    """metric(y, A) − metric(y, B), bootstrapped over the same resampled test examples.

    Pairing removes the test set's own luck (both models see the same hard examples), so
    this interval is much narrower than comparing two separate intervals. The p-value is
    the two-sided bootstrap share of resamples on the other side of 0. Higher metric
    values must mean better; for an error, pass its negative.
    """
    y, a, b = (np.asarray(x) for x in (y_true, pred_a, pred_b))
    n = _check_aligned([y, a, b])
    difference = float(metric(y, a) - metric(y, b))
    idx = _resample_indices(n, n_boot, seed, y if stratify and _is_discrete(y) else None)
    samples = np.array([metric(y[i], a[i]) - metric(y[i], b[i]) for i in idx], dtype=float)
    low, high = np.quantile(samples, [(1 - level) / 2, (1 + level) / 2])
    share = min(np.mean(samples <= 0), np.mean(samples >= 0))
    p = float(min(1.0, 2 * share))
    return Comparison(difference, float(low), float(high), p, f"paired bootstrap, {n_boot} resamples", names)


def mcnemar(correct_a: np.ndarray, correct_b: np.ndarray, names: tuple[str, str] = ("A", "B"),
            level: float = 0.95) -> Comparison:
    """Exact McNemar test: do two classifiers, scored on the same examples, differ?

    Only the examples where exactly one of them is right carry information: ``b`` where
    only A is right, ``c`` where only B is. Under "no difference" each of those is a fair
    coin flip, so the test is a binomial test of b out of b + c. The returned difference
    is accuracy(A) − accuracy(B), with a Wald interval for a paired difference.
    """
    a = np.asarray(correct_a, dtype=bool).ravel()
    b_ = np.asarray(correct_b, dtype=bool).ravel()
    if a.shape != b_.shape or a.size == 0:
        raise ValueError(f"pass one correct/incorrect flag per test example for both models "
                         f"(got {a.size} and {b_.size})")
    only_a = int(np.sum(a & ~b_))
    only_b = int(np.sum(~a & b_))
    n = a.size
    difference = (only_a - only_b) / n
    discordant = only_a + only_b
    p = 1.0 if discordant == 0 else float(_scipy_stats.binomtest(only_a, discordant, 0.5).pvalue)
    # variance of a paired difference of proportions
    var = max((only_a + only_b) / n - difference**2, 0.0) / n
    z = _scipy_stats.norm.ppf(0.5 + level / 2)
    half = z * math.sqrt(var)
    return Comparison(difference, difference - half, difference + half, p,
                      f"exact McNemar, {only_a} vs {only_b} discordant of {n}", names)


def diebold_mariano(errors_a: np.ndarray, errors_b: np.ndarray, horizon: int = 1, power: int = 1,
                    names: tuple[str, str] = ("A", "B"), level: float = 0.95) -> Comparison:
    """Diebold–Mariano test of equal accuracy for two forecasts of the same series.

    ``errors_*`` are forecast errors (actual − forecast) at the same times. The loss
    differential is d_t = |e_A|^p − |e_B|^p; its mean's variance uses the autocovariances
    up to lag ``horizon − 1`` (h-step errors are correlated), with the small-sample
    correction of Harvey, Leybourne & Newbold (1997) and a t distribution.

    The difference is reported as loss(B) − loss(A), so that, as everywhere in this
    module, a positive value means A is better (A has the smaller loss).
    """
    ea, eb = _as_1d(errors_a, "errors_a"), _as_1d(errors_b, "errors_b")
    if ea.shape != eb.shape:
        raise ValueError(f"both forecasts need errors at the same times ({ea.size} vs {eb.size})")
    if horizon < 1:
        raise ValueError("horizon is the number of steps ahead, 1 or more")
    n = ea.size
    if n < 2 * horizon + 2:
        raise ValueError(f"{n} errors are too few for a {horizon}-step Diebold–Mariano test")
    d = np.abs(eb) ** power - np.abs(ea) ** power   # > 0 where A's loss is smaller
    mean = float(d.mean())
    centred = d - mean
    gamma = [float(np.dot(centred[k:], centred[: n - k]) / n) for k in range(horizon)]
    variance = (gamma[0] + 2 * sum(gamma[1:])) / n
    if variance <= 0:
        p = 0.0 if mean != 0 else 1.0
        return Comparison(mean, mean, mean, p, "Diebold–Mariano (zero variance)", names)
    correction = math.sqrt((n + 1 - 2 * horizon + horizon * (horizon - 1) / n) / n)
    statistic = correction * mean / math.sqrt(variance)
    p = float(2 * _scipy_stats.t.sf(abs(statistic), df=n - 1))
    t = _scipy_stats.t.ppf(0.5 + level / 2, df=n - 1)
    half = t * math.sqrt(variance) / correction
    return Comparison(mean, mean - half, mean + half, p,
                      f"Diebold–Mariano, h={horizon}, |e|^{power}, n={n}", names)


def _check_aligned(columns: list[np.ndarray]) -> int:
    lengths = {len(c) for c in columns}
    if len(lengths) != 1:
        raise ValueError(f"the arrays must have one row per test example; got lengths {sorted(lengths)}")
    n = lengths.pop()
    if n < 2:
        raise ValueError("a bootstrap needs at least 2 test examples")
    return n


def _is_discrete(y: np.ndarray) -> bool:
    return y.ndim == 1 and (y.dtype.kind in "iub" or np.unique(y).size <= 20)
