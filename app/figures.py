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
    rgb = (np.clip(img_chw.transpose(1, 2, 0), 0, 1) * 255).astype(np.uint8)
    fig = go.Figure(go.Image(z=rgb))
    fig.update_layout(title=title, height=260, width=260, margin=dict(l=5, r=5, t=30, b=5))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig


def sigma_map_figure(theta_chw: np.ndarray, theta_iso: float, label: str = "θ") -> go.Figure:
    """Per-pixel θ of ANCER as heatmaps (R, G, B, mean) on one colour scale with a colour bar;
    the isotropic θ is marked on the colour bar's title."""
    maps = [theta_chw[0], theta_chw[1], theta_chw[2], theta_chw.mean(0)]
    lo, hi = float(theta_chw.min()), float(theta_chw.max())
    fig = make_subplots(rows=1, cols=4, subplot_titles=("R", "G", "B", "mean over channels"),
                        horizontal_spacing=0.02)
    for k, m in enumerate(maps):
        fig.add_trace(go.Heatmap(z=m[::-1], zmin=lo, zmax=hi, colorscale="Viridis", showscale=k == 3,
                                 colorbar=dict(title=f"{label}<br>(iso {theta_iso:.3f})"),
                                 hovertemplate=f"{label}=%{{z:.4f}}<extra></extra>"), row=1, col=k + 1)
    fig.update_xaxes(visible=False, scaleanchor=None)
    fig.update_yaxes(visible=False)
    fig.update_layout(height=260, margin=dict(l=5, r=5, t=30, b=5))
    return fig
