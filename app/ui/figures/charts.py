"""Charts: optimization traces, lines, histograms, vote counts."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from . import palette

STAGE_LABELS = {"isotropic-dd": "Isotropic DD", "ancer": "ANCER"}


def trace_figure(traces: dict[str, dict[str, np.ndarray]], image: int = 0) -> go.Figure:
    """Optimization traces per iteration, per stage: each stage's own objective in its own panel (Isotropic
    DD's and ANCER's are different functions, on different scales), then the Monte Carlo gap estimate and
    the surrogate's proxy radius, which mean the same for both. A proxy radius is never negative: where the
    estimated gap is ≤ 0 the surrogate certifies nothing, drawn as 0.

    ``traces``: stage → {"objective": (iters, B), "gap": …, "proxy_radius": …}."""
    stages = [k for k in traces if len(traces[k].get("objective", []))]
    titles = [f"{STAGE_LABELS.get(k, k)}'s objective" for k in stages]
    titles += ["gap estimate (Monte Carlo, not certified)", "surrogate proxy radius R̃ = GM(θ)·max(gap, 0)"]
    fig = make_subplots(rows=1, cols=len(titles), subplot_titles=titles)
    for stage, tr in traces.items():
        name = STAGE_LABELS.get(stage, stage)
        panels = [(stages.index(stage) + 1, "objective")] if stage in stages else []
        panels += [(len(stages) + 1, "gap"), (len(stages) + 2, "proxy_radius")]
        for col, key in panels:
            if key in tr and len(tr[key]):
                y = np.asarray(tr[key])[:, image]
                if key == "proxy_radius":
                    y = np.maximum(y, 0.0)
                fig.add_trace(
                    go.Scatter(
                        y=y,
                        mode="lines",
                        name=name,
                        legendgroup=stage,
                        showlegend=col == len(stages) + 1,
                        line=dict(color=palette.method_color(stage)),
                    ),
                    row=1,
                    col=col,
                )
    fig.update_xaxes(title_text="iteration")
    fig.update_layout(height=320, margin=dict(l=40, r=10, t=60, b=40), legend=dict(orientation="h", y=-0.3))
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
        fig.add_trace(go.Scatter(x=x, y=yv, mode=mode, name=name, line=dict(color=palette.method_color(name))))
    for k, (name, (mx, my)) in enumerate((markers or {}).items()):
        symbol = ("diamond-open", "square-open", "circle-open")[k % 3]
        fig.add_trace(
            go.Scatter(x=mx, y=my, mode="markers", name=name, marker=dict(symbol=symbol, size=10, color="#444"))
        )
    fig.update_xaxes(title_text=xlabel)
    fig.update_yaxes(title_text=ylabel, type="log" if log_y else "linear")
    fig.update_layout(height=height, margin=dict(l=50, r=10, t=30, b=50))
    return fig


def histogram_figure(series: dict[str, np.ndarray], xlabel: str, bins: int = 30) -> go.Figure:
    """Overlaid histograms, one per series."""
    fig = go.Figure()
    for name, v in series.items():
        fig.add_trace(go.Histogram(x=v, nbinsx=bins, name=name, opacity=0.6, marker_color=palette.method_color(name)))
    fig.update_layout(barmode="overlay", height=320, margin=dict(l=50, r=10, t=30, b=50))
    fig.update_xaxes(title_text=xlabel)
    fig.update_yaxes(title_text="images")
    return fig


def votes_figure(counts: np.ndarray, classes: list[str], top: int, runner: int, title: str) -> go.Figure:
    """CERTIFY's votes over the classes: the certified (top) class and the runner-up highlighted."""
    colors = palette.vote_colors(len(classes), top, runner)
    fig = go.Figure(go.Bar(x=list(classes), y=counts, marker_color=colors, text=counts, textposition="outside"))
    fig.update_layout(
        title=title,
        height=260,
        margin=dict(l=5, r=5, t=40, b=5),
        yaxis_title="votes",
        yaxis_range=[0, max(1, float(np.max(counts))) * 1.18],
    )
    return fig


def radius_axis(values: list[np.ndarray], share: float = 0.99) -> tuple[float, int, float]:
    """The end of a radius axis that shows where the certified-accuracy curves are: 10 % past the radius
    that ``share`` of the positive radii in ``values`` reach, so that one outlying certificate (a radius
    of 30 where the rest end below 2) does not squeeze every curve against the left edge. Returns
    (axis end, how many radii lie beyond it, the largest radius)."""
    r = np.concatenate([np.asarray(v, dtype=float).ravel() for v in values] or [np.zeros(0)])
    r = r[np.isfinite(r) & (r > 0)]
    if not len(r):
        return 1.0, 0, 0.0
    end = float(np.quantile(r, share)) * 1.1 + 1e-9
    return end, int((r > end).sum()), float(r.max())
