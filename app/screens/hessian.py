"""Hessian projections (paper Appendix A, Figure 7): the landscape of f^y along curvature directions."""

from __future__ import annotations

import time

import numpy as np
import streamlit as st
import torch

from ancer_app.ui import captions, display, figures, keys, resources
from ancer_app.ui.session import last_run
from ancer_core.core.noise import GAUSSIAN
from ancer_core.core.protocol import run_all_methods
from ancer_core.core.settings import OPTIMIZED, PRESETS
from ancer_core.data import CLASSES
from ancer_core.models.cards import shipped_models
from ancer_core.models.checkpoints import ranked_models
from ancer_core.teaching import eigen_decomposition, input_hessian, plane_landscape, slice_boundary


@st.cache_data(show_spinner=False, max_entries=8)
def decomposition(model_name: str, idx: int, cls: int):
    m = resources.model(model_name, str(resources.device()))
    bar = st.progress(0.0, text="Hessian–vector products…")
    t0 = time.time()
    h = input_hessian(
        m,
        resources.test_split()[0][idx].to(resources.device()),
        cls,
        progress=lambda d, t: bar.progress(d / t, text=f"Hessian–vector products {d}/{t}"),
    )
    t1 = time.time()
    bar.progress(1.0, text="eigen-decomposition (scipy.linalg.eigh)…")
    w, v = eigen_decomposition(h)
    bar.empty()
    return w, v, t1 - t0, time.time() - t1


def main() -> None:
    """The page's outline: the image and model, the decomposition on click, the spectrum, the regions and
    two landscapes."""
    st.title("Hessian projections (ANCER, Appendix A / Figure 7)")
    st.caption(
        "The Hessian of $f^y(x) = \\mathrm{softmax}(\\mathrm{model}(x))_y$ with respect to the 3,072 input values, "
        "computed exactly with batched Hessian–vector products, and its eigenvectors ν1 … ν3072 ordered by "
        "|eigenvalue|. The landscape of $f^y$ on the plane through x spanned by two eigenvectors shows where the "
        "decision boundary is close (high curvature) and where it is far — and how the isotropic ball and ANCER's "
        "ellipsoid fit in it."
    )
    cards = {n: c for n, c in shipped_models().items() if c.get("noise") == GAUSSIAN.name}
    idx, model_name = image_and_model(cards)
    x_all, y_all = resources.test_split()
    label, x = int(y_all[idx]), x_all[idx]
    model = resources.model(model_name, str(resources.device()))
    w, v = spectrum(model, model_name, idx, x, label)
    certs = regions(model, model_name, cards[model_name]["sigma"], idx, x)
    landscapes(model, x, label, w, v, certs)


def image_and_model(cards: dict) -> tuple[int, str]:
    """The sidebar: the test image and the shipped Gaussian model (the page stops when there is none)."""
    _, y_all = resources.test_split()
    with st.sidebar:
        st.header("Image and model")
        idx = int(
            st.number_input(
                "test image index", 0, len(y_all) - 1, int(st.session_state.get(keys.IMAGE_INDEX, 0)), key="hess_index"
            )
        )
        names = [n for n in ranked_models("l2") if n in cards]
        model_name = st.selectbox("model (Gaussian noise, ℓ2)", names, key="hess_model")
        st.caption(f"device: **{resources.device_label()}**")
    if not names:
        st.error("No shipped Gaussian model found; train one with `python -m ancer_core train`.")
        st.stop()
    return idx, model_name


def spectrum(model, model_name: str, idx: int, x, label: int):
    """The prediction, the decomposition on a click (cached) and the spectrum of |eigenvalues|."""
    with torch.inference_mode():
        pred = int(model(x[None].to(resources.device())).argmax(1))
    st.markdown(
        f"Image #{idx}: **{CLASSES[label]}**; the base network predicts **{CLASSES[pred]}**. The Hessian "
        f"is taken for y = the true label ({CLASSES[label]}), as in the paper."
    )
    if not st.session_state.get(f"hess_go_{model_name}_{idx}") and not st.button(
        "Compute the Hessian and its eigenvectors", type="primary"
    ):
        st.info(
            "3,072 Hessian–vector products and a 3,072 × 3,072 eigen-decomposition: about 20 s on a 2-core CPU for "
            "the small model (cached afterwards)."
        )
        st.stop()
    st.session_state[f"hess_go_{model_name}_{idx}"] = True
    w, v, t_h, t_e = decomposition(model_name, idx, label)
    st.caption(f"Hessian in {t_h:.1f} s, eigen-decomposition in {t_e:.1f} s on {resources.device_label()}.")
    display.show(
        figures.line_figure(
            np.arange(1, len(w) + 1),
            {"|eigenvalue|": np.abs(w) + 1e-30},
            "index i of νi",
            "|λi| (log scale)",
            log_y=True,
            height=280,
        ),
        key="spectrum",
    )
    return w, v


def regions(model, model_name: str, sigma: float, idx: int, x) -> dict | None:
    """Isotropic DD's and ANCER's certificates: from the live page's run on the same image and model, or a
    Quick run here on a click."""
    res = last_run()
    if res and res.matches(idx, GAUSSIAN.norm, model_name):
        st.caption(
            f"Regions: from the live page's run on this image and model (N = {res.settings.n:,}, "
            f"α = {res.settings.alpha})."
        )
        return {m: r.certificates[0] for m, r in res.results.items() if m in OPTIMIZED}
    if st.button("Run Isotropic DD and ANCER here (Quick preset) to draw their regions"):
        with st.spinner("optimizing and certifying…"), resources.job_lock():
            out = run_all_methods(
                model,
                x[None].to(resources.device()),
                GAUSSIAN,
                sigma,
                PRESETS["quick"],
                indices=[idx],
                methods=OPTIMIZED,
            )
        st.session_state[f"hess_certs_{model_name}_{idx}"] = {m: r.certificates[0] for m, r in out.items()}
    return st.session_state.get(f"hess_certs_{model_name}_{idx}")


def landscapes(model, x, label: int, w, v, certs: dict | None) -> None:
    """Two planes through x spanned by chosen eigenvectors: f^y on each, the regions' exact slices, and a
    caption computed from them."""
    c1, c2 = st.columns(2)
    n = len(w)
    said = []
    for col, (default_i, default_j), key in ((c1, (1, 2), "a"), (c2, (1, n), "b")):
        i = int(col.number_input("first eigenvector ν", 1, n, default_i, key=f"hess_i{key}"))
        j = int(col.number_input("second eigenvector ν", 1, n, default_j, key=f"hess_j{key}"))
        curves = {}
        if certs:
            curves = {m: slice_boundary(c, v[:, i - 1], v[:, j - 1]) for m, c in certs.items() if not c.abstained}
        extent = max([np.abs(np.concatenate(cv)).max() for cv in curves.values()] + [0.5]) * 1.6
        coords = np.linspace(-extent, extent, 41)
        z = plane_landscape(model, x.to(resources.device()), label, v[:, i - 1], v[:, j - 1], coords)
        display.show(
            where=col,
            fig=figures.landscape_figure(
                coords,
                z,
                curves,
                f"along ν{i} (λ = {w[i - 1]:.2e})",
                f"along ν{j} (λ = {w[j - 1]:.2e})",
                f"f<sup>{CLASSES[label]}</sup>",
            ),
            key=f"land{key}",
        )
        said.append(captions.slice_reach(curves, i, j))
    st.caption(
        "Each panel: $f^y$ on the plane {x + a·νi + b·νj} (41 × 41 forward passes; pixels may leave [0, 1]); the "
        "curves are the exact slices of the certified regions through x. "
        + (" ".join(s for s in said if s) or "Run the methods above to draw their regions.")
        + " The paper's Figure 7 found the isotropic ball nearly optimal along the highest-curvature pair and the "
        "ellipsoid stretching where the landscape is flat; the sentences before say what this image and model show."
    )


main()
