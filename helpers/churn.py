"""The churn project's production code: validate raw customers, predict, explain, save, watch.

Churn chapter ("From notebook to production"): the training data and every later
request go through the *same* validation (:func:`validate_customer`), so the model
never sees a value of a type or category it was not trained on, and a bad request fails
with an error that names the offending field instead of a shape error deep inside NumPy.
Shared code prevents *code* skew only: values that are valid but unlike the training
data (a tenure of 90 months, a price rise) are flagged with warnings and watched with
the population stability index (:func:`training_profile`, :func:`drift_report`).

:class:`ChurnPredictor` bundles the fitted preprocessing (a scikit-learn
``ColumnTransformer``) with a model (any scikit-learn classifier with
``predict_proba``, or a Keras model with one sigmoid output), turns probabilities into
risk tiers and offers, and saves itself to a directory (with a model card in
``settings.json``) that :meth:`ChurnPredictor.load` reads back.

This module never imports PyTorch. A serving process loads a saved Keras model with a
plain ``import keras``: the "torch before TensorFlow" rule of ``helpers.frameworks`` is
about notebooks that use both frameworks, not about serving one model.
"""

from __future__ import annotations

import hashlib
import json
import math
import numbers
import platform
import re
import sys
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
import sklearn
from sklearn.compose import ColumnTransformer
from sklearn.preprocessing import OneHotEncoder, StandardScaler

ID_FIELD = "customerID"
TARGET = "Churn"
NUMERIC = ("tenure", "MonthlyCharges", "TotalCharges")
CHARGES = ("MonthlyCharges", "TotalCharges")
BINARY = ("SeniorCitizen",)  # already 0/1 in the CSV
CATEGORIES: dict[str, tuple[str, ...]] = {
    "gender": ("Female", "Male"),
    "Partner": ("No", "Yes"),
    "Dependents": ("No", "Yes"),
    "PhoneService": ("No", "Yes"),
    "MultipleLines": ("No", "No phone service", "Yes"),
    "InternetService": ("DSL", "Fiber optic", "No"),
    "OnlineSecurity": ("No", "No internet service", "Yes"),
    "OnlineBackup": ("No", "No internet service", "Yes"),
    "DeviceProtection": ("No", "No internet service", "Yes"),
    "TechSupport": ("No", "No internet service", "Yes"),
    "StreamingTV": ("No", "No internet service", "Yes"),
    "StreamingMovies": ("No", "No internet service", "Yes"),
    "Contract": ("Month-to-month", "One year", "Two year"),
    "PaperlessBilling": ("No", "Yes"),
    "PaymentMethod": (
        "Bank transfer (automatic)", "Credit card (automatic)",
        "Electronic check", "Mailed check",
    ),
}
FEATURES: tuple[str, ...] = NUMERIC + BINARY + tuple(CATEGORIES)
# Values beyond these are not customers but broken records, and are rejected: nobody has
# been a customer for more than 100 years or pays $10,000 a month for a phone line.
# Values inside them but outside the training data are accepted with a warning.
PLAUSIBLE_MAX: dict[str, float] = {
    "tenure": 1200, "MonthlyCharges": 10_000.0, "TotalCharges": 1200 * 10_000.0,
}
# Risk tiers of the source material: above 0.70 high, above 0.40 medium, else low.
RISK_TIERS: tuple[tuple[float, str], ...] = ((0.70, "high"), (0.40, "medium"))
FORMAT_VERSION = 2
# Population stability index: below 0.1 stable, 0.1-0.25 worth a look, above 0.25 a shift.
PSI_WATCH, PSI_ALARM = 0.10, 0.25
_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


class ChurnInputError(ValueError):
    """A customer record is unusable; ``field`` names the offending field (or ``None``)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _check_range(name: str, value: float, unit: str) -> None:
    if value < 0:
        raise ChurnInputError(f"{name} cannot be negative, got {value!r}", name)
    if value > PLAUSIBLE_MAX[name]:
        raise ChurnInputError(
            f"{name} of {value:g} {unit} is not plausible (at most {PLAUSIBLE_MAX[name]:g}); "
            "check the record's units and source",
            name,
        )


def _charge(name: str, value: Any, tenure: int) -> float:
    """A charge in dollars: a JSON number, or the CSV's text form of one ("29.85")."""
    if isinstance(value, str):
        text = value.strip()
        if text == "" and name == "TotalCharges":
            if tenure != 0:
                raise ChurnInputError(
                    f"TotalCharges is blank but tenure is {tenure}; only a customer "
                    "in month 0 (nothing billed yet) may have a blank TotalCharges",
                    name,
                )
            return 0.0
        if not _DECIMAL.fullmatch(text):
            raise ChurnInputError(
                f"{name} must be a number or a decimal string such as '29.85', got {value!r}",
                name,
            )
        value = float(text)
    elif not _is_number(value):
        raise ChurnInputError(
            f"{name} must be a number or a decimal string such as '29.85', "
            f"got {type(value).__name__} {value!r}",
            name,
        )
    value = float(value)
    if not math.isfinite(value):
        raise ChurnInputError(f"{name} must be a finite number, got {value!r}", name)
    _check_range(name, value, "dollars")
    return value


def validate_customer(customer: Mapping[str, Any]) -> dict[str, Any]:
    """Check one raw customer record and return its clean features (Churn chapter, "Validation").

    The contract, the same for Python callers and JSON clients:

    - ``tenure`` (months) and ``SeniorCitizen`` (0 or 1) are whole numbers;
    - both charges, ``MonthlyCharges`` and ``TotalCharges``, are numbers *or* decimal
      strings (the CSV stores ``TotalCharges`` as text); a blank ``TotalCharges`` is
      allowed only for a customer in month 0 (nothing billed yet) and becomes 0.0;
    - numbers are finite, not negative and plausible (:data:`PLAUSIBLE_MAX`);
    - the other 15 fields are category names from :data:`CATEGORIES`;
    - ``customerID`` is optional text and is not a feature; no other field is allowed.

    Anything else raises :class:`ChurnInputError` naming the field.
    """
    if not isinstance(customer, Mapping):
        raise ChurnInputError(
            "a customer must be a dict (a JSON object) of field -> value, "
            f"got {type(customer).__name__}"
        )
    missing = [name for name in FEATURES if name not in customer]
    unexpected = [name for name in customer if name not in FEATURES and name != ID_FIELD]
    if missing:
        also = f" (all missing: {missing})" if len(missing) > 1 else ""
        if unexpected:
            also += f"; unexpected fields {unexpected}: misspelt?"
        raise ChurnInputError(f"missing field {missing[0]!r}{also}", missing[0])
    if unexpected:
        raise ChurnInputError(
            f"unexpected field {unexpected[0]!r}; expected only {list(FEATURES)} "
            f"and optionally {ID_FIELD!r}",
            str(unexpected[0]),
        )
    identifier = customer.get(ID_FIELD)
    if identifier is not None and not isinstance(identifier, str):
        raise ChurnInputError(
            f"{ID_FIELD} must be text, got {type(identifier).__name__} {identifier!r}", ID_FIELD
        )
    clean: dict[str, Any] = {}

    tenure = customer["tenure"]
    if not _is_number(tenure) or not float(tenure).is_integer():
        raise ChurnInputError(
            f"tenure must be a whole number of months, got {type(tenure).__name__} {tenure!r}",
            "tenure",
        )
    clean["tenure"] = int(tenure)
    _check_range("tenure", clean["tenure"], "months")
    for name in CHARGES:
        clean[name] = _charge(name, customer[name], clean["tenure"])

    senior = customer["SeniorCitizen"]
    if not _is_number(senior) or senior not in (0, 1):
        raise ChurnInputError(
            f"SeniorCitizen must be 0 or 1, got {type(senior).__name__} {senior!r}",
            "SeniorCitizen",
        )
    clean["SeniorCitizen"] = int(senior)

    for name, allowed in CATEGORIES.items():
        value = customer[name]
        if not isinstance(value, str):
            raise ChurnInputError(
                f"{name} must be text, one of {list(allowed)}; got {type(value).__name__} {value!r}",
                name,
            )
        if value not in allowed:
            raise ChurnInputError(
                f"unknown category {value!r} for {name}; expected one of {list(allowed)}", name
            )
        clean[name] = value
    return {name: clean[name] for name in FEATURES}


def validate_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Validate every row of a raw DataFrame; errors name the row and the field (Churn chapter).

    Row by row in Python: fine for thousands of rows; for millions, vectorise the checks.
    """
    if not isinstance(frame, pd.DataFrame):
        raise ChurnInputError(f"expected a pandas DataFrame, got {type(frame).__name__}")
    rows = []
    for label, record in zip(frame.index, frame.to_dict("records")):
        try:
            rows.append(validate_customer(record))
        except ChurnInputError as error:
            raise ChurnInputError(f"row {label!r}: {error}", error.field) from None
    return pd.DataFrame(rows, index=frame.index, columns=list(FEATURES))


def clean_telco(frame: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """Split the raw Telco table into validated features and 0/1 labels (Churn chapter, "The data")."""
    if TARGET not in frame.columns:
        raise ChurnInputError(f"the table has no {TARGET!r} column to learn from", TARGET)
    labels = frame[TARGET]
    bad = sorted(set(labels) - {"Yes", "No"})
    if bad:
        raise ChurnInputError(f"{TARGET} must be 'Yes' or 'No', found {bad}", TARGET)
    features = validate_frame(frame.drop(columns=[TARGET]))
    return features, (labels == "Yes").to_numpy(dtype=np.int64)


def make_preprocessor() -> ColumnTransformer:
    """Scale the numbers, keep SeniorCitizen, one-hot encode the categories (Churn chapter)."""
    return ColumnTransformer(
        [
            ("numeric", StandardScaler(), list(NUMERIC)),
            ("binary", "passthrough", list(BINARY)),
            (
                "categories",
                OneHotEncoder(
                    categories=[list(values) for values in CATEGORIES.values()],
                    drop="if_binary",
                    handle_unknown="error",
                    sparse_output=False,
                ),
                list(CATEGORIES),
            ),
        ],
        verbose_feature_names_out=False,
    )


def frame_sha256(frame: pd.DataFrame) -> str:
    """A checksum of a table's contents (values, index and column names), for the model card."""
    return hashlib.sha256(frame.to_csv().encode()).hexdigest()


def risk_tier(probability: float, tiers: Sequence[tuple[float, str]] = RISK_TIERS) -> str:
    """Name the risk tier of a churn probability: the first tier whose bound it exceeds, else 'low'."""
    if not 0.0 <= probability <= 1.0:
        raise ValueError(f"probability must lie in [0, 1], got {probability!r}")
    for bound, name in tiers:
        if probability > bound:
            return name
    return "low"


def cost_threshold(offer: float, lost_customer: float, save_rate: float) -> float:
    """The churn probability above which an offer pays (Churn chapter, "A threshold from costs").

    An offer costs ``offer`` and keeps a share ``save_rate`` of the churners who get it; a
    lost customer costs ``lost_customer``. Offering to a customer who churns with
    probability p costs ``offer + p (1 - save_rate) lost_customer`` on average, not
    offering costs ``p lost_customer``; the offer pays when
    ``p > offer / (save_rate * lost_customer)``.
    """
    if offer < 0 or lost_customer <= 0 or not 0 < save_rate <= 1:
        raise ValueError(
            "need offer >= 0, lost_customer > 0 and 0 < save_rate <= 1, got "
            f"{offer!r}, {lost_customer!r}, {save_rate!r}"
        )
    return min(1.0, offer / (save_rate * lost_customer))


def undo_class_weights(probability: np.ndarray, ratio: float) -> np.ndarray:
    """Map probabilities of a model trained with class weights w1/w0 = ``ratio`` back to real rates.

    Churn chapter, "Do we need class weights?": weighting the churners by ``ratio``
    multiplies the odds the model learns by ``ratio``; dividing the odds by it undoes that.
    """
    probability = np.asarray(probability, dtype=np.float64)
    return probability / (probability + (1.0 - probability) * ratio)


# --- what the training data looked like: ranges for warnings, bins for drift --------------


def _bin_counts(values: np.ndarray, edges: Sequence[float]) -> np.ndarray:
    """Counts in the bins (-inf, e0], (e0, e1], ..., (e_last, inf)."""
    index = np.searchsorted(np.asarray(edges, dtype=float), values, side="left")
    return np.bincount(index, minlength=len(edges) + 1)


def _quantile_edges(values: np.ndarray, bins: int) -> list[float]:
    edges = np.unique(np.quantile(values, np.linspace(0, 1, bins + 1)[1:-1]))
    return [float(e) for e in edges]


def _numeric_profile(values: np.ndarray, bins: int) -> dict[str, Any]:
    values = np.asarray(values, dtype=float)
    edges = _quantile_edges(values, bins)
    counts = _bin_counts(values, edges)
    return {"min": float(values.min()), "max": float(values.max()), "edges": edges,
            "fractions": (counts / counts.sum()).tolist()}


def _charges_ratio(features: pd.DataFrame) -> np.ndarray:
    billed = (features["tenure"] > 0) & (features["MonthlyCharges"] > 0)
    part = features[billed]
    return (part["TotalCharges"] / (part["tenure"] * part["MonthlyCharges"])).to_numpy(float)


def training_profile(features: pd.DataFrame, scores: np.ndarray | None = None,
                     bins: int = 10) -> dict[str, Any]:
    """Record what the training data looked like (Churn chapter, "Watching the inputs").

    ``features`` is the validated training table (:func:`validate_frame`), ``scores``
    the model's probabilities on it. For each number the profile keeps its range and
    ``bins`` quantile bins, for each category its share, for the model's scores their
    quantile bins, and the range of TotalCharges / (tenure x MonthlyCharges). The result
    is plain JSON; :class:`ChurnPredictor` stores it in ``settings.json``.
    """
    missing = [name for name in FEATURES if name not in features.columns]
    if missing:
        raise ChurnInputError(f"the training table lacks the fields {missing}", missing[0])
    ratio = _charges_ratio(features)
    profile: dict[str, Any] = {
        "rows": int(len(features)),
        "numeric": {name: _numeric_profile(features[name].to_numpy(), bins) for name in NUMERIC},
        # shares of each category (and of SeniorCitizen 0 / 1), keyed by their text
        "categories": {
            name: {str(value): float(np.mean(features[name].astype(str).to_numpy() == str(value)))
                   for value in allowed}
            for name, allowed in {**{b: (0, 1) for b in BINARY}, **CATEGORIES}.items()
        },
        "charges_ratio": {"min": float(ratio.min()), "max": float(ratio.max())},
    }
    if scores is not None:
        scores = np.asarray(scores, dtype=float).ravel()
        if scores.shape != (len(features),):
            raise ValueError(f"need one score per training row, got {scores.shape} for {len(features)}")
        profile["scores"] = _numeric_profile(scores, bins)
    return profile


def range_warnings(clean: Mapping[str, Any], profile: Mapping[str, Any] | None) -> list[str]:
    """Warnings for a validated customer unlike anything in the training data (empty if none).

    Out of range means outside the [min, max] seen in training for ``tenure`` and the
    charges, and a TotalCharges / (tenure x MonthlyCharges) ratio outside the training
    ratios (or a bill for a customer in month 0). The model still answers, but it is
    extrapolating, and the caller should know.
    """
    if not profile:
        return []
    found = []
    for name in NUMERIC:
        low, high = profile["numeric"][name]["min"], profile["numeric"][name]["max"]
        value = clean[name]
        if not low <= value <= high:
            found.append(f"{name} {value:g} is outside the training range [{low:g}, {high:g}]; "
                         "the model is extrapolating")
    tenure, monthly, total = clean["tenure"], clean["MonthlyCharges"], clean["TotalCharges"]
    if tenure == 0 and total > 0:
        found.append(f"TotalCharges {total:g} for a customer in month 0 (training customers in "
                     "month 0 had no bill yet)")
    elif tenure > 0 and monthly > 0:
        ratio = total / (tenure * monthly)
        low, high = profile["charges_ratio"]["min"], profile["charges_ratio"]["max"]
        if not low <= ratio <= high:
            found.append(f"TotalCharges {total:g} is inconsistent with tenure x MonthlyCharges = "
                         f"{tenure * monthly:g} (ratio {ratio:.2f}; training ratios lie in "
                         f"[{low:.2f}, {high:.2f}])")
    return found


def psi(expected: Sequence[float], actual: Sequence[float], floor: float = 1e-4) -> float:
    """Population stability index of two distributions over the same bins.

    ``PSI = sum_k (a_k - e_k) ln(a_k / e_k)`` over bin shares (each floored at ``floor``
    so an empty bin does not give infinity). 0 means identical; the usual reading is
    below 0.1 stable, 0.1-0.25 worth a look, above 0.25 a real shift.
    """
    e = np.maximum(np.asarray(expected, dtype=float), floor)
    a = np.maximum(np.asarray(actual, dtype=float), floor)
    if e.shape != a.shape:
        raise ValueError(f"expected and actual need the same bins, got {e.shape} and {a.shape}")
    return float(np.sum((a - e) * np.log(a / e)))


def _status(value: float) -> str:
    return "alarm" if value > PSI_ALARM else "watch" if value > PSI_WATCH else "stable"


def drift_report(profile: Mapping[str, Any], features: pd.DataFrame,
                 scores: np.ndarray | None = None) -> pd.DataFrame:
    """PSI of a batch of validated customers (and their scores) against the training profile.

    One row per field (and one for the model's score when both the profile and
    ``scores`` have them), sorted by PSI, with a status: "stable", "watch" or "alarm".
    """
    if len(features) < 2:
        raise ValueError("a drift check needs a batch of customers, not one")
    rows = []
    for name in NUMERIC:
        reference = profile["numeric"][name]
        counts = _bin_counts(features[name].to_numpy(float), reference["edges"])
        rows.append((name, psi(reference["fractions"], counts / counts.sum())))
    for name, shares in profile["categories"].items():
        values = features[name].astype(str).to_numpy()
        rows.append((name, psi(list(shares.values()), [np.mean(values == v) for v in shares])))
    if scores is not None and "scores" in profile:
        reference = profile["scores"]
        counts = _bin_counts(np.asarray(scores, dtype=float).ravel(), reference["edges"])
        rows.append(("churn score", psi(reference["fractions"], counts / counts.sum())))
    report = pd.DataFrame(rows, columns=["field", "PSI"]).set_index("field")
    report["status"] = [_status(v) for v in report["PSI"]]
    return report.sort_values("PSI", ascending=False)


# --- the predictor ---------------------------------------------------------------------


def _model_kind(model: Any) -> str:
    if hasattr(model, "predict_proba"):
        return "sklearn"
    keras = sys.modules.get("keras")
    if keras is not None and isinstance(model, keras.Model):
        return "keras"
    raise TypeError(
        "model must be a scikit-learn classifier with predict_proba or a Keras model, "
        f"got {type(model).__name__}"
    )


def library_versions(kind: str) -> dict[str, str]:
    """The versions a saved predictor depends on (recorded by ``save``, checked by ``load``)."""
    versions = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "scikit-learn": sklearn.__version__,
        "joblib": joblib.__version__,
    }
    if kind == "keras":
        import keras

        versions["keras"] = keras.__version__
        versions["keras backend"] = keras.backend.backend()
        backend_module = sys.modules.get(keras.backend.backend())
        if backend_module is not None and hasattr(backend_module, "__version__"):
            versions[keras.backend.backend()] = backend_module.__version__
    return versions


def _check_versions(saved: Mapping[str, str], kind: str) -> None:
    current = library_versions(kind)
    for name, version in saved.items():
        if name == "python" or name not in current:
            continue
        if current[name] != version:
            warnings.warn(
                f"saved with {name} {version}, loading with {current[name]}: predictions may "
                f"differ; install {name}=={version} or re-save the predictor with these versions",
                stacklevel=3,
            )


class _OneRowEncoder:
    """The fitted preprocessor's arithmetic for one customer, without scikit-learn's checks.

    ``ColumnTransformer.transform`` spends milliseconds checking a one-row input; a
    service answering one customer at a time pays that on every request. This encoder
    reads the fitted means, scales and one-hot columns of :func:`make_preprocessor`'s
    layout and repeats the same float64 arithmetic. :meth:`build` checks it against
    ``transform`` on probe customers covering every category and returns ``None`` (use
    scikit-learn) for any other preprocessor or any difference at all.
    """

    def __init__(self, preprocessor: ColumnTransformer) -> None:
        names = list(preprocessor.get_feature_names_out())
        scaler = preprocessor.named_transformers_["numeric"]
        self.width = len(names)
        self.mean, self.scale = np.asarray(scaler.mean_), np.asarray(scaler.scale_)
        self.numeric = [names.index(name) for name in NUMERIC]
        self.binary = [names.index(name) for name in BINARY]
        self.columns = {(name, value): names.index(f"{name}_{value}")
                        for name, allowed in CATEGORIES.items() for value in allowed
                        if f"{name}_{value}" in names}

    def encode(self, clean: Mapping[str, Any]) -> np.ndarray:
        row = np.zeros((1, self.width), dtype=np.float64)
        numbers = np.array([clean[name] for name in NUMERIC], dtype=np.float64)
        row[0, self.numeric] = (numbers - self.mean) / self.scale
        row[0, self.binary] = [clean[name] for name in BINARY]
        for name in CATEGORIES:
            column = self.columns.get((name, clean[name]))
            if column is not None:  # a dropped category (the "No" of a yes/no field) stays 0
                row[0, column] = 1.0
        return row.astype(np.float32)

    @classmethod
    def build(cls, preprocessor: ColumnTransformer) -> _OneRowEncoder | None:
        try:
            encoder = cls(preprocessor)
            longest = max(len(allowed) for allowed in CATEGORIES.values())
            probes = [{"tenure": 7 * i, "MonthlyCharges": 20.5 + 31 * i, "TotalCharges": 100.25 * i,
                       "SeniorCitizen": i % 2,
                       **{name: allowed[i % len(allowed)] for name, allowed in CATEGORIES.items()}}
                      for i in range(longest)]
            expected = preprocessor.transform(pd.DataFrame(probes, columns=list(FEATURES)))
            got = np.concatenate([encoder.encode(probe) for probe in probes])
            return encoder if np.array_equal(got, np.asarray(expected).astype(np.float32)) else None
        except (AttributeError, KeyError, ValueError, TypeError):
            return None


@dataclass
class ChurnPredictor:
    """Fitted preprocessing + model + risk tiers: the churn service (Churn chapter, "Production").

    ``threshold`` is the probability above which the business makes a retention offer
    (:func:`cost_threshold`). ``class_weight_ratio`` is w1/w0 of the class weights the
    model was trained with (1.0: none); the probabilities are corrected for it so that
    they estimate the real churn rate. ``profile`` (:func:`training_profile`) turns on
    out-of-range warnings and drift checks; ``model_card`` is free-form JSON describing
    the model (data, costs, metrics) that ``save`` writes next to it.
    """

    preprocessor: ColumnTransformer
    model: Any
    class_weight_ratio: float = 1.0
    threshold: float = 0.5
    tiers: tuple[tuple[float, str], ...] = RISK_TIERS
    profile: dict[str, Any] | None = None
    model_card: dict[str, Any] = field(default_factory=dict)
    kind: str = field(init=False)
    _encoder: _OneRowEncoder | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.kind = _model_kind(self.model)
        self._encoder = _OneRowEncoder.build(self.preprocessor)
        if not (math.isfinite(self.class_weight_ratio) and self.class_weight_ratio > 0):
            raise ValueError(f"class_weight_ratio must be positive, got {self.class_weight_ratio!r}")
        if not 0.0 <= self.threshold <= 1.0:
            raise ValueError(f"threshold must lie in [0, 1], got {self.threshold!r}")
        self.tiers = tuple((float(bound), str(name)) for bound, name in self.tiers)
        try:
            json.dumps(self.model_card)
        except TypeError as error:
            raise TypeError(f"model_card must be plain JSON (dicts, lists, text, numbers): {error}") from None

    @property
    def tier_names(self) -> tuple[str, ...]:
        return tuple(name for _, name in self.tiers) + ("low",)

    def predict_proba_clean(self, features: pd.DataFrame) -> np.ndarray:
        """Churn probabilities for rows that already passed validation (``validate_frame``)."""
        return self._score(self.preprocessor.transform(features).astype(np.float32))

    def _score(self, inputs: np.ndarray) -> np.ndarray:
        if self.kind == "sklearn":
            raw = self.model.predict_proba(inputs)[:, 1]
        else:
            raw = np.asarray(self.model(inputs, training=False)).reshape(-1)
        return undo_class_weights(raw, self.class_weight_ratio)

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        """Churn probabilities for the raw rows of ``frame`` (validated first)."""
        return self.predict_proba_clean(validate_frame(frame))

    def _result(self, identifier: Any, clean: Mapping[str, Any], probability: float) -> dict[str, Any]:
        probability = float(probability)
        return {
            ID_FIELD: identifier,
            "churn_probability": probability,
            "risk_tier": risk_tier(probability, self.tiers),
            "retention_offer": bool(probability > self.threshold),
            "warnings": range_warnings(clean, self.profile),
        }

    def predict_churn(self, customer: Mapping[str, Any]) -> dict[str, Any]:
        """Predict one raw customer: probability, risk tier, whether to make an offer, warnings."""
        clean = validate_customer(customer)  # errors name the field, without a row label
        if self._encoder is not None:  # the same numbers as transform, without its checks
            probability = self._score(self._encoder.encode(clean))[0]
        else:
            probability = self.predict_proba_clean(pd.DataFrame([clean], columns=list(FEATURES)))[0]
        return self._result(customer.get(ID_FIELD), clean, probability)

    def predict_many(self, records: Sequence[Any]) -> list[dict[str, Any]]:
        """Score a list of raw records; a bad record gets an error entry, the others a result.

        Each entry is ``{"index": i, "prediction": {...}, "error": None}`` or
        ``{"index": i, "prediction": None, "error": {"field": ..., "message": ...}}``, in
        the order of ``records``: one broken row does not stop a nightly batch.
        """
        entries: list[dict[str, Any]] = []
        good: list[tuple[int, Any, dict[str, Any]]] = []
        for index, record in enumerate(records):
            try:
                clean = validate_customer(record)
                good.append((index, record.get(ID_FIELD), clean))
                entries.append({"index": index, "prediction": None, "error": None})
            except ChurnInputError as error:
                entries.append({"index": index, "prediction": None,
                                "error": {"field": error.field, "message": str(error)}})
        if good:
            frame = pd.DataFrame([clean for _, _, clean in good], columns=list(FEATURES))
            for (index, identifier, clean), p in zip(good, self.predict_proba_clean(frame)):
                entries[index]["prediction"] = self._result(identifier, clean, p)
        return entries

    def predict_churn_batch(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Predict every row of a raw DataFrame (raising on the first bad row); same columns as
        :meth:`predict_churn`."""
        clean = validate_frame(frame)
        probabilities = self.predict_proba_clean(clean)
        ids = frame[ID_FIELD] if ID_FIELD in frame.columns else pd.Series(None, index=frame.index)
        return pd.DataFrame(
            {
                ID_FIELD: ids.to_numpy(),
                "churn_probability": probabilities,
                "risk_tier": [risk_tier(p, self.tiers) for p in probabilities],
                "retention_offer": probabilities > self.threshold,
                "warnings": [range_warnings(row, self.profile)
                             for row in clean.to_dict("records")],
            },
            index=frame.index,
        )

    def settings(self) -> dict[str, Any]:
        """What ``save`` writes to ``settings.json``: the model card of this predictor."""
        return {
            "format_version": FORMAT_VERSION,
            "kind": self.kind,
            "model_file": "model.joblib" if self.kind == "sklearn" else "model.keras",
            "features": list(FEATURES),
            "categories": {name: list(values) for name, values in CATEGORIES.items()},
            "class_weight_ratio": self.class_weight_ratio,
            "threshold": self.threshold,
            "tiers": [list(tier) for tier in self.tiers],
            "versions": library_versions(self.kind),
            "model_card": self.model_card,
            "training_profile": self.profile,
        }

    def save(self, directory: str | Path) -> Path:
        """Write preprocessing, model and settings into ``directory`` (created if needed)."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        settings = self.settings()
        joblib.dump(self.preprocessor, directory / "preprocessor.joblib")
        if self.kind == "sklearn":
            joblib.dump(self.model, directory / settings["model_file"])
        else:
            self.model.save(directory / settings["model_file"])
        (directory / "settings.json").write_text(json.dumps(settings, indent=2))
        return directory

    @classmethod
    def load(cls, directory: str | Path) -> ChurnPredictor:
        """Read a predictor written by :meth:`save` (only load directories you trust: joblib runs code).

        Needs scikit-learn, and Keras for a Keras model (``import keras``); never PyTorch.
        Warns when a library version differs from the one recorded at saving time.
        """
        directory = Path(directory)
        settings_path = directory / "settings.json"
        if not settings_path.is_file():
            raise FileNotFoundError(f"{settings_path} not found: not a saved ChurnPredictor")
        settings = json.loads(settings_path.read_text())
        if settings.get("format_version") != FORMAT_VERSION:
            raise ValueError(
                f"saved with format {settings.get('format_version')!r}, this code reads "
                f"{FORMAT_VERSION}: re-save the predictor with this version of helpers.churn"
            )
        if settings["features"] != list(FEATURES) or settings["categories"] != {
            name: list(values) for name, values in CATEGORIES.items()
        }:
            raise ValueError("the saved model expects a different set of fields or categories")
        _check_versions(settings["versions"], settings["kind"])
        preprocessor = joblib.load(directory / "preprocessor.joblib")
        if settings["kind"] == "sklearn":
            model = joblib.load(directory / settings["model_file"])
        else:
            import keras  # a plain import: serving needs no PyTorch (see the module docstring)

            model = keras.models.load_model(directory / settings["model_file"])
        return cls(
            preprocessor,
            model,
            class_weight_ratio=settings["class_weight_ratio"],
            threshold=settings["threshold"],
            tiers=tuple((bound, name) for bound, name in settings["tiers"]),
            profile=settings.get("training_profile"),
            model_card=settings.get("model_card", {}),
        )
