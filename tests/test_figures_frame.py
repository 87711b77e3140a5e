"""The figures' frame and colours (pure: figures built, not drawn): the toolbar's band, the slide copy,
one colour per method and class colours that are none of the methods'. Where the toolbar really lands
is measured in the browser (tests/test_browser.py, from the elements' rectangles)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest

import ancer_core as ac
from ancer_app.ui import figures
from ancer_app.ui.figures import frame, palette

SPAN = np.linspace(-1, 1, 11)


def _figures() -> dict[str, go.Figure]:
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(20, 2)), np.arange(20) % 2
    ring = np.stack([np.cos(np.linspace(0, 6.3, 30)), np.sin(np.linspace(0, 6.3, 30))], 1) * 0.3
    f1 = rng.uniform(size=(11, 11))
    return {
        "toy regions (subplot titles, a colour bar)": figures.toy_regions_figure(
            SPAN, SPAN, f1, X, y, (0.0, 0.0), {"a": [("isotropic R=0.3", ring)], "b": [("anisotropic R=0.4", ring)]}
        ),
        "θ maps (a colour bar title)": figures.theta_maps_figure(
            {"R": rng.uniform(size=(4, 4)), "G": rng.uniform(size=(4, 4))}, "θ", colorbar_title="θ<br>per pixel"
        ),
        "line (a two-line title)": figures.line_figure(
            np.arange(5), {"ANCER": np.arange(5.0), "Isotropic DD": np.ones(5)}, "r", "acc"
        ).update_layout(title="certified accuracy<br>ℓ2, N = 100,000, α = 0.001"),
        "no title, default margin": go.Figure(go.Scatter(x=[0, 1], y=[0, 1])),
    }


@pytest.mark.parametrize("name", list(_figures()))
def test_the_toolbar_gets_a_band_of_its_own_and_the_plot_keeps_its_size(name):
    fig = _figures()[name]
    before = fig.layout.height, fig.layout.margin.t, fig.layout.margin.b
    frame.clear_of_toolbar(fig)
    assert fig.layout.modebar.orientation == "h"
    if fig.layout.title.text:  # the title hangs from the band's lower edge
        t = fig.layout.title
        assert (t.yref, t.y, t.yanchor, t.pad.t) == ("container", 1, "top", frame.TOOLBAR_PX)
    lines = str(fig.layout.title.text or "").count("<br>") + 1 if fig.layout.title.text else 0
    title_px = lines * frame.LINE * 12 * 1.4
    assert (fig.layout.margin.t or 100) >= frame.TOOLBAR_PX + title_px  # None: Plotly's 100 px
    if before[0]:  # the plot area (height less the margins) is what it was
        assert fig.layout.height - fig.layout.margin.t == before[0] - (100 if before[1] is None else before[1])
    again = fig.layout.margin.t, fig.layout.height
    frame.clear_of_toolbar(fig)
    assert (fig.layout.margin.t, fig.layout.height) == again  # a second call changes nothing


def test_a_colour_bar_title_and_subplot_titles_get_room_above_the_plot():
    figs = _figures()
    plain = frame.clear_of_toolbar(go.Figure(go.Scatter(x=[0], y=[0])).update_layout(margin_t=0))
    for name in ("toy regions (subplot titles, a colour bar)", "θ maps (a colour bar title)"):
        fig = figs[name].update_layout(margin_t=0)
        frame.clear_of_toolbar(fig)
        assert fig.layout.margin.t >= plain.layout.margin.t + frame.LINE * 12, name


def test_the_slide_copy_has_large_type_room_for_its_title_and_leaves_the_figure_alone():
    fig = _figures()["line (a two-line title)"]
    shown = fig.to_json()
    slide = frame.for_slides(fig)
    assert fig.to_json() == shown
    assert slide.layout.font.size >= 22 and slide.layout.title.font.size >= 28 and slide.layout.legend.font.size >= 22
    assert slide.layout.margin.t >= 2 * frame.LINE * 28  # both lines of the title
    assert all(t.line.width >= 4 for t in slide.data if t.type == "scatter")


def test_one_colour_per_method_by_id_or_display_name_and_classes_in_other_colours():
    for mid, label in ac.METHOD_LABELS.items():
        assert palette.method_color(mid) == palette.method_color(label) == palette.METHOD[mid]
    assert len(set(palette.METHOD.values())) == len(palette.METHOD)
    others = {*palette.CLASS.values(), palette.TOP_CLASS, palette.RUNNER_UP, palette.OTHER_CLASS, palette.ROTATED}
    others |= {palette.PATH, palette.NOISE_SAMPLES} | {c for _, c in palette.PROBABILITY_SCALE}
    assert not others & set(palette.METHOD.values())
    assert palette.method_color("the class 1 regions") is None


def test_figures_use_a_methods_colour_only_for_that_method():
    """Every trace of the builders whose line or marker has a method's colour is named for that method
    (by id, display name, or the toy page's region kind: isotropic → Isotropic DD, anisotropic → ANCER)."""
    owner = {c: m for m, c in palette.METHOD.items()}
    kinds = {"isotropic": "isotropic-dd", "anisotropic": "ancer", "best": "isotropic-dd", "global": "ancer"}
    kinds |= {"your": "fixed"}  # 'your fixed θ' on the objective plane
    figs = _figures()
    figs["votes"] = figures.votes_figure(np.arange(10), list(ac.CLASSES), 9, 8, "votes")
    ring = (np.cos(np.linspace(0, 6.3, 30)), np.sin(np.linspace(0, 6.3, 30)))
    figs["slices"] = figures.region_slice_figure({v: ring for v in ac.METHOD_LABELS.values()}, "u", "v")
    for name, fig in figs.items():
        for t in fig.data:
            for c in (
                getattr(getattr(t, "line", None), "color", None),
                getattr(getattr(t, "marker", None), "color", None),
            ):
                colours = c if isinstance(c, (list, tuple)) else [c]
                for col in colours:
                    if col in owner:
                        word = (t.name or "").split()[0]
                        said = kinds.get(word) or {v: k for k, v in ac.METHOD_LABELS.items()}.get(t.name) or t.name
                        assert said == owner[col], (name, t.name, col)
