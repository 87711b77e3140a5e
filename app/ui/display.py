"""How every figure is shown: Plotly's own download button at print resolution, and presenter
mode (larger type and figures for a projector, fewer controls), remembered in the URL."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from . import figures

DOWNLOAD_FORMATS = {
    "png": "PNG (4× screen resolution)",
    "svg": "SVG (vector)",
    "slides": "for slides: PNG 1600 × 900, large type",
}
SLIDE_SIZE = (1600, 900)
PRESENTER_CSS = """<style>
.stMarkdown p, .stMarkdown li, [data-testid="stCaptionContainer"], [data-testid="stWidgetLabel"] p,
.stAlert p, button p {font-size: 1.35rem !important; line-height: 1.5 !important;}
[data-testid="stHeading"] h1 {font-size: 3.2rem !important;}
[data-testid="stHeading"] h2, [data-testid="stHeading"] h3 {font-size: 2.4rem !important;}
[data-testid="stTable"] th, [data-testid="stTable"] td, [data-testid="stMarkdown"] table {font-size: 1.3rem !important;}
[data-testid="stRadio"] p, [data-testid="stCheckbox"] p, [data-testid="stToggle"] p,
[data-testid="stExpander"] summary p {font-size: 1.3rem !important;}
[data-testid="stSliderThumbValue"], [data-testid="stSliderTickBar"] div {font-size: 1.2rem !important;}
[data-testid="stSelectbox"] input, [data-testid="stMultiSelect"] span, [data-testid="stNumberInput"] input,
[data-testid="stTextInput"] input, [role="option"],
[data-testid="stMetricValue"] div {font-size: 1.3rem !important;}
[data-testid="stImageCaption"], [data-testid="caption"] {font-size: 1.2rem !important;}
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
        help="For slides: every figure on the page takes a slide's large type, and 📷 saves it as a 1600 × 900 "
        "PNG (Plotly's export never draws the toolbar).",
    )


def data_table(rows, key: str | None = None, where=st):
    """Rows (dicts or a DataFrame) as an interactive, sortable data grid; in presenter mode as a static table,
    whose type the projector style enlarges (a data grid draws on a canvas that no style reaches)."""
    if presenter():
        return where.table(pd.DataFrame(rows).style.hide(axis="index").format(precision=4, na_rep="—"))
    return where.dataframe(rows, hide_index=True, key=key)


def show(fig: go.Figure, key: str, where=st, **kwargs):
    """``st.plotly_chart`` with the download button set to the chosen format (for a slide: the figure in
    large type, exported at 1600 × 900), the projector style in presenter mode, and the toolbar in a band
    of its own along the top edge (nothing else beneath it)."""
    fmt = st.session_state.get("figure_format", "png")
    image = {"format": "svg" if fmt == "svg" else "png", "filename": f"ancer-{key}"}
    image |= {"png": {"scale": 4}, "svg": {}, "slides": {"width": SLIDE_SIZE[0], "height": SLIDE_SIZE[1], "scale": 1}}[
        fmt
    ]
    config = {"displaylogo": False, "displayModeBar": "hover", "toImageButtonOptions": image}
    config.update(kwargs.pop("config", {}))
    if fmt == "slides":
        fig = figures.for_slides(fig)
    elif presenter():
        fig = figures.for_projector(fig)
    return where.plotly_chart(figures.clear_of_toolbar(fig), key=key, config=config, **kwargs)
