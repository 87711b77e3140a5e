"""The toy page's own data: click points of two classes (or edit a shipped set), then train on them.

The points being edited (the draft) live in the session; "Train on these points" commits them: the
page's link then holds them (``?points=…``, :func:`ancer_core.teaching.encode_points`) so that a
lecturer can prepare a set and open it in class, and they download and upload as CSV.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from ancer_core.core.errors import AncerInputError
from ancer_core.teaching.toy_data import (
    MAX_TOY_POINTS,
    TOY_DATASETS,
    check_toy,
    decode_points,
    encode_points,
    load_toy,
    parse_toy_csv,
    toy_csv,
)

from .. import display, figures

DRAFT, COMMITTED, CLICKS = "toy_draft", "toy_drawn", "toy_canvas_clicks"
ERASE_RADIUS = 0.15  # a click in erase mode removes the nearest point within this distance
ACTIONS = {"0": "add a point of class 0", "1": "add a point of class 1", "erase": "erase the nearest point"}


def _set_draft(X: np.ndarray, y: np.ndarray) -> None:
    st.session_state[DRAFT] = (np.asarray(X, np.float32).reshape(-1, 2), np.asarray(y, np.int64).reshape(-1))


def _init_from_link() -> None:
    """The first visit: the draft and the committed set from the link's ``points``, if any."""
    if DRAFT in st.session_state:
        return
    _set_draft(np.zeros((0, 2)), np.zeros(0))
    st.session_state[COMMITTED] = None
    code = st.query_params.get("points")
    if code:
        try:
            _set_draft(*decode_points(code))
            st.session_state[COMMITTED] = code
        except AncerInputError as e:
            st.error(str(e))


def _canvas_key() -> str:
    """The canvas is a new widget after every click it handled, so that its selection starts empty:
    a click is read once, and the same spot can be clicked again (erase, then add)."""
    return f"toy_canvas_{st.session_state.setdefault(CLICKS, 0)}"


def _apply_click(action: str) -> None:
    """A click on the canvas (its selected grid marker) adds or erases a point."""
    sel = st.session_state.get(_canvas_key())
    points = (sel or {}).get("selection", {}).get("points") or []
    if not points:
        return
    st.session_state[CLICKS] += 1
    spot = (round(float(points[0]["x"]), 2), round(float(points[0]["y"]), 2))
    X, y = st.session_state[DRAFT]
    if action == "erase":
        if len(y):
            d = np.hypot(*(X - np.array(spot)).T)
            if d.min() <= ERASE_RADIUS:
                keep = np.arange(len(y)) != d.argmin()
                _set_draft(X[keep], y[keep])
    elif len(y) < MAX_TOY_POINTS:
        _set_draft(np.vstack([X, spot]), np.append(y, int(action)))


def _edit_controls() -> None:
    X, y = st.session_state[DRAFT]
    c1, c2, c3, c4 = st.columns([2, 1, 1, 2], vertical_alignment="bottom")
    start = c1.selectbox("start from", ["(empty)", *TOY_DATASETS], key="toy_draw_start")
    if c2.button("load", help="replace the points with this set"):
        _set_draft(*((np.zeros((0, 2)), np.zeros(0)) if start == "(empty)" else load_toy(start)))
    if c3.button("undo", disabled=not len(y), help="remove the last point placed"):
        _set_draft(X[:-1], y[:-1])
    upload = c4.file_uploader("or upload a CSV (x1,x2,label)", type=["csv"], key="toy_draw_upload")
    if upload is not None and st.session_state.get("toy_draw_uploaded") != upload.file_id:
        st.session_state["toy_draw_uploaded"] = upload.file_id
        try:
            _set_draft(*check_toy(*parse_toy_csv(upload.getvalue())))
        except AncerInputError as e:
            st.error(f"Could not use {upload.name}: {e}")


def drawing(span: np.ndarray) -> str | None:
    """The drawing section; returns the committed set (its link code), or None while there is none."""
    _init_from_link()
    st.subheader("Your own data")
    action = st.radio(
        "a click on the canvas will",
        list(ACTIONS),
        format_func=ACTIONS.get,
        horizontal=True,
        key="toy_draw_action",
    )
    _apply_click(action)
    _edit_controls()
    X, y = st.session_state[DRAFT]
    display.show(
        figures.drawing_figure(span, X, y, ACTIONS[action]),
        key=_canvas_key(),
        on_select="rerun",
        selection_mode="points",
    )
    counts = np.bincount(y, minlength=2)
    b1, b2 = st.columns([1, 1])
    try:
        check_toy(X, y)
        problem = None
    except AncerInputError as e:
        problem = str(e)
    if b1.button("Train on these points", type="primary", disabled=problem is not None):
        st.session_state[COMMITTED] = encode_points(X, y)
        st.query_params["points"] = st.session_state[COMMITTED]
    if len(y):
        b2.download_button("download the points (CSV)", toy_csv(X, y), "toy-points.csv", "text/csv")
    committed = st.session_state[COMMITTED]
    drafted = problem is None and committed != encode_points(X, y)
    st.caption(
        f"{len(y)} points: {counts[0]} of class 0 (black circles), {counts[1]} of class 1 (white diamonds). "
        + (problem or "")
        + (" The figures below still show the last set trained on; train to update them." if drafted else "")
        + (
            " This page's link holds the trained set: copy it from the address bar to share it or to open it in class."
            if committed
            else ""
        )
    )
    return committed
