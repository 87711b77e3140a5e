"""Toy 2D page (paper Figure 1): optimal isotropic vs anisotropic certificates, computed almost exactly.

The outline of the page; its parts are in ``ui.toy``: the sidebar (data set and classifier), your own
data (drawn), the point to certify, the optimal regions of both noises, the objective over the
(θ1, θ2) plane with ANCER's path, rotated ellipses, what smoothing does to the classifier, and — in
``ui.toy.input_dependent`` — what a per-input θ costs: contradicting certificates, memory, and a
certified selector.
"""

from __future__ import annotations

import streamlit as st

from ancer_app.ui.toy import choices, input_dependent, sections
from ancer_app.ui.toy.drawing import drawing
from ancer_core.teaching.smoothing2d import base_landscape


def main() -> None:
    st.title("Toy 2D: isotropic vs anisotropic certificates (ANCER, Figure 1)")
    st.caption(
        "A small network is trained on a 2D data set; in two dimensions the smoothed classifier's probability "
        "p = P[f(x + ε) = c] is computed by quadrature rather than sampled, so the 'optimal' certificates "
        "below are real global optima over the (θ1, θ2) plane. p is capped at 0.99993 — what N = 100,000 "
        "samples, all correct, certify at α = 0.001 — otherwise a region far from the boundary would be "
        "infinite."
    )
    c = choices.sidebar()
    if c.name == choices.DRAWN:
        code = drawing(choices.SPAN[::2])
        if code is None:
            st.info("Place at least two points of each class, then press **Train on these points**.")
            return
        c.name = code
    data = choices.toy_data(c.name)
    model = choices.toy_model(c.name, c.noise, c.hidden)
    f1 = base_landscape(model, choices.SPAN, choices.SPAN)
    x1, x2, rotation = choices.point_ui()
    pl = choices.planes(c.name, c.noise, c.hidden, x1, x2, rotation)
    sections.optimal_regions(pl, data, f1, x1, x2, rotation)
    noise, theta = sections.objective_plane(c, model, pl, x1, x2, rotation)
    sections.rotations(model, noise, x1, x2, pl[noise.norm][0]["cls"])
    sections.what_smoothing_does(model, data, f1, noise, theta, x1, x2, rotation)
    regions = input_dependent.overlapping_certificates(c.name, c.noise, c.hidden, f1)
    input_dependent.memory_step_by_step(regions, c.name, f1)
    input_dependent.certified_selector(c.name, c.noise, c.hidden, f1, regions)


main()
