"""The teaching pages (toy 2D, Hessian, theory) driven headless with streamlit.testing.v1.AppTest, on CPU."""

import re

import numpy as np
import pytest
from conftest import APP, open_page
from streamlit.testing.v1 import AppTest

import ancer_core as ac

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not ac.shipped_models(), reason="no shipped models")]


@pytest.mark.parametrize("page", ["toy", "hessian", "theory", "results"])
def test_teaching_pages_render(page):
    at = open_page(page, 180)
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert at.title and "ANCER" in at.title[0].value


RAW_MATH = re.compile(r"\\text|_\{|\^\{|\b10\^|\bg_[θσ(]|\bR_[σc]\b|[A-Za-z0-9)]\^[A-Za-z0-9(½ΣΛ]|\)_[A-Za-z]\b")


def _outside_math(text: str) -> str:
    """The text a reader sees as text: $…$ spans are typeset by KaTeX, everything else is shown as written."""
    return re.sub(r"\$[^$]+\$", " ", re.sub(r"\$\$.*?\$\$", " ", text, flags=re.S))


@pytest.mark.parametrize("page", ["toy", "hessian", "theory", "results"])
def test_every_formula_renders(page):
    """No raw LaTeX outside $…$ in the page's text, and no control character (a "\t" that ate the t of
    "\text") inside its typeset formulas."""
    at = open_page(page, 180)
    texts = [e.value for kind in ("markdown", "caption", "info", "warning", "success") for e in getattr(at, kind)]
    raw = [t for t in texts if RAW_MATH.search(_outside_math(t))]
    assert not raw, raw
    formulas = [e.value for e in at.latex]  # st.latex: "$$\n…\n$$"
    assert not [f for f in formulas if any(ord(ch) < 32 and ch != "\n" for ch in f)], formulas
    if page == "theory":
        said = " ".join(texts)
        assert "\\overline{p_B} = 1-\\underline{p_A}" in said and "the **gap** of the tables" in said
        assert any("\\ge" in f and "since" in f for f in formulas)  # Corollary 1: ≥ in general, = for CERTIFY's choice


def test_toy_page_certifies_a_typed_point_and_searches_rotations():
    at = open_page("toy", 180)
    at.number_input(key="toy_x1").set_value(0.0).run()
    assert not at.exception
    table = at.dataframe[0].value
    assert set(table["region"]) == {"isotropic", "anisotropic"}
    assert (table["proxy radius √(θ1θ2)·gap"] > 0).all()
    # ANCER's feasible set contains the isotropic θ, so its optimum is at least as large
    for norm in ("l2", "l1"):
        t = table[table["norm"] == norm].set_index("region")
        assert (
            t.loc["anisotropic", "proxy radius √(θ1θ2)·gap"] >= t.loc["isotropic", "proxy radius √(θ1θ2)·gap"] - 1e-12
        )
    next(b for b in at.button if b.label.startswith("search rotations")).click().run()
    assert not at.exception
    assert any("Best at" in c.value for c in at.caption)


def test_hessian_page_computes_on_click_and_reuses_the_live_run():
    at = AppTest.from_file(APP, default_timeout=300).run()
    from test_app import _tiny

    _tiny(at).run()  # test image 0 with the default Gaussian model, as the Hessian page starts
    next(b for b in at.button if b.label.startswith("▶ Run")).click().run()
    at.switch_page("screens/hessian.py").run()
    next(b for b in at.button if b.label.startswith("Compute the Hessian")).click().run()
    assert not at.exception, at.exception
    assert any("eigen-decomposition in" in c.value for c in at.caption)
    # the live page's run on this image and model draws the regions: nothing to run again
    assert any(c.value.startswith("Regions: from the live page's run") for c in at.caption)
    assert not any(b.label.startswith("Run Isotropic DD and ANCER here") for b in at.button)


def test_toy_page_runs_on_drawn_points_from_its_link():
    """A set prepared beforehand opens from the toy page's link, and every section runs on it; a damaged link
    says so instead of failing."""
    from ancer_core import teaching as T

    X = np.array([[-1, -1], [-1.2, -0.5], [-0.7, -1.3], [1, 1], [1.2, 0.6], [0.8, 1.4]])
    code = T.encode_points(X, [0, 0, 0, 1, 1, 1])
    for link, ok in ((code, True), (code[:-5], False)):
        at = AppTest.from_file(APP, default_timeout=300)
        at.query_params["points"] = link
        at.run()
        at.switch_page("screens/toy.py").run()
        assert not at.exception, at.exception
        heads = [s.value for s in at.subheader]
        if ok:
            assert "Your own data" in heads and "The objective over the (θ1, θ2) plane" in heads
            assert any(c.value.startswith("6 points: 3 of class 0") for c in at.caption)
        else:
            assert any("damaged" in e.value for e in at.error) and "What smoothing does" not in heads
            assert any("Place at least two points of each class" in i.value for i in at.info)


def test_toy_page_shows_contradicting_certificates_memory_and_the_certified_selector():
    at = open_page("toy", 300)
    assert not at.exception, at.exception
    heads = [s.value for s in at.subheader]
    assert "When every point picks its own θ: certificates that contradict each other" in heads
    assert "Memory-based certification, step by step" in heads
    assert "A θ that is certified itself: the smoothed selector" in heads
    said = [w.value for w in at.warning]
    assert any("their regions meet at z" in w and "certificate is wrong at z" in w for w in said), said
    captions = [c.value for c in at.caption]
    assert any("The overlap test finds **0** contradicting pairs" in c for c in captions), captions
    assert any("the memory revises" in c for c in captions)
    at.radio(key="dd_kind").set_value("anisotropic").run()
    assert not at.exception, at.exception


def test_toy_memory_steps_through_the_picked_points_in_order():
    """The points a student clicked (kept in the session, in order) are certified in that order."""
    at = open_page("toy", 300)
    at.session_state["toy_picks"] = [20, 3, 35]
    at.run()
    assert not at.exception, at.exception
    steps = at.dataframe[-2].value  # the memory's table (the selector's comparison is the last)
    assert list(steps["point"]) == [20, 3, 35] and list(steps["step"]) == [1, 2, 3]
    assert any(c.value.startswith("Order: your picks.") for c in at.caption)
    said = [m.value.lower() for m in list(at.info) + list(at.warning)]
    assert any("points 3 and 35" in m for m in said), said  # the last two picks, tested as a pair
