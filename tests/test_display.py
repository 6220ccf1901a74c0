"""helpers.display.show_source: the page prints exactly the code that runs."""

from __future__ import annotations

import inspect

import pytest

from helpers.churn import ChurnPredictor, clean_telco
from helpers.display import show_source


def test_shows_a_function_exactly():
    assert show_source(clean_telco).data == inspect.getsource(clean_telco)


def test_dedents_a_method():
    code = show_source(ChurnPredictor.predict_proba).data
    assert code.startswith("def predict_proba")
    assert "self" in code


def test_refuses_objects_without_source():
    with pytest.raises(TypeError, match="no source to show"):
        show_source(len)
