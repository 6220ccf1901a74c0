"""Unit tests for helpers.churn: every validation error, cleaning, tiers, warnings, drift, save and reload.

The HTTP service and the fresh-process (no PyTorch) loads are in tests/test_churn_service.py.
"""

from __future__ import annotations

import json
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
    cost_threshold,
    drift_report,
    make_preprocessor,
    psi,
    range_warnings,
    risk_tier,
    training_profile,
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


@pytest.mark.parametrize("value", [None, True, [1], {"x": 1}])
@pytest.mark.parametrize("name", ["MonthlyCharges", "TotalCharges"])
def test_charges_of_wrong_type(name, value):
    raises_for(name, with_(**{name: value}), f"{name} must be a number or a decimal string")


@pytest.mark.parametrize("name", ["MonthlyCharges", "TotalCharges"])
@pytest.mark.parametrize("value", [29.85, "29.85", " 29.85 ", "2.985e1", np.float64(29.85)])
def test_both_charges_accept_numbers_and_decimal_text_alike(name, value):
    """The JSON contract is symmetric: each charge may be a number or the CSV's text form."""
    assert validate_customer(with_(**{name: value}))[name] == pytest.approx(29.85, abs=1e-12)


@pytest.mark.parametrize("name", ["MonthlyCharges", "TotalCharges"])
@pytest.mark.parametrize("value", ["abc", "nan", "inf", "1_000", "29,85", "0x1F", "1e", ""])
def test_charges_reject_text_that_is_not_a_decimal(name, value):
    if value == "" and name == "TotalCharges":
        value = "  x"  # a blank TotalCharges has its own rule (month 0), tested above
    raises_for(name, with_(**{name: value}), f"{name} must be a number or a decimal string")


def test_blank_monthly_charges_is_an_error_even_in_month_zero():
    raises_for("MonthlyCharges", with_(tenure=0, TotalCharges=" ", MonthlyCharges=" "),
               "MonthlyCharges must be a number")


@pytest.mark.parametrize("name, value", [("tenure", 1201), ("tenure", 10**9),
                                         ("MonthlyCharges", 10_000.01), ("MonthlyCharges", 1e300),
                                         ("TotalCharges", "1e300")])
def test_absurd_values_are_rejected(name, value):
    raises_for(name, with_(**{name: value}), f"{name} of .* is not plausible")


def test_largest_plausible_values_are_accepted():
    clean = validate_customer(with_(tenure=1200, MonthlyCharges=10_000, TotalCharges=1.2e7))
    assert clean["tenure"] == 1200 and clean["TotalCharges"] == 1.2e7


@pytest.mark.parametrize("value", [5, 3.5, ["a"], True])
def test_customer_id_must_be_text(value):
    raises_for("customerID", with_(customerID=value), "customerID must be text")


@pytest.mark.parametrize("value", [float("nan"), math.inf])
def test_monthly_charges_not_finite(value):
    raises_for("MonthlyCharges", with_(MonthlyCharges=value), "finite")


def test_negative_monthly_charges():
    raises_for("MonthlyCharges", with_(MonthlyCharges=-5.0), "cannot be negative")


@pytest.mark.parametrize("value, match", [("abc", "must be a number"), ("-3", "cannot be negative"),
                                          ([1], "must be a number"), (math.nan, "finite"),
                                          (-math.inf, "finite")])
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
    assert predictor._encoder is not None  # the one-row fast path is on for the book's layout
    frame = telco_like(15, seed=2).drop(columns="Churn")
    batch = predictor.predict_churn_batch(frame)
    assert list(batch.columns) == ["customerID", "churn_probability", "risk_tier", "retention_offer",
                                   "warnings"]
    for record, (_, row) in zip(frame.to_dict("records"), batch.iterrows()):
        one = predictor.predict_churn(record)
        assert one["customerID"] == row["customerID"]
        assert one["churn_probability"] == pytest.approx(row["churn_probability"], abs=1e-12)
        assert one["risk_tier"] == row["risk_tier"] == risk_tier(one["churn_probability"])
        assert one["retention_offer"] == (one["churn_probability"] > 0.3) == row["retention_offer"]
        assert one["warnings"] == row["warnings"] == []  # no profile, no warnings
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
    (tmp_path / "settings.json").write_text(settings.replace('"format_version": 2', '"format_version": 99'))
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


@pytest.mark.slow  # imports PyTorch and TensorFlow
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


def test_one_row_encoder_matches_the_column_transformer_exactly():
    predictor = fitted_predictor()
    frame = validate_frame(telco_like(40, seed=5).drop(columns="Churn"))
    expected = predictor.preprocessor.transform(frame).astype(np.float32)
    got = np.concatenate([predictor._encoder.encode(row) for row in frame.to_dict("records")])
    np.testing.assert_array_equal(got, expected)


def test_one_row_encoder_refuses_another_layout():
    from sklearn.compose import ColumnTransformer
    from sklearn.preprocessing import MinMaxScaler, OneHotEncoder

    X, y = clean_telco(telco_like(120))
    other = ColumnTransformer([("numeric", MinMaxScaler(), list(churn.NUMERIC)),
                               ("categories", OneHotEncoder(sparse_output=False), list(CATEGORIES))])
    other.fit(X)
    predictor = ChurnPredictor(other, LogisticRegression(max_iter=500).fit(other.transform(X), y))
    assert predictor._encoder is None  # falls back to scikit-learn
    record = validate_customer(CUSTOMER)
    assert predictor.predict_churn(CUSTOMER)["churn_probability"] == pytest.approx(
        predictor.predict_proba(pd.DataFrame([record]))[0], abs=1e-12)


def test_cost_threshold():
    assert cost_threshold(100, 600, 0.5) == pytest.approx(1 / 3)
    assert cost_threshold(50, 600, 0.8) == pytest.approx(50 / 480)
    assert cost_threshold(500, 600, 0.5) == 1.0  # an offer dearer than what it saves: never
    for bad in [(-1, 600, 0.5), (100, 0, 0.5), (100, 600, 0.0), (100, 600, 1.5)]:
        with pytest.raises(ValueError, match="need offer"):
            cost_threshold(*bad)


def test_training_profile_records_ranges_shares_and_bins():
    X, _ = clean_telco(telco_like(200))
    scores = np.linspace(0, 1, len(X))
    profile = training_profile(X, scores)
    json.dumps(profile)  # plain JSON, ready for settings.json
    assert profile["rows"] == 200
    assert profile["numeric"]["tenure"]["max"] == X["tenure"].max()
    for part in list(profile["numeric"].values()) + [profile["scores"]]:
        assert len(part["fractions"]) == len(part["edges"]) + 1
        assert sum(part["fractions"]) == pytest.approx(1.0)
    assert set(profile["categories"]["Contract"]) == set(CATEGORIES["Contract"])
    assert sum(profile["categories"]["Contract"].values()) == pytest.approx(1.0)
    assert profile["charges_ratio"]["min"] <= 1.0 <= profile["charges_ratio"]["max"]
    with pytest.raises(ValueError, match="one score per training row"):
        training_profile(X, scores[:-1])
    with pytest.raises(ChurnInputError, match="lacks the fields"):
        training_profile(X.drop(columns="tenure"))


def test_range_warnings():
    X, _ = clean_telco(telco_like(200))
    profile = training_profile(X)
    inside = validate_customer(with_(tenure=10, MonthlyCharges=50.0, TotalCharges=500.0))
    assert range_warnings(inside, profile) == [] and range_warnings(inside, None) == []
    old = validate_customer(with_(tenure=500, MonthlyCharges=50.0, TotalCharges=25_000.0))
    found = range_warnings(old, profile)
    assert len(found) == 2 and found[0].startswith("tenure 500 is outside the training range [0, 71]")
    assert found[1].startswith("TotalCharges 25000 is outside the training range")
    pricey = range_warnings(validate_customer(with_(tenure=2, MonthlyCharges=900.0,
                                                    TotalCharges=1800.0)), profile)
    assert pricey == ["MonthlyCharges 900 is outside the training range "
                      f"[{X['MonthlyCharges'].min():g}, {X['MonthlyCharges'].max():g}]; "
                      "the model is extrapolating"]  # TotalCharges = 2 x 900 is consistent
    odd = range_warnings(validate_customer(with_(tenure=40, MonthlyCharges=50.0,
                                                 TotalCharges=60.0)), profile)
    assert odd == ["TotalCharges 60 is inconsistent with tenure x MonthlyCharges = 2000 "
                   "(ratio 0.03; training ratios lie in [1.00, 1.00])"]
    new = range_warnings(validate_customer(with_(tenure=0, TotalCharges=70.0)), profile)
    assert new == ["TotalCharges 70 for a customer in month 0 (training customers in month 0 had "
                   "no bill yet)"]


def test_psi():
    assert psi([0.5, 0.5], [0.5, 0.5]) == 0.0
    # the textbook formula: sum (a - e) ln(a / e)
    assert psi([0.2, 0.8], [0.4, 0.6]) == pytest.approx(0.2 * math.log(2) - 0.2 * math.log(0.6 / 0.8))
    assert math.isfinite(psi([0.5, 0.5], [1.0, 0.0]))  # an empty bin is floored, not infinite
    with pytest.raises(ValueError, match="same bins"):
        psi([0.5, 0.5], [1.0])


def test_drift_report_is_quiet_on_the_same_population_and_fires_on_a_price_rise():
    X, _ = clean_telco(telco_like(2000, seed=1))
    train, later = X.iloc[:1000], X.iloc[1000:].reset_index(drop=True)
    profile = training_profile(train, np.linspace(0, 1, len(train)))
    same = drift_report(profile, later, np.linspace(0, 1, len(later)))
    assert (same["status"] == "stable").all(), same
    assert set(same.index) == set(FEATURES) | {"churn score"}
    risen = later.assign(MonthlyCharges=later["MonthlyCharges"] * 1.3,
                         TotalCharges=later["TotalCharges"] * 1.3)
    shifted = drift_report(profile, risen, np.linspace(0, 1, len(later)) ** 0.5)
    assert shifted.loc["MonthlyCharges", "status"] == "alarm"
    assert shifted.loc["churn score", "status"] == "alarm"
    assert shifted.loc["Contract", "status"] == "stable"
    assert shifted.index[0] in ("MonthlyCharges", "churn score")  # sorted by PSI
    with pytest.raises(ValueError, match="a batch"):
        drift_report(profile, later.iloc[:1])


def test_predict_many_reports_errors_per_row():
    X, _ = clean_telco(telco_like(120))
    predictor = fitted_predictor()
    predictor.profile = training_profile(X)
    rows = [CUSTOMER, with_(tenure=-1), "not a customer", with_(Contract="Weekly"),
            with_(customerID="old", tenure=300, TotalCharges=300 * 29.85)]
    entries = predictor.predict_many(rows)
    assert [e["index"] for e in entries] == list(range(5))
    assert [e["error"] is None for e in entries] == [True, False, False, False, True]
    assert entries[1]["error"] == {"field": "tenure", "message": "tenure cannot be negative, got -1"}
    assert entries[2]["error"]["field"] is None and "must be a dict" in entries[2]["error"]["message"]
    assert entries[3]["error"]["field"] == "Contract"
    one = predictor.predict_churn(CUSTOMER)
    assert entries[0]["prediction"]["churn_probability"] == pytest.approx(one["churn_probability"])
    assert {**entries[0]["prediction"], "churn_probability": 0} == {**one, "churn_probability": 0}
    assert entries[4]["prediction"]["customerID"] == "old"
    assert "tenure 300 is outside" in entries[4]["prediction"]["warnings"][0]
    assert predictor.predict_many([]) == []


def test_settings_are_a_model_card(tmp_path):
    predictor = fitted_predictor()
    X, _ = clean_telco(telco_like(120))
    predictor.profile = training_profile(X)
    predictor.model_card = {"costs": {"offer": 100}, "validation": {"ROC-AUC": 0.8}}
    predictor.save(tmp_path)
    settings = json.loads((tmp_path / "settings.json").read_text())
    assert settings["model_card"] == predictor.model_card
    assert settings["training_profile"] == predictor.profile
    assert {"python", "numpy", "pandas", "scikit-learn", "joblib"} <= set(settings["versions"])
    reloaded = ChurnPredictor.load(tmp_path)
    assert reloaded.model_card == predictor.model_card and reloaded.profile == predictor.profile
    with pytest.raises(TypeError, match="plain JSON"):
        ChurnPredictor(predictor.preprocessor, predictor.model, model_card={"when": object()})


def test_every_recorded_version_is_checked_on_load(tmp_path):
    predictor = fitted_predictor()
    predictor.save(tmp_path)
    settings = json.loads((tmp_path / "settings.json").read_text())
    settings["versions"]["numpy"] = "0.1"
    (tmp_path / "settings.json").write_text(json.dumps(settings))
    with pytest.warns(UserWarning, match=r"saved with numpy 0\.1, loading with .*install numpy==0\.1"):
        ChurnPredictor.load(tmp_path)
