"""The app's colours, owned here so that one colour means one thing on every page: each method has its
own (by id or by display name), the two classes of the toy plane have colours that are none of the
methods', and the landscapes use a colour scale whose ends are the classes' colours."""

from __future__ import annotations

from plotly.colors import diverging

from ancer_core.core.settings import METHOD_LABELS

METHOD = {"fixed": "#7f7f7f", "isotropic-dd": "#1f77b4", "ancer": "#d62728"}
# the toy page's kinds of region are the methods' shapes: an isotropic optimum is Isotropic DD's, an
# anisotropic one ANCER's, a fixed θ fixed σ's; a rotated ellipse belongs to no method of the library
REGION = {"fixed": METHOD["fixed"], "isotropic": METHOD["isotropic-dd"], "anisotropic": METHOD["ancer"]}
ROTATED = "#e6ab02"
# a probability of class 1 over a plane: purple (0) through white to green (1), neither red nor blue, in
# tints light enough that the points, regions and paths drawn on it stay readable
PROBABILITY_SCALE = [[0.0, diverging.PRGn[2]], [0.5, diverging.PRGn[5]], [1.0, diverging.PRGn[-3]]]
CLASS = {0: diverging.PRGn[1], 1: diverging.PRGn[-2]}  # the scale's hues, darker: lines drawn on it
TOP_CLASS, RUNNER_UP, OTHER_CLASS = "#333333", "#8c8c8c", "#d0d0d0"  # vote bars: no method's colour
PATH = "#17becf"  # ANCER's gradient steps drawn on a plane (its θ, not its region)
NOISE_SAMPLES = "#ff7f0e"  # x + ε drawn on the toy plane
MEETING_POINT = "gold"
_BY_LABEL = {label: METHOD[mid] for mid, label in METHOD_LABELS.items()}  # 'Isotropic DD' → its colour


def method_color(name: str) -> str | None:
    """The colour of a method named by its id ('isotropic-dd') or its display name ('Isotropic DD')."""
    return METHOD.get(name) or _BY_LABEL.get(name)


def vote_colors(n: int, top: int, runner: int | None = None) -> list[str]:
    """Bars of class votes or probabilities: the top class dark, the runner-up mid-grey, the rest light."""
    return [TOP_CLASS if c == top else RUNNER_UP if c == runner else OTHER_CLASS for c in range(n)]
