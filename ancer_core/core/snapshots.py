"""Snapshots of an optimization for playback: θ, the surrogate's class probabilities and the proxy
radius at chosen steps, recorded while the optimizer runs so that showing them never recomputes.

Step s is θ after s updates: step 0 is the start θ, step ``iterations`` the θ that CERTIFY uses.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch


def snapshot_steps(iterations: int, count: int = 50) -> list[int]:
    """Up to ``count`` evenly spaced steps from 0 to ``iterations``, both ends included."""
    if count < 2 or iterations < 1:
        return [0, iterations] if iterations else [0]
    return sorted({int(round(s)) for s in np.linspace(0, iterations, min(count, iterations + 1))})


class Snapshots:
    """Collects snapshots at ``steps`` (none when ``steps`` is None)."""

    def __init__(self, steps: Sequence[int] | None):
        self.steps = set(steps or ())
        self.rows: dict[str, list] = {"step": [], "theta": [], "probs": [], "proxy_radius": []}

    def wants(self, step: int) -> bool:
        return step in self.steps

    def add(self, step: int, theta: torch.Tensor, probs: torch.Tensor, proxy_radius: torch.Tensor) -> None:
        """θ (B, …), the surrogate's mean probabilities (B, classes) and the proxy radius (B,) at ``step``."""
        self.rows["step"].append(step)
        for key, value in (("theta", theta), ("probs", probs), ("proxy_radius", proxy_radius)):
            self.rows[key].append(value.detach().float().cpu().numpy().copy())

    def add_final(
        self, step: int, theta: torch.Tensor, evaluate: Callable[[torch.Tensor], tuple], stopped_early: bool = False
    ) -> None:
        """The snapshot after the last update, if wanted (always after an early stop, when snapshots are
        kept at all: the last frame is the θ CERTIFY uses): ``evaluate(θ)`` → (probs, proxy radius)."""
        if self.wants(step) or (stopped_early and self.steps):
            with torch.no_grad():
                self.add(step, theta, *evaluate(theta))

    def result(self) -> dict[str, np.ndarray]:
        """{"step": (K,), "theta": (K, B, …), "probs": (K, B, classes), "proxy_radius": (K, B)}, or {}."""
        if not self.rows["step"]:
            return {}
        return {k: np.asarray(v) if k == "step" else np.stack(v) for k, v in self.rows.items()}
