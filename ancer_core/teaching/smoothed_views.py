"""What the smoothed classifier sees: noisy copies x + θ ⊙ u of an image, each with the base
classifier's label (the votes CERTIFY counts, drawn a few at a time for display)."""

from __future__ import annotations

import torch

from ..core.noise import Noise, noise_for
from ..core.smoothing import STREAM_VIEWS, make_generators
from ..core.validation import check_images, check_theta


@torch.inference_mode()
def noisy_copies(
    model: torch.nn.Module, x: torch.Tensor, theta, norm: str | Noise, k: int = 8, seed: int = 0, index: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """``k`` noisy copies of one image x (C×H×W or 1×C×H×W) as the base classifier receives them —
    *not* clipped to [0, 1] — and the base classifier's label of each. ``theta``: a scalar or one
    value per pixel and channel (σ, or the uniform half-width λ). Seeded by (seed, index)."""
    noise = noise_for(norm)
    x = check_images(x.reshape(1, *x.shape[-3:]) if x.dim() == 3 else x)[:1]
    th = check_theta(theta, x)
    scale = th.view(1, 1, 1, 1) if th.dim() == 1 else th
    (gen,) = make_generators(seed, [index], x.device, STREAM_VIEWS)
    copies = x + scale * noise.sample_unit((k, *x.shape[1:]), x.device, x.dtype, gen)
    return copies, model(copies).argmax(1)
