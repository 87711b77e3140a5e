"""Per-sample optimizers of the smoothing parameter θ (paper §6, Appendix C).

* :func:`fixed_theta` — the classic fixed σ (Cohen et al.).
* :func:`isotropic_dd` — "Isotropic DD" (Alfarra et al. 2020): one scalar θ per image, plain
  gradient ascent on the estimated isotropic radius (the original's solver).
* :func:`.scalar.isotropic_dd_scalar` — the same objective solved as the one-dimensional problem it
  is: evaluated over a grid of log θ with common random numbers in batched passes without gradients,
  then refined by golden-section search.
* :func:`ancer` — ANCER: one θ per pixel and channel, Adam on the relaxed objective
  GM(θ)·gap + κ·min(θ)·gap, projected onto θ ≥ θ_init after every step.

Every optimizer here works on a batch of images at once, on CPU or CUDA, and only differentiate with
respect to θ (no gradients for the network's weights). The objectives use *probabilities*: the
softmax of the model's logits is taken explicitly (the original code silently assumed the model
returned probabilities, which two of its three model families did not).

What the surrogate maximises (the paper's top-2 gap or a class-anchored gap) and its softmax
temperature are chosen in :mod:`.surrogate`; an optional ``theta_max`` bounds θ from above.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from .noise import Noise, noise_for
from .smoothing import STREAM_ANCER, STREAM_ISOTROPIC_DD, make_generators
from .snapshots import Snapshots
from .surrogate import Surrogate, gap_pair, smoothed_probs
from .validation import (
    AncerInputError,
    check_count,
    check_images,
    check_model_input,
    check_nonnegative,
    check_positive,
    check_theta,
)

THETA_FLOOR = 1e-3  # Isotropic DD keeps θ ≥ this (the original let θ go negative)

# iteration, total iterations, per-iteration statistics (NumPy arrays over the batch)
IterationCallback = Callable[[int, int, dict], None]


@dataclass
class OptimizationResult:
    """θ per image (B,) for isotropic methods or (B,C,H,W) for ANCER, and the per-iteration
    trace: arrays of shape (iterations, B) for ``objective``, ``gap``, ``radius``, ``proxy_radius``.
    ``gap`` is the Monte Carlo estimate of Corollary 1/2's gap from the optimization samples
    (½(Φ⁻¹p₁ − Φ⁻¹p₂) for ℓ2, p₁ − p₂ for ℓ1), not a certificate."""

    theta: torch.Tensor
    trace: dict[str, np.ndarray] = field(default_factory=dict)
    settings: dict = field(default_factory=dict)
    # the scalar solver's curves over its θ grid: "theta" (B, K), "objective" (B, K), "probs" and
    # "votes" (B, K, classes); "anchor" (B,) where the objective is anchored
    curves: dict[str, np.ndarray] = field(default_factory=dict)
    # θ, the surrogate's probabilities and the proxy radius at chosen steps (:mod:`.snapshots`)
    snapshots: dict[str, np.ndarray] = field(default_factory=dict)


def fixed_theta(x: torch.Tensor, theta: float) -> OptimizationResult:
    """The fixed-σ baseline: the same θ for every image."""
    x = check_images(x)
    check_positive("theta", theta)
    return OptimizationResult(
        torch.full((x.shape[0],), float(theta), device=x.device, dtype=x.dtype),
        settings={"method": "fixed", "theta": float(theta)},
    )


def record_step(trace: dict, host: bool, **values: torch.Tensor) -> dict | None:
    """Append this iteration's statistics to ``trace``, kept on the device; copy them to the host
    (a device synchronisation) only when ``host`` — when a callback wants them — so that on a GPU
    the loop never waits for its own bookkeeping."""
    # copies, not views: θ itself is updated in place after this (a view recorded every row as the final θ)
    row = {k: v.detach().float().clone() for k, v in values.items()}
    for k, v in row.items():
        trace.setdefault(k, []).append(v)
    return {k: v.cpu().numpy() for k, v in row.items()} if host else None


def finish_trace(trace: dict) -> dict[str, np.ndarray]:
    return {k: torch.stack(v).cpu().numpy() for k, v in trace.items()}


def validate_inputs(model, x, norm, iterations, samples, lr):
    noise = noise_for(norm)
    x = check_model_input(model, check_images(x))
    check_count("iterations", iterations, 0)
    check_count("samples", samples)
    check_positive("lr", lr)
    if model.training:
        raise AncerInputError(
            "put the model in eval mode (model.eval()) before optimizing θ: "
            "batch-norm statistics must not change with the noise"
        )
    return x, noise


class EarlyStop:
    """ANCER's stopping rule: its objective is a Monte Carlo estimate on fresh noise every iteration, so
    it is smoothed (an exponential moving average, weight ``SMOOTHING`` on the newest value) before it
    is compared; an image has *stalled* when its smoothed objective has not risen above its best by more
    than ``TOLERANCE`` (relative) for ``patience`` iterations, and the optimization stops when every image
    of the batch has stalled. θ is then the current iterate, as at the last of the full iterations."""

    SMOOTHING = 0.3
    TOLERANCE = 0.005

    def __init__(self, patience: int):
        self.patience = check_count("patience", patience)
        self.ema = self.best = self.since = None

    def done(self, objective: torch.Tensor) -> bool:
        value = objective.float()
        if self.ema is None:
            self.ema, self.best = value.clone(), value.clone()
            self.since = torch.zeros_like(value, dtype=torch.long)
            return False
        self.ema = self.SMOOTHING * value + (1 - self.SMOOTHING) * self.ema
        better = self.ema > self.best + self.TOLERANCE * self.best.abs()
        self.best = torch.where(better, self.ema, self.best)
        self.since = torch.where(better, torch.zeros_like(self.since), self.since + 1)
        return bool((self.since >= self.patience).all())


def isotropic_dd(
    model: torch.nn.Module,
    x: torch.Tensor,
    theta0,
    norm: str | Noise,
    *,
    iterations: int = 900,
    samples: int = 100,
    lr: float = 0.04,
    seed: int = 0,
    indices: Sequence[int] | None = None,
    callback: IterationCallback | None = None,
    surrogate: Surrogate = Surrogate(),
    anchor: torch.Tensor | None = None,
    snapshot_at: Sequence[int] | None = None,
) -> OptimizationResult:
    """Isotropic data-dependent θ (Alfarra et al. 2020), defaults as in the original on CIFAR-10.

    Plain gradient ascent on θᵢ·½(Φ⁻¹p₁ − Φ⁻¹p₂) for ℓ2 and θᵢ·(p₁ − p₂) for ℓ1, summed over the
    batch (so each image follows its own gradient), starting from ``theta0``, with θ kept
    ≥ 0.001 (the original did not keep it positive) and ≤ ``surrogate.theta_max`` when given.
    ``surrogate``: what it maximises (:class:`.surrogate.Surrogate`); the anchored class is the
    surrogate's answer at ``theta0`` unless ``anchor`` gives it. ``snapshot_at``: the steps whose θ,
    surrogate probabilities and radius to keep for playback (``result.snapshots``).
    """
    x, noise = validate_inputs(model, x, norm, iterations, samples, lr)
    theta = check_theta(theta0, x)
    if theta.dim() != 1:
        raise AncerInputError("isotropic_dd needs one scalar θ per image (a scalar or a vector of length B)")
    idx = list(range(x.shape[0])) if indices is None else list(indices)
    gens = make_generators(seed, idx, x.device, STREAM_ISOTROPIC_DD)
    theta = theta.clone().requires_grad_(True)
    trace: dict = {}
    snaps = Snapshots(snapshot_at)

    def radius(theta, probs):  # the certificate's gap (with Corollary 1's ½ for ℓ2), as in the original
        return theta * noise.certified_gap_estimate(noise.gap_estimate(gap_pair(probs, anchor)))

    with torch.enable_grad():
        for it in range(iterations):
            probs = smoothed_probs(model, x, theta, noise, samples, gens, surrogate.temperature)
            if it == 0:
                anchor = surrogate.anchor_classes(anchor, probs.detach())
            objective_value = radius(theta, probs)
            gap = objective_value / theta
            if snaps.wants(it):
                snaps.add(it, theta, probs, objective_value)
            (grad,) = torch.autograd.grad(objective_value.sum(), theta)
            stats = record_step(
                trace,
                callback is not None,
                objective=objective_value,
                gap=gap,
                radius=objective_value,
                proxy_radius=objective_value,
                theta_mean=theta,
            )
            with torch.no_grad():
                theta.add_(lr * grad).clamp_(min=THETA_FLOOR, max=surrogate.theta_max)
            if callback is not None:
                callback(it + 1, iterations, stats)

    def final(theta):
        probs = smoothed_probs(model, x, theta, noise, samples, gens, surrogate.temperature)
        return probs, radius(theta, probs)

    snaps.add_final(iterations, theta, final)
    settings = {"method": "isotropic-dd", "iterations": iterations, "samples": samples, "lr": lr, "seed": seed}
    return OptimizationResult(
        theta.detach(), finish_trace(trace), settings | surrogate.as_dict(), snapshots=snaps.result()
    )


def _full_theta(theta: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """θ of every coordinate (B, C, H, W): a scalar per image spread over the image."""
    if theta.dim() == 1:
        theta = theta.view(-1, *([1] * (x.dim() - 1))).expand_as(x)
    return theta.contiguous()


def _ancer_objective(probs, anchor, theta: torch.Tensor, noise: Noise, kappa: float) -> tuple:
    """ANCER's objective gap·GM(θ) + κ·gap·min(θ) (Appendix C) and its parts: (objective, gap, θ flattened,
    GM(θ), min θ)."""
    gap = noise.gap_estimate(gap_pair(probs, anchor))
    flat = theta.flatten(1)
    gm = flat.log().mean(1).exp()
    mn = flat.min(1).values
    return gm * gap + kappa * mn * gap, gap, flat, gm, mn


def _project(theta: torch.Tensor, init: torch.Tensor, theta_max: float | None) -> None:
    """θ back onto ANCER's feasible set, in place: θ ≥ θ_init (Appendix C), and ≤ the surrogate's cap."""
    with torch.no_grad():
        torch.maximum(theta, init, out=theta)
        if theta_max is not None:
            theta.clamp_(max=max(theta_max, float(init.max())))


def ancer(
    model: torch.nn.Module,
    x: torch.Tensor,
    theta_iso,
    norm: str | Noise,
    *,
    iterations: int = 100,
    samples: int = 100,
    lr: float = 0.04,
    kappa: float = 2.0,
    seed: int = 0,
    indices: Sequence[int] | None = None,
    callback: IterationCallback | None = None,
    record_theta: bool = False,
    surrogate: Surrogate = Surrogate(),
    anchor: torch.Tensor | None = None,
    snapshot_at: Sequence[int] | None = None,
    patience: int | None = None,
) -> OptimizationResult:
    """ANCER (Appendix C): maximize gap·GM(θ) + κ·gap·min(θ) with Adam, θ ≥ θ_iso.

    ``theta_iso`` is the initialization and the projection floor: a scalar per image (Isotropic
    DD's θ, the paper's choice) or a full θ. The gap is Φ⁻¹(p₁) − Φ⁻¹(p₂) for ℓ2 (no ½, as in
    the original) and p₁ − p₂ for ℓ1; GM(θ) is the geometric mean over all n coordinates,
    computed as exp(mean log θ). ``record_theta`` adds θ itself (B, n) to the trace at every
    iteration, before the step (for small inputs such as the 2D toy page's optimization path).
    ``surrogate``: what it maximises (:class:`.surrogate.Surrogate`; the anchored class is the
    surrogate's answer at the initial θ unless ``anchor`` gives it; its ``theta_max`` caps every θᵢ).
    ``snapshot_at``: the steps whose θ, probabilities and proxy radius to keep (``result.snapshots``).
    ``patience``: stop early once no image's objective has improved for that many iterations
    (:class:`EarlyStop`; None: all ``iterations``, the paper's); ``iterations`` stays the maximum, and
    ``result.settings["iterations_run"]`` says how many ran.
    """
    x, noise = validate_inputs(model, x, norm, iterations, samples, lr)
    stop = EarlyStop(patience) if patience is not None else None
    check_nonnegative("kappa", kappa, " (the paper uses 2)")
    init = _full_theta(check_theta(theta_iso, x), x)
    idx = list(range(x.shape[0])) if indices is None else list(indices)
    gens = make_generators(seed, idx, x.device, STREAM_ANCER)
    theta = init.clone().requires_grad_(True)
    opt = torch.optim.Adam([theta], lr=lr)
    trace: dict = {}
    snaps = Snapshots(snapshot_at)

    with torch.enable_grad():
        for it in range(iterations):
            probs = smoothed_probs(model, x, theta, noise, samples, gens, surrogate.temperature)
            if it == 0:
                anchor = surrogate.anchor_classes(anchor, probs.detach())
            objective, gap, flat, gm, mn = _ancer_objective(probs, anchor, theta, noise, kappa)
            (grad,) = torch.autograd.grad(-objective.sum(), theta)
            cert_gap = noise.certified_gap_estimate(gap)
            if snaps.wants(it):
                snaps.add(it, theta, probs, gm * cert_gap)
            extra = {"theta": flat} if record_theta else {}
            step = dict(objective=objective, gap=cert_gap, radius=mn * cert_gap, proxy_radius=gm * cert_gap)
            stats = record_step(trace, callback is not None, **step, theta_mean=flat.mean(1), **extra)
            theta.grad = grad
            opt.step()
            _project(theta, init, surrogate.theta_max)
            if callback is not None:
                callback(it + 1, iterations, stats)
            ran = it + 1
            if stop is not None and stop.done(objective.detach()):
                if callback is not None:
                    callback(iterations, iterations, stats)  # the bar ends at 100 %: the rest is not needed
                break
        else:
            ran = iterations

    def final(theta):
        probs = smoothed_probs(model, x, theta, noise, samples, gens, surrogate.temperature)
        gap = noise.certified_gap_estimate(noise.gap_estimate(gap_pair(probs, anchor)))
        return probs, theta.flatten(1).log().mean(1).exp() * gap  # the proxy radius GM(θ) · gap

    snaps.add_final(ran, theta, final, stopped_early=ran < iterations)
    settings = {"method": "ancer", "iterations": iterations, "samples": samples, "lr": lr, "kappa": kappa, "seed": seed}
    settings |= {"patience": patience, "iterations_run": ran} | surrogate.as_dict()
    return OptimizationResult(theta.detach(), finish_trace(trace), settings, snapshots=snaps.result())
