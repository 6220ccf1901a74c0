"""Unit tests for helpers.churn: every validation error, cleaning, tiers, save and reload."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from helpers import churn
from helpers.churn import (
    CATEGORIES,
    FEATURES,
    ChurnInputError,
    ChurnPredictor,
    clean_telco,
    make_preprocessor,
    risk_tier,
    validate_customer,
    validate_frame,
)

# The first customer of the IBM file, exactly as load_telco reads it.
CUSTOMER = {
    "customerID": "7590-VHVEG", "gender": "Female", "SeniorCitizen": 0, "Partner": "Yes",
    "Dependents": "No", "tenure": 1, "PhoneService": "No", "MultipleLines": "No phone service",
    "InternetService": "DSL", "OnlineSecurity": "No", "OnlineBackup": "Yes",
    "DeviceProtection": "No", "TechSupport": "No", "StreamingTV": "No", "StreamingMovies": "No",
    "Contract": "Month-to-month", "PaperlessBilling": "Yes", "PaymentMethod": "Electronic check",
    "MonthlyCharges": 29.85, "TotalCharges": "29.85",
}


def with_(**changes):
    customer = dict(CUSTOMER)
    customer.update(changes)
    return customer


def raises_for(field, customer, match):
    with pytest.raises(ChurnInputError, match=match) as info:
        validate_customer(customer)
    assert info.value.field == field
    assert isinstance(info.value, ValueError)
    return info.value


def test_valid_customer_is_cleaned():
    clean = validate_customer(CUSTOMER)
    assert list(clean) == list(FEATURES)  # customerID dropped, fixed order
    assert clean["TotalCharges"] == 29.85 and isinstance(clean["TotalCharges"], float)
    assert clean["tenure"] == 1 and clean["SeniorCitizen"] == 0


def test_numpy_scalars_and_integral_floats_are_accepted():
    clean = validate_customer(with_(tenure=np.int64(5), MonthlyCharges=np.float32(20.5),
                                    TotalCharges=102.5, SeniorCitizen=np.int64(1)))
    assert clean["tenure"] == 5 and clean["SeniorCitizen"] == 1
    assert validate_customer(with_(tenure=5.0))["tenure"] == 5


def test_blank_total_charges_in_month_zero_becomes_zero():
    assert validate_customer(with_(tenure=0, TotalCharges=" "))["TotalCharges"] == 0.0


def test_blank_total_charges_after_month_zero_is_an_error():
    raises_for("TotalCharges", with_(tenure=3, TotalCharges=" "), "blank but tenure is 3")


@pytest.mark.parametrize("name", ["tenure", "Contract", "TotalCharges", "SeniorCitizen"])
def test_missing_field(name):
    customer = dict(CUSTOMER)
    del customer[name]
    raises_for(name, customer, f"missing field '{name}'")


def test_unexpected_field():
    raises_for("Tenure", with_(Tenure=3), "unexpected field 'Tenure'")


def test_misspelt_field_is_reported_as_missing_with_a_hint():
    customer = dict(CUSTOMER)
    customer["Gender"] = customer.pop("gender")
    error = raises_for("gender", customer, "missing field 'gender'; unexpected fields")
    assert "'Gender'" in str(error) and "all missing" not in str(error)


def test_several_missing_fields_are_all_listed():
    customer = {k: v for k, v in CUSTOMER.items() if k not in ("tenure", "Contract")}
    raises_for("tenure", customer, r"all missing: \['tenure', 'Contract'\]")


def test_customer_id_is_optional():
    customer = dict(CUSTOMER)
    del customer["customerID"]
    assert validate_customer(customer) == validate_customer(CUSTOMER)


@pytest.mark.parametrize(
    "name, value",
    [("Contract", "Monthly"), ("InternetService", "fiber optic"), ("gender", "F"),
     ("PaymentMethod", "Cash")],
)
def test_unknown_category(name, value):
    error = raises_for(name, with_(**{name: value}), f"unknown category '{value}' for {name}")
    assert repr(CATEGORIES[name][0]) in str(error)  # the message lists what is allowed


@pytest.mark.parametrize("name, value", [("Contract", 1), ("Partner", True), ("gender", None)])
def test_category_of_wrong_type(name, value):
    raises_for(name, with_(**{name: value}), f"{name} must be text")


def test_negative_tenure():
    raises_for("tenure", with_(tenure=-1), "tenure cannot be negative")


@pytest.mark.parametrize("value", ["12", 12.5, True, None, float("nan")])
def test_tenure_of_wrong_type(value):
    raises_for("tenure", with_(tenure=value), "tenure must be a whole number")


@pytest.mark.parametrize("value", ["29.85", None, True])
def test_monthly_charges_of_wrong_type(value):
    raises_for("MonthlyCharges", with_(MonthlyCharges=value), "MonthlyCharges must be a number")


@pytest.mark.parametrize("value", [float("nan"), math.inf])
def test_monthly_charges_not_finite(value):
    raises_for("MonthlyCharges", with_(MonthlyCharges=value), "finite")


def test_negative_monthly_charges():
    raises_for("MonthlyCharges", with_(MonthlyCharges=-5.0), "cannot be negative")


@pytest.mark.parametrize("value, match", [("abc", "must be a number"), ("-3", "cannot be negative"),
                                          ([1], "must be a number"), ("nan", "finite")])
def test_bad_total_charges(value, match):
    raises_for("TotalCharges", with_(TotalCharges=value), match)


@pytest.mark.parametrize("value", [2, -1, "0", 0.5, True])
def test_bad_senior_citizen(value):
    raises_for("SeniorCitizen", with_(SeniorCitizen=value), "SeniorCitizen must be 0 or 1")


def test_not_a_dict():
    with pytest.raises(ChurnInputError, match="must be a dict"):
        validate_customer([("tenure", 1)])


def test_validate_frame_names_row_and_field():
    frame = pd.DataFrame([CUSTOMER, with_(tenure=-2)], index=["a", "b"])
    with pytest.raises(ChurnInputError, match=r"row 'b': tenure cannot be negative") as info:
        validate_frame(frame)
    assert info.value.field == "tenure"
    with pytest.raises(ChurnInputError, match="expected a pandas DataFrame"):
        validate_frame([CUSTOMER])


def telco_like(n=60, seed=0):
    """A small random table with the Telco columns and a learnable churn signal."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        row = {name: str(rng.choice(values)) for name, values in CATEGORIES.items()}
        tenure = int(rng.integers(0, 72))
        monthly = float(np.round(rng.uniform(20, 110), 2))
        row.update(customerID=f"id-{i}", SeniorCitizen=int(rng.integers(0, 2)), tenure=tenure,
                   MonthlyCharges=monthly,
                   TotalCharges=" " if tenure == 0 else f"{tenure * monthly:.2f}")
        churned = row["Contract"] == "Month-to-month" and tenure < 30
        row["Churn"] = "Yes" if churned or i % 11 == 0 else "No"
        rows.append(row)
    return pd.DataFrame(rows)


def test_clean_telco_and_preprocessor():
    frame = telco_like()
    X, y = clean_telco(frame)
    assert list(X.columns) == list(FEATURES) and len(X) == len(frame)
    assert set(np.unique(y)) == {0, 1} and y.dtype == np.int64
    assert X["TotalCharges"].dtype == np.float64
    Z = make_preprocessor().fit(X).transform(X)
    # 3 numbers + SeniorCitizen + 5 yes/no fields (one column each) + 31 one-hot columns
    assert Z.shape == (len(frame), 3 + 1 + 5 + 31)
    with pytest.raises(ChurnInputError, match="'Yes' or 'No'"):
        clean_telco(frame.assign(Churn="maybe"))
    with pytest.raises(ChurnInputError, match="no 'Churn' column"):
        clean_telco(frame.drop(columns="Churn"))


def test_risk_tiers_follow_the_source_thresholds():
    assert risk_tier(0.71) == "high" and risk_tier(0.70) == "medium"
    assert risk_tier(0.41) == "medium" and risk_tier(0.40) == "low" and risk_tier(0.0) == "low"
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        risk_tier(1.2)


def fitted_predictor(ratio=2.0, threshold=0.3):
    X, y = clean_telco(telco_like(120))
    preprocessor = make_preprocessor().fit(X)
    model = LogisticRegression(max_iter=1000).fit(preprocessor.transform(X), y)
    return ChurnPredictor(preprocessor, model, class_weight_ratio=ratio, threshold=threshold)


def test_prior_correction_divides_the_odds():
    predictor = fitted_predictor(ratio=3.0)
    frame = telco_like(10, seed=1).drop(columns="Churn")
    raw = ChurnPredictor(predictor.preprocessor, predictor.model).predict_proba(frame)
    corrected = predictor.predict_proba(frame)
    np.testing.assert_allclose(corrected / (1 - corrected), raw / (1 - raw) / 3.0, rtol=1e-9)


def test_predict_one_and_batch_agree():
    predictor = fitted_predictor()
    frame = telco_like(15, seed=2).drop(columns="Churn")
    batch = predictor.predict_churn_batch(frame)
    assert list(batch.columns) == ["customerID", "churn_probability", "risk_tier", "retention_offer"]
    for record, (_, row) in zip(frame.to_dict("records"), batch.iterrows()):
        one = predictor.predict_churn(record)
        assert one["customerID"] == row["customerID"]
        assert one["churn_probability"] == pytest.approx(row["churn_probability"], abs=1e-12)
        assert one["risk_tier"] == row["risk_tier"] == risk_tier(one["churn_probability"])
        assert one["retention_offer"] == (one["churn_probability"] >= 0.3)
    with pytest.raises(ChurnInputError, match="unknown category") as info:
        predictor.predict_churn(with_(Contract="Weekly"))
    assert info.value.field == "Contract"


def test_save_and_load_give_identical_predictions(tmp_path):
    predictor = fitted_predictor()
    frame = telco_like(30, seed=3).drop(columns="Churn")
    predictor.save(tmp_path / "model")
    reloaded = ChurnPredictor.load(tmp_path / "model")
    assert reloaded is not predictor and reloaded.kind == "sklearn"
    assert (reloaded.threshold, reloaded.class_weight_ratio, reloaded.tiers) == (
        predictor.threshold, predictor.class_weight_ratio, predictor.tiers)
    np.testing.assert_array_equal(reloaded.predict_proba(frame), predictor.predict_proba(frame))


def test_load_rejects_other_directories_and_versions(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a saved ChurnPredictor"):
        ChurnPredictor.load(tmp_path)
    predictor = fitted_predictor()
    predictor.save(tmp_path)
    settings = (tmp_path / "settings.json").read_text()
    (tmp_path / "settings.json").write_text(settings.replace('"scikit-learn": "', '"scikit-learn": "0.0-'))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ChurnPredictor.load(tmp_path)
    assert any("saved with scikit-learn 0.0-" in str(w.message) for w in caught)
    (tmp_path / "settings.json").write_text(settings.replace('"format_version": 1', '"format_version": 99'))
    with pytest.raises(ValueError, match="format 99"):
        ChurnPredictor.load(tmp_path)


def test_bad_predictor_settings():
    predictor = fitted_predictor()
    with pytest.raises(TypeError, match="predict_proba or a Keras model"):
        ChurnPredictor(predictor.preprocessor, object())
    with pytest.raises(ValueError, match="class_weight_ratio"):
        ChurnPredictor(predictor.preprocessor, predictor.model, class_weight_ratio=0.0)
    with pytest.raises(ValueError, match="threshold"):
        ChurnPredictor(predictor.preprocessor, predictor.model, threshold=1.5)


def test_keras_model_round_trip(tmp_path):
    from helpers.frameworks import keras

    keras.utils.set_random_seed(0)
    X, y = clean_telco(telco_like(80))
    preprocessor = make_preprocessor().fit(X)
    width = preprocessor.transform(X.iloc[:1]).shape[1]
    model = keras.Sequential([keras.layers.Input(shape=(width,)),
                              keras.layers.Dense(4, activation="relu"),
                              keras.layers.Dense(1, activation="sigmoid")])
    predictor = ChurnPredictor(preprocessor, model, class_weight_ratio=2.5)
    assert predictor.kind == "keras"
    frame = telco_like(20, seed=4).drop(columns="Churn")
    predictor.save(tmp_path / "net")
    assert (tmp_path / "net" / "model.keras").is_file()
    reloaded = ChurnPredictor.load(tmp_path / "net")
    assert reloaded.kind == "keras"
    np.testing.assert_array_equal(reloaded.predict_proba(frame), predictor.predict_proba(frame))


def test_module_constants_are_consistent():
    assert churn.FEATURES[:4] == ("tenure", "MonthlyCharges", "TotalCharges", "SeniorCitizen")
    assert len(FEATURES) == 19 and len(set(FEATURES)) == 19


def test_undo_class_weights():
    p = np.array([0.0, 0.5, 0.75, 1.0])
    np.testing.assert_allclose(churn.undo_class_weights(p, 1.0), p)
    # odds 1 -> 1/3 (probability 0.25); odds 3 -> 1 (probability 0.5)
    np.testing.assert_allclose(churn.undo_class_weights(p, 3.0), [0.0, 0.25, 0.5, 1.0])
