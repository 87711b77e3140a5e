"""The toy page's choices: the data set and classifier, the point to certify, and the cached
computations on them (the (θ1, θ2) planes, ANCER's path).

The data set is named by a key: a shipped set's name, or a drawn set's link code
(``teaching.encode_points``); the cached computations take that key.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st

from ancer_core.core.noise import GAUSSIAN, UNIFORM, Noise
from ancer_core.teaching import (
    toy_views as TV,  # the page's computations, kept in the result store (a lecture prepares them)
)
from ancer_core.teaching.toy_data import TOY_DATASETS

from .. import keys, resources

GRID, SPAN, DEFAULT = TV.GRID, TV.SPAN, TV.ToyView()
NOISES = (GAUSSIAN, UNIFORM)
DRAWN = "drawn"  # the sidebar's choice of your own data


@dataclass
class ToyChoice:
    """The data set and the classifier trained on it."""

    name: str  # a shipped set's name, or DRAWN
    noise: float  # training noise σ (Gaussian augmentation)
    hidden: int


toy_data = TV.toy_data


@st.cache_resource(show_spinner="training the toy classifier…", max_entries=16)
def toy_model(name: str, noise: float, hidden: int):
    return TV.toy_model(resources.result_store(), name, noise, hidden)


def rotation_for(noise: Noise, rotation: float) -> float:
    return rotation if noise.supports_rotation else 0.0


@st.cache_data(show_spinner="optimizing over the (θ1, θ2) plane…")
def planes(name: str, noise_sigma: float, hidden: int, x1: float, x2: float, rotation: float) -> dict:
    return TV.planes(resources.result_store(), name, noise_sigma, hidden, x1, x2, rotation)


@st.cache_data(show_spinner="running ANCER's gradient steps…")
def ancer_path(name: str, noise_sigma: float, hidden: int, x1: float, x2: float, norm: str, theta_iso: float):
    return TV.ancer_path(resources.result_store(), name, noise_sigma, hidden, x1, x2, norm, theta_iso)


def sidebar() -> ToyChoice:
    with st.sidebar:
        st.header("Toy data")
        names = [*TOY_DATASETS, DRAWN]
        st.session_state.setdefault("toy_set", DRAWN if st.query_params.get("points") else "radial")
        name = st.selectbox(
            "data set", names, key="toy_set", format_func=lambda n: "your own: draw it" if n == DRAWN else n
        )
        if name != DRAWN:
            st.query_params.pop("points", None)
        noise = st.slider("training noise σ (Gaussian augmentation)", 0.0, 0.5, DEFAULT.noise, 0.05)
        hidden = st.select_slider("hidden units", [16, 32, 64, 128], DEFAULT.hidden)
    return ToyChoice(name, noise, hidden)


def point_ui() -> tuple[float, float, float]:
    """The point to certify (typed, or the last click on the regions figure) and the ellipse's rotation."""
    st.session_state.setdefault("toy_x1", DEFAULT.x1)
    st.session_state.setdefault("toy_x2", DEFAULT.x2)
    sel = st.session_state.get(keys.TOY_CLICK)
    if sel and sel.get("selection", {}).get("points"):
        p = sel["selection"]["points"][0]
        if (p.get("x"), p.get("y")) != st.session_state.get("toy_last_click"):
            st.session_state["toy_last_click"] = (p.get("x"), p.get("y"))
            st.session_state["toy_x1"], st.session_state["toy_x2"] = float(p["x"]), float(p["y"])
    c1, c2, c3 = st.columns([1, 1, 2])
    x1 = c1.number_input("x1", -2.8, 2.8, step=0.05, key="toy_x1")
    x2 = c2.number_input("x2", -2.8, 2.8, step=0.05, key="toy_x2")
    rotation_deg = c3.slider(
        "rotate the ℓ2 ellipse (degrees; 0 = the paper's diagonal Σ)",
        -90,
        90,
        0,
        5,
        help="Σ = RΘ²Rᵀ: any positive-definite covariance is certified for Gaussian noise (§4.2).",
    )
    return float(x1), float(x2), float(np.deg2rad(rotation_deg))
