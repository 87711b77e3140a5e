"""The paper's protocol (§6, Appendix C/D): the one chain fixed σ → Isotropic DD → ANCER.

``fixed``: θ = the model's σ. ``isotropic-dd``: Isotropic DD started at σ. ``ancer``: Isotropic DD,
then ANCER initialized (and floored) at the Isotropic DD θ. Each method's θ is then certified
with CERTIFY by :func:`run_all_methods`, the one route every caller takes (the command line, the app,
the lecture preparation, the scripts, the benchmarks).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import torch

from .certificate import Certificate
from .isotropic_dd_solver import isotropic_dd_scalar
from .noise import Noise
from .optimize import OptimizationResult, ancer, fixed_theta, isotropic_dd
from .precision import SamplingConfig, autocast
from .settings import METHODS, Settings
from .smoothing import certify
from .snapshots import snapshot_steps
from .validation import AncerInputError

StageCallback = Callable[[str, int, int, dict], None]  # stage, iteration, total, statistics


def optimize_theta(
    model: torch.nn.Module,
    x: torch.Tensor,
    norm: str | Noise,
    method: str,
    theta0: float,
    settings: Settings,
    *,
    seed: int = 0,
    indices: Sequence[int] | None = None,
    callback: StageCallback | None = None,
    init: torch.Tensor | None = None,
    snapshots: int = 0,
) -> dict[str, OptimizationResult]:
    """θ for ``method``; returns the results of each stage run ({"isotropic-dd": …, "ancer": …}).

    ``init``: a precomputed Isotropic DD θ (B,) for ``ancer`` (skips that stage); ``snapshots``: keep
    up to that many evenly spaced snapshots of each iterative stage for playback (:mod:`.snapshots`)."""
    if method not in METHODS:
        raise AncerInputError(f"method={method!r}; use one of {', '.join(METHODS)}")
    if method == "fixed":
        return {"fixed": fixed_theta(x, theta0)}

    def cb(stage):
        return None if callback is None else (lambda it, tot, st: callback(stage, it, tot, st))

    out = {}
    shared = {  # every optimizer stage's
        "surrogate": settings.surrogate(theta0),
        "seed": seed,
        "indices": indices,
    }
    if init is None:
        common = dict(samples=settings.iso_samples, callback=cb("isotropic-dd"), **shared)
        if settings.iso_solver == "scalar":
            out["isotropic-dd"] = isotropic_dd_scalar(model, x, theta0, norm, snapshots=snapshots, **common)
        else:
            out["isotropic-dd"] = isotropic_dd(
                model,
                x,
                theta0,
                norm,
                iterations=settings.iso_iterations,
                lr=settings.iso_lr,
                snapshot_at=snapshot_steps(settings.iso_iterations, snapshots) if snapshots else None,
                **common,
            )
        init = out["isotropic-dd"].theta
    if method == "ancer":
        out["ancer"] = ancer(
            model,
            x,
            init,
            norm,
            iterations=settings.ancer_iterations,
            samples=settings.ancer_samples,
            lr=settings.ancer_lr,
            kappa=settings.kappa,
            patience=settings.ancer_patience,
            callback=cb("ancer"),
            snapshot_at=snapshot_steps(settings.ancer_iterations, snapshots) if snapshots else None,
            **shared,
        )
    return out


def optimize_theta_split(
    model: torch.nn.Module,
    x: torch.Tensor,
    norm: str | Noise,
    method: str,
    theta0: float,
    settings: Settings,
    *,
    seed: int = 0,
    indices: Sequence[int],
    optimizer_autocast: torch.dtype | None = None,
    callback: StageCallback | None = None,
    init: torch.Tensor | None = None,
) -> dict[str, torch.Tensor]:
    """θ of each stage of :func:`optimize_theta` (fp32) for the images ``indices`` (one row of ``x``
    each), the optimizers under ``optimizer_autocast``; on out-of-memory the batch is split in halves
    and the work goes on. Each image draws its noise from its own seeded stream, so splitting does not
    change any θ. A non-finite θ is refused (:func:`check_finite_theta`). ``init``: Isotropic DD's θ (B,)
    for ``ancer`` (that stage is then skipped), split with the images."""
    try:
        with autocast(x.device, optimizer_autocast):
            stages = optimize_theta(
                model, x, norm, method, theta0, settings, seed=seed, indices=indices, callback=callback, init=init
            )
        out = {k: r.theta.float() for k, r in stages.items()}
        for k, v in out.items():
            check_finite_theta(k, v, indices, optimizer_autocast)
        return out
    except torch.OutOfMemoryError:
        pass
    return _in_halves(model, x, norm, method, theta0, settings, seed, indices, optimizer_autocast, callback, init)


def _in_halves(model, x, norm, method, theta0, settings, seed, indices, optimizer_autocast, callback, init) -> dict:
    """After an out-of-memory error: :func:`optimize_theta_split` on each half of the images (a single image
    that does not fit is refused with what to lower)."""
    if x.shape[0] == 1:
        raise AncerInputError(
            f"out of memory optimizing θ for a single image ({settings.iso_samples} / "
            f"{settings.ancer_samples} noise samples per step): lower --iso-samples / "
            "--ancer-samples or use a device with more memory"
        )
    if x.device.type == "cuda":
        torch.cuda.empty_cache()
    h = x.shape[0] // 2
    half = dict(seed=seed, optimizer_autocast=optimizer_autocast, callback=callback)
    parts = [
        optimize_theta_split(
            model, x[rows], norm, method, theta0, settings, indices=list(indices)[rows], init=_part(init, rows), **half
        )
        for rows in (slice(None, h), slice(h, None))
    ]
    return {k: torch.cat([parts[0][k], parts[1][k]]) for k in parts[0]}


def _part(t: torch.Tensor | None, rows: slice) -> torch.Tensor | None:
    return None if t is None else t[rows]


def check_finite_theta(stage: str, theta: torch.Tensor, indices: Sequence[int] | None, dtype=None) -> None:
    """Refuses a θ that is not finite instead of certifying with it: it can only come from reduced
    precision in the optimizers (an overflow in bf16/fp16), so the way out is fp32."""
    ok = torch.isfinite(theta.reshape(len(theta), -1)).all(1).tolist()
    idx = list(range(len(theta))) if indices is None else list(indices)
    bad = [i for i, fine in zip(idx, ok) if not fine]
    if bad:
        said = "" if dtype is None else f" with the optimizers in {str(dtype).replace('torch.', '')}"
        raise AncerInputError(
            f"{stage} θ is not finite for images {bad[:10]}{said}; rerun them with the optimizers in fp32 "
            "(--optimizer-precision fp32)"
        )


@dataclass
class MethodResult:
    """One method's θ and certificates for a batch of images."""

    method: str
    theta: torch.Tensor  # (B,) isotropic or (B, C, H, W)
    certificates: list[Certificate]
    seconds: float  # wall time of the optimization stages run for this method, plus its CERTIFY
    traces: dict[str, dict]  # stage → per-iteration trace, for the stages run for this method
    # {"optimization": s (the stages in ``traces``; absent when θ was reused), "certify": s}
    stage_seconds: dict[str, float] = field(default_factory=dict)
    # stage → its snapshots for playback (``run_all_methods(snapshots=…)``), for the stages run for this method
    snapshots: dict[str, dict] = field(default_factory=dict)


def certify_theta(
    model: torch.nn.Module,
    x: torch.Tensor,
    theta,
    norm: str | Noise,
    settings: Settings,
    *,
    seed: int = 0,
    indices: Sequence[int] | None = None,
    config: SamplingConfig = SamplingConfig(),
    progress=None,
) -> list[Certificate]:
    """CERTIFY of ``theta`` with the run's N0, N, α and sampling (fixed or sequential): the one call every
    method's certificates come from."""
    return certify(
        model,
        x,
        theta,
        norm,
        settings.n0,
        settings.n,
        settings.alpha,
        seed=seed,
        indices=indices,
        config=config,
        progress=progress,
        sampling=settings.sampling_rule(),
    )


def _synchronized_clock(device: torch.device) -> float:
    """perf_counter after the device's queued work is done (CUDA runs asynchronously)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return time.perf_counter()


def run_all_methods(
    model: torch.nn.Module,
    x: torch.Tensor,
    norm: str | Noise,
    theta0: float,
    settings: Settings,
    *,
    seed: int = 0,
    indices: Sequence[int] | None = None,
    callback: StageCallback | None = None,
    methods: Sequence[str] = METHODS,
    config: SamplingConfig = SamplingConfig(),
    certify_model: torch.nn.Module | None = None,
    optimizer_autocast: torch.dtype | None = None,
    snapshots: int = 0,
    on_result: Callable[[str, MethodResult], None] | None = None,
    thetas: dict[str, torch.Tensor] | None = None,
) -> dict[str, MethodResult]:
    """The one route from images to certificates, for the command line, the app, the lecture preparation,
    the scripts and the benchmarks: each method's θ (:func:`optimize_theta`) certified with CERTIFY
    (:func:`certify_theta`), on the same images; ANCER reuses Isotropic DD's θ when that method ran first;
    ``thetas``: a method's θ given (B,) or (B, C, H, W) (an `optimize` folder's), not optimized. The
    optimizers run under ``optimizer_autocast`` and split the batch on out-of-memory (then without traces
    and snapshots); a non-finite θ is refused. Each result records the wall time of its optimization and
    of its CERTIFY (``stage_seconds``). ``config``: CERTIFY's batching and precision;
    ``certify_model``: the network CERTIFY samples, when it is not ``model`` (an int8 version of it);
    ``optimizer_autocast``: a dtype (bf16) the optimizers' forward and backward passes run in — θ only
    has to be fixed before CERTIFY draws its samples, so this never affects soundness. ``snapshots``:
    keep up to that many snapshots of each optimizer stage (θ, the surrogate's class probabilities, the
    proxy radius; the last is the θ CERTIFY uses) in ``MethodResult.snapshots``.

    ``callback(stage, done, total, stats)`` reports progress: stages "isotropic-dd", "ancer" (per
    iteration) and "certify <method>" (done/total noise samples); ``on_result(method, result)`` receives
    each method's result as soon as it is certified (in the order of ``methods``), so that a page can
    show it while the next one runs."""
    settings.validate()
    if not methods or any(m not in METHODS for m in methods):
        raise AncerInputError(f"methods={tuple(methods)!r}: give one or more of {', '.join(METHODS)}")
    out: dict[str, MethodResult] = {}
    stages: dict[str, OptimizationResult] = {}
    given = thetas or {}
    shared = dict(seed=seed, indices=indices)
    for method in methods:
        new = {}
        t0 = _synchronized_clock(x.device)
        if method not in stages and method not in given:
            iso = stages.get("isotropic-dd")
            init = None if iso is None else iso.theta
            opt = dict(callback=callback, init=init, snapshots=snapshots, optimizer_autocast=optimizer_autocast)
            new = _optimized(model, x, norm, method, theta0, settings, **shared, **opt)
            stages.update(new)
        t1 = _synchronized_clock(x.device)
        times = {"optimization": t1 - t0} if new else {}
        theta = given[method] if method in given else stages[method].theta
        prog = None if callback is None else (lambda d, t, m=method: callback(f"certify {m}", d, t, {}))
        certs = certify_theta(certify_model or model, x, theta, norm, settings, config=config, progress=prog, **shared)
        times["certify"] = (t2 := _synchronized_clock(x.device)) - t1
        traces = {k: r.trace for k, r in new.items() if k != "fixed"}
        snaps = {k: r.snapshots for k, r in new.items() if r.snapshots}
        out[method] = MethodResult(method, theta, certs, t2 - t0, traces, times, snaps)
        if on_result is not None:
            on_result(method, out[method])
    return out


def _optimized(model, x, norm, method, theta0, settings, *, optimizer_autocast, **options) -> dict:
    """:func:`optimize_theta` under ``optimizer_autocast``, every θ checked finite; on out-of-memory, the
    batch in halves at once (:func:`_in_halves`: each image draws its own noise, so no θ changes), θ alone."""
    try:
        with autocast(x.device, optimizer_autocast):
            out = optimize_theta(model, x, norm, method, theta0, settings, **options)
        for k, r in out.items():
            check_finite_theta(k, r.theta, options["indices"], optimizer_autocast)
        return out
    except torch.OutOfMemoryError:
        pass
    seed, idx, callback, init = (options[k] for k in ("seed", "indices", "callback", "init"))
    idx = list(range(x.shape[0])) if idx is None else list(idx)
    split = _in_halves(model, x, norm, method, theta0, settings, seed, idx, optimizer_autocast, callback, init)
    return {k: OptimizationResult(theta) for k, theta in split.items()}


def warm_up(
    model: torch.nn.Module,
    norm: str | Noise,
    theta0: float,
    settings: Settings,
    *,
    config: SamplingConfig = SamplingConfig(),
    certify_model: torch.nn.Module | None = None,
    optimizer_autocast: torch.dtype | None = None,
    device: torch.device | str | None = None,
) -> float:
    """Run :func:`run_all_methods` once on a grey image, with one optimizer step and N of one noise
    batch, and return its wall time. A process's first run meets each kernel (precision, layout, batch
    shape) for the first time and pays to build it: 1–2 s on a 2-core CPU, half again a warm Quick
    run. An interactive server calls this before its first user does; it changes no result (the run's
    noise comes from its own seeded generators)."""
    dev = torch.device(device) if device is not None else next(model.parameters()).device
    light = replace(
        settings,
        n=min(settings.n, config.noise_batch),
        iso_iterations=1,
        ancer_iterations=1,
        ancer_patience=None,
    )
    x = torch.full((1, *getattr(model, "input_shape", (3, 32, 32))), 0.5, device=dev)
    t0 = _synchronized_clock(dev)
    run_all_methods(
        model,
        x,
        norm,
        theta0,
        light,
        config=config,
        certify_model=certify_model,
        optimizer_autocast=optimizer_autocast,
    )
    return _synchronized_clock(dev) - t0
