"""Smoothing distributions (paper §4) and the σ ↔ λ convention.

One code path serves isotropic and anisotropic smoothing. A smoothing parameter θ is either one
scalar per image (isotropic) or one value per pixel and channel (anisotropic, diagonal):

* ``norm="l2"`` — Gaussian noise ε ~ 𝒩(0, diag(θ²)); θ is the standard deviation σ.
  Certifies the ℓ2^Σ ellipsoid {δ : ‖δ/θ‖₂ ≤ Φ⁻¹(p̲A)} (Corollary 1).
* ``norm="l1"`` — uniform noise ε ~ U[−λ, λ] per coordinate; **θ is the half-width λ**
  (g_Λ(x) = E_{u~U[−1,1]ⁿ} f(x + Λu), §4.3). Certifies {δ : ‖δ/θ‖₁ ≤ 2(p̲A − ½)} (Corollary 2).

Convention (deliberate): the *library* always works with the half-width λ for uniform noise,
because the certificate is linear in λ. User-facing σ for uniform noise (CLI ``--sigma``, app
slider, model cards) is the **standard deviation**, the field's usual meaning, as in Yang et al.
2020 (RS4A): λ = √3·σ. The original ANCER code and its Appendix D.2 use the inverse map
λ = σ/√3; pass ``convention="ancer-original"`` to :func:`uniform_half_width` to reproduce it.

Noise is added in [0, 1] pixel space, before the model's own normalization layer, and the
noisy images are *not* clamped to [0, 1] (as in Cohen et al. and the original code).
"""
from __future__ import annotations

import math

import torch

from .validation import AncerInputError, check_norm

SQRT3 = math.sqrt(3.0)
UNIFORM_CONVENTIONS = ("std", "ancer-original")


def uniform_half_width(sigma: float | torch.Tensor, convention: str = "std"):
    """Half-width λ of the uniform distribution for a user-facing σ.

    ``"std"`` (default): σ is the standard deviation of U[−λ, λ], so λ = √3·σ (Yang et al. 2020).
    ``"ancer-original"``: λ = σ/√3, what the original ANCER code and its Appendix D.2 do.
    """
    if convention == "std":
        return sigma * SQRT3
    if convention == "ancer-original":
        return sigma / SQRT3
    raise AncerInputError(f"convention={convention!r}; use one of {UNIFORM_CONVENTIONS}")


def smoothing_theta(norm: str, sigma: float, convention: str = "std") -> float:
    """θ used by the library for a user-facing σ: σ itself for Gaussian, λ for uniform noise."""
    check_norm(norm)
    return float(sigma) if norm == "l2" else float(uniform_half_width(sigma, convention))


def theta_to_sigma(norm: str, theta, convention: str = "std"):
    """Inverse of :func:`smoothing_theta` (θ → the user-facing σ)."""
    check_norm(norm)
    if norm == "l2":
        return theta
    return theta / SQRT3 if convention == "std" else theta * SQRT3


def standard_noise(norm: str, shape: tuple[int, ...], device, dtype=torch.float32,
                   generator: torch.Generator | None = None) -> torch.Tensor:
    """Unit noise u: 𝒩(0, I) for ``l2``, U[−1, 1] for ``l1``; the noise is then θ ⊙ u."""
    if norm == "l2":
        return torch.randn(shape, device=device, dtype=dtype, generator=generator)
    if norm == "l1":
        return torch.rand(shape, device=device, dtype=dtype, generator=generator).mul_(2.0).sub_(1.0)
    raise AncerInputError(f"norm={norm!r}; use one of l2, l1")


def unit_noise_per_image(norm: str, generators, samples: int, shape, device, dtype=torch.float32) -> torch.Tensor:
    """(B, samples, *shape) unit noise, image b drawn from ``generators[b]`` (reproducible per image)."""
    return torch.stack([standard_noise(norm, (samples, *shape), device, dtype, g) for g in generators])


def scale_for(theta: torch.Tensor, ndim_image: int) -> torch.Tensor:
    """θ of shape (B,) or (B,C,H,W) → broadcastable against (B, samples, C, H, W)."""
    if theta.dim() == 1:
        return theta.view(theta.shape[0], 1, *([1] * ndim_image))
    return theta.unsqueeze(1)
