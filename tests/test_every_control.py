"""Every control of every page, as a student meets them: each page reached through app/main.py, then every
option of every radio, select box and toggle and both ends of every slider and number input, one at a time
(each put back afterwards), and every button — on the live page after one small Run. No exception anywhere.

Costs are kept to a class's: the live page runs with N = 32 and two optimizer steps; a number input whose
far end is a run of hours (N, iterations, samples) is set to both ends but Run is pressed only at the small
settings; the toy and Hessian pages' sliders and number inputs only with ANCER_EVERY_CONTROL=all (below)."""

from __future__ import annotations

import os

import pytest
from conftest import APP, tiny_live_run
from streamlit.testing.v1 import AppTest

pytestmark = pytest.mark.slow

# number inputs whose upper end makes a Run or a redraw take hours: set, drawn, put back, never run at
SIZES = ("N0", "N (", "iterations", "samples", "steps", "noise samples")
SKIP_BUTTONS = ("▶ Run", "⚔ Attack", "Compute the Hessian", "Run Isotropic DD and ANCER here", "Train on these")


_tiny = tiny_live_run


class Label(str):
    """An option given by the label a student sees (what the browser sends), for controls whose values are
    shown through a format function: AppTest would look the label up as a value."""


@pytest.fixture(autouse=True)
def _labels_as_the_browser_sends_them(monkeypatch):
    import streamlit.testing.v1.element_tree as tree

    original = tree._format_value_for_widget
    monkeypatch.setattr(
        tree, "_format_value_for_widget", lambda f, v: str(v) if isinstance(v, Label) else original(f, v)
    )


def _values(w) -> list:
    kind = type(w).__name__
    if kind in ("Radio", "Selectbox", "SelectSlider"):
        return [Label(o) for o in getattr(w, "options", [])]
    if kind in ("Toggle", "Checkbox"):
        return [not w.value, w.value]
    if kind == "Slider":
        return [w.min, w.max] if not isinstance(w.value, tuple) else [(w.min, w.min), (w.min, w.max)]
    if kind == "NumberInput":
        return [w.value if w.min is None else w.min, w.value if w.max is None else w.max]
    return []


ALL_KINDS = ("radio", "selectbox", "toggle", "checkbox", "slider", "number_input", "select_slider")


def touch_everything(at: AppTest, where: str, limit: int = 80, kinds: tuple[str, ...] = ALL_KINDS) -> int:
    """Set every control of the page to each of its values in turn (then back), and press its buttons; returns
    how many states were drawn. ``limit``: the most controls of a kind touched; ``kinds``: which kinds."""
    drawn = 0
    seen = set()
    for kind in kinds:
        for w in list(getattr(at, kind))[:limit]:
            key = w.key or w.label
            if key in seen or w.disabled:
                continue
            seen.add(key)
            try:
                original = w.value
            except ValueError:  # shown through a format function AppTest cannot invert: its label
                original = Label(w.options[w.index]) if getattr(w, "index", None) is not None else None
            for value in _values(w):
                try:
                    getattr(at, kind)(key=w.key).set_value(value) if w.key else w.set_value(value)
                except (ValueError, KeyError, IndexError):  # a value only the widget's labels know
                    continue
                at.run()
                assert not at.exception, (where, kind, w.label, value, [e.message for e in at.exception])
                drawn += 1
            try:
                target = (
                    getattr(at, kind)(key=w.key) if w.key else next(x for x in getattr(at, kind) if x.label == w.label)
                )
                target.set_value(original)
                at.run()
            except (KeyError, StopIteration, ValueError):  # the control went away with the state it set
                pass
    for b in list(at.button):
        if b.disabled or any(b.label.startswith(s) for s in SKIP_BUTTONS):
            continue
        b.click()
        at.run()
        assert not at.exception, (where, "button", b.label, [e.message for e in at.exception])
        drawn += 1
    return drawn


def test_every_control_of_the_live_page_after_a_small_run():
    at = AppTest.from_file(APP, default_timeout=300)
    at.query_params.update({"image": "7", "preset": "quick"})
    _tiny(at.run()).run()
    next(b for b in at.button if b.label.startswith("▶ Run")).click().run()
    assert not at.exception, at.exception
    at.number_input(key="atk_steps").set_value(1)
    at.number_input(key="atk_samples").set_value(2)
    at.run()
    next(b for b in at.button if b.label.startswith("⚔ Attack")).click().run()
    assert not at.exception, at.exception
    assert touch_everything(at, "live") > 30


# the toy page trains a classifier for every new setting (seconds each: 160 s for its choices alone) and the
# Hessian page's figures need a 3,072-dimensional eigen-decomposition first (half a minute): in CI the Hessian
# page's choices are touched; the toy page, and both pages' sliders and number inputs at both ends, with
# ANCER_EVERY_CONTROL=all (ten minutes on two cores)
FULL = os.environ.get("ANCER_EVERY_CONTROL") == "all"
CHOICES = ("radio", "selectbox", "toggle", "checkbox")


@pytest.mark.parametrize(
    "page",
    [
        "theory",
        "results",
        "hessian",
        pytest.param("toy", marks=pytest.mark.skipif(not FULL, reason="ANCER_EVERY_CONTROL=all")),
    ],
)
def test_every_control_of_the_teaching_pages(page):
    at = AppTest.from_file(APP, default_timeout=300).run()
    at.switch_page(f"screens/{page}.py").run()
    assert not at.exception, at.exception
    if page == "hessian" and FULL:  # its figures come on a click: press it once, then touch what it drew
        next(b for b in at.button if b.label.startswith("Compute the Hessian")).click().run()
        assert not at.exception, at.exception
    kinds = ALL_KINDS if FULL or page in ("theory", "results") else CHOICES
    assert touch_everything(at, page, kinds=kinds) > 0
