"""A prepared lecture in the app: ``/?lecture=NAME`` shows the step's note for the class with Previous and
Next; each step opens its page with its settings, and a live step's certificates come from the result store
that ``ancer lecture prepare NAME`` filled, without a click and without waiting."""

from __future__ import annotations

import streamlit as st

from ancer_core.core.errors import AncerInputError
from ancer_core.lectures.lecture import Lecture, Step, read_lecture

from . import keys, resources

AT = "lecture_at"  # (lecture, step) whose settings this session has applied


def active() -> tuple[Lecture, int] | None:
    """The lecture and step (1-based) the link names, or None outside a lecture (or for a bad name, said once)."""
    name = st.query_params.get("lecture")
    if not name:
        return None
    try:
        lecture = read_lecture(name)
    except AncerInputError as e:
        st.error(f"Could not open the lecture: {e}")
        return None
    try:
        k = int(st.query_params.get("step", 1))
    except ValueError:
        k = 1
    return lecture, min(max(k, 1), len(lecture.steps))


def _apply(step: Step) -> None:
    """Set the page's own controls to the step's settings (before its widgets exist in this run)."""
    if step.page != "live":
        return
    p = step.params
    st.session_state.update(
        {
            "source": "test",
            "class_filter": "all",
            keys.IMAGE_INDEX: int(p["image"]),
            "norm": p["norm"],
            f"model-{p['norm']}": p["model"],
            "sigma": float(p["sigma"]),
            "sigma_for": p["model"],
            "preset": p["preset"],
            keys.SAMPLING: p["sampling"],
            f"precision-{p['model']}": p["precision"],
        }
        | ({"seed": int(p["seed"])} if int(p["seed"]) else {})  # 0 is the control's own default
    )


def _go(pages: dict, lecture: Lecture, k: int) -> None:
    step = lecture.steps[k - 1]
    _apply(step)
    st.session_state[AT] = (lecture.name, k)
    query = {"lecture": lecture.name, "step": str(k), **({} if step.page == "live" else step.query)}
    st.switch_page(pages[step.page], query_params=query)


def bar(pages: dict) -> tuple[Lecture, int] | None:
    """The lecture's bar above the page: where the class is, the note, Previous and Next. ``pages``: page name
    (``live``, ``toy``, …) → its ``st.Page``. Returns the lecture and step shown (None outside a lecture)."""
    found = active()
    if found is None:
        return None
    lecture, k = found
    if st.session_state.get(AT) != (lecture.name, k):  # arrived from a link: open the step as it was prepared
        _go(pages, lecture, k)
    step = lecture.steps[k - 1]
    c1, c2, c3 = st.columns([1, 8, 1], vertical_alignment="center")
    back = c1.button("◀ Previous", disabled=k == 1, key="lecture_prev", use_container_width=True)
    c2.info(f"**{lecture.title}** — step {k} of {len(lecture.steps)}. {step.note}", icon="🎓")
    forward = c3.button("Next ▶", disabled=k == len(lecture.steps), key="lecture_next", use_container_width=True)
    if back or forward:
        _go(pages, lecture, k - 1 if back else k + 1)
    return found


def prefetch_next(found: tuple[Lecture, int] | None) -> None:
    """After the page is drawn: load the next live step's model, so that Next shows its certificates at once.
    ``found``: what :func:`bar` returned (the lecture is read once a rerun)."""
    if found is None:
        return
    lecture, k = found
    upcoming = next((s for s in lecture.steps[k:] if s.page == "live"), None)
    if upcoming is not None:
        resources.model(upcoming.params["model"], str(resources.device()))
