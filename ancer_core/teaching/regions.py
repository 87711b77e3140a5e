"""Geometry of certified regions for display: boundary points, 2D slices, perturbations (paper Fig. 2).

A region is R = {δ : ‖δ/θ‖_p ≤ gap} (p = 2: ellipsoid; p = 1: generalized cross-polytope), see
:class:`ancer_core.core.certificate.Certificate`. Every region here is convex and centred at 0, so along a
direction d the boundary lies at t·d with t = gap / ‖d/θ‖_p (exact, no search).
"""

from __future__ import annotations

import numpy as np

from ..core.certificate import Certificate
from ..core.validation import AncerInputError


def _flat_theta(cert: Certificate) -> np.ndarray:
    return np.broadcast_to(cert.theta.reshape(-1), (cert.dim,)).astype(np.float64)


def boundary_scale(cert: Certificate, directions: np.ndarray) -> np.ndarray:
    """t ≥ 0 such that t·d lies on the boundary of the region, per direction d (rows of (K, dim)).

    t = gap / ‖d/θ‖_p; 0 when the certificate abstains."""
    d = np.asarray(directions, dtype=np.float64).reshape(-1, cert.dim)
    q = cert.noise.region_norm(d / _flat_theta(cert), axis=1)
    if np.any(q == 0):
        raise AncerInputError("a direction of all zeros has no boundary point")
    return cert.gap / q


def slice_boundary(cert: Certificate, u: np.ndarray, v: np.ndarray, angles: int = 721) -> tuple[np.ndarray, np.ndarray]:
    """Boundary of the 2D slice {(a, b) : a·u + b·v ∈ R} of the region through the centre.

    Exact per angle φ: r(φ) = gap / ‖(cos φ·u + sin φ·v)/θ‖_p; returns the (a, b) coordinates of
    the closed curve. For orthonormal u, v these are distances in input space."""
    u = np.asarray(u, dtype=np.float64).reshape(-1)
    v = np.asarray(v, dtype=np.float64).reshape(-1)
    if u.size != cert.dim or v.size != cert.dim:
        raise AncerInputError(f"directions must have {cert.dim} values")
    phi = np.linspace(0, 2 * np.pi, angles)
    dirs = np.cos(phi)[:, None] * u[None] + np.sin(phi)[:, None] * v[None]
    r = boundary_scale(cert, dirs)
    return r * np.cos(phi), r * np.sin(phi)


def slice_directions(theta: np.ndarray, kind: str, seed: int = 0) -> tuple[np.ndarray, np.ndarray, str, str]:
    """Two orthonormal directions (flattened) for a slice, with labels.

    ``kind``: "extreme" — the coordinates (pixel, channel) with the largest and the smallest θ;
    "random" — two random orthonormal directions (Gram–Schmidt of Gaussian vectors, seeded)."""
    th = np.asarray(theta, dtype=np.float64).reshape(-1)
    n = th.size
    if kind == "extreme":
        i, j = int(th.argmax()), int(th.argmin())
        if i == j:  # isotropic θ: any two coordinates
            i, j = 0, 1
        u, v = np.zeros(n), np.zeros(n)
        u[i], v[j] = 1.0, 1.0
        return u, v, f"coordinate {i} (largest θ)", f"coordinate {j} (smallest θ)"
    if kind == "random":
        rng = np.random.default_rng(seed)
        u = rng.standard_normal(n)
        u /= np.linalg.norm(u)
        v = rng.standard_normal(n)
        v -= (v @ u) * u
        v /= np.linalg.norm(v)
        return u, v, f"random direction 1 (seed {seed})", f"random direction 2 (seed {seed})"
    raise AncerInputError(f"unknown slice kind {kind!r}; use 'extreme' or 'random'")


def perturbation_outside(
    inner: Certificate,
    outer: Certificate,
    seed: int = 0,
    fraction: float = 0.98,
    candidates: int = 16,
    center: np.ndarray | None = None,
) -> tuple[np.ndarray, dict]:
    """A perturbation δ inside ``outer`` (e.g. ANCER's region) whose ℓp norm exceeds ``inner``'s
    radius (e.g. the isotropic certificate), as in the paper's Figure 2.

    Candidates d = θ^k ⊙ z (z standard Gaussian, seeded; k ∈ {0, 1, 2, 3}, weighting the noisiest
    pixels more), each scaled to ``fraction`` of the way to the boundary of ``outer``; the one with
    the largest ℓp norm is returned. With ``center`` (the image x, in [0, 1]) each δ is clipped so
    that x + δ stays a valid image; clipping shrinks every |δᵢ|, so δ stays inside ``outer``. δ has
    θ's shape. ``info``: ‖δ‖_p, the inner radius, whether δ lies inside ``outer`` and outside
    ``inner``'s ℓp ball, and k.
    """
    if not 0 < fraction <= 1:
        raise AncerInputError("fraction must be in (0, 1]")
    if outer.abstained:
        raise AncerInputError("the outer certificate abstains: it contains no perturbation")
    th = _flat_theta(outer)
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((candidates, th.size))
    best, best_norm, best_k = None, -1.0, 0
    for k in (0, 1, 2, 3):
        d = z * th[None] ** k
        delta = d * (fraction * boundary_scale(outer, d))[:, None]
        if center is not None:
            x = np.asarray(center, dtype=np.float64).reshape(1, -1)
            delta = np.clip(x + delta, 0.0, 1.0) - x
        norms = outer.noise.region_norm(delta, axis=1)
        i = int(norms.argmax())
        if norms[i] > best_norm:
            best, best_norm, best_k = delta[i], float(norms[i]), k
    shape = outer.theta.shape if outer.theta.size == outer.dim else (outer.dim,)
    info = {
        "norm": outer.norm,
        "delta_norm": best_norm,
        "inner_radius": inner.radius,
        "inside_outer": bool(outer.contains(best[None])[0]),
        "outside_inner_ball": best_norm > inner.radius,
        "outside_inner_region": not bool(inner.contains(best[None])[0]),
        "weight_power": best_k,
        "fraction": fraction,
        "seed": seed,
    }
    return best.reshape(shape), info
