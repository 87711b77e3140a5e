"""Pure plot builders for the app: data in, plotly figure out (testable without Streamlit)."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

METHOD_COLORS = {"fixed": "#7f7f7f", "isotropic-dd": "#1f77b4", "ancer": "#d62728"}


def trace_figure(traces: dict[str, dict[str, np.ndarray]], image: int = 0) -> go.Figure:
    """Optimization traces per iteration: objective, gap estimate and proxy radius, per stage.

    ``traces``: stage → {"objective": (iters, B), "gap": …, "proxy_radius": …}."""
    fig = make_subplots(rows=1, cols=3, subplot_titles=("objective", "gap estimate (MC, not certified)",
                                                        "proxy radius R̃ = GM(θ)·gap"))
    for stage, tr in traces.items():
        for col, key in enumerate(("objective", "gap", "proxy_radius"), start=1):
            if key in tr and len(tr[key]):
                y = np.asarray(tr[key])[:, image]
                fig.add_trace(go.Scatter(y=y, mode="lines", name=stage, legendgroup=stage, showlegend=col == 1,
                                         line=dict(color=METHOD_COLORS.get(stage))), row=1, col=col)
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


def sigma_map_figure(theta_chw: np.ndarray, theta_iso: float, label: str = "θ",
                     overlay: np.ndarray | None = None, opacity: float = 0.6) -> go.Figure:
    """Per-pixel θ of ANCER as heatmaps (R, G, B, mean) on one colour scale with a colour bar;
    the isotropic θ is marked on the colour bar's title. With ``overlay`` (the image, 3×H×W) the
    heatmaps are drawn semi-transparent over it."""
    maps = [theta_chw[0], theta_chw[1], theta_chw[2], theta_chw.mean(0)]
    lo, hi = float(theta_chw.min()), float(theta_chw.max())
    fig = make_subplots(rows=1, cols=4, subplot_titles=("R", "G", "B", "mean over channels"),
                        horizontal_spacing=0.02)
    for k, m in enumerate(maps):
        if overlay is not None:
            fig.add_trace(go.Image(z=_rgb(overlay), hoverinfo="skip"), row=1, col=k + 1)
        fig.add_trace(go.Heatmap(z=m, zmin=lo, zmax=hi, colorscale="Viridis", showscale=k == 3,
                                 opacity=opacity if overlay is not None else 1.0,
                                 colorbar=dict(title=f"{label}<br>(iso {theta_iso:.3f})"),
                                 hovertemplate=f"row %{{y}}, col %{{x}}: {label}=%{{z:.4f}}<extra></extra>"),
                      row=1, col=k + 1)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, autorange="reversed", scaleanchor="x")
    for k in range(2, 5):
        fig.update_yaxes(scaleanchor=f"x{k}", row=1, col=k)
    fig.update_layout(height=280, margin=dict(l=5, r=5, t=30, b=5))
    return fig


def perturbation_figure(x_chw: np.ndarray, delta_chw: np.ndarray, amplify: float, titles: tuple[str, str, str]) -> go.Figure:
    """Paper Figure 2: x, the perturbation δ amplified (shown as ½ + amplify·δ) and x + δ."""
    fig = make_subplots(rows=1, cols=3, subplot_titles=titles, horizontal_spacing=0.03)
    for k, img in enumerate((x_chw, 0.5 + amplify * delta_chw, x_chw + delta_chw)):
        fig.add_trace(go.Image(z=_rgb(img)), row=1, col=k + 1)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.update_layout(height=300, margin=dict(l=5, r=5, t=40, b=5))
    return fig


def region_slice_figure(curves: dict[str, tuple[np.ndarray, np.ndarray]], xlabel: str, ylabel: str,
                        points: dict[str, tuple[float, float]] | None = None) -> go.Figure:
    """2D slices through x of certified regions: one closed curve per method (coordinates along two
    orthonormal directions, input-space units), optional marked points (e.g. a perturbation)."""
    fig = go.Figure()
    for name, (a, b) in curves.items():
        fig.add_trace(go.Scatter(x=a, y=b, mode="lines", name=name, fill="toself", opacity=0.55,
                                 line=dict(color=METHOD_COLORS.get(name))))
    for name, (a, b) in (points or {}).items():
        fig.add_trace(go.Scatter(x=[a], y=[b], mode="markers", name=name, marker=dict(size=10, symbol="x")))
    fig.add_trace(go.Scatter(x=[0], y=[0], mode="markers", name="x (the image)", marker=dict(color="black")))
    fig.update_xaxes(title_text=xlabel, zeroline=True)
    fig.update_yaxes(title_text=ylabel, scaleanchor="x", zeroline=True)
    fig.update_layout(height=420, margin=dict(l=50, r=10, t=30, b=50))
    return fig
