"""Pure plot builders for the app: data in, plotly figure out (testable without Streamlit)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

METHOD_COLORS = {"fixed": "#7f7f7f", "isotropic-dd": "#1f77b4", "ancer": "#d62728"}


def trace_figure(traces: dict[str, dict[str, np.ndarray]], image: int = 0) -> go.Figure:
    """Optimization traces per iteration: objective, gap estimate and proxy radius, per stage.

    ``traces``: stage → {"objective": (iters, B), "gap": …, "proxy_radius": …}."""
    fig = make_subplots(
        rows=1, cols=3, subplot_titles=("objective", "gap estimate (MC, not certified)", "proxy radius R̃ = GM(θ)·gap")
    )
    for stage, tr in traces.items():
        for col, key in enumerate(("objective", "gap", "proxy_radius"), start=1):
            if key in tr and len(tr[key]):
                y = np.asarray(tr[key])[:, image]
                fig.add_trace(
                    go.Scatter(
                        y=y,
                        mode="lines",
                        name=stage,
                        legendgroup=stage,
                        showlegend=col == 1,
                        line=dict(color=METHOD_COLORS.get(stage)),
                    ),
                    row=1,
                    col=col,
                )
    fig.update_xaxes(title_text="iteration")
    fig.update_layout(height=300, margin=dict(l=40, r=10, t=40, b=40), legend=dict(orientation="h", y=-0.25))
    return fig


def image_figure(img_chw: np.ndarray, title: str = "") -> go.Figure:
    """An RGB image (3×H×W in [0, 1]) as a figure."""
    fig = go.Figure(go.Image(z=_rgb(img_chw)))
    fig.update_layout(title=title, height=260, width=260, margin=dict(l=5, r=5, t=30, b=5))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig


def _rgb(img_chw: np.ndarray) -> np.ndarray:
    return (np.clip(img_chw.transpose(1, 2, 0), 0, 1) * 255).astype(np.uint8)


def theta_maps_figure(
    maps: dict[str, np.ndarray],
    label: str,
    colorbar_title: str | None = None,
    overlay: np.ndarray | None = None,
    opacity: float = 0.6,
    height: int = 280,
    cols: int | None = None,
) -> go.Figure:
    """θ maps (H×W each, titled by their keys) on one colour scale with one colour bar, side by
    side or ``cols`` per row; with ``overlay`` (the image, 3×H×W) drawn semi-transparent over it."""
    lo = min(float(m.min()) for m in maps.values())
    hi = max(float(m.max()) for m in maps.values())
    n = len(maps)
    cols = cols or n
    rows = -(-n // cols)
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=list(maps), horizontal_spacing=0.02, vertical_spacing=0.08)
    for k, m in enumerate(maps.values()):
        where = dict(row=k // cols + 1, col=k % cols + 1)
        if overlay is not None:
            fig.add_trace(go.Image(z=_rgb(overlay), hoverinfo="skip"), **where)
        fig.add_trace(
            go.Heatmap(
                z=m,
                zmin=lo,
                zmax=hi,
                colorscale="Viridis",
                showscale=k == n - 1,
                opacity=opacity if overlay is not None else 1.0,
                colorbar=dict(title=colorbar_title or label),
                hovertemplate=f"row %{{y}}, col %{{x}}: {label}=%{{z:.4f}}<extra></extra>",
            ),
            **where,
        )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, autorange="reversed", scaleanchor="x")
    for k in range(2, n + 1):
        fig.update_yaxes(scaleanchor=f"x{k}", row=(k - 1) // cols + 1, col=(k - 1) % cols + 1)
    fig.update_layout(height=height * rows, margin=dict(l=5, r=5, t=30, b=5))
    return fig


def sigma_map_figure(
    theta_chw: np.ndarray, theta_iso: float, label: str = "θ", overlay: np.ndarray | None = None, opacity: float = 0.6
) -> go.Figure:
    """Per-pixel θ of ANCER as heatmaps (R, G, B, mean) on one colour scale with a colour bar;
    the isotropic θ is marked on the colour bar's title. With ``overlay`` (the image, 3×H×W) the
    heatmaps are drawn semi-transparent over it."""
    maps = {"R": theta_chw[0], "G": theta_chw[1], "B": theta_chw[2], "mean over channels": theta_chw.mean(0)}
    return theta_maps_figure(maps, label, f"{label}<br>(iso {theta_iso:.3f})", overlay, opacity)


def perturbation_figure(
    x_chw: np.ndarray, delta_chw: np.ndarray, amplify: float, titles: tuple[str, str, str]
) -> go.Figure:
    """Paper Figure 2: x, the perturbation δ amplified (shown as ½ + amplify·δ) and x + δ."""
    fig = make_subplots(rows=1, cols=3, subplot_titles=titles, horizontal_spacing=0.03)
    for k, img in enumerate((x_chw, 0.5 + amplify * delta_chw, x_chw + delta_chw)):
        fig.add_trace(go.Image(z=_rgb(img)), row=1, col=k + 1)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.update_layout(height=300, margin=dict(l=5, r=5, t=40, b=5))
    return fig


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
                x=a, y=b, mode="lines", name=name, fill="toself", opacity=0.55, line=dict(color=METHOD_COLORS.get(name))
            )
        )
    fig.add_trace(go.Scatter(x=[0], y=[0], mode="markers", name="x (the image)", marker=dict(color="black")))
    fig.update_xaxes(title_text=xlabel, zeroline=True)
    fig.update_yaxes(title_text=ylabel, scaleanchor="x", zeroline=True)
    fig.update_layout(height=420, margin=dict(l=50, r=10, t=30, b=50))
    return fig


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
    colors = {"isotropic": "#1f77b4", "anisotropic": "#d62728", "fixed": "#2ca02c", "rotated": "#9467bd"}
    for k, title in enumerate(titles):
        r, c = k // cols + 1, k % cols + 1
        fig.add_trace(
            go.Heatmap(
                x=xs,
                y=ys,
                z=f1,
                colorscale="RdBu",
                zmin=0,
                zmax=1,
                showscale=k == 0,
                colorbar=dict(title="f¹(x)"),
                hovertemplate="f¹=%{z:.3f}<extra></extra>",
            ),
            r,
            c,
        )
        for cls, sym in ((0, "circle"), (1, "diamond")):
            m = y == cls
            fig.add_trace(
                go.Scatter(
                    x=X[m, 0],
                    y=X[m, 1],
                    mode="markers",
                    name=f"class {cls}",
                    showlegend=k == 0,
                    marker=dict(
                        size=4, symbol=sym, color="white" if cls else "black", line=dict(width=0.5, color="grey")
                    ),
                ),
                r,
                c,
            )
        if clickable and k == 0:
            gx, gy = np.meshgrid(xs[::2], ys[::2])
            fig.add_trace(
                go.Scatter(
                    x=gx.ravel(),
                    y=gy.ravel(),
                    mode="markers",
                    marker=dict(size=8, opacity=0),
                    name="click to certify here",
                    showlegend=False,
                    hovertemplate="certify at (%{x:.2f}, %{y:.2f})<extra></extra>",
                ),
                r,
                c,
            )
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
            marker=dict(size=13, color="#1f77b4", symbol="circle", line=dict(width=2, color="white")),
        )
    )
    fig.add_trace(
        go.Scatter(
            x=[a[0]],
            y=[a[1]],
            mode="markers",
            name="global optimum (θ ≥ θ_iso)",
            marker=dict(size=15, color="#d62728", symbol="star", line=dict(width=1, color="white")),
        )
    )
    if path is not None and len(path):
        fig.add_trace(
            go.Scatter(
                x=path[:, 0],
                y=path[:, 1],
                mode="lines+markers",
                name="ANCER's gradient steps",
                marker=dict(size=4, color="orange"),
                line=dict(color="orange"),
            )
        )
    if fixed is not None:
        fig.add_trace(
            go.Scatter(
                x=[fixed[0]],
                y=[fixed[1]],
                mode="markers",
                name="your fixed θ",
                marker=dict(size=12, color="#2ca02c", symbol="x"),
            )
        )
    lo, hi = float(np.log10(g[0])), float(np.log10(g[-1]))
    fig.update_xaxes(type="log", title_text=f"{label}1 (log scale)", range=[lo, hi])
    fig.update_yaxes(type="log", title_text=f"{label}2 (log scale)", range=[lo, hi])
    fig.update_layout(height=480, margin=dict(l=50, r=10, t=30, b=50), legend=dict(orientation="h", y=-0.2))
    return fig


def line_figure(
    x: np.ndarray,
    series: dict[str, np.ndarray],
    xlabel: str,
    ylabel: str,
    height: int = 320,
    log_y: bool = False,
    mode: str = "lines",
    markers: dict[str, tuple[np.ndarray, np.ndarray]] | None = None,
) -> go.Figure:
    """Simple lines (one per series) with labelled axes; ``markers``: extra points drawn as symbols
    only ({name: (x, y)}), e.g. published reference figures."""
    fig = go.Figure()
    for name, yv in series.items():
        fig.add_trace(go.Scatter(x=x, y=yv, mode=mode, name=name, line=dict(color=METHOD_COLORS.get(name))))
    for k, (name, (mx, my)) in enumerate((markers or {}).items()):
        symbol = ("diamond-open", "square-open", "circle-open")[k % 3]
        fig.add_trace(
            go.Scatter(x=mx, y=my, mode="markers", name=name, marker=dict(symbol=symbol, size=10, color="#444"))
        )
    fig.update_xaxes(title_text=xlabel)
    fig.update_yaxes(title_text=ylabel, type="log" if log_y else "linear")
    fig.update_layout(height=height, margin=dict(l=50, r=10, t=30, b=50))
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
    fig = go.Figure(
        go.Heatmap(
            x=coords,
            y=coords,
            z=z,
            colorscale="RdBu",
            zmin=0,
            zmax=1,
            colorbar=dict(title=zlabel),
            hovertemplate=f"{zlabel}=%{{z:.3f}}<extra></extra>",
        )
    )
    for name, (a, b) in curves.items():
        fig.add_trace(go.Scatter(x=a, y=b, mode="lines", name=name, line=dict(width=3, color=METHOD_COLORS.get(name))))
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


def histogram_figure(series: dict[str, np.ndarray], xlabel: str, bins: int = 30) -> go.Figure:
    """Overlaid histograms, one per series."""
    fig = go.Figure()
    for name, v in series.items():
        fig.add_trace(go.Histogram(x=v, nbinsx=bins, name=name, opacity=0.6, marker_color=METHOD_COLORS.get(name)))
    fig.update_layout(barmode="overlay", height=320, margin=dict(l=50, r=10, t=30, b=50))
    fig.update_xaxes(title_text=xlabel)
    fig.update_yaxes(title_text="images")
    return fig


def image_strip_figure(images_chw: np.ndarray, titles: list[str], height: int = 170) -> go.Figure:
    """A row of RGB images (K×3×H×W), each clipped to [0, 1] for display only, with a title each."""
    k = len(images_chw)
    fig = make_subplots(rows=1, cols=k, subplot_titles=titles, horizontal_spacing=0.01)
    for i, img in enumerate(images_chw):
        fig.add_trace(go.Image(z=_rgb(img), hoverinfo="skip"), row=1, col=i + 1)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.update_annotations(font_size=11)
    fig.update_layout(height=height, margin=dict(l=5, r=5, t=30, b=5))
    return fig


def votes_figure(counts: np.ndarray, classes: list[str], top: int, runner: int, title: str) -> go.Figure:
    """CERTIFY's votes over the classes: the certified (top) class and the runner-up highlighted."""
    colors = ["#d62728" if c == top else "#ff9896" if c == runner else "#c7c7c7" for c in range(len(classes))]
    fig = go.Figure(go.Bar(x=list(classes), y=counts, marker_color=colors, text=counts, textposition="outside"))
    fig.update_layout(
        title=title,
        height=260,
        margin=dict(l=5, r=5, t=40, b=5),
        yaxis_title="votes",
        yaxis_range=[0, max(1, float(np.max(counts))) * 1.18],
    )
    return fig


def for_projector(fig: go.Figure) -> go.Figure:
    """The same figure for a lecture hall: larger type, thicker lines, taller."""
    fig.update_layout(font_size=20, height=int((fig.layout.height or 400) * 1.4))
    fig.update_annotations(font_size=22)
    fig.update_traces(line_width=4, selector=dict(type="scatter"))
    return fig
