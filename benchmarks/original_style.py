"""The same work done the way the original ANCER / ddsmoothing / Cohen et al. code does it.

Only for the benchmark's side-by-side ratios; never used by the library. Written from the facts
in the original packages' behaviour (see the project README, "Performance"), not copied:

* CERTIFY: one image at a time; for each draw of ``batch`` (1,000) noise samples the image is
  repeated, noise ``randn_like · θ`` is added, the argmax predictions are copied to the host and
  counted with NumPy (a device synchronisation per batch); full fp32 (TF32 switched off by the
  caller, as on the paper's RTX 6000, which has none); ``proportion_confint(nA, N, 2α, "beta")``.
* Isotropic DD: a batch of images (the original: 128), plain gradient ascent with
  ``autograd.grad`` w.r.t. σ; the network's weights keep ``requires_grad=True``.
* ANCER: a batch of images, Adam on θ, ``loss.backward()`` — which also computes (and
  accumulates) gradients for every weight of the network, as in the original — then θ ← max(θ, θ₀).

The objectives are the same as the library's (softmax made explicit), so the two paths do the same
arithmetic work and the ratios measure the implementation, not a different algorithm.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from statsmodels.stats.proportion import proportion_confint


def _sample_counts(model, x, theta, num: int, batch: int, num_classes: int) -> np.ndarray:
    counts = np.zeros(num_classes, dtype=np.int64)
    with torch.no_grad():
        remaining = num
        for _ in range(math.ceil(num / batch)):
            this = min(batch, remaining)
            remaining -= this
            rep = x.unsqueeze(0).repeat((this, 1, 1, 1))
            noise = torch.randn_like(rep) * theta
            preds = model(rep + noise).argmax(1)
            counts += np.bincount(preds.cpu().numpy(), minlength=num_classes)  # host copy per batch
    return counts


def certify_one(
    model, x: torch.Tensor, theta, n0: int, n: int, alpha: float, batch: int = 1000, num_classes: int = 10
) -> tuple[int, float]:
    """Cohen et al.'s CERTIFY for one image (C, H, W) with Gaussian θ (a float or a (C, H, W) tensor).

    Returns (class or −1, p̲A)."""
    c0 = _sample_counts(model, x, theta, n0, batch, num_classes)
    c_hat = int(c0.argmax())
    c = _sample_counts(model, x, theta, n, batch, num_classes)
    p_low = proportion_confint(int(c[c_hat]), n, alpha=2 * alpha, method="beta")[0]
    return (c_hat if p_low > 0.5 else -1), float(p_low)


def _top2(model, x, theta_b, samples):
    b = x.shape[0]
    rep = x.repeat((1, samples, 1, 1)).view(b * samples, *x.shape[1:])
    noise = torch.randn_like(rep) * theta_b.repeat_interleave(samples, 0)
    probs = torch.softmax(model(rep + noise), 1).view(b, samples, -1).mean(1)
    return probs.topk(2, 1).values.clamp(0.001, 0.999)


def _icdf(p):
    return torch.distributions.Normal(0.0, 1.0).icdf(p)


def isotropic_dd(
    model, x: torch.Tensor, sigma0: float, iterations: int, samples: int, lr: float = 0.04
) -> torch.Tensor:
    """Isotropic DD as the original: σ per image, plain ascent on σ/2·(Φ⁻¹p₁ − Φ⁻¹p₂)."""
    for p in model.parameters():
        p.requires_grad_(True)
    sigma = torch.full((x.shape[0], 1, 1, 1), float(sigma0), device=x.device, requires_grad=True)
    for _ in range(iterations):
        v = _top2(model, x, sigma, samples)
        radius = sigma.view(-1) * (_icdf(v[:, 0]) - _icdf(v[:, 1])) / 2
        (grad,) = torch.autograd.grad(radius.sum(), sigma)
        sigma.data += lr * grad
    return sigma.detach().view(-1)


def ancer(
    model, x: torch.Tensor, theta_iso: torch.Tensor, iterations: int, samples: int, lr: float = 0.04, kappa: float = 2.0
) -> torch.Tensor:
    """ANCER as the original: Adam on the full θ, ``loss.backward()`` (weight gradients included)."""
    for p in model.parameters():
        p.requires_grad_(True)
    init = theta_iso.view(-1, 1, 1, 1).expand_as(x).clone()
    theta = init.clone().requires_grad_(True)
    opt = torch.optim.Adam([theta], lr=lr)
    for _ in range(iterations):
        opt.zero_grad()
        v = _top2(model, x, theta, samples)
        gap = _icdf(v[:, 0]) - _icdf(v[:, 1])
        flat = theta.flatten(1)
        loss = -(flat.log().mean(1).exp() * gap + kappa * flat.min(1).values * gap).sum()
        loss.backward()
        opt.step()
        theta.data = torch.max(theta.data, init)
    model.zero_grad(set_to_none=True)
    return theta.detach()
