"""Certificates and their metrics (paper §5).

A :class:`Certificate` is the region R = {δ : ‖δ/θ‖_p ≤ gap} around an input, with
p = 2 for Gaussian smoothing (ellipsoid, Corollary 1) and p = 1 for uniform smoothing
(generalized cross-polytope, Corollary 2). θ is σ (Gaussian) or the half-width λ (uniform);
see :mod:`ancer_core.core.noise` for the convention.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .noise import Noise, noise_for
from .validation import AncerInputError

ABSTAIN = -1


@dataclass(frozen=True)
class Certificate:
    """Immutable certificate for one input.

    Attributes: ``norm`` ("l2" or "l1"); ``theta`` (NumPy array with the input's shape, or a
    0-d array for an isotropic certificate, in which case ``dim`` gives n); ``prediction``
    (class index, or −1 = abstain); ``p_lower`` (p̲A); ``n``, ``alpha`` (how p̲A was obtained).
    """

    norm: str
    theta: np.ndarray
    prediction: int
    p_lower: float
    dim: int
    n: int = 0
    alpha: float = float("nan")
    gap_cap: float = math.inf  # memory-based certification may shrink a region (core.memory.CertificationMemory)
    extra: dict = field(default_factory=dict, compare=False)

    def __post_init__(self):
        noise_for(self.norm)
        th = np.asarray(self.theta, dtype=np.float64)
        if th.size not in (1, self.dim):
            raise AncerInputError(f"theta has {th.size} values but dim={self.dim}")
        if not np.all(np.isfinite(th)) or np.any(th <= 0):
            raise AncerInputError("theta must be finite and > 0")
        th.setflags(write=False)
        object.__setattr__(self, "theta", th)

    # ----- construction -------------------------------------------------------------------
    @classmethod
    def from_bound(
        cls,
        norm: str,
        theta,
        prediction: int,
        p_lower: float,
        dim: int | None = None,
        n: int = 0,
        alpha: float = float("nan"),
        **extra,
    ) -> Certificate:
        th = np.asarray(theta, dtype=np.float64)
        d = int(th.size) if dim is None else int(dim)
        if p_lower <= 0.5:
            prediction = ABSTAIN
        return cls(norm, th, int(prediction), float(p_lower), d, n, alpha, math.inf, dict(extra))

    # ----- basic quantities -----------------------------------------------------------------
    @property
    def noise(self) -> Noise:
        return noise_for(self.norm)

    @property
    def abstained(self) -> bool:
        return self.prediction == ABSTAIN

    @property
    def isotropic(self) -> bool:
        return self.theta.size == 1 or bool(np.all(self.theta == self.theta.flat[0]))

    @property
    def gap(self) -> float:
        """r^p: Φ⁻¹(p̲A) for ℓ2, 2(p̲A − ½) for ℓ1 (at most ``gap_cap``); 0 when abstaining. A region
        taken from another certificate (memory-based certification) has no p̲A (NaN): its gap is ``gap_cap``."""
        if self.abstained:
            return 0.0
        own = self.gap_cap if math.isnan(self.p_lower) else float(self.noise.gap(self.p_lower))
        return max(0.0, min(own, self.gap_cap))

    @property
    def min_theta(self) -> float:
        return float(self.theta.min())

    @property
    def log_geometric_mean_theta(self) -> float:
        """log of (∏θᵢ)^{1/n}, computed in log space (3,072 factors would under/overflow)."""
        return float(np.log(self.theta).mean())

    @property
    def radius(self) -> float:
        """Radius of the largest enclosed isotropic ℓp ball: min θ · gap (§5.1, §5.2)."""
        return self.min_theta * self.gap

    @property
    def proxy_radius(self) -> float:
        """R̃ = gap · (∏θᵢ)^{1/n} — the n-th root of the volume up to a constant (§5)."""
        return self.gap * math.exp(self.log_geometric_mean_theta)

    @property
    def sum_log_theta(self) -> float:
        return float(np.log(self.theta).sum()) if self.theta.size > 1 else self.dim * float(np.log(self.theta.flat[0]))

    @property
    def log_volume(self) -> float:
        """Natural log of the region's volume (−inf when abstaining).

        ℓ2^Σ ellipsoid (§5.1): V = gapⁿ π^{n/2} / Γ(n/2 + 1) ∏θᵢ.
        ℓ1^Λ cross-polytope (Proposition 4): V = (2·gap)ⁿ / n! ∏θᵢ.
        """
        return self.noise.log_volume(self.gap, self.dim, self.sum_log_theta)

    def semi_axes(self) -> np.ndarray:
        """Per-coordinate extent θᵢ·gap of the region (broadcast to ``dim`` values)."""
        return np.broadcast_to(self.theta.reshape(-1), (self.dim,)) * self.gap

    # ----- geometry ---------------------------------------------------------------------------
    def contains(self, delta) -> np.ndarray:
        """Whether perturbation(s) δ lie in the certified region. ``delta``: (..., *theta.shape),
        (..., dim), or (..., *input_shape) for an isotropic θ (trailing axes holding ``dim`` values, e.g.
        (B, 3, 32, 32) for a CIFAR-10 image). Returns a boolean array over the leading dimensions."""
        d = np.asarray(delta, dtype=np.float64)
        k = self.theta.ndim
        trailing = [j for j in range(d.ndim) if int(np.prod(d.shape[j:])) == self.dim]
        if k > 0 and d.shape[d.ndim - k :] == self.theta.shape:
            lead = d.shape[: d.ndim - k]
        elif d.ndim >= 1 and d.shape[-1] == self.dim:
            lead = d.shape[:-1]
        elif k == 0 and trailing:  # one θ for every pixel: the image's own axes are the trailing ones
            lead = d.shape[: trailing[-1]]
        else:
            raise AncerInputError(
                f"delta has shape {d.shape}; expected (..., {self.dim}) or (..., *{self.theta.shape})"
            )
        d = d.reshape(-1, self.dim)
        if self.abstained:
            return np.zeros(lead, dtype=bool)
        return (self.noise.region_norm(d / self.theta.reshape(1, -1)) <= self.gap * (1 + 1e-12)).reshape(lead)

    def is_superset_of(self, other: Certificate) -> bool:
        """Definition 1: is this region ⊇ ``other`` (same input, same prediction)?

        Exact for diagonal (axis-aligned) regions centred at the same point:
        * same family (ellipsoid ⊇ ellipsoid, cross-polytope ⊇ cross-polytope): iff every
          semi-axis of ``other`` is ≤ the corresponding one of ``self`` (for ellipsoids the
          maximum of Σ xᵢ²/aᵢ² over the smaller ellipsoid is maxᵢ bᵢ²/aᵢ²; for polytopes it
          suffices to check the vertices ±bᵢeᵢ);
        * cross-polytope ⊆ ellipsoid: vertices inside, i.e. bᵢ ≤ aᵢ for all i;
        * ellipsoid ⊆ cross-polytope: max over the ellipsoid of Σ|xᵢ|/aᵢ = ‖b/a‖₂ ≤ 1.
        An abstention certifies nothing, so it is never a superset, and differing predictions
        are never comparable.
        """
        if self.dim != other.dim:
            raise AncerInputError(f"cannot compare certificates of dimension {self.dim} and {other.dim}")
        if self.abstained or other.abstained or self.prediction != other.prediction:
            return False
        a, b = self.semi_axes(), other.semi_axes()
        tol = 1e-12
        if other.noise.p > self.noise.p:  # ellipsoid inside cross-polytope: max Σ|xᵢ|/aᵢ = ‖b/a‖ (dual of ℓ2)
            return bool(other.noise.dual_norm(b / a) <= 1 + tol)
        return bool(np.all(b <= a * (1 + tol)))  # the inner region's extreme points ±bᵢeᵢ lie inside

    def summary(self) -> dict:
        """Plain-number summary (JSON friendly)."""
        return {
            "norm": self.norm,
            "prediction": self.prediction,
            "p_lower": self.p_lower,
            "gap": self.gap,
            "radius": self.radius,
            "proxy_radius": self.proxy_radius,
            "min_theta": self.min_theta,
            "log_volume": self.log_volume,
            "dim": self.dim,
            "isotropic": self.isotropic,
            "n": self.n,
            "alpha": self.alpha,
        }
