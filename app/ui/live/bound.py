"""When the bound on θ decided the run: the words under the playback, the θ maps and the slices, and one
click to run the same image with the paper's unbounded objective for comparison."""

from __future__ import annotations

import streamlit as st

from ancer_core.core.errors import AncerInputError
from ancer_core.core.surrogate import OBJECTIVE_BOUND
from ancer_core.data import CLASSES
from ancer_core.teaching.bound import BoundReport, bound_report, bound_sentence

from .. import keys, resources
from ..session import Run

RUN_REQUESTED = "run_requested"  # set by the button below; the page's outline runs once when it finds it


def report(res: Run) -> BoundReport:
    return bound_report(res.results, res.settings, res.theta0)


def note(res: Run) -> str | None:
    """The student's explanation when Isotropic DD's θ reached the bound (None otherwise)."""
    rep = report(res)
    if not rep.iso_at_bound:
        return None
    try:
        attractor = resources.heavy_noise_answer(res.model, res.norm, res.theta0)
    except AncerInputError:
        attractor = None
    return bound_sentence(rep, res.noise.theta_symbol, CLASSES, attractor)


def _ask_for_paper_objective() -> None:
    # a callback runs before the widgets are made: it may set them
    st.session_state[keys.OBJECTIVE] = "paper"
    st.session_state[keys.THETA_BOUND] = OBJECTIVE_BOUND  # the paper's own: unbounded
    st.session_state[RUN_REQUESTED] = True


def paper_objective_button(res: Run) -> None:
    """Run this image again with the paper's objective (θ unbounded); the two runs are then compared below."""
    if res.settings.bound is None and not res.settings.surrogate(res.theta0).anchored:
        return  # already the paper's
    st.button(
        "▶ Run this image with the paper's objective (θ unbounded) and compare",
        key=f"paper-{res.key}",
        on_click=_ask_for_paper_objective,
        help="Sets the optimizers' objective to the paper's and its bound to none in the advanced settings and "
        "runs again; "
        "'Compare runs' below then shows both.",
    )


def map_caption(res: Run) -> str:
    """A line for the θ maps when ANCER's map is flat because of the bound ('' otherwise)."""
    rep = report(res)
    if not rep.ancer_stuck:
        return ""
    return (
        f" **The map is flat**: every {res.noise.theta_symbol} equals the bound {rep.theta_max:.3g} "
        f"(= {rep.theta_max / rep.theta0:g} × the initial {res.noise.theta_symbol}), which Isotropic DD "
        "reached, so ANCER had no room to move (see 'Watch θ move')."
    )


def slice_caption(res: Run) -> str:
    """A line for the slices when ANCER's region is Isotropic DD's ('' otherwise)."""
    if not report(res).ancer_stuck:
        return ""
    return " Here ANCER's region is Isotropic DD's (both θ sit on the bound), so their two curves are the same circle."
