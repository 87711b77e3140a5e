"""Isotropic DD as the scalar problem it is (one θ per image): its objective θ·gap evaluated over a
grid of log θ with common random numbers in batched passes without gradients, then refined by
golden-section search — instead of the original's hundreds of noisy gradient steps."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from .noise import Noise
from .optimize import THETA_FLOOR, IterationCallback, OptimizationResult, finish_trace, record_step, validate_inputs
from .smoothing import STREAM_ISOTROPIC_DD, make_generators
from .snapshots import Snapshots, snapshot_steps
from .surrogate import Surrogate, class_curves, gap_pair, unit_draws
from .validation import AncerInputError, check_theta

GOLDEN = (math.sqrt(5.0) - 1.0) / 2.0
SEARCHES = ("local", "global")


def _grid_steps(low: float, high: float, step: float) -> torch.Tensor:
    """The grid's exponents k (θ = θ₀·e^{k·step}) from ``low``·θ₀ to ``high``·θ₀, 0 among them."""
    return torch.arange(-math.ceil(-math.log(low) / step - 1e-9), math.ceil(math.log(high) / step - 1e-9) + 1)


def scalar_evaluations(
    low: float = 0.5, high: float = 16.0, step: float = 0.07, refine: int = 10, theta_max_ratio: float | None = None
) -> int:
    """θ values :func:`isotropic_dd_scalar` evaluates per image (each on ``samples`` draws): the grid up to
    its first point on the bound ``theta_max_ratio`` × θ₀, two golden-section points, one per refinement."""
    ks = _grid_steps(low, high, step)
    if theta_max_ratio is not None:
        reached = (ks * step >= math.log(theta_max_ratio)).nonzero()
        ks = ks[: int(reached[0]) + 1] if len(reached) else ks
    return len(ks) + 2 + refine


def _climb(f: torch.Tensor, start: int) -> torch.Tensor:
    """Per row of ``f`` (B, K): the first local maximum reached from column ``start`` going uphill
    (towards the better neighbour first, then on in that direction while f increases)."""
    k = f.shape[1]
    up_right = torch.cat([f[:, 1:] > f[:, :-1], torch.zeros_like(f[:, :1], dtype=torch.bool)], 1)  # f[k+1] > f[k]
    up_left = torch.cat([torch.zeros_like(f[:, :1], dtype=torch.bool), f[:, :-1] > f[:, 1:]], 1)  # f[k-1] > f[k]
    cols = torch.arange(k, device=f.device)
    # going right: the first column ≥ start whose right neighbour is not higher
    stop_r = torch.where(~up_right & (cols >= start), cols, k).min(1).values
    # going left: the last column ≤ start whose left neighbour is not higher
    stop_l = torch.where(~up_left & (cols <= start), cols, -1).max(1).values
    right, left = f[:, min(start + 1, k - 1)], f[:, max(start - 1, 0)]
    go_right = up_right[:, start] & (~up_left[:, start] | (right >= left))
    go_left = ~go_right & up_left[:, start]
    return torch.where(go_right, stop_r, torch.where(go_left, stop_l, torch.full_like(stop_r, start)))


def isotropic_dd_scalar(
    model: torch.nn.Module,
    x: torch.Tensor,
    theta0,
    norm: str | Noise,
    *,
    samples: int = 100,
    low: float = 0.5,
    high: float = 16.0,
    step: float = 0.07,
    refine: int = 10,
    search: str = "local",
    seed: int = 0,
    indices: Sequence[int] | None = None,
    callback: IterationCallback | None = None,
    surrogate: Surrogate = Surrogate(),
    anchor: torch.Tensor | None = None,
    snapshots: int = 0,
) -> OptimizationResult:
    """Isotropic DD's objective (θ·gap, as :func:`isotropic_dd`) maximised as a scalar problem.

    1. Grid: θ = θ₀·e^{k·step} from ``low``·θ₀ to ``high``·θ₀ (θ₀ itself on the grid; capped at
       ``theta_max``), every class's surrogate on ``samples`` common unit draws per image
       (:func:`.surrogate.class_curves`), without gradients.
    2. ``search="local"``: from θ₀, uphill along the grid to the first local maximum (where gradient
       ascent from θ₀ heads, without its overshoot: a step is at most ``step`` in log θ);
       ``"global"``: the best grid point.
    3. That point refined by ``refine`` golden-section steps on log θ between its neighbours, on the
       same draws (the curve is then a deterministic function of θ).

    The returned θ is the best point evaluated. ``curves`` keeps the grid's curves per class (the
    diagnosis of attractor classes reads them); ``trace`` the refinement, one row per step.
    ``snapshots``: keep up to that many evenly spaced steps of the path for playback
    (:func:`_path_snapshots`; ``result.snapshots``).
    """
    x, noise = validate_inputs(model, x, norm, refine, samples, 1.0)
    theta0 = check_theta(theta0, x)
    if theta0.dim() != 1:
        raise AncerInputError("isotropic_dd_scalar needs one scalar θ per image (a scalar or a vector of length B)")
    if search not in SEARCHES:
        raise AncerInputError(f"search={search!r}; use one of {', '.join(SEARCHES)}")
    if not (0 < low <= 1 <= high) or not step > 0:
        raise AncerInputError(f"need 0 < low ≤ 1 ≤ high and step > 0 (got low={low}, high={high}, step={step})")
    idx = list(range(x.shape[0])) if indices is None else list(indices)
    u = unit_draws(noise, make_generators(seed, idx, x.device, STREAM_ISOTROPIC_DD), samples, x)
    ks = _grid_steps(low, high, step)
    start = int((ks == 0).nonzero())
    log_grid = theta0.log().unsqueeze(1) + step * ks.to(theta0).unsqueeze(0)  # (B, K)
    log_hi = math.log(surrogate.theta_max) if surrogate.theta_max is not None else math.inf
    log_grid = log_grid.clamp(math.log(THETA_FLOOR), log_hi)
    value = _objective(model, x, u, noise, surrogate)
    f_grid, grid = _grid_values(value, log_grid, log_hi, anchor, start)
    anchor = grid["anchor"]
    best = f_grid.argmax(1) if search == "global" else _climb(f_grid, start)
    rows = torch.arange(x.shape[0], device=x.device)
    lo = log_grid[rows, (best - 1).clamp(min=0)]
    hi = log_grid[rows, (best + 1).clamp(max=log_grid.shape[1] - 1)]
    found = [log_grid[rows, best], f_grid[rows, best], grid["probs"][rows, best]]
    trace: dict = {}
    refined = _golden(value, anchor, lo, hi, found, refine, trace, callback)
    snaps = _path_snapshots(log_grid, f_grid, grid["probs"], start, best, refined, snapshots) if snapshots else {}
    curves = {
        "theta": log_grid.exp().cpu().numpy(),
        "objective": f_grid.cpu().numpy(),
        "probs": grid["probs"].cpu().numpy(),
        "votes": grid["votes"].cpu().numpy(),
    }
    if anchor is not None:
        curves["anchor"] = anchor.cpu().numpy()
    settings = {"method": "isotropic-dd", "solver": "scalar", "search": search, "samples": samples}
    settings.update(low=low, high=high)
    settings.update(step=step, refine=refine, seed=seed, **surrogate.as_dict())
    return OptimizationResult(found[0].exp(), finish_trace(trace) if trace else {}, settings, curves, snaps)


def _objective(model, x, u, noise: Noise, surrogate: Surrogate):
    """θ·gap at log θ (B, K) on the common draws ``u``: (objective, gap, the class curves with the anchor)."""

    def value(log_theta: torch.Tensor, anchor, start_col: int | None = None) -> tuple[torch.Tensor, torch.Tensor, dict]:
        c = class_curves(model, x, log_theta.exp(), u, surrogate.temperature)
        if start_col is not None:  # the grid: its start column decides the anchored class when none is given
            anchor = surrogate.anchor_classes(anchor, c["probs"][:, start_col])
        pair = gap_pair(c["probs"], None if anchor is None else anchor.view(-1, 1).expand(log_theta.shape))
        gap = noise.certified_gap_estimate(noise.gap_estimate(pair.reshape(-1, 2)).view(log_theta.shape))
        return log_theta.exp() * gap, gap, c | {"anchor": anchor}

    return value


def _grid_values(value, log_grid: torch.Tensor, log_hi: float, anchor, start: int) -> tuple[torch.Tensor, dict]:
    """The objective over the grid and its class curves. The grid ends at the bound: columns past it are the
    bound again (clamped), so each row's curve is evaluated up to its first column on the bound and that
    column's values stand for the rest."""
    on_bound = (log_grid >= log_hi).int()
    last = torch.where(on_bound.any(1), on_bound.argmax(1), log_grid.shape[1] - 1)
    cut = int(last.max()) + 1
    f_grid, _, grid = value(log_grid[:, :cut], anchor, start)
    if cut < log_grid.shape[1]:
        f_grid, grid = (
            _extend(f_grid, cut, log_grid.shape[1]),
            {k: _extend(v, cut, log_grid.shape[1]) if k in ("probs", "votes") else v for k, v in grid.items()},
        )
    return f_grid, grid


def _golden(value, anchor, lo, hi, found: list, refine: int, trace: dict, callback) -> list:
    """``refine`` golden-section steps on log θ in [lo, hi] (one new point per image and step, on the same
    draws). ``found`` = [log θ, objective, probabilities] of the best point so far, updated in place; returns
    that best point after each step (and once more at the end)."""

    def point(log_theta):
        f, _, c = value(log_theta.unsqueeze(1), anchor)
        return f[:, 0], c["probs"][:, 0]

    def improve(pt, fv, probs_pt):
        better = fv > found[1]
        found[0], found[1] = torch.where(better, pt, found[0]), torch.where(better, fv, found[1])
        found[2] = torch.where(better.unsqueeze(1), probs_pt, found[2])

    refined = []
    a, b = lo + (1 - GOLDEN) * (hi - lo), lo + GOLDEN * (hi - lo)  # the two interior points
    (fa, pa), (fb, pb) = point(a), point(b)
    for it in range(refine):
        improve(a, fa, pa)
        improve(b, fb, pb)
        left = fa >= fb  # the maximum lies in [lo, b]
        hi, lo = torch.where(left, b, hi), torch.where(left, lo, a)
        a_new, b_new = lo + (1 - GOLDEN) * (hi - lo), lo + GOLDEN * (hi - lo)
        f_probe, p_probe = point(torch.where(left, a_new, b_new))
        keep = left.unsqueeze(1)
        a, fa, pa, b, fb, pb = (
            torch.where(left, a_new, b),
            torch.where(left, f_probe, fb),
            torch.where(keep, p_probe, pb),
            torch.where(left, a, b_new),
            torch.where(left, fa, f_probe),
            torch.where(keep, pa, p_probe),
        )
        refined.append(tuple(found))
        theta = found[0].exp()
        stats = record_step(
            trace,
            callback is not None,
            objective=found[1],
            gap=found[1] / theta,
            radius=found[1],
            proxy_radius=found[1],
            theta_mean=theta,
        )
        if callback is not None:
            callback(it + 1, refine, stats)
    improve(a, fa, pa)
    improve(b, fb, pb)
    refined.append(tuple(found))
    return refined


def _extend(values: torch.Tensor, cut: int, k: int) -> torch.Tensor:
    """``values`` (B, cut, …) on the grid's first ``cut`` columns, repeated from its last column to ``k``."""
    return torch.cat([values, values[:, cut - 1 : cut].expand(-1, k - cut, *values.shape[2:])], 1)


def _path_snapshots(log_grid, f_grid, probs, start: int, best, refined: list, count: int) -> dict:
    """Playback of the scalar solver's path: step s ≤ L (the longest climb) is the grid point s moves
    from θ₀ towards the chosen one (uphill, for the local search; an image whose climb ended earlier
    stays at its end), then one step per golden refinement and a last one, the θ returned (the θ
    CERTIFY uses). Up to ``count`` evenly spaced steps are kept, as the gradient solver's
    (:func:`.snapshots.snapshot_steps`)."""
    rows = torch.arange(log_grid.shape[0], device=log_grid.device)
    moves = best - start
    climb = int(moves.abs().max())
    snaps = Snapshots(snapshot_steps(climb + len(refined), count))
    for step in range(climb + len(refined) + 1):
        if not snaps.wants(step):
            continue
        if step <= climb:
            col = start + moves.sign() * moves.abs().clamp(max=step)
            log_theta, f, p = log_grid[rows, col], f_grid[rows, col], probs[rows, col]
        else:
            log_theta, f, p = refined[step - climb - 1]
        snaps.add(step, log_theta.exp(), p, f)
    return snaps.result()
