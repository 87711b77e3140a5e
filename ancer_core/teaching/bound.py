"""When the bound on θ binds: what a run's θ did against the bound × θ₀, in a student's words.

The default surrogate bounds every θ by twice the start θ (:class:`ancer_core.Settings`,
docs/results.md, "Attractor classes"). When Isotropic DD's θ ends on that bound, ANCER — which keeps
every θᵢ at or above Isotropic DD's θ and at or below the same bound — has no room: its θ map is flat
and its region is Isotropic DD's. :func:`bound_report` says whether that happened; :func:`bound_sentence`
says it, with the class the network answers under heavy noise (:func:`heavy_noise_answer`), the reason
the bound is there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import torch

from ..core.noise import Noise, noise_for
from ..core.protocol import MethodResult
from ..core.settings import Settings
from .attractors import attractor_profile

AT_BOUND_RTOL = 1e-3  # θ within 0.1 % of the bound counts as on it (the solvers stop at the bound itself)


@dataclass(frozen=True)
class BoundReport:
    """``theta_max`` (None: unbounded); ``iso_theta``: Isotropic DD's θ; ``iso_at_bound``: it ended on the
    bound; ``ancer_at_bound``: the share of ANCER's θᵢ on the bound; ``ancer_spread``: (max − min)/mean
    of ANCER's θ (0: a flat map)."""

    theta0: float
    theta_max: float | None
    iso_theta: float
    iso_at_bound: bool
    ancer_at_bound: float
    ancer_spread: float

    @property
    def ancer_stuck(self) -> bool:
        """ANCER could not move: Isotropic DD sits on the bound and every θᵢ with it."""
        return self.iso_at_bound and self.ancer_spread < AT_BOUND_RTOL


def bound_report(results: Mapping[str, MethodResult], settings: Settings, theta0: float, image: int = 0) -> BoundReport:
    """Where the θ of image ``image`` of a :func:`~ancer_core.core.protocol.run_all_methods` result ended
    against the bound ``settings.bound`` × ``theta0``."""
    theta_max = settings.surrogate(theta0).theta_max
    iso = float(results["isotropic-dd"].theta[image].float().mean()) if "isotropic-dd" in results else float(theta0)
    an = results["ancer"].theta[image].float().cpu().numpy() if "ancer" in results else np.array([iso])

    def on_bound(v):
        return np.asarray(v) >= theta_max * (1 - AT_BOUND_RTOL) if theta_max is not None else np.zeros_like(v, bool)

    return BoundReport(
        float(theta0),
        theta_max,
        iso,
        bool(on_bound(iso)),
        float(on_bound(an).mean()),
        float((an.max() - an.min()) / max(an.mean(), 1e-12)),
    )


@torch.inference_mode()
def heavy_noise_answer(
    model: torch.nn.Module,
    x: torch.Tensor,
    labels,
    theta0: float,
    norm: str | Noise,
    ratio: float = 4.0,
    samples: int = 16,
) -> tuple[int, float]:
    """The class the base network answers most under noise ``ratio`` × ``theta0`` and its share of the
    votes, over the images ``x`` (:func:`~.attractors.attractor_profile` at one ratio): the attractor
    class an unbounded θ can grow into."""
    profile = attractor_profile(model, x, np.asarray(labels), theta0, noise_for(norm), ratios=(ratio,), samples=samples)
    votes = profile.votes[0]
    return int(votes.argmax()), float(votes.max())


def bound_sentence(report: BoundReport, theta_symbol: str, classes, attractor: tuple[int, float] | None) -> str | None:
    """What to tell a student when the bound decided the run (None when it did not)."""
    if not report.iso_at_bound or report.theta_max is None:
        return None
    ratio = report.theta_max / report.theta0
    said = (
        f"Isotropic DD's {theta_symbol} reached the bound {theta_symbol} ≤ {ratio:g} × {report.theta0:.3g} = "
        f"{report.theta_max:.3g}. "
    )
    if report.ancer_stuck:
        said += (
            f"ANCER starts from that {theta_symbol} and keeps every pixel's {theta_symbol} between it and the same "
            "bound, so it had no room to move: its θ map is flat and its region is Isotropic DD's. "
        )
    else:
        said += f"{100 * report.ancer_at_bound:.0f} % of ANCER's per-pixel {theta_symbol} ended on the bound too. "
    said += "The bound is there because"
    if attractor is not None:
        cls, share = attractor
        said += (
            f" under much more noise this network answers mostly {classes[cls]} whatever the image "
            f"({100 * share:.0f} % of its votes at 4 × the initial {theta_symbol})"
        )
    else:
        said += " under much more noise a network answers mostly one class whatever the image"
    return said + (
        ": a larger θ would certify that class rather than this image. The paper's objective has no bound — run "
        "it to compare."
    )
