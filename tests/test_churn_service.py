"""The churn predictor as a service: HTTP API, hostile inputs, serving without PyTorch, load.

- FastAPI's TestClient: every endpoint, the generated schema, and each hostile input of
  issue 18 (a clear 4xx, never a 500, never a probability);
- fresh Python processes in which ``import torch`` fails: a saved scikit-learn and a
  saved Keras predictor load there and predict exactly as in this process;
- the real ``python -m helpers.churn_service`` process on a free localhost port: startup,
  requests, and a bounded load test (2,000 requests from 4 clients) that reports p50/p99
  latency and requests per second.

The small models are trained and saved once for the whole module.
"""

from __future__ import annotations

import http.client
import json
import math
import os
import re
import selectors
import subprocess
import sys
import textwrap
import threading
import time
import urllib.parse
import warnings
from pathlib import Path

import httpx
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from book_layout import ROOT
from helpers.churn import (
    CATEGORIES,
    FEATURES,
    ChurnInputError,
    ChurnPredictor,
    clean_telco,
    make_preprocessor,
    training_profile,
    validate_customer,
)
from test_churn import CUSTOMER, telco_like, with_

with warnings.catch_warnings():  # starlette suggests httpx2; httpx is what the pinned set has
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from helpers import churn_service
from helpers.churn_service import MAX_BATCH, MAX_BODY_BYTES, create_app

SERVER_PROCESS: dict[str, int] = {}
# Put first in a fresh interpreter: from then on any import of torch (or triton) fails.
NO_TORCH = textwrap.dedent("""\
    import importlib.abc, sys

    class NoTorch(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("torch", "triton"):
                raise ImportError(f"{name} is blocked: serving must not need PyTorch")

    sys.meta_path.insert(0, NoTorch())
    """)


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> dict:
    """A scikit-learn predictor (with training profile and model card), saved once."""
    folder = tmp_path_factory.mktemp("churn-service")
    X, y = clean_telco(telco_like(300))
    preprocessor = make_preprocessor().fit(X)
    Z = preprocessor.transform(X).astype(np.float32)
    logreg = LogisticRegression(max_iter=1000).fit(Z, y)
    card = {"costs": {"offer": 100.0, "lost_customer": 600.0, "save_rate": 0.5},
            "validation": {"ROC-AUC": 0.8}}
    sk = ChurnPredictor(preprocessor, logreg, threshold=1 / 3, model_card=card,
                        profile=training_profile(X, logreg.predict_proba(Z)[:, 1]))
    probe = telco_like(25, seed=9).drop(columns="Churn")
    return {"sklearn": sk.save(folder / "sklearn"), "predictors": {"sklearn": sk},
            "probe": probe, "folder": folder, "Z": Z, "y": y}


@pytest.fixture(scope="module")
def saved_keras(saved) -> dict:
    """The same with a small Keras network, saved once (only the tests that need it pay)."""
    from helpers.frameworks import keras  # this test process also imports torch elsewhere

    keras.utils.set_random_seed(0)
    Z, y = saved["Z"], saved["y"]
    net = keras.Sequential([keras.layers.Input(shape=(Z.shape[1],)),
                            keras.layers.Dense(8, activation="relu"),
                            keras.layers.Dense(1, activation="sigmoid")])
    net.compile(optimizer="adam", loss="binary_crossentropy")
    net.fit(Z, y, epochs=3, batch_size=64, verbose=0)
    sk = saved["predictors"]["sklearn"]
    ke = ChurnPredictor(sk.preprocessor, net, threshold=1 / 3, model_card=sk.model_card,
                        profile=sk.profile)
    saved["keras"] = ke.save(saved["folder"] / "keras")
    saved["predictors"]["keras"] = ke
    return saved


@pytest.fixture(scope="module")
def client(saved) -> TestClient:
    return TestClient(create_app(saved["sklearn"]))


# --- the API through FastAPI's test client -----------------------------------------------


def test_health_and_model_card(client, saved):
    assert client.get("/health").json() == {"status": "ok", "model": "sklearn", "threshold": 1 / 3}
    card = client.get("/model-card").json()
    assert card == json.loads((saved["sklearn"] / "settings.json").read_text())
    assert card["model_card"]["costs"]["save_rate"] == 0.5 and "training_profile" in card


def test_predict_one_matches_the_predictor(client, saved):
    response = client.post("/predict", json=CUSTOMER)
    assert response.status_code == 200
    assert response.json() == saved["predictors"]["sklearn"].predict_churn(CUSTOMER)
    assert set(response.json()) == {"customerID", "churn_probability", "risk_tier",
                                    "retention_offer", "warnings"}


def test_both_charges_accept_numbers_and_decimal_text(client):
    """The documented contract: each charge may be a JSON number or a decimal string."""
    answers = {client.post("/predict", json=with_(MonthlyCharges=m, TotalCharges=t)).json()[
        "churn_probability"] for m in (29.85, "29.85") for t in (29.85, "29.85")}
    assert len(answers) == 1


def test_out_of_range_inputs_are_answered_with_warnings(client):
    body = client.post("/predict", json=with_(tenure=90, TotalCharges=90 * 29.85)).json()
    assert body["warnings"][0].startswith("tenure 90 is outside the training range")
    body = client.post("/predict", json=with_(tenure=40, TotalCharges=60.0)).json()
    assert any("inconsistent with tenure x MonthlyCharges" in w for w in body["warnings"])
    assert client.post("/predict", json=CUSTOMER).json()["warnings"] == []


def test_batch_gives_per_row_results_and_errors(client, saved):
    rows = [CUSTOMER, with_(tenure=-4), [1, 2], with_(Contract="Weekly"), with_(customerID="b")]
    body = client.post("/predict/batch", json={"customers": rows}).json()
    assert (body["n_predicted"], body["n_errors"]) == (2, 3)
    assert [r["index"] for r in body["results"]] == list(range(5))
    assert body["results"][1]["error"] == {"field": "tenure",
                                           "message": "tenure cannot be negative, got -4"}
    assert body["results"][3]["error"]["field"] == "Contract"
    assert body["results"][4]["prediction"]["customerID"] == "b"
    expected = saved["predictors"]["sklearn"].predict_churn(CUSTOMER)["churn_probability"]
    assert body["results"][0]["prediction"]["churn_probability"] == pytest.approx(expected)


def test_schema_is_generated_from_the_predictor(client):
    """The schema cannot drift from the validator: both come from the saved field list."""
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    customer = schemas["Customer"]
    assert customer["required"] == list(FEATURES)
    assert customer["additionalProperties"] is False
    for name, allowed in CATEGORIES.items():
        assert customer["properties"][name]["enum"] == list(allowed)
    for name in ("MonthlyCharges", "TotalCharges"):  # symmetric: number or string, both
        assert {t["type"] for t in customer["properties"][name]["anyOf"]} == {"number", "string"}
    assert customer["properties"]["tenure"]["type"] == "integer"
    assert set(schemas["Prediction"]["properties"]["risk_tier"]["enum"]) == {"high", "medium", "low"}


def _validator_error(customer) -> ChurnInputError:
    with pytest.raises(ChurnInputError) as info:
        validate_customer(customer)
    return info.value


def _without(name):
    return {k: v for k, v in CUSTOMER.items() if k != name}


HOSTILE_CUSTOMERS = {
    "missing field": _without("tenure"),
    "unknown category": with_(Contract="Monthly"),
    "negative tenure": with_(tenure=-1),
    "absurd tenure": with_(tenure=10**6),
    "fractional tenure": with_(tenure=1.5),
    "tenure as text": with_(tenure="12"),
    "category as number": with_(Contract=1),
    "boolean senior": with_(SeniorCitizen=True),
    "null charge": with_(MonthlyCharges=None),
    "text that is not a number": with_(TotalCharges="twelve"),
    "negative charge": with_(MonthlyCharges=-5),
    "absurd charge": with_(MonthlyCharges=1e12),
    "extra field": with_(Churn="Yes"),
    "misspelt field": {**_without("gender"), "Gender": "Male"},
    "numeric id": with_(customerID=42),
    "blank bill after month 0": with_(TotalCharges=" "),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_CUSTOMERS))
def test_hostile_customer_gets_422_with_the_validators_message(client, case):
    customer = HOSTILE_CUSTOMERS[case]
    expected = _validator_error(customer)
    response = client.post("/predict", json=customer)
    assert response.status_code == 422, response.text
    (detail,) = response.json()["detail"]
    assert detail["msg"] == str(expected)  # exactly the validator's words
    assert detail["loc"] == ["body", expected.field]
    assert "churn_probability" not in response.text


# JSON has no NaN or Infinity, but Python's json module (and so FastAPI) reads them.
@pytest.mark.parametrize("name, literal", [("MonthlyCharges", "NaN"), ("TotalCharges", "Infinity"),
                                           ("MonthlyCharges", "-Infinity"), ("tenure", "NaN")])
def test_nan_and_infinity_get_422(client, name, literal):
    text = json.dumps({**CUSTOMER, name: 12345.5}).replace("12345.5", literal)
    response = client.post("/predict", content=text, headers={"content-type": "application/json"})
    assert response.status_code == 422
    (detail,) = response.json()["detail"]
    assert detail["loc"] == ["body", name] and ("finite" in detail["msg"] or "whole" in detail["msg"])


@pytest.mark.parametrize("path, body, status, message", [
    ("/predict", [CUSTOMER], 422, "must be a dict (a JSON object)"),
    ("/predict", "a string", 422, "must be a dict (a JSON object)"),
    ("/predict/batch", {"customers": []}, 422, "at least 1 item"),
    ("/predict/batch", [CUSTOMER], 422, "valid dictionary"),
    ("/predict/batch", {"customers": [CUSTOMER] * (MAX_BATCH + 1)}, 422, f"at most {MAX_BATCH}"),
    ("/predict/batch", {"customers": [CUSTOMER], "extra": 1}, 422, "Extra inputs"),
    ("/predict/batch", {"rows": [CUSTOMER]}, 422, "Field required"),
])
def test_hostile_shapes_get_4xx(client, path, body, status, message):
    response = client.post(path, json=body)
    assert response.status_code == status, response.text
    assert message in response.text and "churn_probability" not in response.text


@pytest.mark.parametrize("content, content_type", [(b"{not json", "application/json"),
                                                   (b"", "application/json"),
                                                   (b"tenure=1", "application/x-www-form-urlencoded")])
def test_malformed_bodies_get_422(client, content, content_type):
    response = client.post("/predict", content=content, headers={"content-type": content_type})
    assert response.status_code == 422, response.text


def test_a_10_mb_body_is_refused_unread(client):
    body = json.dumps({"customers": [CUSTOMER] * 21_000}).encode()
    assert len(body) > 10_000_000
    response = client.post("/predict/batch", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert f"larger than {MAX_BODY_BYTES:,} bytes" in response.json()["detail"]


def test_a_chunked_body_without_length_is_limited_too(client):
    chunk = b" " * 100_000

    def body():
        yield b'{"customers": ['
        for _ in range(15):  # 1.5 MB of whitespace, never announced in Content-Length
            yield chunk
        yield b"]}"

    response = client.post("/predict/batch", content=body(), headers={"content-type": "application/json"})
    assert response.status_code == 413


def test_the_command_line_refuses_a_directory_without_settings(tmp_path, capsys):
    with pytest.raises(SystemExit):
        churn_service.main([str(tmp_path)])
    assert "not a saved ChurnPredictor" in capsys.readouterr().err


# --- fresh processes where PyTorch cannot be imported ------------------------------------


def _run_fresh(code: str, timeout: int = 240) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", NO_TORCH + code], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})


@pytest.mark.slow  # a fresh interpreter or the real server: seconds, not milliseconds
@pytest.mark.parametrize("kind", ["sklearn", "keras"])
def test_saved_predictor_loads_and_serves_without_torch(request, kind):
    """Issue 18's critical finding: `import keras; ChurnPredictor.load(DIR)` needed torch."""
    saved = request.getfixturevalue("saved_keras" if kind == "keras" else "saved")
    probe_file = saved["folder"] / f"probe-{kind}.json"
    saved["probe"].to_json(probe_file, orient="records")
    code = textwrap.dedent(f"""
        import json, sys
        {"import keras  # as a serving process would, before anything of the book" if kind == "keras" else ""}
        import pandas as pd
        from helpers.churn import ChurnPredictor
        predictor = ChurnPredictor.load({str(saved[kind])!r})
        frame = pd.read_json({str(probe_file)!r}, orient="records", dtype=False)
        from fastapi.testclient import TestClient
        from helpers.churn_service import create_app
        answer = TestClient(create_app(predictor)).post("/predict", json={CUSTOMER!r}).json()
        print(json.dumps({{"kind": predictor.kind, "p": predictor.predict_proba(frame).tolist(),
                          "http": answer, "torch": [m for m in sys.modules if m.startswith("torch")]}}))
    """)
    result = _run_fresh(code)
    assert result.returncode == 0, result.stderr[-3000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["kind"] == kind and out["torch"] == []
    here = saved["predictors"][kind]
    np.testing.assert_array_equal(out["p"], here.predict_proba(saved["probe"]))
    assert out["http"]["churn_probability"] == pytest.approx(
        here.predict_churn(CUSTOMER)["churn_probability"], abs=1e-7)


def test_the_blocker_really_blocks_torch():
    result = _run_fresh("import torch")
    assert result.returncode != 0 and "serving must not need PyTorch" in result.stderr


# --- the real uvicorn process ----------------------------------------------------------


@pytest.fixture(scope="module")
def server(saved):
    """`python -m helpers.churn_service DIR --port 0` on 127.0.0.1, stopped after the tests."""
    process = subprocess.Popen(
        [sys.executable, "-m", "helpers.churn_service", str(saved["sklearn"]), "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        selector = selectors.DefaultSelector()
        selector.register(process.stdout, selectors.EVENT_READ)
        if not selector.select(timeout=120):
            pytest.fail("the service printed nothing within 120 s")
        line = process.stdout.readline()
        match = re.search(r"on (http://127\.0\.0\.1:\d+)$", line.strip())
        assert match, f"unexpected first line {line!r}; stderr: {process.stderr.read()[-2000:]}"
        url = match.group(1)
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, process.stderr.read()[-2000:]
            assert time.monotonic() < deadline, "the service did not answer /health within 60 s"
            time.sleep(0.1)
        SERVER_PROCESS["pid"] = process.pid
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.mark.slow  # a fresh interpreter or the real server: seconds, not milliseconds
def test_real_process_answers(server, saved):
    with httpx.Client(base_url=server, timeout=10) as http:
        assert http.get("/health").json()["status"] == "ok"
        assert http.get("/model-card").json()["model_card"]["costs"]["offer"] == 100.0
        one = http.post("/predict", json=CUSTOMER)
        assert one.status_code == 200
        assert one.json() == saved["predictors"]["sklearn"].predict_churn(CUSTOMER)
        bad = http.post("/predict", json=with_(Contract="Monthly"))
        assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "Contract"]
        nan = http.post("/predict", content=json.dumps(CUSTOMER).replace("29.85,", "NaN,", 1),
                        headers={"content-type": "application/json"})
        assert nan.status_code == 422
        batch = http.post("/predict/batch", json={"customers": [CUSTOMER, with_(tenure=-1)]})
        assert batch.json()["n_errors"] == 1


@pytest.mark.slow  # a fresh interpreter or the real server: seconds, not milliseconds
def test_real_process_refuses_a_10_mb_body(server):
    body = b'{"customers": [' + b" " * 10_500_000 + b"]}"
    try:
        response = httpx.post(f"{server}/predict/batch", content=body, timeout=30,
                              headers={"content-type": "application/json"})
    except (httpx.WriteError, httpx.RemoteProtocolError, httpx.ReadError):
        pass  # the server answered 413 and closed before the client finished sending
    else:
        assert response.status_code == 413
    assert httpx.get(f"{server}/health", timeout=5).status_code == 200  # still serving


@pytest.mark.slow  # a fresh interpreter or the real server: seconds, not milliseconds
def test_load(server):
    """2,000 requests from 4 concurrent clients; bounded in count and time; no errors."""
    n_clients, per_client = 4, 500
    records = telco_like(200, seed=11).drop(columns="Churn").to_dict("records")
    latencies: list[list[float]] = [[] for _ in range(n_clients)]
    failures: list[str] = []
    deadline = time.monotonic() + 60  # the test stops by itself even if the server crawls

    def client_loop(k: int) -> None:
        # the standard library's client: light, so the numbers are mostly the server's
        address = urllib.parse.urlsplit(server)
        connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
        try:
            for i in range(per_client):
                if time.monotonic() > deadline:
                    failures.append(f"client {k} ran out of time after {i} requests")
                    return
                body = json.dumps(records[(k * per_client + i) % len(records)])
                start = time.perf_counter()
                connection.request("POST", "/predict", body, {"content-type": "application/json"})
                response = connection.getresponse()
                answer = response.read()
                latencies[k].append(time.perf_counter() - start)
                if response.status != 200 or not 0 <= json.loads(answer)["churn_probability"] <= 1:
                    failures.append(f"{response.status}: {answer[:200]!r}")
        except OSError as error:
            failures.append(f"client {k}: {error!r}")
        finally:
            connection.close()

    threads = [threading.Thread(target=client_loop, args=(k,)) for k in range(n_clients)]
    server_cpu_before = _cpu_seconds(SERVER_PROCESS["pid"])
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    elapsed = time.perf_counter() - began
    server_cpu = _cpu_seconds(SERVER_PROCESS["pid"]) - server_cpu_before
    assert not any(thread.is_alive() for thread in threads)
    assert failures == []
    flat = np.concatenate([np.asarray(part) for part in latencies]) * 1000
    assert flat.size == n_clients * per_client
    p50, p99 = np.percentile(flat, [50, 99])
    rate = flat.size / elapsed
    print(f"\nload test: {flat.size} requests from {n_clients} clients in {elapsed:.1f} s: "
          f"p50 {p50:.1f} ms, p99 {p99:.1f} ms, {rate:.0f} requests/s; "
          f"server CPU {server_cpu:.1f} s ({1000 * server_cpu / flat.size:.2f} ms per request)")
    assert math.isfinite(p99) and rate > 20  # loose: the machine is shared


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc; NaN elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return math.nan
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
