"""One run of the app's live page, as the library defines it: the three methods on one image with the
settings a student chose, its key in the result store, and its computation. The app runs it when Run is
pressed; ``ancer lecture prepare`` runs the same ahead of a class, under the same key, so the app finds it."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

import torch

from ..core.noise import smoothing_theta
from ..core.precision import autocast_dtype, certify_config, offered_precisions
from ..core.protocol import MethodResult, run_all_methods
from ..core.settings import Settings
from ..data.store import store_key

PLAYBACK_SNAPSHOTS = 50  # snapshots of each optimizer kept for the live page's playback
USUAL_PRECISIONS = ("int8", "bf16", "fp32")  # CERTIFY's precision when none was chosen or measured: the first offered


def default_precision(device: torch.device, int8_ready: bool) -> str:
    """The precision a new session starts with before this device's speeds are measured."""
    offered = offered_precisions(device, int8_ready)
    return next(p for p in USUAL_PRECISIONS if p in offered)


@dataclass(frozen=True, kw_only=True)
class LiveRun:
    """What a live run depends on: the same fields, the same certificates, for every session and server."""

    model: str
    weights: str | None  # the model's weights fingerprint (its card's weights_sha256)
    idx: int  # the test index (the noise is seeded by (seed, index))
    norm: str
    sigma: float
    settings: Settings
    seed: int
    precision: str  # the network CERTIFY samples: fp32, bf16 or int8
    optimizer_precision: str
    device: str
    snapshots: int = PLAYBACK_SNAPSHOTS

    def key(self, x: torch.Tensor) -> str:
        """The run's key in the job board and the result store: every field, the image's pixels and the
        library's version."""
        pixels = hashlib.sha256(x.detach().cpu().float().numpy().tobytes()).hexdigest()
        return store_key(
            "live-run",
            self.model,
            self.weights,
            pixels,
            self.idx,
            self.norm,
            float(self.sigma),
            self.settings,
            self.seed,
            self.precision,
            self.optimizer_precision,
            self.snapshots,
            self.device,
        )

    def compute(
        self,
        model: torch.nn.Module,
        x: torch.Tensor,
        certify_model: torch.nn.Module | None = None,
        callback: Callable[[str, int, int, dict], None] | None = None,
        on_result: Callable[[str, MethodResult], None] | None = None,
    ) -> dict[str, MethodResult]:
        """The three methods on ``x`` (1×3×32×32, on the model's device); ``certify_model``: the network the
        precision has CERTIFY sample instead of ``model`` (``models.certifying(...).network``: the int8 one, or
        None); ``on_result``: each method's result as soon as it is certified."""
        return run_all_methods(
            model,
            x,
            self.norm,
            smoothing_theta(self.norm, self.sigma),
            self.settings,
            seed=self.seed,
            indices=[self.idx],
            callback=callback,
            config=certify_config(self.precision),
            certify_model=certify_model,
            optimizer_autocast=autocast_dtype(self.optimizer_precision),
            snapshots=self.snapshots,
            on_result=on_result,
        )
