"""The Streamlit app driven headless with streamlit.testing.v1.AppTest, on CPU, tiny settings."""
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import ancer_core as ac

APP = str(Path(__file__).resolve().parent.parent / "app" / "main.py")
pytestmark = pytest.mark.skipif(not ac.shipped_models(), reason="no shipped models")


def _tiny(at):
    for label, value in (("N0 (selection samples)", 4), ("N (estimation samples)", 32),
                         ("Isotropic DD iterations", 2), ("ANCER iterations", 2), ("samples per iteration", 4)):
        next(w for w in at.number_input if w.label == label).set_value(value)
    return at


def test_live_page_runs_and_shows_results():
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception
    next(w for w in at.number_input if w.label.startswith("test image index")).set_value(7)
    _tiny(at).run()
    next(b for b in at.button if b.label.startswith("▶ Run")).click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    table = at.dataframe[0].value
    assert list(table["method"]) == ["fixed", "isotropic-dd", "ancer"]
    assert {"p̲A", "gap", "proxy radius", "⊇ isotropic DD?"} <= set(table.columns)
    assert np.isfinite(table["p̲A"]).all()
    assert any("Per-pixel θ" in s.value for s in at.subheader)
    assert at.query_params["image"] == ["7"] or at.query_params["image"] == "7"


def test_nonsense_settings_are_explained():
    at = AppTest.from_file(APP, default_timeout=60).run()
    next(w for w in at.number_input if w.label == "N0 (selection samples)").set_value(500)
    next(w for w in at.number_input if w.label == "N (estimation samples)").set_value(10)
    at.run()
    assert not at.exception
    assert any("smaller than N0" in e.value for e in at.error)
    assert next(b for b in at.button if b.label.startswith("▶ Run")).disabled
