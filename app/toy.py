"""Toy 2D page (paper Figure 1): optimal isotropic vs anisotropic certificates, computed almost exactly."""
from __future__ import annotations

import figures
import numpy as np
import streamlit as st
import torch

import ancer_core as ac
from ancer_core import toy2d as T
from ancer_core.toy import TOY_DATASETS, load_toy

st.title("Toy 2D: isotropic vs anisotropic certificates (ANCER, Figure 1)")
st.caption("A small network is trained on a 2D data set; in two dimensions the smoothed classifier's probability "
           "p = P[f(x + ε) = c] is computed by quadrature rather than sampled, so the 'optimal' certificates below "
           "are real global optima over the (θ1, θ2) plane. p is capped at 0.99993 — what N = 100,000 samples, "
           "all correct, certify at α = 0.001 — otherwise a region far from the boundary would be infinite.")

GRID = np.geomspace(0.02, 2.0, 36)
SPAN = np.linspace(-2.8, 2.8, 121)


@st.cache_resource(show_spinner="training the toy classifier…")
def toy_model(name: str, noise: float, hidden: int):
    X, y = load_toy(name)
    return T.train_toy(X, y, hidden=hidden, noise_sigma=noise, seed=0)


@st.cache_data(show_spinner="optimizing over the (θ1, θ2) plane…")
def planes(name: str, noise: float, hidden: int, x1: float, x2: float, rotation: float):
    m = toy_model(name, noise, hidden)
    out = {}
    for norm in ("l2", "l1"):
        plane = T.objective_plane(m, [x1, x2], norm, GRID, rotation=rotation if norm == "l2" else 0.0)
        out[norm] = (plane, T.optimal_certificates(plane))
    return out


@st.cache_data(show_spinner="running ANCER's gradient steps…")
def ancer_path(name: str, noise: float, hidden: int, x1: float, x2: float, norm: str, theta_iso: float):
    m = toy_model(name, noise, hidden)
    res = ac.ancer(m, torch.tensor([[x1, x2]], dtype=torch.float32), theta_iso, norm, iterations=100, samples=400,
                   lr=0.04, seed=0, record_theta=True)
    return res.trace["theta"][:, 0, :], res.theta[0].numpy()


with st.sidebar:
    st.header("Toy data")
    name = st.selectbox("data set", list(TOY_DATASETS), index=list(TOY_DATASETS).index("radial"))
    noise = st.slider("training noise σ (Gaussian augmentation)", 0.0, 0.5, 0.1, 0.05)
    hidden = st.select_slider("hidden units", [16, 32, 64, 128], 64)

X, y = load_toy(name)
model = toy_model(name, noise, hidden)
f1 = T.base_landscape(model, SPAN, SPAN)

st.session_state.setdefault("toy_x1", 1.1)
st.session_state.setdefault("toy_x2", 0.0)
sel = st.session_state.get("toy_click")
if sel and sel.get("selection", {}).get("points"):
    p = sel["selection"]["points"][0]
    if (p.get("x"), p.get("y")) != st.session_state.get("toy_last_click"):
        st.session_state["toy_last_click"] = (p.get("x"), p.get("y"))
        st.session_state["toy_x1"], st.session_state["toy_x2"] = float(p["x"]), float(p["y"])

c1, c2, c3 = st.columns([1, 1, 2])
x1 = c1.number_input("x1", -2.8, 2.8, step=0.05, key="toy_x1")
x2 = c2.number_input("x2", -2.8, 2.8, step=0.05, key="toy_x2")
rotation_deg = c3.slider("rotate the ℓ2 ellipse (degrees; 0 = the paper's diagonal Σ)", -90, 90, 0, 5,
                         help="Σ = RΘ²Rᵀ: any positive-definite covariance is certified for Gaussian noise (§4.2).")
rotation = np.deg2rad(rotation_deg)
pl = planes(name, noise, hidden, float(x1), float(x2), float(rotation))
cls = pl["l2"][0]["cls"]

panels = {}
for norm, shape in (("l1", "ℓ1 (cross-polytope)"), ("l2", "ℓ2 (ellipse)")):
    plane, opt = pl[norm]
    rot = rotation if norm == "l2" else 0.0
    for which in ("isotropic", "anisotropic"):
        o = opt[which]
        outline = T.region_outline(norm, o["theta"], o["gap"], rot if which == "anisotropic" else 0.0, (x1, x2))
        panels[f"optimal {which} {shape}"] = [(f"{which} R̃={o['proxy_radius']:.3f}", outline)]
fig = figures.toy_regions_figure(SPAN, SPAN, f1, X, y, (x1, x2), panels)
st.caption(f"Click a spot on the top-left panel, or type coordinates, to certify there. Colour: f¹ = softmax "
           f"probability of class 1 of the base network. The point is classified as class {cls}.")
st.plotly_chart(fig, key="toy_click", on_select="rerun", selection_mode="points")

rows = []
for norm in ("l2", "l1"):
    for which in ("isotropic", "anisotropic"):
        o = pl[norm][1][which]
        rows.append({"norm": norm, "region": which, "θ1": o["theta"][0], "θ2": o["theta"][1], "gap": o["gap"],
                     "radius (min θ·gap)": o["radius"], "proxy radius √(θ1θ2)·gap": o["proxy_radius"]})
st.dataframe(rows, hide_index=True)

st.subheader("The objective over the (θ1, θ2) plane")
norm = st.radio("norm", ["l2", "l1"], horizontal=True, key="toy_norm",
                format_func={"l2": "ℓ2: Gaussian θ = σ", "l1": "ℓ1: uniform θ = half-width λ"}.get)
plane, opt = pl[norm]
path, theta_ancer = ancer_path(name, noise, hidden, float(x1), float(x2), norm, float(opt["isotropic"]["theta"][0]))
f1c, f2c = st.columns(2)
t1 = f1c.select_slider("your fixed θ1", options=[float(f"{g:.4f}") for g in GRID], value=float(f"{GRID[18]:.4f}"))
t2 = f2c.select_slider("your fixed θ2", options=[float(f"{g:.4f}") for g in GRID], value=float(f"{GRID[6]:.4f}"))
st.plotly_chart(figures.objective_plane_figure(plane, opt, path, (t1, t2), "σ" if norm == "l2" else "λ"),
                key="plane")
p_fixed = T.class_probability(model, [[x1, x2]], [t1, t2], norm, rotation=rotation if norm == "l2" else 0.0,
                              cls=cls)[0]
c_fixed = T.certificate_2d(norm, [t1, t2], cls, p_fixed)
c_ancer = T.certificate_2d(norm, theta_ancer, cls, T.class_probability(
    model, [[x1, x2]], theta_ancer, norm, rotation=rotation if norm == "l2" else 0.0, cls=cls)[0])
st.markdown(
    f"**Global optimum** over ANCER's feasible set θᵢ ≥ θ_iso: proxy radius "
    f"{opt['anisotropic']['proxy_radius']:.4f} vs the best isotropic {opt['isotropic']['proxy_radius']:.4f}; its "
    f"region {'contains' if opt['anisotropic']['superset'] else 'does not contain'} the isotropic one "
    "(Definition 1; the gap can shrink when θ grows, so θ ≥ θ_iso alone does not guarantee it). "
    f"**ANCER** (100 Adam steps on 400 noise samples, from the isotropic optimum, θ ≥ θ_iso): proxy radius "
    f"{c_ancer.proxy_radius:.4f} at θ = ({theta_ancer[0]:.3f}, {theta_ancer[1]:.3f}). "
    f"**Your fixed θ** ({t1:g}, {t2:g}): p = {p_fixed:.4f}, proxy radius {c_fixed.proxy_radius:.4f}, radius "
    f"{c_fixed.radius:.4f} — " + ("it contains the isotropic region." if min(t1, t2) * c_fixed.gap >=
                                   opt["isotropic"]["radius"] * (1 - T.FEASIBILITY_RTOL) else
                                   "it does **not** contain the isotropic region: a badly chosen anisotropic θ "
                                   "can certify less than the isotropic one (the paper's point in §6)."))

if norm == "l2":
    st.subheader("Does rotating the ellipse help?")
    if st.button("search rotations (0°–175°, every 15°)"):
        angles = np.arange(0, 180, 15)
        best = [T.optimal_certificates(T.objective_plane(model, [x1, x2], "l2", GRID[::2], rotation=np.deg2rad(a),
                                                         cls=cls))["anisotropic"]["proxy_radius"] for a in angles]
        st.plotly_chart(figures.line_figure(angles, {"best proxy radius": np.array(best)},
                                            "rotation (degrees)", "best ℓ2 proxy radius", mode="lines+markers"),
                        key="rotations")
        st.caption(f"Best at {angles[int(np.argmax(best))]}°: {max(best):.4f} vs {best[0]:.4f} unrotated "
                   f"(a coarser grid of 18 × 18 θ's). Rotation helps where the decision boundary near x is "
                   "not aligned with the axes.")

st.subheader("What smoothing does")
s1, s2 = st.columns(2)
th_show = np.array([t1, t2])
rng = np.random.default_rng(0)
u = rng.standard_normal((300, 2)) if norm == "l2" else rng.uniform(-1, 1, (300, 2))
samples = np.array([x1, x2]) + (u * th_show) @ T.rotation_matrix(rotation if norm == "l2" else 0.0).T
g1 = T.smoothed_landscape(model, SPAN[::3], SPAN[::3], th_show, norm, k=32,
                          rotation=rotation if norm == "l2" else 0.0)
f_s = figures.toy_regions_figure(SPAN, SPAN, f1, X, y, (x1, x2), {"base classifier f with noise samples": []},
                                 clickable=False)
f_s.add_scatter(x=samples[:, 0], y=samples[:, 1], mode="markers", marker=dict(size=3, color="orange"),
                name="x + ε (300 samples)")
s1.plotly_chart(f_s, key="samples")
s2.plotly_chart(figures.toy_regions_figure(SPAN[::3], SPAN[::3], g1, X, y, (x1, x2),
                                           {f"smoothed g¹ with your fixed θ ({t1:g}, {t2:g})": []}, clickable=False),
                key="smoothed")
st.caption("Left: the base classifier and noise samples around x with your fixed θ. Right: g¹(x) = P[f(x + ε) = 1] "
           "for that θ everywhere (quadrature on a 41 × 41 grid): the larger the noise along an axis, the more the "
           "smoothed boundary is blurred along it.")
