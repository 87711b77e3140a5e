"""Smoothing noises (paper §4): one object per noise, owning everything that depends on it.

* :data:`GAUSSIAN` — ε ~ 𝒩(0, diag(θ²)), θ = σ; certifies the ℓ2^Σ ellipsoid
  {δ : ‖δ/θ‖₂ ≤ Φ⁻¹(p̲A)} (Corollary 1).
* :data:`UNIFORM` — ε = θ ⊙ u, u ~ U[−1, 1]ⁿ, θ = the half-width λ (g_Λ(x) = E f(x + Λu), §4.3);
  certifies the ℓ1^Λ cross-polytope {δ : ‖δ/θ‖₁ ≤ 2(p̲A − ½)} (Corollary 2).

Every other module asks the noise (``noise_for("l2")`` or ``noise_for("gaussian")``) instead of
branching on a string; the strings ("l2"/"l1", "gaussian"/"uniform") live only at the edges: CLI
flags, file columns, model cards and URLs.

σ ↔ θ convention (deliberate): the library works with the half-width λ for uniform noise, because
the certificate is linear in λ. The user-facing σ (CLI ``--sigma``, app slider, model cards) is the
**standard deviation** for both noises, as in Yang et al. 2020 (RS4A): λ = √3·σ. The original
ANCER code and its Appendix D.2 use λ = σ/√3; ``convention="ancer-original"`` reproduces it.

Noise is added in [0, 1] pixel space, before the model's normalization layer, and noisy images are
not clamped to [0, 1] (as in Cohen et al. and the original code).
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Sequence

import numpy as np
import torch
from scipy.special import gammaln, ndtri

from .validation import NORMS, AncerInputError

SQRT3 = math.sqrt(3.0)
UNIFORM_CONVENTIONS = ("std", "ancer-original")
PROB_CLAMP = (0.001, 0.999)  # the optimizers clamp p before Φ⁻¹, as the original code does


class Noise(ABC):
    """A smoothing distribution θ ⊙ u with unit noise u, and the certificate it gives."""

    norm: str  # "l2" / "l1": the norm of the certified region (CLI flag, file column)
    name: str  # "gaussian" / "uniform": the noise (model cards)
    p: int  # the region is {δ : ‖δ/θ‖_p ≤ gap}
    theta_symbol: str  # what θ is called in figures: σ or λ
    theta_meaning: str
    region: str  # the region's name in words
    supports_rotation: bool  # any positive-definite Σ = RΘ²Rᵀ is certified (§4.2)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    @property
    def norm_symbol(self) -> str:
        return f"ℓ{self.p}"

    @property
    def label(self) -> str:
        return f"{self.norm_symbol} {self.region} ({self.name} noise)"

    # ----- σ ↔ θ ----------------------------------------------------------------------------
    @abstractmethod
    def theta_from_sigma(self, sigma, convention: str = "std"):
        """θ for a user-facing σ (the noise's standard deviation)."""

    @abstractmethod
    def sigma_from_theta(self, theta, convention: str = "std"):
        """The user-facing σ of a θ (inverse of :meth:`theta_from_sigma`)."""

    # ----- sampling ---------------------------------------------------------------------------
    @abstractmethod
    def sample_unit(
        self, shape: tuple[int, ...], device, dtype=torch.float32, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """Unit noise u; the noise is θ ⊙ u."""

    def sample_unit_per_image(
        self, generators: Sequence[torch.Generator], samples: int, shape, device, dtype=torch.float32
    ) -> torch.Tensor:
        """(B, samples, *shape) unit noise, image b drawn from ``generators[b]`` (reproducible per image)."""
        return torch.stack([self.sample_unit((samples, *shape), device, dtype, g) for g in generators])

    # ----- certificate ------------------------------------------------------------------------
    @abstractmethod
    def _gap(self, p: np.ndarray) -> np.ndarray: ...

    def gap(self, p_lower) -> np.ndarray:
        """Certified gap from p̲A assuming p̄B = 1 − p̲A (Cohen et al.'s single bound); 0 where
        p̲A ≤ ½ (abstention)."""
        p = np.asarray(p_lower, dtype=np.float64)
        return np.where(p > 0.5, self._gap(p), 0.0)

    @abstractmethod
    def gap_estimate(self, top2: torch.Tensor) -> torch.Tensor:
        """The optimizers' differentiable gap from the top-2 smoothed probabilities (B, 2), as in
        the original code: Φ⁻¹(p₁) − Φ⁻¹(p₂) for ℓ2 (no ½), p₁ − p₂ for ℓ1."""

    @abstractmethod
    def certified_gap_estimate(self, estimate: torch.Tensor) -> torch.Tensor:
        """The certificate's gap (Corollary 1/2) for a :meth:`gap_estimate` value."""

    @abstractmethod
    def region_norm(self, z: np.ndarray, axis: int = -1) -> np.ndarray:
        """‖z‖_p: the region holds δ iff ‖δ/θ‖_p ≤ gap."""

    @abstractmethod
    def dual_norm(self, z: np.ndarray, axis: int = -1) -> np.ndarray:
        """‖z‖_q with 1/p + 1/q = 1: the region's support function is gap·‖θ ⊙ u‖_q."""

    @abstractmethod
    def project(self, z: torch.Tensor, radius: float) -> torch.Tensor:
        """The point of {‖·‖_p ≤ radius} nearest to ``z`` (Euclidean projection; ``z`` flattened)."""

    @abstractmethod
    def log_unit_volume(self, n: int) -> float:
        """log volume of the unit ℓp ball in n dimensions; the region's volume is that · gapⁿ ∏θᵢ."""

    def log_volume(self, gap: float, n: int, sum_log_theta: float) -> float:
        """Natural log of the region's volume (§5.1, Proposition 4); −inf when gap ≤ 0."""
        if gap <= 0:
            return -math.inf
        return n * math.log(gap) + self.log_unit_volume(n) + sum_log_theta


class GaussianNoise(Noise):
    norm, name, p = "l2", "gaussian", 2
    theta_symbol, theta_meaning = "σ", "Gaussian std σ"
    region = "ellipsoid"
    supports_rotation = True

    def theta_from_sigma(self, sigma, convention: str = "std"):
        _check_convention(convention)
        return sigma

    def sigma_from_theta(self, theta, convention: str = "std"):
        _check_convention(convention)
        return theta

    def sample_unit(self, shape, device, dtype=torch.float32, generator=None):
        return torch.randn(shape, device=device, dtype=dtype, generator=generator)

    def _gap(self, p):
        return ndtri(p)  # ½(Φ⁻¹(p̲A) − Φ⁻¹(1 − p̲A)) = Φ⁻¹(p̲A)

    def gap_estimate(self, top2):
        p = top2.clamp(*PROB_CLAMP)
        return torch.special.ndtri(p[:, 0]) - torch.special.ndtri(p[:, 1])

    def certified_gap_estimate(self, estimate):
        return 0.5 * estimate

    def region_norm(self, z, axis=-1):
        return np.sqrt((np.asarray(z) ** 2).sum(axis))

    def dual_norm(self, z, axis=-1):
        return self.region_norm(z, axis)

    def project(self, z, radius):
        n = z.norm()
        return z if n <= radius else z * (radius / n)

    def log_unit_volume(self, n: int) -> float:
        return 0.5 * n * math.log(math.pi) - float(gammaln(n / 2 + 1))


class UniformNoise(Noise):
    norm, name, p = "l1", "uniform", 1
    theta_symbol, theta_meaning = "λ", "uniform half-width λ = √3·σ (σ = std)"
    region = "cross-polytope"
    supports_rotation = False

    def theta_from_sigma(self, sigma, convention: str = "std"):
        return sigma * SQRT3 if _check_convention(convention) == "std" else sigma / SQRT3

    def sigma_from_theta(self, theta, convention: str = "std"):
        return theta / SQRT3 if _check_convention(convention) == "std" else theta * SQRT3

    def sample_unit(self, shape, device, dtype=torch.float32, generator=None):
        return torch.rand(shape, device=device, dtype=dtype, generator=generator).mul_(2.0).sub_(1.0)

    def _gap(self, p):
        return 2.0 * (p - 0.5)  # p̲A − (1 − p̲A)

    def gap_estimate(self, top2):
        return top2[:, 0] - top2[:, 1]

    def certified_gap_estimate(self, estimate):
        return estimate

    def region_norm(self, z, axis=-1):
        return np.abs(np.asarray(z)).sum(axis)

    def dual_norm(self, z, axis=-1):
        return np.abs(np.asarray(z)).max(axis)

    def project(self, z, radius):
        """Duchi et al. (2008): soft-threshold |z| at the τ that makes ‖z‖₁ = radius."""
        a = z.abs().flatten()
        if a.sum() <= radius:
            return z
        u = a.sort(descending=True).values
        css = u.cumsum(0)
        j = torch.arange(1, len(u) + 1, device=z.device, dtype=z.dtype)
        rho = int((u > (css - radius) / j).nonzero().max())
        tau = (css[rho] - radius) / (rho + 1)
        return z.sign() * (z.abs() - tau).clamp(min=0)

    def log_unit_volume(self, n: int) -> float:
        return n * math.log(2) - float(gammaln(n + 1))  # (2r)ⁿ/n! for the cross-polytope of radius r


GAUSSIAN, UNIFORM = GaussianNoise(), UniformNoise()
_BY_KEY = {"l2": GAUSSIAN, "gaussian": GAUSSIAN, "l1": UNIFORM, "uniform": UNIFORM}


def noise_for(key: str | Noise) -> Noise:
    """The noise for a norm ("l2"/"l1"), a noise name ("gaussian"/"uniform") or a :class:`Noise`."""
    if isinstance(key, Noise):
        return key
    try:
        return _BY_KEY[key]
    except (KeyError, TypeError):
        raise AncerInputError(
            f"norm={key!r} is not supported; use one of {', '.join(NORMS)} "
            "('l2' = Gaussian noise / ellipsoids, 'l1' = uniform noise / cross-polytopes)"
        ) from None


def _check_convention(convention: str) -> str:
    if convention not in UNIFORM_CONVENTIONS:
        raise AncerInputError(f"convention={convention!r}; use one of {UNIFORM_CONVENTIONS}")
    return convention


def uniform_half_width(sigma: float | torch.Tensor, convention: str = "std"):
    """Half-width λ of the uniform distribution for a user-facing σ (``"std"``: λ = √3·σ, Yang et
    al. 2020; ``"ancer-original"``: λ = σ/√3, the original ANCER code)."""
    return UNIFORM.theta_from_sigma(sigma, convention)


def smoothing_theta(norm: str | Noise, sigma: float, convention: str = "std") -> float:
    """θ used by the library for a user-facing σ: σ itself for Gaussian, λ for uniform noise."""
    return float(noise_for(norm).theta_from_sigma(sigma, convention))


def scale_for(theta: torch.Tensor, ndim_image: int) -> torch.Tensor:
    """θ of shape (B,) or (B,C,H,W) → broadcastable against (B, samples, C, H, W)."""
    if theta.dim() == 1:
        return theta.view(theta.shape[0], 1, *([1] * ndim_image))
    return theta.unsqueeze(1)
