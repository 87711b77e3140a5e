"""The live page's attack: try to break a smoothed classifier inside a region shaped like a certificate."""

from __future__ import annotations

import time

import numpy as np
import streamlit as st

from ancer_core.core.settings import METHOD_LABELS
from ancer_core.core.smoothing import predict
from ancer_core.data import CLASSES
from ancer_core.teaching.attack import attack_smoothed, runner_up, verdict

from .. import display, figures, keys, resources
from ..session import Run

ATTACK_DEFAULTS = {"steps": 20, "samples": 32}


@st.fragment
def try_to_break_it(res: Run) -> None:
    """An attack on a method's smoothed classifier inside a region shaped like a certificate. A fragment:
    its widgets and its button rerun this section only, not the figures of the whole page."""
    st.subheader("Try to break it")
    st.caption(
        "Projected gradient ascent on the Monte Carlo estimate of the runner-up's smoothed probability (as in "
        "Salman et al.'s SmoothAdv), with fresh noise every step, inside a region of a certificate's shape scaled by "
        "the slider. Then a fresh PREDICT at x + δ decides. Inside the attacked classifier's certified region the "
        "prediction must stand (with probability ≥ 1 − α); outside, it may fall."
    )
    methods = [m for m, r in res.results.items() if not r.certificates[0].abstained]
    if not methods:
        st.info("Every method abstained on this image: there is no certified region to attack.")
        return
    a = _choices(methods)
    s = res.settings
    run_key = (res.key, a["attacked"], a["budget"], a["scale"], a["steps"], a["samples"], a["seed"])
    if st.button(
        f"⚔ Attack (then PREDICT with N = {s.n:,}, α = {s.alpha}, on the {res.precision} network)",
        key="atk_go",
        disabled=st.session_state.get(keys.RUNNING, False),
    ):
        st.session_state["attack"] = (run_key, *_attack(res, a))
    saved = st.session_state.get("attack")
    if saved and saved[0] == run_key:
        _outcome(res, a, *saved[1:])


def _choices(methods: list[str]) -> dict:
    """Which classifier, inside which method's region, how large; in presenter mode the attack's defaults."""
    a1, a2, a3 = st.columns(3)
    out = {
        "attacked": a1.selectbox(
            "attack the smoothed classifier of",
            methods,
            index=len(methods) - 1,
            key="atk_method",
            format_func=METHOD_LABELS.get,
        ),
        "budget": a2.selectbox(
            "inside a region shaped like the certificate of",
            methods,
            index=len(methods) - 1,
            key="atk_budget",
            format_func=METHOD_LABELS.get,
            help="Choose Isotropic DD's classifier inside ANCER's region to see where the isotropic "
            "certificate ends and ANCER's still holds.",
        ),
        "scale": a3.slider("region size (× that certificate)", 0.5, 3.0, 0.95, 0.05, key="atk_scale"),
    }
    if display.presenter():
        return out | ATTACK_DEFAULTS | {"seed": 0}
    b1, b2, b3 = st.columns(3)
    return out | {
        "steps": int(b1.number_input("steps", 1, 500, ATTACK_DEFAULTS["steps"], key="atk_steps")),
        "samples": int(
            b2.number_input("noise samples per step", 1, 1000, ATTACK_DEFAULTS["samples"], key="atk_samples")
        ),
        "seed": int(b3.number_input("attack seed", 0, 10_000, 0, key="atk_seed")),
    }


def _attack(res: Run, a: dict) -> tuple:
    """The attack, then PREDICT at x + δ on the network CERTIFY sampled: (result, prediction, votes, seconds)."""
    target_r, budget_r = res.results[a["attacked"]], res.results[a["budget"]]
    s = res.settings
    model = resources.model(res.model, str(resources.device()))
    dev = resources.device()
    bar = st.progress(0.0, text="attacking…")
    t0 = time.time()
    with resources.job_lock():
        out = attack_smoothed(
            model,
            res.x.to(dev),
            target_r.theta[0],
            res.norm,
            runner_up(target_r.certificates[0]),
            budget_r.theta[0],
            a["scale"] * budget_r.certificates[0].gap,
            steps=a["steps"],
            samples=a["samples"],
            seed=a["seed"],
            index=res.idx,
            callback=lambda i, t, p: bar.progress(i / t, text=f"step {i}/{t}: estimated p(runner-up) = {p:.3f}"),
        )
        bar.progress(1.0, text="PREDICT at x + δ…")
        # the certificate is a statement about the network CERTIFY sampled (int8 or autocast where chosen):
        # PREDICT asks that same smoothed classifier; the attack's gradients need the float network
        decided = resources.certifying(res.model, res.precision, res.optimizer_precision)
        pred, votes = predict(
            decided.sampled(model),
            (res.x.to(dev) + out.delta[None]),
            target_r.theta.to(dev),
            res.norm,
            s.n,
            s.alpha,
            seed=a["seed"] + 1,
            indices=[res.idx],
            return_counts=True,
            config=decided.config,
        )
    bar.empty()
    return out, int(pred[0]), votes[0], time.time() - t0


def _outcome(res: Run, a: dict, out, pred: int, votes, secs: float) -> None:
    """The verdict, δ beside x and x + δ, and what the attack did."""
    s = res.settings
    cert, bcert = res.results[a["attacked"]].certificates[0], res.results[a["budget"]].certificates[0]
    delta = out.delta.cpu().numpy()
    v = verdict(cert, delta, pred, s.n, s.alpha, list(CLASSES))
    (st.success if v.held in (True, None) else st.error)(v.text)
    moved = int((np.abs(delta) > 1e-8).sum())
    amplify = 0.5 / max(float(np.abs(delta).max()), 1e-6)
    if moved == 0:
        st.info(
            "δ is 0 everywhere: no step of the attack moved the image (the estimated gradient was 0, or every "
            "step was clipped back to a valid image), so its panel is flat grey. More noise samples per step, "
            "more steps or another seed may find a direction."
        )
    elif moved < 0.02 * delta.size:
        st.caption(
            f"δ changes {moved:,} of {delta.size:,} values: an ℓ1 budget is spent on a few pixels (the "
            "cross-polytope's corners), so the δ panel is grey but for those few."
        )
    display.show(
        figures.perturbation_figure(
            res.x[0].numpy(),
            delta,
            amplify,
            ("x", f"δ × {amplify:.0f} (grey = 0)", f"x + δ → {'abstain' if pred < 0 else CLASSES[pred]}"),
        ),
        "attack_images",
    )
    p = res.noise.p
    st.caption(
        f"Attacked: {METHOD_LABELS[a['attacked']]}'s smoothed classifier (its certificate: "
        f"{CLASSES[cert.prediction]}, radius {cert.radius:.4f}); budget ‖δ/θ‖{p} ≤ {out.budget_radius:.4f} with "
        f"θ of {METHOD_LABELS[a['budget']]} ({a['scale']:g} × its gap "
        f"{bcert.gap:.4f}); reached {out.budget_norm:.4f}; ‖δ‖{p} = {float(res.noise.region_norm(delta.ravel())):.4f}. "
        f"Target: {CLASSES[out.target]}; its estimated smoothed probability went from {out.trace[0]:.3f} to "
        f"{out.trace[-1]:.3f} in {len(out.trace)} steps × {a['samples']} samples. PREDICT's votes: "
        + ", ".join(f"{CLASSES[i]} {int(n):,}" for i, n in enumerate(votes) if n)
        + f". {secs:.1f} s."
    )
