"""Memory-based certification for data-dependent θ (Alfarra et al. 2020, "Data Dependent
Randomized Smoothing", §4), designed for balls, ellipsoids and generalized cross-polytopes.

Why: with θ chosen per input, the certificate at x holds for the smoothed classifier g_{θ_x},
but a nearby x' is classified with its own θ_{x'}, so two certificates of different classes may
overlap and contradict each other. The memory keeps, in certification order, every issued region
(centre, θ, gap, class) and revises each new certificate so that **no two regions of different
classes overlap**. Guarantee (stated, and tested): the *memory-based classifier* — at a query
point, the class of the first stored region containing it, else the data-dependent smoothed
classifier — is one fixed function for the whole sequence, and every revised region issued so
far lies inside a set where that function is constant, as long as each underlying certificate of
g_{θ_x} holds (probability ≥ 1 − α each, as in CERTIFY). Earlier certificates are never changed.

Revision of a new region R = {x + δ : ‖δ/θ‖_p ≤ r} with class c, against each stored region
Rⱼ of class cⱼ ≠ c:

1. if x ∈ Rⱼ (‖(x − xⱼ)/θⱼ‖_p ≤ rⱼ), x must take class cⱼ; its region becomes the largest region
   of Rⱼ's shape centred at x inside Rⱼ: θ = θⱼ, r = rⱼ − ‖(x − xⱼ)/θⱼ‖_p (triangle inequality;
   exact for this shape). Among several such j the largest margin wins.
2. otherwise R is shrunk until it is separated from every Rⱼ by the hyperplane orthogonal to
   d = x − xⱼ: r ≤ (‖d‖₂ − h_{Rⱼ}(u)) / h_{θ,1}(u), u = d/‖d‖₂, with support functions
   h(u) = r‖θ ⊙ u‖₂ (ellipsoid) or r‖θ ⊙ u‖_∞ (cross-polytope). This is a *sufficient*
   non-overlap test (exact for two balls); it may shrink more than the exact minimum. A gap
   shrunk to 0 keeps the prediction at x with an empty region (radius 0).

Every stored region remembers whose θ it has (``key``: the input whose own θ it is — an earlier
input's under rule 1), and :meth:`CertificationMemory.admit` says so in the revised certificate's
``extra["theta_of"]``, so that a run can write it down and an interrupted run can rebuild the memory
exactly as it was (:meth:`CertificationMemory.store`).
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from .certificate import Certificate
from .noise import Noise, noise_for
from .validation import AncerInputError

SAFETY = 1e-5


def _separation(d: np.ndarray, theta_old: np.ndarray, gap_old: np.ndarray, theta_new: np.ndarray, noise: Noise):
    """For centre offsets d = x − xⱼ (m, n): ‖d‖₂, the old regions' support h_{Rⱼ}(u) and the new
    region's support per unit gap h_{θ,1}(u), along u = d/‖d‖₂. Disjoint if h_{Rⱼ} + r·h_{θ,1} < ‖d‖₂."""
    dn = np.sqrt((d**2).sum(1))
    u = d / np.maximum(dn, 1e-300)[:, None]
    return dn, gap_old * noise.dual_norm(theta_old * u), noise.dual_norm(theta_new * u)


class CertificationMemory:
    """Sequence-level memory of issued certificates; :meth:`admit` returns the revised one."""

    def __init__(self, norm: str, dim: int, capacity: int = 64):
        self.noise = noise_for(norm)
        self.norm, self.dim = self.noise.norm, dim
        self._x = np.empty((capacity, dim), np.float32)
        self._theta = np.empty((capacity, dim), np.float32)
        self._gap = np.empty(capacity, np.float64)
        self._pred = np.empty(capacity, np.int64)
        self._key = np.empty(capacity, np.int64)
        self.size = 0
        self.revised = 0

    def _grow(self):
        cap = 2 * len(self._gap)
        for name in ("_x", "_theta", "_gap", "_pred", "_key"):
            old = getattr(self, name)
            new = np.empty((cap, *old.shape[1:]), old.dtype)
            new[: self.size] = old[: self.size]
            setattr(self, name, new)

    def admit(self, x, cert: Certificate, key: int = -1) -> Certificate:
        """Revise ``cert`` (the certificate of input ``x``, whose θ is known by ``key``, e.g. its test
        index) against the memory, store it, return it with ``extra["theta_of"]``: the key of the θ
        its region has (``key``, or an earlier input's when x lies in that input's region)."""
        if cert.norm != self.norm or cert.dim != self.dim:
            raise AncerInputError(
                f"memory holds {self.norm} certificates of dimension {self.dim}, got "
                f"{cert.norm} of dimension {cert.dim}"
            )
        if cert.abstained:
            return replace(cert, extra={**cert.extra, "theta_of": key})
        # geometry on the float32 values actually stored, with a 1e-5 relative safety margin
        xv = np.asarray(x, np.float32).reshape(self.dim).astype(np.float64)
        theta = np.broadcast_to(cert.theta.reshape(-1), (self.dim,)).astype(np.float32).astype(np.float64)
        out, k, theta_of = cert, self.size, key
        if k:
            d = xv[None] - self._x[:k]
            other = self._pred[:k] != cert.prediction
            # 1. x inside a stored region of another class → take that class and a sub-region of it
            inside_dist = self.noise.region_norm(d / self._theta[:k])
            margin = np.where(other, self._gap[:k] - inside_dist, -np.inf)
            j = int(np.argmax(margin))
            if margin[j] >= 0:
                theta = self._theta[j].astype(np.float64)
                theta_of = int(self._key[j])
                shape = cert.theta.shape if cert.theta.size == self.dim else (self.dim,)
                # the sub-region is certified by region j, not by a bound of its own: its gap is the
                # margin itself and it has no p̲A (NaN)
                out = replace(
                    cert,
                    prediction=int(self._pred[j]),
                    theta=theta.reshape(shape),
                    gap_cap=float(margin[j]),
                    p_lower=math.nan,
                    extra={**cert.extra, "memory": f"inside region #{j} of class {self._pred[j]}"},
                )
                other = self._pred[:k] != out.prediction
            # 2. separate from every stored region of another class
            if other.any():
                dn, h_j, h_new = _separation(
                    d[other], self._theta[:k][other], self._gap[:k][other], theta[None], self.noise
                )
                cap = float(np.clip(((dn - h_j) / h_new).min(), 0.0, None)) * (1 - SAFETY)
                if cap < out.gap:
                    out = replace(out, gap_cap=cap, extra={**out.extra, "memory": out.extra.get("memory", "shrunk")})
        if out is not cert:
            self.revised += 1
        self.store(xv, theta, out.gap, out.prediction, theta_of)
        return replace(out, extra={**out.extra, "theta_of": theta_of})

    def store(self, x, theta, gap: float, prediction: int, key: int = -1) -> None:
        """Append an already-revised region: centre ``x``, its θ (known by ``key``), gap and class
        (used by :meth:`admit`, and to rebuild the memory of an interrupted run from its rows)."""
        if self.size == len(self._gap):
            self._grow()
        i = self.size
        self._x[i] = np.asarray(x, np.float32).reshape(self.dim)
        self._theta[i] = np.broadcast_to(np.asarray(theta, np.float32).reshape(-1), (self.dim,))
        self._gap[i], self._pred[i], self._key[i] = gap, prediction, key
        self.size += 1

    def conflicts(self) -> int:
        """Pairs of stored regions of different classes whose hyperplane test fails (should be 0)."""
        n, bad = self.size, 0
        for i in range(n):
            d = self._x[i][None] - self._x[:i]
            other = (self._pred[:i] != self._pred[i]) & (self._gap[:i] > 0) & (self._gap[i] > 0)
            if not other.any():
                continue
            dn, h_old, h_new = _separation(
                d[other], self._theta[:i][other], self._gap[:i][other], self._theta[i][None], self.noise
            )
            bad += int((h_old + self._gap[i] * h_new > dn * (1 + 1e-6)).sum())
        return bad
