"""When every input picks its own θ: the catch, and two sound answers, on the toy plane (exact p).

A certificate at x with noise θ is a statement about one smoothed classifier, g_θ. A data-dependent
method answers h(x) = g_{θ(x)}(x): each input smooths with its own θ, so the certificate at x says
nothing about h at a neighbour x′ whose θ(x′) differs. Two such regions can overlap and name different
classes; at a point z in both, h(z) is one class, so at least one of the two is wrong — whatever the
sample size (here p is computed, not sampled). Súkeník et al. (ICML 2022) bound how fast θ may vary
for such certificates to hold.

Two sound answers:

* **memory** (Alfarra et al.; the paper): certify in order, keep every region, revise each new one
  against the earlier regions of other classes (:class:`~ancer_core.core.memory.CertificationMemory`,
  the same object the CIFAR-10 command line uses) — :func:`memory_steps`;
* **a certified selector** (in the manner of Dual Randomized Smoothing): θ is one of a few levels,
  chosen by a *smoothed* selector whose choice is itself certified constant within R_σ; the region is
  the ball of radius min(R_σ, R_c). The combined classifier h(x′) = g_{s_{q(x′)}}(x′) is one function,
  so its regions of different classes never overlap — :func:`certified_selector`.

All regions here are axis-aligned and centred at their point, θ per axis; the class a point certifies
is the base network's prediction at it (the anchored objective of the library).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from ..core.certificate import Certificate
from ..core.memory import CertificationMemory
from ..core.noise import Noise, noise_for
from .smoothing2d import FEASIBILITY_RTOL, P_CAP, class_probability, gap_of, unit_nodes

SIGMAS = np.geomspace(0.03, 2.0, 20)  # the θ each point may choose (isotropic; per axis when anisotropic)
ANISO_SIGMAS = np.geomspace(0.03, 2.0, 10)


@dataclass
class Regions:
    """One certified region per point: {c + δ : ‖δ/θ‖_p ≤ gap} naming ``cls`` (gap 0: abstain)."""

    norm: str
    centres: np.ndarray  # (M, 2)
    theta: np.ndarray  # (M, 2)
    gap: np.ndarray  # (M,)
    p: np.ndarray  # (M,) the exact probability of ``cls`` under the point's own noise
    cls: np.ndarray  # (M,)
    anisotropic: bool = False  # θ searched per axis (ANCER's optimum) rather than one θ for both

    def __len__(self) -> int:
        return len(self.gap)

    def certificate(self, i: int) -> Certificate:
        return Certificate.from_bound(self.norm, self.theta[i].copy(), int(self.cls[i]), float(self.p[i]), dim=2)

    @property
    def radius(self) -> np.ndarray:
        return self.theta.min(1) * self.gap


def search_ends(r: Regions) -> dict:
    """Where :func:`data_dependent_regions`' θ search ends: its grid's two ends and how many certified
    points chose an end on some axis (their optimum may lie beyond it, so their region is a lower bound
    on what an unbounded search would give)."""
    grid = ANISO_SIGMAS if r.anisotropic else SIGMAS
    lo, hi = float(grid[0]), float(grid[-1])
    certified = r.gap > 0
    at_hi = certified & np.isclose(r.theta, hi).any(1)
    at_lo = certified & np.isclose(r.theta, lo).any(1)
    return {"lo": lo, "hi": hi, "values": len(grid), "at_hi": int(at_hi.sum()), "at_lo": int(at_lo.sum())}


@torch.inference_mode()
def base_prediction(model: nn.Module, points) -> np.ndarray:
    return model(torch.as_tensor(np.asarray(points), dtype=torch.float32).reshape(-1, 2)).argmax(1).numpy()


def data_dependent_regions(
    model: nn.Module, points, norm: str | Noise, anisotropic: bool = False, k: int = 24
) -> Regions:
    """Each point's own optimal certificate: the isotropic θ of the largest radius over :data:`SIGMAS`
    (the smallest θ within FEASIBILITY_RTOL of it), or, ``anisotropic``, the (θ1, θ2) over
    :data:`ANISO_SIGMAS` of the largest proxy radius √(θ1θ2)·gap with θᵢ ≥ that isotropic θ (ANCER's
    feasible set, Appendix C)."""
    noise = noise_for(norm)
    pts = np.atleast_2d(np.asarray(points, dtype=np.float64))
    m, cls = len(pts), base_prediction(model, pts)
    s = SIGMAS
    p = class_probability(
        model, np.repeat(pts, len(s), 0), np.repeat(np.tile(s, m)[:, None], 2, 1), noise, k, cls=np.repeat(cls, len(s))
    ).reshape(m, len(s))
    gap = gap_of(noise, p)
    radius = s[None] * gap
    best = np.argmax(radius >= radius.max(1, keepdims=True) * (1 - FEASIBILITY_RTOL), 1)
    rows = np.arange(m)
    theta, out_gap, out_p = np.repeat(s[best][:, None], 2, 1), gap[rows, best], np.minimum(p[rows, best], P_CAP)
    if anisotropic:
        a = ANISO_SIGMAS
        t1, t2 = (v.ravel() for v in np.meshgrid(a, a))
        pairs = np.stack([t1, t2], 1)
        pa = class_probability(
            model, np.repeat(pts, len(pairs), 0), np.tile(pairs, (m, 1)), noise, k, cls=np.repeat(cls, len(pairs))
        ).reshape(m, len(pairs))
        ga = gap_of(noise, pa)
        feasible = (pairs[None, :, 0] >= theta[:, :1]) & (pairs[None, :, 1] >= theta[:, :1]) & (ga > 0)
        proxy = np.where(feasible, np.sqrt(t1 * t2)[None] * ga, -np.inf)
        j = proxy.argmax(1)
        better = proxy[rows, j] > np.sqrt(theta[:, 0] * theta[:, 1]) * out_gap  # else keep the isotropic one
        theta = np.where(better[:, None], pairs[j], theta)
        out_gap = np.where(better, ga[rows, j], out_gap)
        out_p = np.where(better, np.minimum(pa[rows, j], P_CAP), out_p)
    return Regions(noise.norm, pts, theta, out_gap, out_p, cls, anisotropic)


def fixed_regions(model: nn.Module, points, norm: str | Noise, theta: float, k: int = 64) -> Regions:
    """Every point certified by the *one* smoothed classifier g_θ (its top class there): the regions of a
    fixed σ, which never contradict each other — g_θ has one answer at every point."""
    noise = noise_for(norm)
    pts = np.atleast_2d(np.asarray(points, dtype=np.float64))
    p1 = class_probability(model, pts, np.full(2, float(theta)), noise, k)
    p = np.minimum(np.maximum(p1, 1 - p1), P_CAP)
    return Regions(noise.norm, pts, np.full((len(pts), 2), float(theta)), gap_of(noise, p), p, (p1 > 0.5).astype(int))


def _unit_ball_nodes(noise: Noise, angles: int = 96, radii: int = 16) -> np.ndarray:
    """Points filling the unit ball of the region's norm (polar grid, the centre included)."""
    t = np.linspace(0, 2 * np.pi, angles, endpoint=False)
    v = np.stack([np.cos(t), np.sin(t)], 1)
    v = v / noise.region_norm(v)[:, None]
    r = np.linspace(0, 1, radii + 1)[1:]
    return np.concatenate([np.zeros((1, 2)), (r[:, None, None] * v[None]).reshape(-1, 2)])


def depth(regions: Regions, i, z) -> np.ndarray:
    """How deep z lies inside region i: 1 − ‖(z − cᵢ)/θᵢ‖_p / gapᵢ (> 0 inside, 1 at the centre)."""
    noise = noise_for(regions.norm)
    i = np.asarray(i)
    d = (np.asarray(z) - regions.centres[i]) / regions.theta[i]
    return 1 - noise.region_norm(d) / np.maximum(regions.gap[i], 1e-300)


def conflicts(regions: Regions, min_depth: float = 0.1) -> list[dict]:
    """Pairs of regions that overlap while naming different classes, deepest first: for each, the
    meeting point z (the point of both regions farthest inside the shallower one) and its depth in both
    (> ``min_depth``, well beyond the quadrature's accuracy)."""
    noise = noise_for(regions.norm)
    live = np.flatnonzero(regions.gap > 0)
    i, j = np.triu_indices(len(live), 1)
    i, j = live[i], live[j]
    reach = regions.theta * regions.gap[:, None]  # the region lies in the box c ± θ·gap
    near = (regions.cls[i] != regions.cls[j]) & (
        np.abs(regions.centres[i] - regions.centres[j]) <= reach[i] + reach[j]
    ).all(1)
    i, j = i[near], j[near]
    if not len(i):
        return []
    u = _unit_ball_nodes(noise)
    z = regions.centres[i][:, None] + u[None] * (regions.theta[i] * regions.gap[i][:, None])[:, None]  # in region i
    both = np.minimum(1 - noise.region_norm(u)[None], depth(regions, j[:, None], z))  # depth in i, in j
    k = both.argmax(1)
    rows = np.arange(len(i))
    deep = both[rows, k] > min_depth
    found = [
        {"i": int(a), "j": int(b), "point": z[r, kk], "depth": float(both[r, kk])}
        for r, (a, b, kk) in enumerate(zip(i, j, k))
        if deep[r]
    ]
    return sorted(found, key=lambda c: -c["depth"])


def disagreement(model: nn.Module, regions: Regions, i: int, j: int, z, k: int = 64) -> dict:
    """At a point z of regions i and j (different classes): each region's own smoothed classifier
    g_{θᵢ}, g_{θⱼ} (p of its class there: both > ½, so they disagree) and the data-dependent classifier
    h(z) = g_{θ(z)}(z) with z's own θ; ``wrong``: the regions whose class h does not answer at z."""
    z = np.asarray(z, dtype=np.float64).reshape(1, 2)
    p_i = float(class_probability(model, z, regions.theta[i], regions.norm, k, cls=int(regions.cls[i]))[0])
    p_j = float(class_probability(model, z, regions.theta[j], regions.norm, k, cls=int(regions.cls[j]))[0])
    own = data_dependent_regions(model, z, regions.norm, anisotropic=regions.anisotropic)
    h = int(own.cls[0]) if own.gap[0] > 0 else -1
    return {
        "p_i": p_i,
        "p_j": p_j,
        "answer_i": int(regions.cls[i]) if p_i > 0.5 else 1 - int(regions.cls[i]),
        "answer_j": int(regions.cls[j]) if p_j > 0.5 else 1 - int(regions.cls[j]),
        "theta_z": own.theta[0],
        "h": h,
        "wrong": [r for r in (i, j) if int(regions.cls[r]) != h],
    }


def memory_steps(regions: Regions, order) -> list[dict]:
    """Certify the points ``order`` (indices into ``regions``) one after another with memory-based
    certification: each step's own certificate, the one the memory issues (its class, θ and gap), and
    what the memory did ("kept", "shrunk" to stay apart from an earlier region of another class, or
    "inside" an earlier region of another class, whose class and a sub-region it takes)."""
    memory = CertificationMemory(regions.norm, 2)
    out = []
    for step, i in enumerate(order):
        own = regions.certificate(int(i))
        issued = memory.admit(regions.centres[i], own, key=int(i))
        said = issued.extra.get("memory", "kept")
        out.append(
            {
                "step": step,
                "index": int(i),
                "own_class": own.prediction,
                "own_gap": own.gap,
                "class": issued.prediction,
                "theta": np.broadcast_to(issued.theta.reshape(-1), (2,)).copy(),
                "gap": issued.gap,
                "what": "inside" if said.startswith("inside") else said,
                "theta_of": int(issued.extra["theta_of"]),
            }
        )
    return out


@dataclass
class SelectorRegions(Regions):
    """:class:`Regions` of the certified selector, with each point's level and the two radii."""

    level: np.ndarray = None  # (M,) index into the levels
    r_sigma: np.ndarray = None  # (M,) radius within which the smoothed selector keeps the level
    r_c: np.ndarray = None  # (M,) radius of the classifier smoothed at that level


class LevelSelector:
    """The base selector r(y): the level of the largest isotropic radius of g_{s_l} at y (the top class of
    each), tabulated once on a grid over the plane and read at the nearest grid point. Any base selector
    is allowed: soundness comes from smoothing it (:func:`certified_selector`), not from its quality."""

    def __init__(self, model: nn.Module, norm: str | Noise, levels, span: np.ndarray, k: int = 16):
        self.noise, self.levels, self.span = noise_for(norm), np.asarray(levels, dtype=np.float64), np.asarray(span)
        gx, gy = np.meshgrid(self.span, self.span)
        pts = np.stack([gx.ravel(), gy.ravel()], 1)
        n, L = len(pts), len(self.levels)
        p1 = class_probability(
            model, np.repeat(pts, L, 0), np.repeat(np.tile(self.levels, n)[:, None], 2, 1), self.noise, k
        ).reshape(n, L)
        radius = self.levels[None] * gap_of(self.noise, np.maximum(p1, 1 - p1))
        self.table = radius.argmax(1).reshape(gy.shape)  # [row = y index, column = x index]

    def __call__(self, y: np.ndarray) -> np.ndarray:
        step = self.span[1] - self.span[0]
        ix = np.clip(np.rint((y[..., 0] - self.span[0]) / step), 0, len(self.span) - 1).astype(int)
        iy = np.clip(np.rint((y[..., 1] - self.span[0]) / step), 0, len(self.span) - 1).astype(int)
        return self.table[iy, ix]


def certified_selector(
    model: nn.Module, points, selector: LevelSelector, tau: float, k_selector: int = 160, k: int = 64
) -> SelectorRegions:
    """A sound input-dependent θ (Dual Randomized Smoothing, in general terms): q(x) = the level the
    base ``selector`` picks most often under noise ``tau`` (its smoothed answer, probability p_σ), certified
    constant within R_σ = tau · gap(p_σ); then the classifier smoothed at that level, class c with p_c,
    R_c = s · gap(p_c). The region is the ball of radius min(R_σ, R_c) around x (gap = radius / s). With
    sampled probabilities the two bounds would split α (α_σ + α_c, a union bound); here p is computed:
    the selector's share by a ``k_selector`` × ``k_selector`` product quadrature of the noise (the selector
    is piecewise constant, so the share is accurate to the mass of the cells its edges cross, about 10⁻³
    at 160), the classifier's by :func:`~.smoothing2d.class_probability`."""
    noise = selector.noise
    pts = np.atleast_2d(np.asarray(points, dtype=np.float64))
    u, w = unit_nodes(noise, k_selector)
    votes = selector(pts[:, None, :] + tau * u[None])  # (M, nodes)
    share = np.stack([(votes == lvl) @ w for lvl in range(len(selector.levels))], 1)  # (M, L)
    level = share.argmax(1)
    p_sigma = np.minimum(share.max(1), P_CAP)
    r_sigma = tau * gap_of(noise, p_sigma)
    s = selector.levels[level]
    p1 = class_probability(model, pts, np.repeat(s[:, None], 2, 1), noise, k)
    cls = (p1 > 0.5).astype(int)
    p_c = np.minimum(np.maximum(p1, 1 - p1), P_CAP)
    r_c = s * gap_of(noise, p_c)
    radius = np.minimum(r_sigma, r_c)
    return SelectorRegions(
        noise.norm, pts, np.repeat(s[:, None], 2, 1), radius / s, p_c, cls, level=level, r_sigma=r_sigma, r_c=r_c
    )
