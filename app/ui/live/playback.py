"""The live page's playback: how θ got where it is, step by step, and what changed on the way."""

from __future__ import annotations

import numpy as np
import streamlit as st
import torch

from ancer_core.core.settings import OPTIMIZED
from ancer_core.data import CLASSES

from .. import display, figures
from ..figures import Frame
from ..session import Run
from . import bound

STAGE_NAMES = {"isotropic-dd": "Isotropic DD", "ancer": "ANCER"}


def frames_of(res: Run) -> list[Frame]:
    """Every snapshot of the run, Isotropic DD's then ANCER's, θ as a C×H×W map."""
    shape = tuple(res.x.shape[1:])
    frames = []
    for stage in OPTIMIZED:
        snaps = next((r.snapshots[stage] for r in res.results.values() if stage in r.snapshots), None)
        if not snaps:
            continue
        last = int(snaps["step"][-1])
        for step, theta, probs, proxy in zip(snaps["step"], snaps["theta"], snaps["probs"], snaps["proxy_radius"]):
            frames.append(
                Frame(
                    f"{STAGE_NAMES[stage]} step {int(step)}/{last}",
                    np.broadcast_to(theta[0], shape),  # a scalar (Isotropic DD) or a map (ANCER)
                    probs[0],
                    float(proxy[0]),
                )
            )
    return frames


def what_happened(res: Run, frames: list[Frame]) -> tuple[str, int]:
    """One sentence on what the optimization did, and the frame to open at: where the surrogate's top
    class changed, else the last step."""
    classes = CLASSES
    start_class = int(np.argmax(frames[0].probs))
    switch = next((k for k, f in enumerate(frames) if int(np.argmax(f.probs)) != start_class), None)
    theta_end = float(frames[-1].theta.mean())
    said = [f"θ went from {res.theta0:.3g} to {theta_end:.3g} on average ({theta_end / res.theta0:.1f}× the start)"]
    if switch is not None:
        f = frames[switch]
        said.append(
            f"from {f.label} on, the smoothed surrogate answers {classes[int(np.argmax(f.probs))]} "
            f"(it answered {classes[start_class]} at the start)"
        )
    fixed, last = res.results["fixed"].certificates[0], res.results["ancer"].certificates[0]
    if not fixed.abstained and not last.abstained and fixed.prediction != last.prediction:
        said.append(f"fixed σ certifies {classes[fixed.prediction]}, ANCER {classes[last.prediction]}")
    return "; ".join(said) + ".", switch if switch is not None else len(frames) - 1


def playback(res: Run) -> None:
    frames = frames_of(res)
    if not frames:
        return
    st.subheader("Watch θ move")
    sentence, start = what_happened(res, frames)
    bound_said = bound.note(res)
    if bound_said:
        st.warning(f"{sentence} {bound_said}")
        bound.paper_objective_button(res)
    else:
        (st.warning if start < len(frames) - 1 or res.theta0 * 2 < frames[-1].theta.mean() else st.info)(sentence)
    # built and sent when asked for: its frames are most of what a page after a run sends to the browser
    if not st.toggle(f"▶ show θ's path, {len(frames)} steps (slider and play)", key=f"playback-{res.key}"):
        return
    g = torch.Generator().manual_seed(res.seed)
    u = res.noise.sample_unit(tuple(res.x.shape[1:]), "cpu", generator=g).numpy()
    fig = figures.playback_figure(frames, res.x[0].numpy(), u, list(CLASSES), res.noise.theta_symbol, start)
    display.show(fig, "playback")
    iso_steps = (
        "Isotropic DD's scalar solver moves one grid step of log θ at a time uphill from the initial θ, then "
        "refines by golden-section steps; "
        if res.settings.iso_solver == "scalar"
        else ""
    )
    st.caption(
        f"{len(frames)} snapshots recorded during the run ({iso_steps}evenly spaced over each optimizer's steps; "
        "the last is the θ CERTIFY used). Left: θ on one colour scale for all steps; middle: the smoothed soft "
        "classifier the optimizers maximise (the mean softmax over their noise samples at that step); right: the "
        "image plus one fixed noise draw scaled by that step's θ. Press play, or drag the slider."
    )
    last = res.results["ancer"].certificates[0]
    st.caption(
        f"The title's proxy radius is the optimizers' own estimate, from their {res.settings.ancer_samples} noise "
        "samples a step (the surrogate: mean softmax, not hard votes): a guide to where θ goes, not a certificate. "
        f"ANCER's certified proxy radius for its final θ is **{last.proxy_radius:.4f}** (CERTIFY: N = "
        f"{res.settings.n:,} hard votes, α = {res.settings.alpha:g}, in the certificates table); the two differ "
        "because they count different things from different samples."
        if not last.abstained
        else "The title's proxy radius is the optimizers' own estimate (the surrogate), not a certificate; CERTIFY "
        "abstained on ANCER's final θ, so there is no certified radius for it."
    )
