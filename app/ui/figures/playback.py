"""Playback of an optimization: θ, the surrogate's class probabilities and one noisy copy of the image,
step by step, as Plotly animation frames (play and scrub in the browser, no rerun)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from . import palette
from .images import rgb


@dataclass
class Frame:
    """One step: its ``label`` ("Isotropic DD step 14/60"), θ (C×H×W), the surrogate's class
    probabilities, the proxy radius."""

    label: str
    theta: np.ndarray
    probs: np.ndarray
    proxy_radius: float


def playback_figure(
    frames: list[Frame],
    image_chw: np.ndarray,
    unit_noise: np.ndarray,
    classes: list[str],
    theta_symbol: str,
    start: int = 0,
    height: int = 340,
) -> go.Figure:
    """θ averaged over channels (one colour scale for every step), the ten class probabilities with the
    top class dark, and x + θ ⊙ u for one fixed draw u (only θ changes from step to step; clipped to
    [0, 1] for display); a slider over the steps and a play button. Opens at step ``start``."""
    lo = min(float(f.theta.mean(0).min()) for f in frames)
    hi = max(float(f.theta.mean(0).max()) for f in frames)
    hi = hi if hi > lo else lo * 1.01 + 1e-6

    def traces(f: Frame) -> list:
        top = int(np.argmax(f.probs))
        colors = palette.vote_colors(len(classes), top)
        return [
            go.Heatmap(
                z=f.theta.mean(0),
                zmin=lo,
                zmax=hi,
                colorscale="Viridis",
                colorbar=dict(title=theta_symbol, x=-0.01, xanchor="right", len=0.9, thickness=12),
                hovertemplate=f"{theta_symbol}=%{{z:.3f}}<extra></extra>",
            ),
            go.Bar(x=list(classes), y=f.probs, marker_color=colors, hovertemplate="%{x}: %{y:.3f}<extra></extra>"),
            go.Image(z=rgb(image_chw + f.theta * unit_noise), hoverinfo="skip"),
        ]

    def title(f: Frame) -> str:
        top = classes[int(np.argmax(f.probs))]
        return (
            f"{f.label}: mean {theta_symbol} = {f.theta.mean():.3f}, top class {top}, surrogate proxy radius "
            f"{max(f.proxy_radius, 0.0):.3f} (Monte Carlo, not certified)"
        )

    fig = make_subplots(
        rows=1,
        cols=3,
        column_widths=[0.25, 0.45, 0.3],
        subplot_titles=(f"{theta_symbol} (mean over channels)", "surrogate's class probabilities", "x + θ ⊙ u"),
        horizontal_spacing=0.09,
    )
    for col, trace in enumerate(traces(frames[start]), start=1):
        fig.add_trace(trace, row=1, col=col)
    fig.frames = [
        go.Frame(data=traces(f), name=str(k), traces=[0, 1, 2], layout=go.Layout(title_text=title(f)))
        for k, f in enumerate(frames)
    ]
    fig.update_layout(
        title=dict(text=title(frames[start]), font_size=14),
        height=height,
        margin=dict(l=70, r=10, t=70, b=150),  # the slider and play button below the panels and their labels
        showlegend=False,
        yaxis2=dict(range=[0, 1]),
        **_controls(frames, start),
    )
    fig.update_xaxes(visible=False, row=1, col=1)
    fig.update_yaxes(visible=False, autorange="reversed", scaleanchor="x", row=1, col=1)
    fig.update_xaxes(visible=False, row=1, col=3)
    fig.update_yaxes(visible=False, row=1, col=3)
    return fig


def _controls(frames: list[Frame], start: int) -> dict:
    """A slider over the steps and a play button, below the panels (the step's title names where it is)."""
    step = {"frame": {"duration": 0, "redraw": True}, "mode": "immediate", "transition": {"duration": 0}}
    return dict(
        sliders=[
            {
                "active": start,
                "currentvalue": {"visible": False},
                "pad": {"t": 75},  # below the class names under the middle panel
                "steps": [
                    {
                        "label": f.label.split(" step ")[-1],
                        "method": "animate",
                        "args": [[str(k)], step],
                    }
                    for k, f in enumerate(frames)
                ],
                "y": 0,
                "yanchor": "top",
                "len": 0.85,
                "x": 0.15,
            }
        ],
        updatemenus=[
            {
                "type": "buttons",
                "x": 0.0,
                "y": 0,
                "yanchor": "top",
                "pad": {"t": 80},
                "xanchor": "left",
                "buttons": [
                    {
                        "label": "▶ play",
                        "method": "animate",
                        "args": [None, {**step, "frame": {"duration": 150, "redraw": True}, "fromcurrent": True}],
                    }
                ],
            }
        ],
    )
