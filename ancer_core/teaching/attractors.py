"""Attractor classes: the classes a network answers for *any* input under heavy noise.

A noise-trained network that is overconfident under noise has, at a large enough θ, one or two
classes it predicts whatever the image (frog, ship…). The data-dependent optimizers see the smoothed
soft classifier, whose top-2 gap — and so θ·gap — grows again once such a class takes over; an
optimizer that reaches that basin certifies the attractor instead of the image's class (docs/results.md).

:func:`attractor_profile` measures it for a model: the share of each class among the base network's
predictions on noisy copies x + θ·u, for θ from the training θ to ``max_ratio`` times it, over a set of
images (common random numbers across θ, as the scalar Isotropic DD solver uses them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from ..core.noise import Noise
from ..core.smoothing import STREAM_ISOTROPIC_DD, make_generators
from ..core.surrogate import class_curves, unit_draws


@dataclass
class AttractorProfile:
    """``ratios`` (K,): θ / θ₀; ``votes`` (K, classes): share of the noisy copies predicted as each
    class, over all images; ``top_share`` (K,): share of images whose majority vote is the top class
    of ``votes`` at that ratio; ``accuracy`` (K,): share of images whose majority vote is their label."""

    theta0: float
    ratios: np.ndarray
    votes: np.ndarray
    top_share: np.ndarray
    accuracy: np.ndarray

    def attractors(self, ratio: float, share: float = 0.3) -> list[int]:
        """Classes that take at least ``share`` of all votes at the grid ratio nearest ``ratio``."""
        k = int(np.abs(np.log(self.ratios) - np.log(ratio)).argmin())
        return [int(c) for c in np.flatnonzero(self.votes[k] >= share)]


@torch.inference_mode()
def attractor_profile(
    model: torch.nn.Module,
    x: torch.Tensor,
    labels: np.ndarray,
    theta0: float,
    norm: str | Noise,
    *,
    ratios: Sequence[float] = (1, 1.5, 2, 3, 4, 6, 8, 10),
    samples: int = 32,
    seed: int = 0,
    indices: Sequence[int] | None = None,
    chunk: int = 16,
) -> AttractorProfile:
    """The attractor profile of ``model`` on the images ``x`` (with their ``labels``), in chunks."""
    idx = list(range(len(x))) if indices is None else list(indices)
    r = np.asarray(ratios, dtype=np.float64)
    majority, votes = [], []
    for s in range(0, len(x), chunk):
        xb = x[s : s + chunk]
        u = unit_draws(norm, make_generators(seed, idx[s : s + chunk], xb.device, STREAM_ISOTROPIC_DD), samples, xb)
        thetas = torch.as_tensor(theta0 * r, dtype=xb.dtype, device=xb.device).expand(len(xb), -1)
        v = class_curves(model, xb, thetas, u)["votes"].cpu().numpy()  # (B, K, classes)
        votes.append(v.sum(0))
        majority.append(v.argmax(-1))  # (B, K)
    maj = np.concatenate(majority)
    shares = np.sum(votes, axis=0) / len(x)
    top = shares.argmax(-1)
    return AttractorProfile(
        float(theta0),
        r,
        shares,
        (maj == top[None]).mean(0),
        (maj == np.asarray(labels)[:, None]).mean(0),
    )
