"""Randomized smoothing in two dimensions, evaluated (almost) exactly — the teaching page's math.

In 2D the smoothed classifier's probability p(x) = P_ε[f(x + ε) = c] needs no Monte Carlo: a
quadrature over rays (Gaussian) or cells (uniform) gives it up to how well the decision boundary
is located (:func:`class_probability`). That makes "optimal" certificates real global optima over
the (θ1, θ2) plane (paper Figure 1), and lets a student compare them with ANCER's gradient steps.

Conventions as in the library: θ is σ (Gaussian, ℓ2 ellipse) or the half-width λ (uniform, ℓ1
cross-polytope); the region is {δ : ‖Θ⁻¹Rᵀδ‖_p ≤ gap} with R a rotation by ``rotation`` radians
(R = I in the paper; any positive-definite Σ = RΘ²Rᵀ is certified for Gaussian noise, §4.2).
p is capped at P_CAP = 0.001^(1/100000) ≈ 0.99993, the Clopper–Pearson bound that N = 100,000
samples, all correct, certify at α = 0.001 — an exact p = 1 would give an infinite region.
"""

from __future__ import annotations

import numpy as np
import torch
from scipy.special import ndtr
from torch import nn

from ..core.certificate import Certificate
from ..core.noise import UNIFORM, Noise, noise_for
from ..core.validation import AncerInputError

P_CAP = 0.001 ** (1 / 100_000)
FEASIBILITY_RTOL = 1e-3  # radii from the quadrature are accurate to ~1e-4 relative (tests/test_toy2d.py)


class ToyMLP(nn.Module):
    """2 → hidden → hidden → 2 ReLU network (logits)."""

    def __init__(self, hidden: int = 64):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(2, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, 2)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def train_toy(
    X: np.ndarray,
    y: np.ndarray,
    hidden: int = 64,
    steps: int = 600,
    lr: float = 0.01,
    noise_sigma: float = 0.0,
    seed: int = 0,
) -> ToyMLP:
    """Full-batch Adam on cross-entropy, optionally with Gaussian noise augmentation (std
    ``noise_sigma``, one fresh draw per step); seeded. A second or two on a CPU."""
    g = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = ToyMLP(hidden)
    xt, yt = torch.as_tensor(X, dtype=torch.float32), torch.as_tensor(y, dtype=torch.long)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    for _ in range(steps):
        xb = xt + noise_sigma * torch.randn(xt.shape, generator=g) if noise_sigma > 0 else xt
        loss = nn.functional.cross_entropy(model(xb), yt)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model.eval()


def unit_nodes(norm: str | Noise, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Product quadrature of the unit noise: nodes (m, 2) and weights (m,) summing to 1.

    Uniform U[−1, 1]²: k × k cell midpoints, equal weights. Gaussian 𝒩(0, I): k equal-width cells
    per axis on [−5.5, 5.5] with their exact probability masses Φ(b) − Φ(a) (the two tails go to the
    end cells), so a cell's error is proportional to its small mass in the tails, where the
    certificate's Φ⁻¹(p) is most sensitive; 2D nodes of weight < 1e-13 are dropped."""
    if noise_for(norm) is UNIFORM:
        t = 2 * (np.arange(k) + 0.5) / k - 1
        w1 = np.full(k, 1.0 / k)
    else:
        edges = np.linspace(-5.5, 5.5, k + 1)
        t = 0.5 * (edges[1:] + edges[:-1])
        cdf = ndtr(edges)
        cdf[0], cdf[-1] = 0.0, 1.0
        w1 = np.diff(cdf)
    a, b = np.meshgrid(t, t, indexing="ij")
    w = np.outer(w1, w1).ravel()
    keep = w >= 1e-13
    return np.stack([a.ravel(), b.ravel()], 1)[keep], w[keep] / w[keep].sum()


def rotation_matrix(angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, -s], [s, c]])


def _margin(model: nn.Module, xs: torch.Tensor, cls: torch.Tensor) -> torch.Tensor:
    """logit of ``cls`` minus the largest other logit (> 0 ⇔ f predicts ``cls``)."""
    z = model(xs.reshape(-1, 2)).view(*xs.shape[:-1], -1)
    own = z.gather(-1, cls.expand(*xs.shape[:-1]).unsqueeze(-1)).squeeze(-1)
    other = z.scatter(-1, cls.expand(*xs.shape[:-1]).unsqueeze(-1), -torch.inf).amax(-1)
    return own - other


@torch.inference_mode()
def class_probability(
    model: nn.Module,
    points: np.ndarray,
    thetas: np.ndarray,
    norm: str | Noise,
    k: int = 96,
    rotation: float = 0.0,
    cls: int | np.ndarray = 1,
    chunk: int = 2_000_000,
) -> np.ndarray:
    """P_ε[f(x + ε) = cls] for every (point, θ) pair (hard classifier f = argmax).

    Gaussian (l2): in polar coordinates of the unit noise, u = r(cos φ, sin φ) with r Rayleigh and φ
    uniform. On each of k rays (φ at midpoints) the logit margin is evaluated at k radii on [0, 6.5];
    where it changes sign the crossing is located by linear interpolation, and the Rayleigh mass of
    the positive stretches is exact (e^{−a²/2} − e^{−b²/2}). The tails, where Φ⁻¹(p) is steep, are
    as accurate as the crossing radii. Uniform (l1): k × k cell midpoints of the box (no tails).
    ``points``: (M, 2); ``thetas``: (M, 2), (2,) or a scalar; ``cls``: a class or one per point."""
    uniform = noise_for(norm) is UNIFORM
    pts = np.atleast_2d(np.asarray(points, dtype=np.float64))
    th = np.asarray(thetas, dtype=np.float64)
    th = np.broadcast_to(
        th if th.ndim == 2 else th.reshape(-1)[-2:] if th.size == 2 else th.reshape(1, 1), (pts.shape[0], 2)
    )
    if np.any(th <= 0):
        raise AncerInputError("θ must be > 0")
    rot = rotation_matrix(rotation)
    cls_arr = np.broadcast_to(np.asarray(cls), (pts.shape[0],))
    out = np.empty(pts.shape[0])
    if uniform:
        u, w = unit_nodes(norm, k)
    else:
        phi = (np.arange(k) + 0.5) * 2 * np.pi / k
        r = np.linspace(0.0, 6.5, k)
        u = (r[None, :, None] * np.stack([np.cos(phi), np.sin(phi)], 1)[:, None, :]).reshape(-1, 2)  # (k·k, 2)
        surv = np.exp(-(r**2) / 2)  # P(R > r) for the Rayleigh radius
    per = max(1, chunk // u.shape[0])
    for s in range(0, pts.shape[0], per):
        e = (u[None] * th[s : s + per, None, :]) @ rot.T  # (m, nodes, 2)
        xs = torch.as_tensor(pts[s : s + per, None, :] + e, dtype=torch.float32)
        c = torch.as_tensor(np.array(cls_arr[s : s + per]), dtype=torch.long)[:, None]
        m = _margin(model, xs, c).double().numpy()
        if uniform:
            out[s : s + per] = (m > 0) @ w
            continue
        m = m.reshape(-1, k, k)  # (points, rays, radii)
        a, b = m[..., :-1], m[..., 1:]
        pos_a, pos_b = a > 0, b > 0
        t = np.where(pos_a != pos_b, a / np.where(a == b, 1.0, a - b), 0.0)  # crossing fraction in the segment
        rc = r[:-1] + t * (r[1:] - r[:-1])
        sc = np.exp(-(rc**2) / 2)
        seg = np.where(
            pos_a & pos_b,
            surv[:-1] - surv[1:],
            np.where(pos_a & ~pos_b, surv[:-1] - sc, np.where(~pos_a & pos_b, sc - surv[1:], 0.0)),
        )
        out[s : s + per] = (seg.sum(-1) + pos_b[..., -1] * surv[-1]).mean(-1)
    return out


def smoothed_landscape(
    model: nn.Module, xs: np.ndarray, ys: np.ndarray, theta, norm: str | Noise, k: int = 24, rotation: float = 0.0
) -> np.ndarray:
    """g¹ on a grid: P[f(p + ε) = 1] for p over ``xs`` × ``ys``; shape (len(ys), len(xs))."""
    gx, gy = np.meshgrid(xs, ys)
    pts = np.stack([gx.ravel(), gy.ravel()], 1)
    return class_probability(model, pts, np.asarray(theta, dtype=np.float64), norm, k, rotation).reshape(gy.shape)


@torch.inference_mode()
def base_landscape(model: nn.Module, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """f¹ = softmax(f(p))₁ on a grid, shape (len(ys), len(xs))."""
    gx, gy = np.meshgrid(xs, ys)
    pts = torch.as_tensor(np.stack([gx.ravel(), gy.ravel()], 1), dtype=torch.float32)
    return torch.softmax(model(pts), 1)[:, 1].numpy().reshape(gy.shape)


def gap_of(norm: str | Noise, p: np.ndarray) -> np.ndarray:
    """Certified gap from p (capped at P_CAP): Φ⁻¹(p) for ℓ2, 2(p − ½) for ℓ1; 0 when p ≤ ½."""
    return noise_for(norm).gap(np.minimum(np.asarray(p, dtype=np.float64), P_CAP))


def certificate_2d(norm: str | Noise, theta, prediction: int, p: float) -> Certificate:
    """The exact-p certificate (no confidence bound: p is computed, not sampled; capped at P_CAP)."""
    return Certificate.from_bound(
        noise_for(norm).norm,
        np.broadcast_to(np.asarray(theta, dtype=np.float64), (2,)).copy(),
        prediction,
        float(min(p, P_CAP)),
    )


def region_outline(
    norm: str | Noise, theta, gap: float, rotation: float = 0.0, center=(0.0, 0.0), m: int = 401
) -> np.ndarray:
    """Boundary points (m, 2) of {c + RΘv : ‖v‖_p ≤ gap}: an ellipse (l2) or a diamond (l1)."""
    t = np.linspace(0, 2 * np.pi, m)
    v = np.stack([np.cos(t), np.sin(t)], 1)
    v = v / noise_for(norm).region_norm(v)[:, None]  # the unit circle of the region's norm
    th = np.broadcast_to(np.asarray(theta, dtype=np.float64), (2,))
    return (gap * v * th) @ rotation_matrix(rotation).T + np.asarray(center, dtype=np.float64)


def objective_plane(
    model: nn.Module, x, norm: str | Noise, grid: np.ndarray, k: int = 64, rotation: float = 0.0, cls: int | None = None
) -> dict:
    """p, gap, radius = min θ·gap and proxy radius = √(θ1θ2)·gap over the (θ1, θ2) plane
    (``grid`` × ``grid``, arrays of shape (len, len), index [i2, i1]). The class is the base
    classifier's prediction at x unless ``cls`` is given."""
    x = np.asarray(x, dtype=np.float64).reshape(2)
    if cls is None:
        with torch.inference_mode():
            cls = int(model(torch.as_tensor(x, dtype=torch.float32)[None]).argmax(1))
    t1, t2 = np.meshgrid(grid, grid)
    th = np.stack([t1.ravel(), t2.ravel()], 1)
    p = class_probability(model, np.repeat(x[None], th.shape[0], 0), th, norm, k, rotation, cls).reshape(t1.shape)
    gap = gap_of(norm, p)
    return {
        "theta1": t1,
        "theta2": t2,
        "p": p,
        "gap": gap,
        "radius": np.minimum(t1, t2) * gap,
        "proxy_radius": np.sqrt(t1 * t2) * gap,
        "cls": cls,
        "grid": grid,
        "norm": noise_for(norm).norm,
        "rotation": rotation,
    }


def optimal_certificates(plane: dict) -> dict:
    """From :func:`objective_plane`: the best isotropic θ (on the diagonal, by radius; the smallest θ
    that reaches it within FEASIBILITY_RTOL, since a flat boundary gives the same radius for every
    θ) and the best
    anisotropic θ by proxy radius over ANCER's feasible set θᵢ ≥ θ_iso (Appendix C: the optimizer
    starts at the isotropic θ and projects onto it). ``superset`` marks the θ's whose region contains
    the best isotropic one (Definition 1: for axis-aligned regions of one family, min θᵢ·gap ≥ the
    isotropic radius, up to the quadrature's relative accuracy FEASIBILITY_RTOL)."""
    grid = plane["grid"]
    diag = np.arange(len(grid))
    r_iso = plane["radius"][diag, diag]
    i = int(np.flatnonzero(r_iso >= r_iso.max() * (1 - FEASIBILITY_RTOL))[0])  # smallest σ reaching the best radius
    iso = {
        "theta": np.array([grid[i], grid[i]]),
        "gap": float(plane["gap"][i, i]),
        "radius": float(r_iso[i]),
        "proxy_radius": float(plane["proxy_radius"][i, i]),
    }
    feasible = (plane["theta1"] >= grid[i]) & (plane["theta2"] >= grid[i]) & (plane["gap"] > 0)
    superset = (
        np.minimum(plane["theta1"], plane["theta2"]) * plane["gap"] >= iso["radius"] * (1 - FEASIBILITY_RTOL)
    ) & (plane["gap"] > 0)
    obj = np.where(feasible, plane["proxy_radius"], -np.inf)
    j2, j1 = np.unravel_index(int(obj.argmax()), obj.shape)
    an = {
        "theta": np.array([grid[j1], grid[j2]]),
        "gap": float(plane["gap"][j2, j1]),
        "radius": float(plane["radius"][j2, j1]),
        "proxy_radius": float(plane["proxy_radius"][j2, j1]),
        "superset": bool(superset[j2, j1]),
    }
    return {"isotropic": iso, "anisotropic": an, "feasible": feasible, "superset": superset}


def contains_ball(theta, gap: float, radius: float) -> bool:
    """Whether the axis-aligned region θ·gap contains the isotropic ball of ``radius`` around the same
    point (Definition 1 within one family: min θᵢ·gap ≥ radius, up to FEASIBILITY_RTOL)."""
    return float(np.min(theta)) * gap >= radius * (1 - FEASIBILITY_RTOL)


def rotation_search(model: nn.Module, x, norm: str | Noise, grid: np.ndarray, angles_deg, cls: int) -> np.ndarray:
    """The best anisotropic proxy radius at each rotation of the ellipse (degrees), over the (θ1, θ2)
    plane ``grid`` × ``grid`` (:func:`optimal_certificates`): does rotating Σ = RΘ²Rᵀ help at x?"""
    return np.array(
        [
            optimal_certificates(objective_plane(model, x, norm, grid, rotation=np.deg2rad(a), cls=cls))["anisotropic"][
                "proxy_radius"
            ]
            for a in angles_deg
        ]
    )
