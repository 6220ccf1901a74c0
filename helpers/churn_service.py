"""An HTTP service for a saved churn predictor: FastAPI + uvicorn (Churn chapter, "Serving over HTTP").

Start it with one line (it binds 127.0.0.1, this machine only, unless told otherwise)::

    ./book serve-churn DIR              # or: python -m helpers.churn_service DIR --port 8000

where ``DIR`` is a directory written by :meth:`helpers.churn.ChurnPredictor.save`.
Endpoints:

- ``GET /health``: is the service up, and which model does it serve;
- ``GET /model-card``: everything ``settings.json`` records (costs, data checksum,
  validation metrics, library versions, training ranges);
- ``POST /predict``: one customer (a JSON object with the CSV's fields) -> probability,
  risk tier, offer and warnings;
- ``POST /predict/batch``: ``{"customers": [...]}`` -> one entry per row, a prediction
  or an error, so one bad row does not sink the batch.

The JSON contract is the validator's (:func:`helpers.churn.validate_customer`): whole
numbers for ``tenure`` and ``SeniorCitizen``; numbers *or* decimal strings for both
charges; category names for the rest. The request models are generated from the
predictor's own field list and categories, and the validator runs inside them, so a bad
field gets HTTP 422 with exactly the validator's message and the field in ``loc``.
"""


import argparse
import socket
import sys
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, create_model, model_validator
from pydantic.json_schema import WithJsonSchema
from pydantic_core import PydanticCustomError
from starlette.exceptions import HTTPException

from helpers.churn import (
    BINARY,
    CHARGES,
    ID_FIELD,
    PLAUSIBLE_MAX,
    ChurnInputError,
    ChurnPredictor,
    validate_customer,
)

MAX_BODY_BYTES = 1_000_000  # about 1,500 customers; larger jobs belong in a batch script
MAX_BATCH = 1000


class _CustomerBase(BaseModel):
    """Runs the book's validator on the raw JSON before pydantic looks at the fields."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _validate(cls, data: Any) -> Any:
        try:
            clean = validate_customer(data)
        except ChurnInputError as error:
            # "{message}" keeps the validator's text verbatim (no template formatting)
            raise PydanticCustomError("churn_input", "{message}",
                                      {"message": str(error), "field": error.field}) from None
        return {**clean, ID_FIELD: data.get(ID_FIELD)}


def customer_model(predictor: ChurnPredictor) -> type[BaseModel]:
    """The request model of one customer, generated from the predictor's fields and categories."""
    settings = predictor.settings()
    fields: dict[str, Any] = {ID_FIELD: (str | None, Field(None, description="optional; echoed back"))}
    for name in settings["features"]:
        if name in settings["categories"]:
            fields[name] = (Literal[tuple(settings["categories"][name])], ...)
        elif name in CHARGES:
            fields[name] = (float | str, Field(..., description=(
                f"dollars, >= 0 and <= {PLAUSIBLE_MAX[name]:g}: a number or a decimal string"
                + (" (blank only when tenure is 0)" if name == "TotalCharges" else ""))))
        elif name in BINARY:
            fields[name] = (Literal[0, 1], ...)
        else:
            fields[name] = (int, Field(..., ge=0, le=PLAUSIBLE_MAX[name], description="whole months"))
    return create_model("Customer", __base__=_CustomerBase, **fields)


def _response_models(predictor: ChurnPredictor) -> tuple[type[BaseModel], type[BaseModel]]:
    prediction = create_model(
        "Prediction",
        **{ID_FIELD: (str | None, None)},
        churn_probability=(float, Field(..., ge=0, le=1)),
        risk_tier=(Literal[predictor.tier_names], ...),
        retention_offer=(bool, ...),
        warnings=(list[str], Field(default_factory=list,
                                   description="why this customer is unlike the training data")),
    )

    class RowError(BaseModel):
        field: str | None
        message: str

    row = create_model("BatchRow", index=(int, ...), prediction=(prediction | None, None),
                       error=(RowError | None, None))
    batch = create_model("BatchResponse", results=(list[row], ...), n_predicted=(int, ...),
                         n_errors=(int, ...))
    return prediction, batch


class _BodyTooLarge(HTTPException):
    def __init__(self) -> None:
        super().__init__(413, f"request body larger than {MAX_BODY_BYTES:,} bytes; "
                              f"send at most {MAX_BATCH} customers per batch")


class LimitBodySize:
    """ASGI middleware: answer 413 to bodies over ``max_bytes`` instead of reading them whole."""

    def __init__(self, app: Any, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
            response = JSONResponse({"detail": _BodyTooLarge().detail}, status_code=413)
            await response(scope, receive, send)
            return
        received = 0

        async def limited() -> dict:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:  # a chunked body without Content-Length
                raise _BodyTooLarge()
            return message

        await self.app(scope, limited, send)


def create_app(predictor: ChurnPredictor | str | Path) -> FastAPI:
    """The FastAPI application serving ``predictor`` (or the directory it was saved to)."""
    if not isinstance(predictor, ChurnPredictor):
        predictor = ChurnPredictor.load(predictor)
    settings = predictor.settings()
    Customer = customer_model(predictor)
    Prediction, BatchResponse = _response_models(predictor)
    schema = Customer.model_json_schema()
    Row = Annotated[Any, WithJsonSchema(schema)]  # each row is validated on its own, see below

    class BatchRequest(BaseModel):
        model_config = ConfigDict(extra="forbid")
        customers: list[Row] = Field(..., min_length=1, max_length=MAX_BATCH)

    app = FastAPI(title="Churn predictor", version=str(settings["format_version"]),
                  description=__doc__.split("\n\n")[0])
    app.add_middleware(LimitBodySize)
    app.state.predictor = predictor

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        detail = []
        for error in exc.errors():
            loc, ctx = list(error["loc"]), error.get("ctx") or {}
            if error["type"] == "churn_input" and ctx.get("field"):
                loc.append(ctx["field"])
            detail.append({"loc": loc, "msg": error["msg"], "type": error["type"]})
        return JSONResponse({"detail": detail}, status_code=422)

    @app.get("/health")
    def health() -> dict[str, Any]:
        return {"status": "ok", "model": predictor.kind, "threshold": predictor.threshold}

    @app.get("/model-card")
    def model_card() -> dict[str, Any]:
        return settings

    # async: a prediction takes well under a millisecond of CPU (the GIL would serialise a
    # thread pool anyway), so it runs on the event loop instead of a worker thread
    @app.post("/predict", response_model=Prediction)
    async def predict(customer: Customer) -> dict[str, Any]:  # type: ignore[valid-type]
        record = customer.model_dump()
        return predictor.predict_churn(record)

    @app.post("/predict/batch", response_model=BatchResponse)
    async def predict_batch(batch: BatchRequest) -> dict[str, Any]:
        results = predictor.predict_many(batch.customers)
        errors = sum(entry["error"] is not None for entry in results)
        return {"results": results, "n_predicted": len(results) - errors, "n_errors": errors}

    return app


def main(argv: list[str] | None = None) -> None:
    """Command line: ``python -m helpers.churn_service DIR [--host H] [--port P]``."""
    import uvicorn

    parser = argparse.ArgumentParser(prog="python -m helpers.churn_service",
                                     description="Serve a saved ChurnPredictor over HTTP.")
    parser.add_argument("directory", help="a directory written by ChurnPredictor.save")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to bind (default 127.0.0.1: this machine only)")
    parser.add_argument("--port", type=int, default=8000, help="port (0: any free port)")
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args(argv)
    if not (Path(args.directory) / "settings.json").is_file():
        parser.error(f"{args.directory} is not a saved ChurnPredictor (no settings.json)")
    app = create_app(args.directory)
    sock = socket.socket(socket.AF_INET6 if ":" in args.host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    host, port = sock.getsockname()[:2]
    print(f"serving {Path(args.directory).name} on http://{host}:{port}", flush=True)
    config = uvicorn.Config(app, log_level=args.log_level)
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    sys.exit(main())
