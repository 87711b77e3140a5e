"""The toy page's sections: the optimal regions of both noises, the objective over the (θ1, θ2) plane
with ANCER's path, rotated ellipses, and what smoothing does to the classifier."""

from __future__ import annotations

import numpy as np
import streamlit as st
import torch

from ancer_core.core.noise import GAUSSIAN, UNIFORM, Noise, noise_for
from ancer_core.teaching.smoothing2d import (
    certificate_2d,
    class_probability,
    contains_ball,
    region_outline,
    rotation_matrix,
    rotation_search,
    smoothed_landscape,
)

from .. import display, figures, keys
from .choices import GRID, NOISES, SPAN, ToyChoice, ancer_path, rotation_for


def optimal_regions(pl: dict, data, f1: np.ndarray, x1: float, x2: float, rotation: float) -> None:
    """The four optimal regions (isotropic / anisotropic, ℓ1 / ℓ2) on the base classifier, and their table."""
    X, y = data
    panels = {}
    for noise in NOISES:
        plane, opt = pl[noise.norm]
        for which in ("isotropic", "anisotropic"):
            o = opt[which]
            rot = rotation_for(noise, rotation) if which == "anisotropic" else 0.0
            outline = region_outline(noise, o["theta"], o["gap"], rot, (x1, x2))
            panels[f"optimal {which} {noise.norm_symbol} ({noise.region})"] = [
                (f"{which} R̃={o['proxy_radius']:.3f}", outline)
            ]
    st.caption(
        f"Click a spot on the top-left panel, or type coordinates, to certify there. Colour: f¹ = softmax "
        f"probability of class 1 of the base network. The point is classified as class {pl['l2'][0]['cls']}."
    )
    display.show(
        figures.toy_regions_figure(SPAN, SPAN, f1, X, y, (x1, x2), panels),
        key=keys.TOY_CLICK,
        on_select="rerun",
        selection_mode="points",
    )
    rows = []
    for noise in (GAUSSIAN, UNIFORM):
        for which in ("isotropic", "anisotropic"):
            o = pl[noise.norm][1][which]
            rows.append(
                {
                    "norm": noise.norm,
                    "region": which,
                    "θ1": o["theta"][0],
                    "θ2": o["theta"][1],
                    "gap": o["gap"],
                    "radius (min θ·gap)": o["radius"],
                    "proxy radius √(θ1θ2)·gap": o["proxy_radius"],
                }
            )
    display.data_table(rows)


def objective_plane(c: ToyChoice, model, pl: dict, x1: float, x2: float, rotation: float):
    """The objective over the (θ1, θ2) plane: the global optimum, ANCER's path and the user's own θ."""
    st.subheader("The objective over the (θ1, θ2) plane")
    norm = st.radio(
        "norm",
        [n.norm for n in NOISES],
        horizontal=True,
        key="toy_norm",
        format_func=lambda k: f"{noise_for(k).norm_symbol}: {noise_for(k).name} θ = {noise_for(k).theta_symbol}",
    )
    noise = noise_for(norm)
    plane, opt = pl[norm]
    cls = plane["cls"]
    path, theta_ancer = ancer_path(c.name, c.noise, c.hidden, x1, x2, norm, float(opt["isotropic"]["theta"][0]))
    f1c, f2c = st.columns(2)
    t1 = f1c.select_slider("your fixed θ1", options=[float(f"{g:.4f}") for g in GRID], value=float(f"{GRID[18]:.4f}"))
    t2 = f2c.select_slider("your fixed θ2", options=[float(f"{g:.4f}") for g in GRID], value=float(f"{GRID[6]:.4f}"))
    display.show(figures.objective_plane_figure(plane, opt, path, (t1, t2), noise.theta_symbol), key="plane")
    rot = rotation_for(noise, rotation)
    p_fixed = class_probability(model, [[x1, x2]], [t1, t2], noise, rotation=rot, cls=cls)[0]
    c_fixed = certificate_2d(noise, [t1, t2], cls, p_fixed)
    c_ancer = certificate_2d(
        noise, theta_ancer, cls, class_probability(model, [[x1, x2]], theta_ancer, noise, rotation=rot, cls=cls)[0]
    )
    contains = contains_ball((t1, t2), c_fixed.gap, opt["isotropic"]["radius"])
    st.markdown(
        f"**Global optimum** over ANCER's feasible set θᵢ ≥ θ_iso: proxy radius "
        f"{opt['anisotropic']['proxy_radius']:.4f} vs the best isotropic {opt['isotropic']['proxy_radius']:.4f}; its "
        f"region {'contains' if opt['anisotropic']['superset'] else 'does not contain'} the isotropic one "
        "(Definition 1; the gap can shrink when θ grows, so θ ≥ θ_iso alone does not guarantee it). "
        f"**ANCER** (100 Adam steps on 400 noise samples, from the isotropic optimum, θ ≥ θ_iso): proxy radius "
        f"{c_ancer.proxy_radius:.4f} at θ = ({theta_ancer[0]:.3f}, {theta_ancer[1]:.3f}). "
        f"**Your fixed θ** ({t1:g}, {t2:g}): p = {p_fixed:.4f}, proxy radius {c_fixed.proxy_radius:.4f}, radius "
        f"{c_fixed.radius:.4f} — "
        + (
            "it contains the isotropic region."
            if contains
            else "it does **not** contain the isotropic region: a badly chosen anisotropic θ "
            "can certify less than the isotropic one (the paper's point in §6)."
        )
    )
    return noise, np.array([t1, t2])


def rotations(model, noise: Noise, x1: float, x2: float, cls: int) -> None:
    if not noise.supports_rotation:
        return
    st.subheader("Does rotating the ellipse help?")
    if st.button("search rotations (0°–175°, every 15°)"):
        angles = np.arange(0, 180, 15)
        best = rotation_search(model, [x1, x2], noise, GRID[::2], angles, cls)
        display.show(
            figures.line_figure(
                angles,
                {"best proxy radius": best},
                "rotation (degrees)",
                "best ℓ2 proxy radius",
                mode="lines+markers",
            ),
            key="rotations",
        )
        st.caption(
            f"Best at {angles[int(np.argmax(best))]}°: {max(best):.4f} vs {best[0]:.4f} unrotated "
            f"(a coarser grid of 18 × 18 θ's). Rotation helps where the decision boundary near x is "
            "not aligned with the axes."
        )


def what_smoothing_does(
    model, data, f1: np.ndarray, noise: Noise, theta: np.ndarray, x1: float, x2: float, rotation: float
) -> None:
    X, y = data
    st.subheader("What smoothing does")
    s1, s2 = st.columns(2)
    rot = rotation_for(noise, rotation)
    u = noise.sample_unit((300, 2), "cpu", torch.float64, torch.Generator().manual_seed(0)).numpy()
    samples = np.array([x1, x2]) + (u * theta) @ rotation_matrix(rot).T
    g1 = smoothed_landscape(model, SPAN[::3], SPAN[::3], theta, noise, k=32, rotation=rot)
    f_s = figures.toy_regions_figure(
        SPAN, SPAN, f1, X, y, (x1, x2), {"base classifier f with noise samples": []}, clickable=False
    )
    f_s.add_scatter(
        x=samples[:, 0],
        y=samples[:, 1],
        mode="markers",
        marker=dict(size=3, color=figures.palette.NOISE_SAMPLES),
        name="x + ε (300 samples)",
    )
    display.show(where=s1, fig=f_s, key="samples")
    display.show(
        where=s2,
        fig=figures.toy_regions_figure(
            SPAN[::3],
            SPAN[::3],
            g1,
            X,
            y,
            (x1, x2),
            {f"smoothed g¹ with your fixed θ ({theta[0]:g}, {theta[1]:g})": []},
            clickable=False,
        ),
        key="smoothed",
    )
    st.caption(
        "Left: the base classifier and noise samples around x with your fixed θ. Right: g¹(x) = "
        "P[f(x + ε) = 1] for that θ everywhere (quadrature on a 41 × 41 grid): the larger the noise along "
        "an axis, the more the smoothed boundary is blurred along it."
    )
