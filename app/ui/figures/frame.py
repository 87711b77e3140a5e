"""Room for Plotly's toolbar: a band along the top edge that nothing else enters, and the same figure
for a slide (no toolbar, large type, the title and legend whole).

The toolbar is laid horizontally in the figure's top-right corner. Everything a reader needs that
could sit there — the title, the subplot titles, colour-bar titles, a legend above the plot — is moved
below a band of :data:`TOOLBAR_PX`, and the top margin (and the height, so that the plot area keeps
its size) grows by what those need. Heights are worked out from the font sizes, as Plotly draws them
(a title's font is 1.4 × the layout's unless set).
"""

from __future__ import annotations

import copy

import plotly.graph_objects as go

TOOLBAR_PX = 42  # Plotly's toolbar, laid along the top, ends 36 px below the figure's top edge (measured)
LINE = 1.3  # a line of text is about 1.3 × its font size tall
GAP = 6
SLIDE_FONT = 22  # px on a 1600 × 900 export: read from the back of a lecture hall


def _font(layout_size: float, size) -> float:
    return float(size) if size else layout_size


def _lines(text) -> int:
    return str(text).count("<br>") + 1 if text else 0


def _above_plot(fig: go.Figure, fs: float) -> float:
    """What stands directly above the plot area: subplot titles (annotations anchored at the paper's top),
    colour-bar titles on top of their bars, a legend laid above the plot."""
    need = 0.0
    for a in fig.layout.annotations or ():
        if a.yref == "paper" and a.y is not None and a.y >= 0.98 and a.yanchor in (None, "bottom", "auto"):
            need = max(need, _lines(a.text) * LINE * _font(fs, a.font.size))
    for t in fig.data:
        cb = getattr(t, "colorbar", None)
        show = getattr(t, "showscale", None)
        if cb is not None and cb.title.text and show is not False and cb.title.side in (None, "top"):
            need = max(need, _lines(cb.title.text) * LINE * _font(fs, cb.title.font.size) + GAP)
    lg = fig.layout.legend
    if lg.y is not None and lg.y > 1 and lg.orientation == "h":
        need = max(need, LINE * _font(fs, lg.font.size) + 2 * GAP)
    return need


def _make_room(fig: go.Figure, band: float) -> go.Figure:
    """The title ``band`` px below the top edge; the top margin (and the height, so that the plot area
    keeps its size) grown to hold the band, the title and what stands above the plot."""
    fs = float(fig.layout.font.size or 12)
    title = fig.layout.title
    title_h = _lines(title.text) * LINE * _font(fs * 1.4, title.font.size) if title.text else 0.0
    if title.text:
        fig.update_layout(title=dict(yref="container", y=1, yanchor="top", pad=dict(t=band)))
    need = band + (title_h + GAP if title_h else 0.0) + _above_plot(fig, fs) + GAP
    top = fig.layout.margin.t
    top = 100 if top is None else top  # Plotly's default top margin
    if need > top:
        grow = int(need - top + 0.5)
        fig.update_layout(margin_t=top + grow)
        if fig.layout.height:
            fig.update_layout(height=fig.layout.height + grow)
    return fig


def clear_of_toolbar(fig: go.Figure) -> go.Figure:
    """The toolbar along the top edge in a band of its own, nothing else in it (in place; returns ``fig``)."""
    return _make_room(fig, TOOLBAR_PX).update_layout(modebar_orientation="h")


def enlarge(fig: go.Figure, size: int, height: float = 1.0) -> go.Figure:
    """Every text of the figure at ``size`` px (titles larger), lines thicker, the height × ``height`` (in
    place). Each text is set explicitly: the app's Plotly theme sets title and tick sizes of its own, which
    a layout-wide font size would not reach."""
    axis = dict(tickfont_size=int(size * 0.85), title_font_size=size)
    fig.update_layout(font_size=size, title_font_size=int(size * 1.3), legend_font_size=size)
    fig.update_xaxes(**axis).update_yaxes(**axis)
    fig.update_annotations(font_size=size)
    fig.update_traces(line_width=4, selector=dict(type="scatter"))
    for t in fig.data:
        if getattr(t, "colorbar", None) is not None:
            t.colorbar.title.font.size, t.colorbar.tickfont.size = size, int(size * 0.85)
        if t.type == "bar":
            t.textfont.size = int(size * 0.85)
    for s in fig.layout.sliders or ():
        s.font.size = int(size * 0.85)
    for m in fig.layout.updatemenus or ():
        m.font.size = size
    if height != 1.0:
        fig.update_layout(height=int((fig.layout.height or 450) * height))
    return fig


def for_projector(fig: go.Figure) -> go.Figure:
    """The same figure for a lecture hall (presenter mode): every text at 20 px, thicker lines, taller."""
    return enlarge(fig, 20, height=1.4)


def for_slides(fig: go.Figure) -> go.Figure:
    """A copy for a slide: every text at :data:`SLIDE_FONT`, thick lines, with the room the title and what
    stands above the plot need at that size (a slide has no toolbar: Plotly's image export never draws it)."""
    return _make_room(enlarge(copy.deepcopy(fig), SLIDE_FONT), GAP)
