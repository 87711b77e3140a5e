"""Figures of images: an image, θ maps, a perturbation, a strip of noisy copies."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots


def image_figure(img_chw: np.ndarray, title: str = "") -> go.Figure:
    """An RGB image (3×H×W in [0, 1]) as a figure."""
    fig = go.Figure(go.Image(z=rgb(img_chw)))
    fig.update_layout(title=title, height=260, width=260, margin=dict(l=5, r=5, t=30, b=5))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig


def rgb(img_chw: np.ndarray) -> np.ndarray:
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
            fig.add_trace(go.Image(z=rgb(overlay), hoverinfo="skip"), **where)
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


def theta_map_figure(
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
        fig.add_trace(go.Image(z=rgb(img)), row=1, col=k + 1)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.update_layout(height=300, margin=dict(l=5, r=5, t=40, b=5))
    return fig


def image_strip_figure(images_chw: np.ndarray, titles: list[str], height: int = 170) -> go.Figure:
    """A row of RGB images (K×3×H×W), each clipped to [0, 1] for display only, with a title each."""
    k = len(images_chw)
    fig = make_subplots(rows=1, cols=k, subplot_titles=titles, horizontal_spacing=0.01)
    for i, img in enumerate(images_chw):
        fig.add_trace(go.Image(z=rgb(img), hoverinfo="skip"), row=1, col=i + 1)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.update_annotations(font_size=11)
    fig.update_layout(height=height, margin=dict(l=5, r=5, t=30, b=5))
    return fig
