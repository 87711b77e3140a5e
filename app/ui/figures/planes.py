"""Figures in a plane: 2D slices of certified regions, the toy page's regions and objective, the Hessian
landscape."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from . import palette


def region_slice_figure(
    curves: dict[str, tuple[np.ndarray, np.ndarray]],
    xlabel: str,
    ylabel: str,
) -> go.Figure:
    """2D slices through x of certified regions: one closed curve per method (coordinates along two
    orthonormal directions, input-space units)."""
    fig = go.Figure()
    for name, (a, b) in curves.items():
        fig.add_trace(
            go.Scatter(
                x=a,
                y=b,
                mode="lines",
                name=name,
                fill="toself",
                opacity=0.55,
                line=dict(color=palette.method_color(name)),
            )
        )
    fig.add_trace(go.Scatter(x=[0], y=[0], mode="markers", name="x (the image)", marker=dict(color="black")))
    fig.update_xaxes(title_text=xlabel, zeroline=True)
    fig.update_yaxes(title_text=ylabel, scaleanchor="x", zeroline=True)
    fig.update_layout(height=420, margin=dict(l=50, r=10, t=30, b=50))
    return fig


def _probability_map(xs: np.ndarray, ys: np.ndarray, z: np.ndarray, label: str, **style) -> go.Heatmap:
    """A probability over a plane, purple (0) to green (1), as every toy and landscape figure draws it."""
    return go.Heatmap(
        x=xs,
        y=ys,
        z=z,
        colorscale=palette.PROBABILITY_SCALE,
        zmin=0,
        zmax=1,
        colorbar=dict(title=label),
        hovertemplate=f"{label}=%{{z:.3f}}<extra></extra>",
        **style,
    )


def _toy_points(X: np.ndarray, y: np.ndarray, size: float, counts: bool = False, **kwargs) -> list[go.Scatter]:
    """The two classes' points as every toy figure draws them: class 0 black circles, class 1 white
    diamonds (``counts``: their numbers in the legend)."""
    out = []
    for cls, sym in ((0, "circle"), (1, "diamond")):
        m = y == cls
        out.append(
            go.Scatter(
                x=X[m, 0],
                y=X[m, 1],
                mode="markers",
                name=f"class {cls}" + (f" ({int(m.sum())})" if counts else ""),
                marker=dict(
                    size=size, symbol=sym, color="white" if cls else "black", line=dict(width=size / 8, color="grey")
                ),
                **kwargs,
            )
        )
    return out


def _click_grid(xs: np.ndarray, ys: np.ndarray, action: str, size: float) -> go.Scatter:
    """An invisible grid of markers that makes any spot of a plane clickable (Streamlit selection
    events fire on markers only); hovering one says what a click there does."""
    gx, gy = np.meshgrid(xs, ys)
    return go.Scatter(
        x=gx.ravel(),
        y=gy.ravel(),
        mode="markers",
        marker=dict(size=size, opacity=0),
        showlegend=False,
        hovertemplate=f"{action} at (%{{x:.2f}}, %{{y:.2f}})<extra></extra>",
    )


def toy_regions_figure(
    xs: np.ndarray,
    ys: np.ndarray,
    f1: np.ndarray,
    X: np.ndarray,
    y: np.ndarray,
    point: tuple[float, float],
    panels: dict[str, list[tuple[str, np.ndarray]]],
    clickable: bool = True,
) -> go.Figure:
    """Paper Figure 1: one panel per title, each the landscape f¹ (probability of class 1) with the
    data, the point and outlines (name, (m, 2) points). An invisible grid of markers makes any
    spot clickable (Streamlit selection events fire on markers only)."""
    titles = list(panels)
    rows, cols = (2, 2) if len(titles) == 4 else (1, len(titles))
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=titles, horizontal_spacing=0.06, vertical_spacing=0.08)
    colors = palette.REGION | {"rotated": palette.ROTATED}
    for k, title in enumerate(titles):
        r, c = k // cols + 1, k % cols + 1
        fig.add_trace(
            _probability_map(xs, ys, f1, "f¹", showscale=k == 0),
            r,
            c,
        )
        for trace in _toy_points(X, y, 4, showlegend=k == 0):
            fig.add_trace(trace, r, c)
        if clickable and k == 0:
            fig.add_trace(_click_grid(xs[::2], ys[::2], "certify", 8), r, c)
        for name, pts in panels[title]:
            kind = name.split()[0]
            fig.add_trace(
                go.Scatter(
                    x=pts[:, 0],
                    y=pts[:, 1],
                    mode="lines",
                    name=name,
                    showlegend=True,
                    line=dict(width=2.5, color=colors.get(kind, "black")),
                ),
                r,
                c,
            )
        fig.add_trace(
            go.Scatter(
                x=[point[0]],
                y=[point[1]],
                mode="markers",
                showlegend=False,
                marker=dict(size=10, color="yellow", line=dict(width=1.5, color="black")),
            ),
            r,
            c,
        )
    fig.update_xaxes(range=[xs[0], xs[-1]])
    fig.update_yaxes(range=[ys[0], ys[-1]], scaleanchor="x")
    fig.update_layout(height=420 * rows, margin=dict(l=30, r=10, t=40, b=30), legend=dict(orientation="h", y=-0.05))
    return fig


def drawing_figure(span: np.ndarray, X: np.ndarray, y: np.ndarray, action: str) -> go.Figure:
    """The toy page's drawing canvas: the points of both classes (as on the regions figure) on the
    page's plane, and an invisible grid of markers so that a click anywhere selects a spot (Streamlit
    selection events fire on markers only); ``action`` names what a click does."""
    fig = go.Figure([_click_grid(span, span, action, 9), *_toy_points(X, y, 9, counts=True, hoverinfo="skip")])
    fig.update_xaxes(range=[span[0], span[-1]], title_text="x1", constrain="domain")
    fig.update_yaxes(range=[span[0], span[-1]], title_text="x2", scaleanchor="x")
    fig.update_layout(
        height=520,
        plot_bgcolor="#e8eef5",
        margin=dict(l=40, r=10, t=10, b=40),
        legend=dict(orientation="h", y=-0.12),
        clickmode="event+select",
    )
    return fig


def objective_plane_figure(
    plane: dict, opt: dict, path: np.ndarray | None = None, fixed: tuple[float, float] | None = None, label: str = "θ"
) -> go.Figure:
    """Proxy radius over the (θ1, θ2) plane (log axes); θ outside ANCER's feasible set θᵢ ≥ θ_iso
    is greyed; the optima, ANCER's path and a fixed choice are marked."""
    g = plane["grid"]
    z = np.where(opt["feasible"], plane["proxy_radius"], np.nan)
    fig = go.Figure(
        go.Heatmap(
            x=g,
            y=g,
            z=plane["proxy_radius"],
            colorscale="Greys",
            showscale=False,
            opacity=0.35,
            hovertemplate=f"{label}1=%{{x:.3f}}, {label}2=%{{y:.3f}}: R̃=%{{z:.4f}} (θ < θ_iso)<extra></extra>",
        )
    )
    fig.add_trace(
        go.Heatmap(
            x=g,
            y=g,
            z=z,
            colorscale="Viridis",
            colorbar=dict(title="proxy radius R̃"),
            hovertemplate=f"{label}1=%{{x:.3f}}, {label}2=%{{y:.3f}}: R̃=%{{z:.4f}}<extra></extra>",
        )
    )
    fig.add_trace(go.Scatter(x=g, y=g, mode="lines", line=dict(dash="dot", color="white"), name="isotropic θ1 = θ2"))
    i, a = opt["isotropic"]["theta"], opt["anisotropic"]["theta"]
    fig.add_trace(
        go.Scatter(
            x=[i[0]],
            y=[i[1]],
            mode="markers",
            name="best isotropic",
            marker=dict(
                size=13, color=palette.METHOD["isotropic-dd"], symbol="circle", line=dict(width=2, color="white")
            ),
        )
    )
    fig.add_trace(
        go.Scatter(
            x=[a[0]],
            y=[a[1]],
            mode="markers",
            name="global optimum (θ ≥ θ_iso)",
            marker=dict(size=15, color=palette.METHOD["ancer"], symbol="star", line=dict(width=1, color="white")),
        )
    )
    if path is not None and len(path):
        fig.add_trace(
            go.Scatter(
                x=path[:, 0],
                y=path[:, 1],
                mode="lines+markers",
                name="ANCER's gradient steps",
                marker=dict(size=4, color=palette.PATH),
                line=dict(color=palette.PATH),
            )
        )
    if fixed is not None:
        fig.add_trace(
            go.Scatter(
                x=[fixed[0]],
                y=[fixed[1]],
                mode="markers",
                name="your fixed θ",
                marker=dict(size=12, color=palette.METHOD["fixed"], symbol="x"),
            )
        )
    lo, hi = float(np.log10(g[0])), float(np.log10(g[-1]))
    fig.update_xaxes(type="log", title_text=f"{label}1 (log scale)", range=[lo, hi])
    fig.update_yaxes(type="log", title_text=f"{label}2 (log scale)", range=[lo, hi])
    fig.update_layout(height=480, margin=dict(l=50, r=10, t=30, b=50), legend=dict(orientation="h", y=-0.2))
    return fig


def landscape_figure(
    coords: np.ndarray,
    z: np.ndarray,
    curves: dict[str, tuple[np.ndarray, np.ndarray]],
    xlabel: str,
    ylabel: str,
    zlabel: str,
) -> go.Figure:
    """A landscape on a plane through x (heatmap) with region slices drawn on it."""
    fig = go.Figure(_probability_map(coords, coords, z, zlabel))
    for name, (a, b) in curves.items():
        fig.add_trace(
            go.Scatter(x=a, y=b, mode="lines", name=name, line=dict(width=3, color=palette.method_color(name)))
        )
    fig.add_trace(
        go.Scatter(
            x=[0],
            y=[0],
            mode="markers",
            name="x",
            marker=dict(color="yellow", size=10, line=dict(width=1, color="black")),
        )
    )
    fig.update_xaxes(title_text=xlabel, range=[coords[0], coords[-1]])
    fig.update_yaxes(title_text=ylabel, range=[coords[0], coords[-1]], scaleanchor="x")
    fig.update_layout(height=460, margin=dict(l=50, r=10, t=30, b=50), legend=dict(orientation="h", y=-0.2))
    return fig


def toy_overlap_figure(
    xs: np.ndarray,
    ys: np.ndarray,
    f1: np.ndarray,
    X: np.ndarray,
    y: np.ndarray,
    outlines: list[dict],
    marks: list[dict],
    pickable: np.ndarray | None = None,
    height: int = 560,
) -> go.Figure:
    """The toy plane with many certified regions: the landscape f¹, the data, each outline (dict: ``name``,
    ``points`` (m, 2), ``color``, optional ``width``, ``dash``, ``legend``, ``opacity``) and marked points
    (dict: ``name``, ``x``, ``y``, ``symbol``, ``color``); ``pickable``: points (k, 2) a click
    selects (Streamlit selection events fire on markers only)."""
    fig = go.Figure(_probability_map(xs, ys, f1, "f¹", opacity=0.55, showscale=False))
    for trace in _toy_points(X, y, 4, hoverinfo="skip"):
        fig.add_trace(trace)
    for o in outlines:
        fig.add_trace(
            go.Scatter(
                x=o["points"][:, 0],
                y=o["points"][:, 1],
                mode="lines",
                name=o["name"],
                legendgroup=o.get("group", o["name"]),
                showlegend=o.get("legend", True),
                hoverinfo="skip",
                opacity=o.get("opacity", 1.0),
                line=dict(color=o["color"], width=o.get("width", 1.0), dash=o.get("dash")),
            )
        )
    if pickable is not None and len(pickable):
        fig.add_trace(
            go.Scatter(
                x=pickable[:, 0],
                y=pickable[:, 1],
                mode="markers",
                name="points you can pick",
                marker=dict(size=9, color="rgba(0,0,0,0)", line=dict(width=1, color="#555")),
                customdata=np.arange(len(pickable)),
                hovertemplate="point %{customdata} (%{x:.2f}, %{y:.2f}): click to pick<extra></extra>",
            )
        )
    for m in marks:
        fig.add_trace(
            go.Scatter(
                x=[m["x"]],
                y=[m["y"]],
                mode="markers+text" if m.get("text") else "markers",
                text=[m.get("text", "")],
                textposition="top center",
                name=m["name"],
                marker=dict(
                    size=m.get("size", 13),
                    symbol=m.get("symbol", "star"),
                    color=m["color"],
                    line=dict(width=1, color="black"),
                ),
            )
        )
    fig.update_xaxes(range=[xs[0], xs[-1]], title_text="x1", constrain="domain")
    fig.update_yaxes(range=[ys[0], ys[-1]], title_text="x2", scaleanchor="x")
    fig.update_layout(
        height=height,
        margin=dict(l=40, r=10, t=10, b=40),
        legend=dict(orientation="h", y=-0.12),
        clickmode="event+select",
    )
    return fig
