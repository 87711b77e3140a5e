"""The live page's pictures of a run: ANCER's per-pixel θ, what the smoothed classifier sees, a
perturbation inside ANCER's region and outside the isotropic one (Figure 2), and 2D slices."""

from __future__ import annotations

import numpy as np
import streamlit as st
import torch

from ancer_core.core.settings import METHOD_LABELS
from ancer_core.core.smoothing import predict
from ancer_core.data import CLASSES
from ancer_core.teaching.attack import runner_up
from ancer_core.teaching.regions import perturbation_outside, slice_boundary, slice_directions
from ancer_core.teaching.smoothed_views import noisy_copies

from .. import display, figures, keys, resources
from ..session import Run
from . import bound


def theta_maps(res: Run) -> None:
    an, iso = res.results["ancer"], res.results["isotropic-dd"]
    theta_name = res.noise.theta_symbol
    iso_theta = float(iso.theta[0])
    st.subheader("Per-pixel θ of ANCER")
    st.caption(
        f"θ = the {res.noise.theta_meaning} per pixel and channel "
        f"(pixel values in [0, 1]); Isotropic DD's {theta_name} = {iso_theta:.4f} everywhere"
        + ("" if theta_name == "σ" else f" (noise std σ = {res.noise.sigma_from_theta(iso_theta):.4f})")
        + ". "
        "Bright = ANCER adds more noise there, so the region is longer along that pixel." + bound.map_caption(res)
    )
    overlay = st.toggle("overlay on the image", value=False, key="overlay")
    display.show(
        figures.theta_map_figure(
            an.theta[0].cpu().numpy(), iso_theta, theta_name, overlay=res.x[0].numpy() if overlay else None
        ),
        key="theta_maps",
    )


def perturbed_images(res: Run) -> None:
    """Paper Figure 2: a perturbation inside ANCER's region and outside Isotropic DD's, with an
    optional Monte Carlo PREDICT at x + δ."""
    an, iso, s = res.results["ancer"], res.results["isotropic-dd"], res.settings
    an_cert = an.certificates[0]
    st.subheader("Perturbed images (paper Figure 2)")
    if an_cert.abstained or iso.certificates[0].abstained:
        st.info("A method abstained on this image, so there is no region to draw a perturbation from.")
        return
    if iso.certificates[0].is_superset_of(an_cert):  # no δ lies in ANCER's region and outside Isotropic DD's
        st.info(
            "Here ANCER's region lies inside Isotropic DD's (Definition 1, exact test): ANCER kept θ where Isotropic "
            "DD left it, or its gap shrank. No perturbation can be inside ANCER's region and outside the isotropic "
            "one, whatever the seed: there is no Figure 2 for this image. Try an image where the certificates "
            "table says ⊇ isotropic DD? yes for ANCER."
        )
        return
    p1, p2 = st.columns(2)
    amplify = p1.slider("amplify δ for display", 1.0, 50.0, 10.0, 1.0)
    pseed = int(p2.number_input("perturbation seed", 0, 10_000, 0))
    delta, info = perturbation_outside(iso.certificates[0], an_cert, seed=pseed, center=res.x[0].numpy())
    display.show(
        figures.perturbation_figure(
            res.x[0].numpy(), delta, amplify, ("x", f"δ × {amplify:g} (grey = 0)", "x + δ (clipped to [0, 1])")
        ),
        key="perturbation",
    )
    ok = info["inside_outer"] and info["outside_inner_region"]
    st.markdown(
        f"‖δ‖{'₂' if res.noise.p == 2 else '₁'} = **{info['delta_norm']:.4f}**, against Isotropic DD's "
        f"certified radius **{info['inner_radius']:.4f}**: δ is "
        f"{'inside' if info['inside_outer'] else 'NOT inside'} ANCER's region and "
        f"{'outside' if info['outside_inner_region'] else 'inside'} the isotropic one"
        f"{'' if ok else ' (this draw missed the thin part where the regions differ: try another seed)'}. "
        f"δ = θ^{info['weight_power']} ⊙ z (z Gaussian), "
        f"scaled to {info['fraction']:.0%} of the way to ANCER's boundary, then clipped to valid pixels."
    )
    if st.button(
        f"Monte Carlo check: PREDICT at x + δ with ANCER's θ (N = {s.n:,}, α = {s.alpha})",
        disabled=st.session_state.get(keys.RUNNING, False),
    ):
        with st.spinner("sampling…"), resources.job_lock():
            model = resources.model(res.model, str(resources.device()))
            xd = torch.as_tensor(res.x[0].numpy() + delta, dtype=torch.float32)[None].to(resources.device())
            pred = predict(model, xd, an.theta.to(resources.device()), res.norm, s.n, s.alpha, seed=pseed + 1)[0]
        st.session_state["mc_check"] = (res.key, pseed, int(pred))
    mc = st.session_state.get("mc_check")
    if mc and mc[:2] == (res.key, pseed):
        pred = mc[2]
        said = "abstain" if pred < 0 else CLASSES[pred]
        same = pred == an_cert.prediction
        (st.success if same else st.warning)(
            f"The smoothed classifier (ANCER's θ) predicts **{said}** at x + δ; at x it certified "
            f"**{CLASSES[an_cert.prediction]}**. "
            + (
                "As the certificate promises."
                if same
                else "PREDICT can abstain when the two top classes are close, even inside the region; the "
                "certificate fails with probability ≤ α."
            )
        )


def region_slices(res: Run) -> None:
    results, an = res.results, res.results["ancer"]
    st.subheader("Regions: 2D slices through x")
    r1, r2 = st.columns([1, 2])
    kind = r1.radio(
        "directions",
        ["extreme", "random"],
        key="slice_kind",
        format_func={
            "extreme": "pixels with the largest and the smallest ANCER θ",
            "random": "two random directions",
        }.get,
    )
    rseed = int(r1.number_input("direction seed", 0, 10_000, 0, disabled=kind != "random"))
    u, v, ulab, vlab = slice_directions(an.theta[0].cpu().numpy(), kind, rseed)
    curves = {m: slice_boundary(r.certificates[0], u, v) for m, r in results.items() if not r.certificates[0].abstained}
    r1.caption(
        "The plane {x + a·u + b·v} with orthonormal u, v; each region's slice is exact. In 3,072 "
        "dimensions a region can be long along a few pixels and still have most of its volume gain "
        "spread over many; the extreme pixels show the largest difference." + bound.slice_caption(res)
    )
    if curves:
        display.show(figures.region_slice_figure(curves, f"a along {ulab}", f"b along {vlab}"), "slices", r2)


NOISY_COPY_PX = {False: 64, True: 112}  # four copies fill the column in presenter mode


def smoothed_classifier_sees(res: Run) -> None:
    """Noisy copies as the base classifier receives them, and CERTIFY's votes, for each method's θ."""
    st.subheader("What the smoothed classifier sees")
    st.caption(
        "The smoothed classifier's answer is a vote: the base network classifies many noisy copies x + ε of the "
        f"image, ε drawn with each method's θ ({res.noise.name} noise). Below, eight copies per method as the network "
        "receives them (clipped to [0, 1] only for display: the network sees the unclipped values) with the base "
        "network's label, and the votes of CERTIFY's estimation samples. ANCER's copies show where it dares to add "
        "more noise."
    )
    model = resources.model(res.model, str(resources.device()))
    k = 4 if display.presenter() else 8
    for m, r in res.results.items():
        c = r.certificates[0]
        copies, labels = noisy_copies(
            model, res.x.to(resources.device()), r.theta[0], res.norm, k=k, seed=res.seed, index=res.idx
        )
        counts = np.array(c.extra["counts"])
        top = c.prediction if c.prediction >= 0 else int(counts.argmax())
        second = runner_up(c)
        v1, v2 = st.columns([3, 2])
        v1.markdown(f"**{METHOD_LABELS[m]}** — θ from {float(r.theta.min()):.3f} to {float(r.theta.max()):.3f}")
        # small images as images: a Plotly heatmap per copy would add hover and zoom nobody needs here
        v1.image(
            [np.clip(c.transpose(1, 2, 0), 0, 1) for c in copies.cpu().numpy()],
            caption=[CLASSES[int(i)] for i in labels],
            width=NOISY_COPY_PX[display.presenter()],
        )
        said = "abstains" if c.abstained else f"certifies **{CLASSES[top]}**"
        title = f"N = {c.n:,} votes; p̲A = {c.p_lower:.4f}"
        display.show(figures.votes_figure(counts, list(CLASSES), top, second, title), f"votes-{m}", v2)
        votes = f"{counts[second]:,} vote" + ("" if counts[second] == 1 else "s")
        v2.caption(f"{said}; runner-up {CLASSES[second]} ({votes}). α = {c.alpha}.")
