"""How every figure is shown: Plotly's own download button at print resolution, and presenter
mode (larger type and figures for a projector, fewer controls), remembered in the URL."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from . import figures

DOWNLOAD_FORMATS = {"png": "PNG (4× screen resolution)", "svg": "SVG (vector)"}
PRESENTER_CSS = """<style>
.stMarkdown p, .stMarkdown li, [data-testid="stCaptionContainer"], [data-testid="stWidgetLabel"] p,
.stAlert p, button p {font-size: 1.35rem !important; line-height: 1.5 !important;}
[data-testid="stHeading"] h1 {font-size: 3.2rem !important;}
[data-testid="stHeading"] h2, [data-testid="stHeading"] h3 {font-size: 2.4rem !important;}
</style>"""


def presenter() -> bool:
    return st.session_state.get("presenter", False)


def presenter_toggle() -> bool:
    """The toggle (in the sidebar), remembered in the URL as ``presenter=1``."""
    st.session_state.setdefault("presenter", st.query_params.get("presenter") == "1")
    on = st.sidebar.toggle(
        "presenter mode",
        key="presenter",
        help="For a projector: larger type and figures, thicker lines, fewer controls.",
    )
    if on:
        st.query_params["presenter"] = "1"
        st.markdown(PRESENTER_CSS, unsafe_allow_html=True)
    else:
        st.query_params.pop("presenter", None)
    return on


def download_format_choice() -> None:
    st.session_state.setdefault("figure_format", "png")
    st.sidebar.selectbox(
        "figure downloads (📷 on each figure)",
        list(DOWNLOAD_FORMATS),
        format_func=DOWNLOAD_FORMATS.get,
        key="figure_format",
    )


def show(fig: go.Figure, key: str, where=st, **kwargs):
    """``st.plotly_chart`` with the download button set to the chosen format at print resolution,
    and the projector style in presenter mode."""
    fmt = st.session_state.get("figure_format", "png")
    config = {
        "displaylogo": False,
        "displayModeBar": "hover",  # shown while the pointer is over the figure, not over titles and labels
        "toImageButtonOptions": {"format": fmt, "filename": f"ancer-{key}", "scale": 4 if fmt == "png" else 1},
    }
    config.update(kwargs.pop("config", {}))
    fig.update_layout(modebar_orientation="v")  # down the right edge: a row along the top covered the titles
    if presenter():
        fig = figures.for_projector(fig)
    return where.plotly_chart(fig, key=key, config=config, **kwargs)
