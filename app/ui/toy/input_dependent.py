"""The toy page's sections on a per-input θ: overlapping certificates of different classes, memory-based
certification step by step, and a θ chosen by a certified selector. The math is in
``ancer_core.teaching.input_dependent``; this module wires widgets to it and draws."""

from __future__ import annotations

import numpy as np
import streamlit as st

from ancer_core.teaching import (
    input_dependent as ID,  # the section's math: overlaps, memory steps, the certified selector
)
from ancer_core.teaching.smoothing2d import P_CAP, region_outline

from .. import display, figures, resources
from .choices import SPAN, TV, toy_data, toy_model

PICKS = "toy_picks"  # the points the student clicked, in order (indices into the section's points)


@st.cache_data(show_spinner="each point's own optimal certificate…", max_entries=16)
def regions_for(name: str, noise: float, hidden: int, norm: str, anisotropic: bool) -> ID.Regions:
    return TV.data_dependent_regions(resources.result_store(), name, noise, hidden, norm, anisotropic)


@st.cache_data(show_spinner="the level selector over the plane…", max_entries=8)
def selector_regions(name: str, noise: float, hidden: int, norm: str, levels: tuple, tau: float) -> ID.SelectorRegions:
    return TV.selector_regions(resources.result_store(), name, noise, hidden, norm, levels, tau)


@st.cache_data(show_spinner=False, max_entries=8)
def fixed_regions(name: str, noise: float, hidden: int, norm: str, levels: tuple) -> ID.Regions:
    """The fixed-θ regions of the level with the largest mean radius over the section's points."""
    return TV.fixed_regions(resources.result_store(), name, noise, hidden, norm, levels)


def _outline(r: ID.Regions, i: int, **style) -> dict:
    pts = region_outline(r.norm, r.theta[i], r.gap[i], 0.0, r.centres[i], m=121)
    cls = int(r.cls[i])
    return {
        "name": f"class {cls} regions",
        "group": f"c{cls}",
        "points": pts,
        "color": figures.palette.CLASS[cls],
    } | style


def _point_mark(r: ID.Regions, i: int, text: str) -> dict:
    return {
        "name": f"point {i}",
        "x": r.centres[i, 0],
        "y": r.centres[i, 1],
        "color": "white",
        "symbol": "circle",
        "size": 10,
        "text": text,
    }


def _all_outlines(r: ID.Regions, width: float = 0.8, opacity: float = 1.0) -> list[dict]:
    shown, out = set(), []
    for i in np.flatnonzero(r.gap > 0):
        cls = int(r.cls[i])
        out.append(_outline(r, i, width=width, legend=cls not in shown, opacity=opacity))
        shown.add(cls)
    return out


def _search_words(r: ID.Regions) -> str:
    """Where each point's θ search ends, and how many certified points stopped at an end of it."""
    e = ID.search_ends(r)
    axes = "each axis's θ" if r.anisotropic else "θ"
    said = f"The search tries {e['values']} values of {axes} from {e['lo']:g} to {e['hi']:g} (geometric)"
    if not e["at_hi"] and not e["at_lo"]:
        return said + ": every certified point's optimum lies inside it."
    ends = []
    if e["at_hi"]:
        ends.append(f"**{e['at_hi']}** at its top ({e['hi']:g}: a larger θ might certify more there)")
    if e["at_lo"]:
        ends.append(f"**{e['at_lo']}** at its bottom ({e['lo']:g})")
    return said + "; certified points whose θ ends at an end of it: " + " and ".join(ends) + "."


def _picked(clicked_key: str, n: int) -> list[int]:
    """Append the point a click on the figure selected (once per click) and return the picks."""
    picks = st.session_state.setdefault(PICKS, [])
    sel = st.session_state.get(clicked_key)
    points = (sel or {}).get("selection", {}).get("points", [])
    for p in points:
        k = p.get("customdata")
        k = k[0] if isinstance(k, list) else k
        if k is not None and (p.get("x"), p.get("y")) != st.session_state.get(clicked_key + "-last") and int(k) < n:
            st.session_state[clicked_key + "-last"] = (p.get("x"), p.get("y"))
            picks.append(int(k))
    return picks


def _chosen_pair(r: ID.Regions, found: list[dict], picks: list[int]) -> tuple[dict | None, str]:
    """The pair the section discusses: the student's last two picks when they contradict each other (else
    why not), or the deepest overlap found."""
    if len(picks) >= 2 and picks[-1] != picks[-2]:
        i, j = sorted(picks[-2:])
        pair = next((c for c in found if {c["i"], c["j"]} == {i, j}), None)
        if pair is not None:
            return pair, f"your last two picks, points {picks[-2]} and {picks[-1]}"
        said = "name the same class" if r.cls[i] == r.cls[j] else "do not overlap"
        st.info(f"Points {i} and {j} {said}: no contradiction there. The deepest overlap found is shown instead.")
    return (found[0], "the deepest overlap found") if found else (None, "")


def overlapping_certificates(name: str, noise: float, hidden: int, f1: np.ndarray) -> ID.Regions | None:
    """Each point's own optimal certificate, the pairs of different classes that overlap, and at the
    meeting point the two smoothed classifiers and the data-dependent one."""
    st.subheader("When every point picks its own θ: certificates that contradict each other")
    st.markdown(
        "A certificate at x is a statement about **one** smoothed classifier, the one with x's θ. With a θ "
        "chosen per input, a neighbour x′ is answered by *another* smoothed classifier, with its own θ. So "
        "two certificates can overlap and name different classes — and then, at a point in both, the "
        "data-dependent classifier gives one answer, so at least one certificate is wrong. Fixed σ never "
        "does this: all its certificates describe the same classifier, which has one answer everywhere. "
        "Here p is computed, not sampled: no sample size would help."
    )
    X, y = toy_data(name)
    c1, c2 = st.columns(2)
    norm = c1.radio(
        "noise",
        ["l2", "l1"],
        format_func={"l2": "Gaussian (ℓ2)", "l1": "uniform (ℓ1)"}.get,
        horizontal=True,
        key="dd_norm",
    )
    kind = c2.radio(
        "each point's θ",
        ["isotropic", "anisotropic"],
        horizontal=True,
        key="dd_kind",
        help="isotropic: Isotropic DD's optimum at the point; anisotropic: ANCER's (θᵢ ≥ the isotropic θ)",
    )
    r = regions_for(name, noise, hidden, norm, kind == "anisotropic")
    found = ID.conflicts(r)
    pair, chosen = _chosen_pair(r, found, _picked("dd_click", len(r)))
    faint = 0.3 if found else 1.0  # the pair the text talks about stands out; the rest are context
    outlines, marks = _all_outlines(r, 0.6, faint), []
    if pair is not None:
        i, j, z = pair["i"], pair["j"], pair["point"]
        outlines += [
            _outline(r, i, width=3, name=f"point {i}'s region", legend=True),
            _outline(r, j, width=3, dash="dash", name=f"point {j}'s region", legend=True),
        ]
        marks = [
            {"name": "where they meet (z)", "x": z[0], "y": z[1], "color": figures.palette.MEETING_POINT},
            _point_mark(r, i, str(i)),
            _point_mark(r, j, str(j)),
        ]
    display.show(
        figures.toy_overlap_figure(SPAN, SPAN, f1, X, y, outlines, marks, r.centres),
        key="dd_click",
        on_select="rerun",
        selection_mode="points",
    )
    st.caption(
        f"{len(r)} points of the set (every {max(1, len(X) // TV.POINTS_SHOWN)}-th), each with its own optimal {kind} "
        f"{'ℓ2' if norm == 'l2' else 'ℓ1'} certificate (exact p, capped at {P_CAP:.5f}); outlines coloured "
        f"by the class they certify (faint; the pair discussed below drawn strong, solid and dashed). Pairs of "
        f"different classes that overlap: **{len(found)}**. Click two points to test a pair. " + _search_words(r)
    )
    if pair is None:
        st.success(
            "No two certificates of different classes overlap here. The catch needs regions that reach across "
            "the boundary: try the *moons* or *radial* set, or a smaller training noise."
        )
        return r
    d = ID.disagreement(toy_model(name, noise, hidden), r, i, j, z)
    wrong = " and ".join(f"point {w}'s" for w in d["wrong"]) or "neither"
    st.warning(
        f"**{chosen.capitalize()}:** point {i} certifies class {r.cls[i]} with θ = ({r.theta[i, 0]:.3f}, "
        f"{r.theta[i, 1]:.3f}), point {j} class {r.cls[j]} with θ = ({r.theta[j, 0]:.3f}, {r.theta[j, 1]:.3f}), and "
        f"their regions meet at z = ({z[0]:.2f}, {z[1]:.2f}). There, point {i}'s smoothed classifier answers class "
        f"{d['answer_i']} (p = {d['p_i']:.3f}) and point {j}'s answers class {d['answer_j']} (p = {d['p_j']:.3f}): "
        f"both certificates are right about *their own* classifier. But the data-dependent classifier answers z "
        f"with z's own θ = ({d['theta_z'][0]:.3f}, {d['theta_z'][1]:.3f}): "
        + (f"class {d['h']}, so {wrong} certificate is wrong at z." if d["h"] >= 0 else "it abstains, so both are.")
    )
    return r


def memory_step_by_step(r: ID.Regions, name: str, f1: np.ndarray) -> None:
    """The picks (or the deepest conflict's two points) certified in order with memory."""
    st.subheader("Memory-based certification, step by step")
    st.markdown(
        "Alfarra et al.'s answer, used by the paper: certify inputs **in order** and keep every region issued. A "
        "new input that lies inside an earlier region of another class takes that class (and a region inside the "
        "old one); a new region that would meet an earlier one of another class is cut back until they are "
        "apart. The answers of the sequence then form one function, and no two regions contradict each other — "
        "at the price of depending on the order, and of smaller regions. The same `CertificationMemory` "
        "serves `certify --memory` on CIFAR-10; the results explorer reads the grid *with memory* the same way."
    )
    X, y = toy_data(name)
    picks = [p for p in st.session_state.get(PICKS, []) if p < len(r)]
    found = ID.conflicts(r)
    order = picks if len(picks) >= 2 else ([found[0]["j"], found[0]["i"]] if found else list(range(min(5, len(r)))))
    steps = ID.memory_steps(r, order)
    k = st.slider("step", 1, len(steps), len(steps), key="mem_step") if len(steps) > 1 else 1
    outlines, marks = [], []
    for s in steps[:k]:
        i = s["index"]
        own = region_outline(r.norm, r.theta[i], r.gap[i], 0.0, r.centres[i], m=121)
        outlines.append(
            {
                "name": f"step {s['step'] + 1}: point {i}'s own region",
                "points": own,
                "color": figures.palette.CLASS[int(r.cls[i])],
                "dash": "dot",
                "width": 1,
            }
        )
        if s["gap"] > 0:
            kept = region_outline(r.norm, s["theta"], s["gap"], 0.0, r.centres[i], m=121)
            outlines.append(
                {
                    "name": f"step {s['step'] + 1}: issued ({s['what']})",
                    "points": kept,
                    "color": figures.palette.CLASS[int(s["class"])],
                    "width": 3,
                }
            )
        marks.append(_point_mark(r, i, f"{s['step'] + 1}"))
    display.show(figures.toy_overlap_figure(SPAN, SPAN, f1, X, y, outlines, marks), key="mem_fig")
    words = {
        "kept": "kept as certified",
        "shrunk": "cut back to stay apart from an earlier region of another class",
        "inside": "inside an earlier region of another class: takes that class and a region inside it",
    }
    display.data_table(
        [
            {
                "step": s["step"] + 1,
                "point": s["index"],
                "own class": s["own_class"],
                "issued class": s["class"],
                "own gap": round(s["own_gap"], 4),
                "issued gap": round(s["gap"], 4),
                "memory": words[s["what"]],
            }
            for s in steps[:k]
        ],
    )
    everything = ID.memory_steps(r, range(len(r)))
    revised = sum(s["what"] != "kept" for s in everything)
    st.caption(
        (
            "Order: your picks. "
            if len(picks) >= 2
            else "Order: the deepest contradicting pair, the later point "
            "first; click points on the figure above to choose your own sequence. "
        )
        + f"Certifying all {len(r)} points in the set's order, the memory revises **{revised}** of them "
        f"({100 * revised / len(r):.0f} %). Dotted: each point's own region; solid: what the memory issued."
    )
    if st.button("Clear my picks", key="clear_picks"):
        st.session_state[PICKS] = []
        st.rerun()


def certified_selector(name: str, noise: float, hidden: int, f1: np.ndarray, r: ID.Regions) -> None:
    """θ from a few levels, chosen by a smoothed selector whose choice is itself certified."""
    st.subheader("A θ that is certified itself: the smoothed selector")
    st.markdown(
        "The second sound answer needs no memory. θ is one of a few **levels**; a base selector picks a level at "
        "each input (here: the level with the largest isotropic radius there). The selector is smoothed like a "
        "classifier, with its own noise τ: at x it answers the level it picks most often under that noise, and "
        "that answer is certified constant within $R_\\sigma = \\tau \\cdot \\mathrm{gap}(p_\\sigma)$. The "
        "classifier smoothed at that level certifies $R_c$. Within **$\\min(R_\\sigma, R_c)$** both hold, so the "
        "combined classifier — every input smoothed at its selector's level — answers the same class: it is one "
        "function, and its regions never "
        "contradict each other. With sampled probabilities the two bounds share α (α_σ + α_c). This is the idea "
        "of Dual Randomized Smoothing (ICLR 2026); cascaded multi-scale smoothing (NeurIPS 2023) tries the levels "
        "in order instead."
    )
    X, y = toy_data(name)
    c1, c2 = st.columns(2)
    norm = r.norm
    base, tau0 = TV.selector_defaults(norm)
    levels = tuple(c1.multiselect("levels θ", [0.05, *base, 1.6], default=list(base), key=f"levels-{norm}")) or base
    tau = c2.slider("selector noise τ", 0.05, 0.8, tau0, 0.05, key=f"tau-{norm}")
    s = selector_regions(name, noise, hidden, norm, tuple(sorted(levels)), float(tau))
    overlaps = ID.conflicts(s, min_depth=0.0)
    outlines = _all_outlines(s, 1.2)
    display.show(figures.toy_overlap_figure(SPAN, SPAN, f1, X, y, outlines, []), key="sel_fig")
    fixed = fixed_regions(name, noise, hidden, norm, tuple(sorted(levels)))
    rows = []
    for label, reg, n_conf in (
        (f"fixed θ = {fixed.theta[0, 0]:g} (the best level here)", fixed, len(ID.conflicts(fixed, min_depth=0.0))),
        (
            f"data-dependent ({'anisotropic' if r.anisotropic else 'isotropic'})",
            r,
            len(ID.conflicts(r)),
        ),
        ("certified selector", s, len(overlaps)),
    ):
        rows.append(
            {
                "θ per point": label,
                "certified (%)": round(100 * float((reg.gap > 0).mean()), 1),
                "mean radius (min θ·gap)": round(float(reg.radius.mean()), 4),
                "overlapping pairs of different classes": n_conf,
            }
        )
    display.data_table(rows)
    st.caption(
        f"Levels {', '.join(f'{v:g}' for v in sorted(levels))}, τ = {tau:g}, "
        f"{'ℓ2 balls' if norm == 'l2' else 'ℓ1 diamonds'} "
        f"around the same {len(s)} points. Radius capped by the selector: $R_\\sigma$ < $R_c$ at "
        f"{100 * float(((s.r_sigma < s.r_c) & (s.gap > 0)).mean()):.0f} % of them "
        f"(mean $R_\\sigma$ = {s.r_sigma.mean():.3f}, "
        f"mean $R_c$ = {s.r_c.mean():.3f}). The overlap test finds **{len(overlaps)}** contradicting pairs."
    )
