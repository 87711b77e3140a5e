"""Live page: pick a CIFAR-10 test image (or your own) and run fixed σ, Isotropic DD and ANCER on it.

The outline of the page; its sections are in ``ui.live``: the sidebar's choices, the image, the run,
then the certificates, what the smoothed classifier sees, the attack, ANCER's θ, Figure 2, slices,
the export, the trace and the comparison of runs.
"""

from __future__ import annotations

import streamlit as st

from ancer_app.ui import display, figures, keys, resources
from ancer_app.ui.live import attack, bound, certificates, choices, images, playback, run, views
from ancer_app.ui.session import last_run
from ancer_core.data import CLASSES
from ancer_core.models.cards import shipped_models


def main() -> None:
    st.title("Anisotropic certification, live")
    st.caption(
        "Randomized smoothing certifies a region around an image in which the smoothed classifier's "
        "prediction cannot change. ANCER optimizes one noise scale per pixel and channel to maximize the "
        "region's volume (Eiras, Alfarra et al., TMLR 2022)."
    )
    cards = shipped_models()
    if not cards:
        st.error(
            "No shipped models found in ancer_core/models/weights. Train one with "
            "`python -m ancer_core train …` and give its path below."
        )
    x_all, y_all = resources.test_split()
    choices.init_from_url(len(y_all))
    choice = choices.sidebar(cards, y_all)
    gallery = st.container()  # above the image, filled after the Run button is on its way to the browser
    if choice.source == "own":
        image = images.own_image(st)
    else:
        image = images.test_image(choice.idx, x_all, y_all)
    if image is None:
        return
    c1, c2 = st.columns([1, 3])
    title = image.name if image.label is None else f"#{image.idx}: {CLASSES[image.label]}"
    # a plain image, not a figure: Plotly's code (megabytes a new browser has not cached) waits until below;
    # enlarged pixel by pixel, as the browser would blur a 32×32 image it scaled itself
    c1.image(figures.rgb(image.x[0].numpy()).repeat(8, 0).repeat(8, 1), caption=title, width=256)
    if choice.settings_error is not None:
        c2.error(f"These settings make no sense: {choice.settings_error}")
    go = c2.button(
        "▶ Run fixed σ, Isotropic DD and ANCER",
        type="primary",
        disabled=choice.settings_error is not None or st.session_state.get(keys.RUNNING, False),
    )
    go = (st.session_state.pop(bound.RUN_REQUESTED, False) and choice.settings_error is None) or go
    if choice.source != "own" and not display.presenter():
        images.gallery(gallery, choice.pool, choice.cls, y_all)
    loadable = choice.model_name in cards or choice.model_name.endswith((".pt", ".pth"))
    ready = choice.settings is not None and not go and loadable
    if ready and st.query_params.get("lecture"):
        lecture_step(c2, choice, image)  # a lecture's step: its prepared run, without a click
    elif ready:
        run.show_estimate(c2, choice)
    if go:
        run.run_methods(c2, choice, image)
    res = last_run()
    if res and res.matches(image.name, choice.norm):
        certificates.certificates_table(res)
        playback.playback(res)
        views.smoothed_classifier_sees(res)
        attack.try_to_break_it(res)
        views.theta_maps(res)
        views.perturbed_images(res)
        if not display.presenter():
            views.region_slices(res)
            certificates.export(res)
            certificates.optimization_trace(res)
        certificates.compare_runs(res)
    else:
        c2.info("Press Run to certify this image with the three methods.")


def lecture_step(where, choice, image) -> None:
    """In a lecture: the step's prepared run shown at once, or what to do when it was not prepared."""
    res = last_run()
    if res and res.matches(image.name, choice.norm, choice.model_name):
        return
    if not run.show_prepared(choice, image):
        where.caption(
            f"This view was not prepared: `ancer lecture prepare {st.query_params.get('lecture')}` computes every "
            "step of the lecture before the class. Press Run to compute it now."
        )


main()
