"""A softmax temperature for the optimizers' surrogate, fitted on noisy *training* images.

The data-dependent optimizers maximise a soft surrogate of the smoothed classifier
(:mod:`ancer_core.core.surrogate`). A network that is overconfident under noise makes that surrogate
steep and rewards θ under which it answers one class confidently (an attractor class). Temperature
scaling (Guo et al. 2017) fits one T > 0 so that softmax(logits / T) is calibrated: here by minimising
the negative log-likelihood of the labels of noisy training images, with noise at the θ where the
optimizers move (θ₀ to ``max(ratios)``·θ₀). Never fitted on test images. T only shapes the
surrogate; CERTIFY counts the unchanged network's hard votes.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from scipy.optimize import minimize_scalar

from ..core.noise import Noise, noise_for


@torch.inference_mode()
def noisy_logits(
    model: torch.nn.Module,
    x: torch.Tensor,
    theta0: float,
    norm: str | Noise,
    ratios: Sequence[float] = (1.0, 2.0, 4.0),
    copies: int = 2,
    seed: int = 0,
    batch: int = 500,
) -> torch.Tensor:
    """Logits (len(ratios)·copies·N, classes) of x + θ·u for θ = θ₀·ratio, ``copies`` draws each."""
    g = torch.Generator(device=x.device).manual_seed(seed)
    noise = noise_for(norm)
    out = []
    for r in ratios:
        for _ in range(copies):
            for s in range(0, len(x), batch):
                xb = x[s : s + batch]
                u = noise.sample_unit(xb.shape, xb.device, xb.dtype, generator=g)
                out.append(model(xb + theta0 * r * u).float())
    return torch.cat(out)


def fit_temperature(logits: torch.Tensor, labels: torch.Tensor) -> tuple[float, float, float]:
    """The T minimising the mean NLL of softmax(logits / T) (searched on log T in [1/10, 100]);
    returns (T, NLL at T = 1, NLL at T)."""
    logits, labels = logits.double(), labels.long()

    def nll(log_t: float) -> float:
        return float(torch.nn.functional.cross_entropy(logits / np.exp(log_t), labels))

    res = minimize_scalar(nll, bounds=(np.log(0.1), np.log(100.0)), method="bounded", options={"xatol": 1e-4})
    return float(np.exp(res.x)), nll(0.0), float(res.fun)
