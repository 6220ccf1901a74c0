"""Self-checked exercises of the churn chapter (``notebooks/09-churn-project.ipynb``, "Exercises").

Each function builds one :class:`~helpers.exercises.Exercise`. Exercises about the chapter's
own data take the chapter's objects, so the check runs on the reader's kernel and data::

    from helpers.exercises import churn as exercises
    ex1 = exercises.ship_the_simpler_model(logreg, preprocessor, X_train, raw_val, y_val, t_star, TIERS)
    ex2 = exercises.one_hot_or_native(y_val, y_test, native_val=val_scores["gradient boosting"])
    ex3 = exercises.other_costs()
    ex4 = exercises.leakage_on_purpose()

Exercises 5 and 6 of the chapter are written answers (dropdown only).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from helpers.churn import RISK_TIERS, ChurnPredictor, training_profile, validate_frame
from helpers.exercises import Exercise, Message, Mistake, as_array, compare, in_range

__all__ = [
    "ONE_HOT_VAL_AUC",
    "leakage_on_purpose",
    "one_hot_or_native",
    "other_costs",
    "ship_the_simpler_model",
]


# --- Exercise 1: ship the simpler model ------------------------------------------------------


def ship_the_simpler_model(logreg: Any, preprocessor: Any, X_train: pd.DataFrame, raw_val: pd.DataFrame,
                           y_val: np.ndarray, t_star: float,
                           tiers: Sequence[tuple[float, str]]) -> Exercise:
    """Exercise 1: a :class:`ChurnPredictor` around the logistic regression, or the folder it was saved to.

    Checked against the chapter's objects: the validation probabilities must be ``logreg``'s
    behind ``preprocessor``; the threshold and tiers the chapter's; the training profile built
    from the logistic regression's own training scores; the model card describing it.
    """
    def probabilities(features: pd.DataFrame) -> np.ndarray:
        return logreg.predict_proba(preprocessor.transform(features).astype(np.float32))[:, 1]

    expected_val = probabilities(validate_frame(raw_val))
    expected_scores = training_profile(X_train, probabilities(X_train))["scores"]
    expected_auc = roc_auc_score(y_val, expected_val)
    tiers = tuple((float(bound), str(name)) for bound, name in tiers)

    def checker(answer: Any) -> Message:
        if isinstance(answer, str | os.PathLike):
            folder = Path(answer)
            if not (folder / "settings.json").is_file():
                return (f"`{answer}` is not a saved predictor (it has no settings.json): save it "
                        "with `.save(folder)` first, or pass the predictor itself.")
            answer = ChurnPredictor.load(folder)
        if not isinstance(answer, ChurnPredictor):
            return f"pass your `ChurnPredictor` (or the folder you saved it to), not a {type(answer).__name__}."
        if answer.kind != "sklearn":
            return "this predictor holds a Keras model: build it around the logistic regression `logreg`."
        got = answer.predict_proba(raw_val)
        if not np.allclose(got, expected_val, rtol=1e-5, atol=1e-7):
            if answer.class_weight_ratio != 1.0:
                return ("its `class_weight_ratio` is not 1: `logreg` was trained without class "
                        "weights, so there is nothing to undo.")
            if got.mean() > expected_val.mean() + 0.05:
                return ("its probabilities are far above the churn rate: is this the class-weighted "
                        "model? Use the plain `logreg`.")
            return ("its probabilities for the validation customers are not those of `logreg` behind "
                    "the chapter's fitted `preprocessor`.")
        if not math.isclose(answer.threshold, t_star, rel_tol=1e-9):
            if answer.threshold == 0.5:
                return "its threshold is still the default 0.5: the offer rule is `t_star`, from the costs."
            return "its threshold is not the chapter's `t_star`, the one the costs give."
        if answer.tiers != tiers:
            if answer.tiers == RISK_TIERS:
                return ("these are the source material's tiers, which contradict the offer rule: use "
                        "the tiers derived from the costs, `TIERS`.")
            return "its tiers are not the chapter's `TIERS`."
        profile = answer.profile
        if not profile:
            return ("it has no training profile: without one there are no range warnings and no "
                    "drift check. Use `training_profile`.")
        if profile.get("rows") != len(X_train):
            return (f"its profile describes {profile.get('rows')} customers, the training split has "
                    f"{len(X_train)}: profile the training customers.")
        if "scores" not in profile:
            return ("its profile has no score distribution, so the drift check cannot watch the scores: "
                    "pass the model's training scores to `training_profile`.")
        edges, expected_edges = profile["scores"].get("edges", []), expected_scores["edges"]
        if len(edges) != len(expected_edges) or not np.allclose(edges, expected_edges, rtol=1e-5, atol=1e-7):
            return ("its profile's score distribution is not the logistic regression's on the training "
                    "customers (is it the network's `profile`?): the drift check would compare this "
                    "model's scores with another model's.")
        card = answer.model_card
        if not card:
            return "it has no model card: say what the model is, what it saw and how well it did."
        if "logistic" not in str(card.get("model", "")).lower():
            return "its model card's `model` does not say that this is the logistic regression."
        metrics = card.get("validation_metrics", {})
        if not isinstance(metrics, Mapping) or "ROC-AUC" not in metrics:
            return "its model card has no validation ROC-AUC (`validation_metrics`)."
        if not abs(float(metrics["ROC-AUC"]) - expected_auc) <= 5e-4:
            return ("its model card's validation ROC-AUC is not the logistic regression's (still the "
                    "network's?): a card that describes another model is worse than none.")
        return None

    return Exercise(
        "Exercise 1",
        checker,
        hints=[
            "`ChurnPredictor(preprocessor, logreg, threshold=..., tiers=..., profile=..., model_card=...)`: "
            "the same call as for the network, with the logistic regression in it.",
            "The profile records the *model's* scores on the training customers: "
            "`training_profile(X_train, logreg.predict_proba(Z_train)[:, 1])`.",
            "Start the card from the network's, `{**model_card, ...}`, and replace what is about the "
            "network: the `model` text and the `validation_metrics`.",
        ],
        correct_message="Now serve it and compare the tiers (the rest of the exercise).",
    )


# --- Exercise 2: one-hot or native categories? -----------------------------------------------

# Validation ROC-AUC of the regularised boosting model on the one-hot columns, measured with
# random_state 0-9 under scikit-learn 1.4.0, 1.6.1 (Colab's) and 1.9.1 (30 runs, CPU):
# 0.8425-0.8555. The range below adds a margin; the defaults reach about 0.831, scores of
# the training customers 0.87-0.90.
ONE_HOT_VAL_AUC = (0.835, 0.865)


def one_hot_or_native(y_val: np.ndarray, y_test: np.ndarray, native_val: np.ndarray,
                      measured: tuple[float, float] = ONE_HOT_VAL_AUC) -> Exercise:
    """Exercise 2: the validation scores of the regularised boosting model trained on the one-hot columns.

    ``native_val`` are the chapter's native-category model's validation scores (a reader who
    passes them is told so); ``y_test`` lets the check recognise scores of the test customers.
    """
    y_val, y_test = np.asarray(y_val), np.asarray(y_test)
    native_val = np.asarray(native_val, dtype=float)

    def checker(answer: Any) -> Message:
        try:
            scores = as_array(answer)
        except (TypeError, ValueError):
            return f"pass the model's scores for the validation customers (an array), not a {type(answer).__name__}."
        if scores.ndim == 0:
            return ("pass the scores themselves, one per validation customer, not a single number: the "
                    "check computes their ROC-AUC.")
        if scores.ndim == 2 and scores.shape[1] == 2:
            return ("two numbers per customer: `predict_proba` gives P(stays) and P(churns); "
                    "take column 1, `[:, 1]`.")
        if scores.ndim != 1:
            return f"pass one score per validation customer (shape ({len(y_val)},)), not shape {scores.shape}."
        if len(scores) != len(y_val):
            return (f"{len(scores)} scores for {len(y_val)} validation customers: score the validation "
                    "split, `Z_val`.")
        if not np.all(np.isfinite(scores)):
            return "the scores contain NaN or infinity."
        if np.isin(scores, (0.0, 1.0)).all():
            return ("these are yes/no labels (`predict`); a ROC-AUC needs scores: "
                    "`predict_proba(Z_val)[:, 1]`.")
        if np.allclose(scores, native_val, rtol=1e-6, atol=1e-9):
            return ("these are the native-category model's scores (`boosting` on `T_val`): train a new "
                    "model on the one-hot columns `Z_train`.")
        auc = roc_auc_score(y_val, scores)
        if len(y_test) == len(scores) and auc < 0.6 and roc_auc_score(y_test, scores) > 0.75:
            return ("these scores rank the *test* customers, not the validation ones: you scored `Z_test`. "
                    "Choices are made on validation; the test set scores each final model once.")
        if auc < 0.3:
            return ("the scores rank churners *below* stayers: column 0 of `predict_proba` is the "
                    "probability of staying.")
        return in_range(
            auc, *measured, what="the validation ROC-AUC of your scores",
            measured="regularised boosting on the one-hot columns, over seeds and scikit-learn versions",
            too_low="use the regularised settings of `boosting_model` above, not the defaults.",
            too_high="were these scores computed on customers the model was trained on?",
        )

    return Exercise(
        "Exercise 2",
        checker,
        hints=[
            "The one-hot columns are `Z_train` and `Z_val`; the regularised settings are in the "
            "cell that defines `boosting_model` and `candidates`.",
            "`HistGradientBoostingClassifier(...)` with those settings and `random_state=0`, "
            "without `categorical_features`: every one-hot column is a number.",
            "The check wants one probability of churning per validation customer: "
            "`predict_proba(Z_val)[:, 1]`.",
        ],
        correct_message="Now ask whether the difference from the native model is more than noise (the "
                        "solution's paired bootstrap).",
    )


# --- Exercise 3: other costs -------------------------------------------------------------------


def _offer_threshold(costs: np.ndarray) -> float:
    """t* for a cost matrix ``costs[y, a]`` (y: 0 stays, 1 churns; a: 0 no offer, 1 offer)."""
    costs = np.asarray(costs, dtype=float)
    extra = costs[0, 1] - costs[0, 0]
    saved = costs[1, 0] - costs[1, 1]
    if saved <= 0:
        return 1.0
    return extra / (extra + saved)


def _chapter_matrix(offer: float, lost: float, save_rate: float) -> np.ndarray:
    return np.array([[0.0, offer], [lost, offer + (1 - save_rate) * lost]])


def _cost_cases() -> list[tuple[str, list[np.ndarray]]]:
    """Cost matrices the reader has not seen, in groups: (message if only this group fails, cases)."""
    rng = np.random.default_rng(20260909)
    plain = []
    while len(plain) < 6:
        offer, lost, save = rng.uniform(5, 300), rng.uniform(200, 2000), rng.uniform(0.1, 1.0)
        if offer < save * lost:
            plain.append(_chapter_matrix(round(offer, 2), round(lost, 2), round(save, 2)))
    shifted = [matrix + rng.uniform(5, 80, size=(2, 1)) for matrix in plain[:3]]  # a row cost for both actions
    shifted.append(np.array([[12.0, 47.0], [610.0, 395.0]]))
    free_offer = [np.array([[0.0, 0.0], [500.0, 200.0]])]
    useless_offer = [np.array([[0.0, 80.0], [600.0, 650.0]]), np.array([[0.0, 40.0], [300.0, 300.0]]),
                     np.array([[0.0, 100.0], [600.0, 700.0]])]
    return [
        ("", plain),
        ("your threshold changes when the same amount is added to both cells of a row (a cost that "
         "does not depend on the action, like a monthly fee): only the differences between the two "
         "actions matter.", shifted),
        ("", free_offer),
        ("when an offer saves nothing on a customer who churns (`costs[1, 1] >= costs[1, 0]`), no "
         "probability makes it pay: return 1.0, offer to nobody.", useless_offer),
    ]


def _threshold_mistakes(costs: np.ndarray) -> list[Mistake]:
    c = np.asarray(costs, dtype=float)
    extra, saved = np.float64(c[0, 1] - c[0, 0]), np.float64(c[1, 0] - c[1, 1])
    with np.errstate(divide="ignore", invalid="ignore"):
        return [
            Mistake(_offer_threshold(c.T),
                    "it looks like rows and columns swapped: `costs[y, a]` has the truth y in the rows "
                    "(0 stays, 1 churns) and the action a in the columns (0 no offer, 1 offer)."),
            Mistake(saved / (extra + saved),
                    "it looks like 1 − t*: the offer is for customers *likely* to churn, so the "
                    "threshold must grow with what an offer wastes on a customer who stays."),
            Mistake(extra / saved,
                    "it looks like the odds t*/(1 − t*), not the probability t*: write the average cost "
                    "of each action for a customer who churns with probability p, and solve for the p "
                    "where they are equal."),
        ]


def _check_threshold(function: Any) -> Message:
    if not callable(function):
        return f"pass your function (you passed a {type(function).__name__}): `ex3.check(offer_threshold)`."
    label = getattr(function, "__name__", "your function")
    for group_message, cases in _cost_cases():
        for costs in cases:
            what = f"`{label}` on costs {costs.round(2).tolist()}"
            try:
                with np.errstate(divide="ignore", invalid="ignore"):
                    got = function(costs.copy())
            except Exception as error:
                if group_message:
                    return f"{group_message} ({what} raised {type(error).__name__}: {error})"
                return f"{what} raised {type(error).__name__}: {error}"
            mistakes = _threshold_mistakes(costs)
            message = compare(got, _offer_threshold(costs), rtol=1e-9, atol=1e-12, mistakes=mistakes, what=what)
            if message is None:
                continue
            if any(message == mistake.message for mistake in mistakes):
                return message
            if group_message:
                return f"{group_message} ({what})"
            try:
                value = float(as_array(got).reshape(()))
            except (TypeError, ValueError):
                return message
            if math.isfinite(value) and not 0.0 <= value <= 1.0:
                return f"{what} gives a threshold outside [0, 1]: t* is a probability."
            return message
    return None


def other_costs() -> Exercise:
    """Exercise 3: ``offer_threshold(costs)`` for any 2 × 2 cost matrix, checked on matrices the reader has not seen.

    Exact comparison (relative tolerance 1e-9) with the closed form of the chapter's section
    "A threshold from a cost matrix", including a row cost that does not depend on the action,
    a free offer (threshold 0) and an offer that cannot pay (threshold 1).
    """
    return Exercise(
        "Exercise 3",
        _check_threshold,
        hints=[
            "Write the average cost of each action for a customer who churns with probability p, "
            "using the four cells `costs[y, a]`.",
            "Both averages are straight lines in p. The offer pays where its line is lower; t* is "
            "where the lines cross.",
            "Only differences between the two columns matter: what an offer wastes on a customer who "
            "stays, `costs[0, 1] - costs[0, 0]`, and what it saves on one who churns, "
            "`costs[1, 0] - costs[1, 1]`. If it saves nothing, it never pays.",
        ],
        correct_message="Now use it for the new costs.",
    )


# --- Exercise 4: leakage on purpose ----------------------------------------------------------


def _screen(X_rates: pd.DataFrame, y_rates: Any, X_scored: pd.DataFrame, y_scored: Any, *,
            fold: bool = True, codes: bool = False) -> pd.Series:
    """Each column's ROC-AUC on (X_scored, y_scored), category rates from (X_rates, y_rates).

    ``_screen(X_train, y_train, X_val, y_val)`` is the reference; the keyword arguments and
    other splits compute the typical mistakes the same way.
    """
    y_rates = pd.Series(np.asarray(y_rates), index=X_rates.index)
    aucs = {}
    for name in X_rates.columns:
        if pd.api.types.is_numeric_dtype(X_rates[name]):
            score = X_scored[name].to_numpy(dtype=float)
        elif codes:
            score = pd.Categorical(X_scored[name].astype(str)).codes.astype(float)
        else:
            rates = y_rates.groupby(X_rates[name].astype(str)).mean()
            score = X_scored[name].astype(str).map(rates).astype(float).fillna(y_rates.mean()).to_numpy()
        auc = roc_auc_score(y_scored, score)
        aucs[name] = max(auc, 1 - auc) if fold else auc
    return pd.Series(aucs, dtype=float)


ScreenMistake = Callable[[pd.DataFrame, np.ndarray, pd.DataFrame, np.ndarray], pd.Series]
SCREEN_MISTAKES: list[tuple[ScreenMistake, str]] = [
    (lambda X_train, y_train, X_val, y_val: _screen(X_train, y_train, X_train, y_train),
     "`customer_id` (one value per customer) gets a perfect score: you scored the same customers whose "
     "labels gave the category rates. Compute the rates on the training customers and score the "
     "validation customers."),
    (lambda X_train, y_train, X_val, y_val: _screen(X_val, y_val, X_val, y_val),
     "`customer_id` (one value per customer) gets a perfect score: the category rates come from the "
     "validation labels themselves, which makes a leak instead of finding one. Compute them on the "
     "training customers."),
    (lambda X_train, y_train, X_val, y_val: _screen(X_train, y_train, X_val, y_val, fold=False),
     "a column that ranks the customers the wrong way round (ROC-AUC near 0) leaks as much as one near "
     "1: fold each value with `max(auc, 1 - auc)`."),
    (lambda X_train, y_train, X_val, y_val: _screen(X_train, y_train, X_val, y_val, codes=True),
     "a category column is scored by an arbitrary code (its position in the alphabet), whose order "
     "means nothing: score each customer with the churn rate of their category among the training "
     "customers."),
]
NEW_CATEGORY = ("some validation customers have a category that no training customer had (a new "
                "`customer_id`, a new plan), so it has no churn rate: give such a category the overall "
                "churn rate of the training customers.")


def _screen_tables(seed: int, n_train: int, n_val: int, new_plan: bool) -> tuple[pd.DataFrame, np.ndarray,
                                                                                pd.DataFrame, np.ndarray]:
    """A synthetic customer table with honest columns, an identifier and (unless ``new_plan``) three leaks."""
    rng = np.random.default_rng(seed)
    n = n_train + n_val
    y = (rng.random(n) < 0.3).astype(int)
    plans = np.array(["Basic", "Family", "Premium"])
    table = {
        "months": np.where(y == 1, rng.integers(1, 30, n), rng.integers(1, 72, n)),
        "plan": np.where(rng.random(n) < 0.3 + 0.3 * y, plans[0], rng.choice(plans[1:], n)),
        "customer_id": [f"C{seed:02d}{i:05d}" for i in range(n)],
        "monthly_fee": rng.normal(60, 15, n).round(2),
    }
    if new_plan:  # a plan launched after the training customers were collected
        plan = table["plan"].astype(object)
        plan[n_train:][rng.random(n_val) < 0.15] = "Student"
        table["plan"] = plan
    else:
        table["complaints"] = y * 2 + rng.poisson(1, n)
        table["days_to_renewal"] = (rng.normal(40, 8, n) - 25 * y).round(1)  # leaks with a minus sign
        table["exit_survey"] = np.where(rng.random(n) < np.where(y == 1, 0.9, 0.04), "done", "none")
    frame = pd.DataFrame(table, index=rng.permutation(np.arange(1000, 1000 + n)))
    return frame.iloc[:n_train], y[:n_train], frame.iloc[n_train:], y[n_train:]


def _kinds(X: pd.DataFrame, names: Sequence[str]) -> str:
    kinds = {"number" if pd.api.types.is_numeric_dtype(X[name]) else "category" for name in names}
    return " and ".join(sorted(kinds))


def _check_screen(function: Any) -> Message:
    if not callable(function):
        return f"pass your function (you passed a {type(function).__name__}): `ex4.check(leak_screen)`."
    label = getattr(function, "__name__", "your function")
    for seed, n_train, n_val, new_plan in ((3, 900, 600, False), (11, 700, 400, True)):
        X_train, y_train, X_val, y_val = _screen_tables(seed, n_train, n_val, new_plan)
        table = f"a table with the columns {', '.join(X_train.columns)}"
        try:
            got = function(X_train.copy(), y_train.copy(), X_val.copy(), y_val.copy())
        except Exception as error:
            if "nan" in str(error).lower():
                return NEW_CATEGORY
            return f"`{label}` raised {type(error).__name__} on {table}: {error}"
        if isinstance(got, pd.DataFrame):
            return "return a Series (one number per column, indexed by the column's name), not a DataFrame."
        if not isinstance(got, pd.Series | Mapping):
            return f"return a pandas Series of ROC-AUCs indexed by column name, not a {type(got).__name__}."
        got = pd.Series(dict(got)) if isinstance(got, Mapping) else got
        want = _screen(X_train, y_train, X_val, y_val)
        missing = [name for name in want.index if name not in got.index]
        if missing:
            return f"no value for the {_kinds(X_train, missing)} columns {missing} of {table}: every column gets one."
        extra = [name for name in got.index if name not in want.index]
        if extra:
            return f"values for columns that {table} does not have: {extra}."
        try:
            values = got.reindex(want.index).to_numpy(dtype=float)
        except (TypeError, ValueError):
            return "the values should be numbers, one ROC-AUC per column."
        if np.isnan(values).any():
            return NEW_CATEGORY
        if compare(values, want.to_numpy(), rtol=1e-9, atol=1e-12) is None:
            continue
        mistakes = [Mistake(wrong(X_train, y_train, X_val, y_val).reindex(want.index).to_numpy(), message)
                    for wrong, message in SCREEN_MISTAKES]  # computed only for a wrong answer
        message = compare(values, want.to_numpy(), rtol=1e-9, atol=1e-12, mistakes=mistakes,
                          what=f"`{label}` on {table}")
        if any(message == mistake.message for mistake in mistakes) or "NaN" in message:
            return message
        wrong = [name for name, v, w in zip(want.index, values, want) if not math.isclose(v, w, rel_tol=1e-9)]
        if new_plan and wrong == ["plan"]:
            return NEW_CATEGORY
        advice = (" A category column scores each customer with the churn rate of their category among the "
                  "training customers." if _kinds(X_train, wrong) == "category" else "")
        return f"`{label}` on {table} gives other values for the {_kinds(X_train, wrong)} columns {wrong}.{advice}"
    return None


def leakage_on_purpose() -> Exercise:
    """Exercise 4: ``leak_screen(X_train, y_train, X_val, y_val)``, checked on synthetic tables with planted leaks.

    One table has an identifier, honest columns and three leaks (a count, a number that leaks
    with a minus sign, a category); the other has no leak but a category that only the
    validation customers have. The values are compared exactly (relative tolerance 1e-9).
    """
    return Exercise(
        "Exercise 4",
        _check_screen,
        hints=[
            "One column at a time: turn the column into one score per validation customer, then "
            "`roc_auc_score(y_val, score)`.",
            "For a category column, `pd.Series(y_train, index=X_train.index).groupby(X_train[name]).mean()` "
            "is each category's churn rate among the training customers; `.map` it onto `X_val[name]`.",
            "A column can leak in either direction: fold with `max(auc, 1 - auc)`. A category that only "
            "the validation customers have maps to NaN: `fillna` with the training churn rate.",
        ],
        correct_message="Now screen the chapter's data with the leaky column added.",
    )
