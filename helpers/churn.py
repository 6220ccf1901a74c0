"""The churn project's production code: validate raw customers, predict, save and reload.

Churn project chapter ("From notebook to production"): the training data and every
later request go through the *same* validation (:func:`validate_customer`), so the
model never sees a value it was not trained on, and a bad request fails with an error
that names the offending field instead of a shape error deep inside NumPy.

:class:`ChurnPredictor` bundles the fitted preprocessing (a scikit-learn
``ColumnTransformer``) with a model (any scikit-learn classifier with
``predict_proba``, or a Keras model with one sigmoid output), turns probabilities into
risk tiers, and saves itself to a directory that :meth:`ChurnPredictor.load` reads back.
"""

from __future__ import annotations

import json
import math
import numbers
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
# Risk tiers of the source material: above 0.70 high, above 0.40 medium, else low.
RISK_TIERS: tuple[tuple[float, str], ...] = ((0.70, "high"), (0.40, "medium"))
FORMAT_VERSION = 1


class ChurnInputError(ValueError):
    """A customer record is unusable; ``field`` names the offending field (or ``None``)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _number(name: str, value: Any) -> float:
    if not _is_number(value):
        raise ChurnInputError(
            f"{name} must be a number, got {type(value).__name__} {value!r}", name
        )
    value = float(value)
    if not math.isfinite(value):
        raise ChurnInputError(f"{name} must be a finite number, got {value!r}", name)
    if value < 0:
        raise ChurnInputError(f"{name} cannot be negative, got {value!r}", name)
    return value


def validate_customer(customer: Mapping[str, Any]) -> dict[str, Any]:
    """Check one raw customer record and return its clean features (Churn chapter, "Validation").

    ``customer`` holds the fields as ``helpers.data.load_telco`` reads them from the CSV
    (``tenure`` and ``SeniorCitizen`` whole numbers, ``MonthlyCharges`` a number,
    ``TotalCharges`` text or a number, the rest category names); ``customerID`` is
    optional and ignored. A blank ``TotalCharges`` is allowed only for a customer in
    month 0 (nothing billed yet) and becomes 0.0. Anything else raises
    :class:`ChurnInputError` naming the field.
    """
    if not isinstance(customer, Mapping):
        raise ChurnInputError(
            f"a customer must be a dict of field -> value, got {type(customer).__name__}"
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
    clean: dict[str, Any] = {}

    tenure = customer["tenure"]
    if not _is_number(tenure) or not float(tenure).is_integer():
        raise ChurnInputError(
            f"tenure must be a whole number of months, got {type(tenure).__name__} {tenure!r}",
            "tenure",
        )
    if tenure < 0:
        raise ChurnInputError(f"tenure cannot be negative, got {tenure!r}", "tenure")
    clean["tenure"] = int(tenure)
    clean["MonthlyCharges"] = _number("MonthlyCharges", customer["MonthlyCharges"])

    total = customer["TotalCharges"]
    if isinstance(total, str):
        text = total.strip()
        if text == "":
            if clean["tenure"] != 0:
                raise ChurnInputError(
                    f"TotalCharges is blank but tenure is {clean['tenure']}; only a customer "
                    "in month 0 (nothing billed yet) may have a blank TotalCharges",
                    "TotalCharges",
                )
            total = 0.0
        else:
            try:
                total = float(text)
            except ValueError:
                raise ChurnInputError(
                    f"TotalCharges must be a number (or blank in month 0), got {total!r}",
                    "TotalCharges",
                ) from None
    clean["TotalCharges"] = _number("TotalCharges", total)

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
    """Validate every row of a raw DataFrame; errors name the row and the field (Churn chapter)."""
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


def risk_tier(probability: float, tiers: Sequence[tuple[float, str]] = RISK_TIERS) -> str:
    """Name the risk tier of a churn probability: the first tier whose bound it exceeds, else 'low'."""
    if not 0.0 <= probability <= 1.0:
        raise ValueError(f"probability must lie in [0, 1], got {probability!r}")
    for bound, name in tiers:
        if probability > bound:
            return name
    return "low"


def undo_class_weights(probability: np.ndarray, ratio: float) -> np.ndarray:
    """Map probabilities of a model trained with class weights w1/w0 = ``ratio`` back to real rates.

    Churn chapter, "Calibration": weighting the churners by ``ratio`` multiplies the
    odds the model learns by ``ratio``; dividing the odds by it undoes that.
    """
    probability = np.asarray(probability, dtype=np.float64)
    return probability / (probability + (1.0 - probability) * ratio)


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


@dataclass
class ChurnPredictor:
    """Fitted preprocessing + model + risk tiers: the churn service (Churn chapter, "Production").

    ``class_weight_ratio`` is w1/w0 of the class weights the model was trained with;
    the probabilities are corrected for it (odds divided by the ratio) so that they
    estimate the real churn rate. ``threshold`` is the probability above which the
    business makes a retention offer.
    """

    preprocessor: ColumnTransformer
    model: Any
    class_weight_ratio: float = 1.0
    threshold: float = 0.5
    tiers: tuple[tuple[float, str], ...] = RISK_TIERS
    kind: str = field(init=False)

    def __post_init__(self) -> None:
        self.kind = _model_kind(self.model)
        if not (math.isfinite(self.class_weight_ratio) and self.class_weight_ratio > 0):
            raise ValueError(f"class_weight_ratio must be positive, got {self.class_weight_ratio!r}")
        if not 0.0 <= self.threshold <= 1.0:
            raise ValueError(f"threshold must lie in [0, 1], got {self.threshold!r}")
        self.tiers = tuple((float(bound), str(name)) for bound, name in self.tiers)

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        """Churn probabilities for the raw rows of ``frame`` (validated first)."""
        inputs = self.preprocessor.transform(validate_frame(frame)).astype(np.float32)
        if self.kind == "sklearn":
            raw = self.model.predict_proba(inputs)[:, 1]
        else:
            raw = np.asarray(self.model(inputs, training=False)).reshape(-1)
        return undo_class_weights(raw, self.class_weight_ratio)

    def predict_churn(self, customer: Mapping[str, Any]) -> dict[str, Any]:
        """Predict one raw customer: probability, risk tier and whether to make an offer."""
        validate_customer(customer)  # errors name the field, without a row label
        probability = float(self.predict_proba(pd.DataFrame([dict(customer)]))[0])
        return {
            ID_FIELD: customer.get(ID_FIELD),
            "churn_probability": probability,
            "risk_tier": risk_tier(probability, self.tiers),
            "retention_offer": probability >= self.threshold,
        }

    def predict_churn_batch(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Predict every row of a raw DataFrame; same columns as :meth:`predict_churn`."""
        probabilities = self.predict_proba(frame)
        ids = frame[ID_FIELD] if ID_FIELD in frame.columns else pd.Series(None, index=frame.index)
        return pd.DataFrame(
            {
                ID_FIELD: ids.to_numpy(),
                "churn_probability": probabilities,
                "risk_tier": [risk_tier(p, self.tiers) for p in probabilities],
                "retention_offer": probabilities >= self.threshold,
            },
            index=frame.index,
        )

    def save(self, directory: str | Path) -> Path:
        """Write preprocessing, model and settings into ``directory`` (created if needed)."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        joblib.dump(self.preprocessor, directory / "preprocessor.joblib")
        versions = {"scikit-learn": sklearn.__version__}
        if self.kind == "sklearn":
            model_file = "model.joblib"
            joblib.dump(self.model, directory / model_file)
        else:
            import keras

            model_file = "model.keras"
            self.model.save(directory / model_file)
            versions["keras"] = keras.__version__
        settings = {
            "format_version": FORMAT_VERSION,
            "kind": self.kind,
            "model_file": model_file,
            "features": list(FEATURES),
            "categories": {name: list(values) for name, values in CATEGORIES.items()},
            "class_weight_ratio": self.class_weight_ratio,
            "threshold": self.threshold,
            "tiers": [list(tier) for tier in self.tiers],
            "versions": versions,
        }
        (directory / "settings.json").write_text(json.dumps(settings, indent=2))
        return directory

    @classmethod
    def load(cls, directory: str | Path) -> ChurnPredictor:
        """Read a predictor written by :meth:`save` (only load directories you trust: joblib runs code)."""
        directory = Path(directory)
        settings_path = directory / "settings.json"
        if not settings_path.is_file():
            raise FileNotFoundError(f"{settings_path} not found: not a saved ChurnPredictor")
        settings = json.loads(settings_path.read_text())
        if settings.get("format_version") != FORMAT_VERSION:
            raise ValueError(
                f"saved with format {settings.get('format_version')!r}, this code reads {FORMAT_VERSION}"
            )
        if settings["features"] != list(FEATURES) or settings["categories"] != {
            name: list(values) for name, values in CATEGORIES.items()
        }:
            raise ValueError("the saved model expects a different set of fields or categories")
        saved_sklearn = settings["versions"]["scikit-learn"]
        if saved_sklearn != sklearn.__version__:
            warnings.warn(
                f"saved with scikit-learn {saved_sklearn}, loading with {sklearn.__version__}",
                stacklevel=2,
            )
        preprocessor = joblib.load(directory / "preprocessor.joblib")
        if settings["kind"] == "sklearn":
            model = joblib.load(directory / settings["model_file"])
        else:
            from helpers.frameworks import keras  # torch before tensorflow, see that module

            model = keras.models.load_model(directory / settings["model_file"])
        return cls(
            preprocessor,
            model,
            class_weight_ratio=settings["class_weight_ratio"],
            threshold=settings["threshold"],
            tiers=tuple((bound, name) for bound, name in settings["tiers"]),
        )
