"""helpers.stats: the numbers every comparison in the book is reported with."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as scipy_stats
from sklearn.metrics import accuracy_score, roc_auc_score

from helpers.stats import (
    bootstrap_ci,
    diebold_mariano,
    mcnemar,
    mean_se,
    paired_bootstrap,
    paired_seeds,
)


def test_mean_se_matches_scipy():
    values = [0.51, 0.55, 0.49, 0.53, 0.50]
    result = mean_se(values)
    assert result.mean == pytest.approx(np.mean(values))
    assert result.se == pytest.approx(scipy_stats.sem(values))
    assert result.n == 5
    assert str(mean_se([0.50, 0.52, 0.54])) == "0.520 ± 0.012 (n=3)"
    assert mean_se([0.5, 0.6]).format(".0%") == "55% ± 5%"


@pytest.mark.parametrize("bad", [[], [0.5], [0.5, float("nan")]])
def test_mean_se_refuses_what_has_no_standard_error(bad):
    with pytest.raises(ValueError):
        mean_se(bad)


def test_paired_seeds_is_a_paired_t_test():
    a = np.array([0.60, 0.62, 0.58, 0.61])
    b = np.array([0.55, 0.58, 0.54, 0.57])
    result = paired_seeds(a, b, names=("new", "old"))
    expected = scipy_stats.ttest_rel(a, b)
    assert result.difference == pytest.approx(np.mean(a - b))
    assert result.p_value == pytest.approx(expected.pvalue)
    ci = expected.confidence_interval()
    assert (result.low, result.high) == pytest.approx((ci.low, ci.high))
    assert result.verdict == "new better"
    assert "new − old" in str(result)


def test_paired_seeds_calls_noise_a_tie():
    result = paired_seeds([0.50, 0.55, 0.52], [0.53, 0.51, 0.52])
    assert result.verdict == "tie"
    with pytest.raises(ValueError, match="one value per seed"):
        paired_seeds([0.5, 0.6, 0.7], [0.5, 0.6])


def test_bootstrap_ci_contains_the_value_and_narrows_with_more_data():
    rng = np.random.default_rng(0)
    small = rng.random(100) < 0.7
    large = rng.random(10_000) < 0.7
    ci_small = bootstrap_ci(np.mean, small)
    ci_large = bootstrap_ci(np.mean, large)
    assert ci_small.low <= ci_small.value <= ci_small.high
    assert (ci_large.high - ci_large.low) < (ci_small.high - ci_small.low) / 5
    # the binomial standard error predicts the width: 2 × 1.96 × sqrt(p(1-p)/n)
    assert ci_large.high - ci_large.low == pytest.approx(2 * 1.96 * np.sqrt(0.21 / 10_000), rel=0.15)


def test_bootstrap_ci_stratified_keeps_class_counts():
    y = np.array([0] * 90 + [1] * 10)
    score = np.linspace(0, 1, 100)
    est = bootstrap_ci(roc_auc_score, y, score, stratify=y, n_boot=200)  # never a one-class resample
    assert est.value == pytest.approx(roc_auc_score(y, score))
    with pytest.raises(ValueError, match="one row per test example"):
        bootstrap_ci(roc_auc_score, y, score[:50])


def test_paired_bootstrap_sees_a_small_consistent_gain_that_separate_intervals_miss():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 2000)
    hard = rng.random(2000) < 0.3                  # both models fail on the same hard examples
    pred_b = np.where(hard, 1 - y, y)
    pred_a = pred_b.copy()
    fixed = np.flatnonzero(hard)[:40]              # A also gets 40 of the hard ones right
    pred_a[fixed] = y[fixed]
    result = paired_bootstrap(accuracy_score, y, pred_a, pred_b, names=("A", "B"), n_boot=500)
    assert result.difference == pytest.approx(40 / 2000)
    assert result.verdict == "A better"
    separate_a = bootstrap_ci(accuracy_score, y, pred_a, n_boot=500)
    separate_b = bootstrap_ci(accuracy_score, y, pred_b, n_boot=500)
    assert separate_a.low < separate_b.high       # the unpaired intervals overlap


def test_paired_bootstrap_of_identical_models_is_a_tie():
    y = np.arange(100) % 2
    pred = (np.arange(100) % 3 == 0).astype(int)
    result = paired_bootstrap(accuracy_score, y, pred, pred, n_boot=200)
    assert result.difference == 0 and result.verdict == "tie" and result.p_value == 1.0


def test_mcnemar_is_the_exact_binomial_test_on_discordant_pairs():
    a = np.array([1] * 80 + [1] * 15 + [0] * 5 + [0] * 100, dtype=bool)
    b = np.array([1] * 80 + [0] * 15 + [1] * 5 + [0] * 100, dtype=bool)
    result = mcnemar(a, b, names=("A", "B"))
    assert result.difference == pytest.approx((15 - 5) / 200)
    assert result.p_value == pytest.approx(scipy_stats.binomtest(15, 20, 0.5).pvalue)
    assert "15 vs 5" in result.method
    assert mcnemar(a, a).verdict == "tie"
    with pytest.raises(ValueError, match="one correct/incorrect flag"):
        mcnemar(a, b[:10])


def test_diebold_mariano_detects_a_better_forecast_and_ties_equal_ones():
    rng = np.random.default_rng(2)
    noise = rng.normal(size=200)
    better = noise * 0.5
    worse = noise + rng.normal(scale=0.5, size=200)
    result = diebold_mariano(better, worse, names=("good", "bad"))
    assert result.difference > 0 and result.verdict == "good better" and result.p_value < 1e-3
    same = diebold_mariano(noise, noise.copy())
    assert same.difference == 0 and same.verdict == "tie"
    swapped = diebold_mariano(rng.normal(size=200), rng.normal(size=200))
    assert swapped.verdict == "tie"


def test_diebold_mariano_one_step_equals_a_t_test_on_the_loss_differential():
    rng = np.random.default_rng(3)
    ea, eb = rng.normal(size=60), rng.normal(scale=1.2, size=60)
    d = np.abs(eb) - np.abs(ea)
    n = d.size
    # for h = 1 the HLN statistic is the one-sample t statistic with the biased variance, rescaled
    expected_stat = np.sqrt((n - 1) / n) * d.mean() / np.sqrt(d.var() / n)
    expected_p = 2 * scipy_stats.t.sf(abs(expected_stat), df=n - 1)
    assert diebold_mariano(ea, eb).p_value == pytest.approx(expected_p)
    with pytest.raises(ValueError, match="same times"):
        diebold_mariano(ea, eb[:-1])
