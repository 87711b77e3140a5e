"""Presets and the method pipeline shared by the CLI, the app and the benchmarks.

``fixed``: θ = the model's σ. ``isotropic-dd``: Isotropic DD started at σ. ``ancer``: Isotropic DD,
then ANCER initialized (and floored) at the Isotropic DD θ — the paper's protocol.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Callable, Sequence

import torch

from .optimize import OptimizationResult, ancer, fixed_theta, isotropic_dd
from .validation import AncerInputError, check_alpha, check_count

METHODS = ("fixed", "isotropic-dd", "ancer")


@dataclass(frozen=True)
class Settings:
    """Everything that defines a certification run besides the model, the image and σ."""

    n0: int = 100
    n: int = 100_000
    alpha: float = 0.001
    iso_iterations: int = 900
    iso_samples: int = 100
    iso_lr: float = 0.04
    ancer_iterations: int = 100
    ancer_samples: int = 100
    ancer_lr: float = 0.04
    kappa: float = 2.0

    def validate(self) -> "Settings":
        check_count("N0", self.n0)
        check_count("N", self.n)
        check_alpha(self.alpha)
        for k in ("iso_iterations", "ancer_iterations"):
            check_count(k, getattr(self, k), 0)
        for k in ("iso_samples", "ancer_samples"):
            check_count(k, getattr(self, k))
        if self.n < self.n0:
            raise AncerInputError(f"N={self.n} is smaller than N0={self.n0}: the estimation step needs at least as "
                                  "many samples as the selection step (paper: N0=100, N=100,000)")
        return self

    def as_dict(self) -> dict:
        return asdict(self)


PRESETS = {
    # the paper (Appendix C/D): Isotropic DD 900×100, ANCER 100×100, N0=100, N=100,000, α=0.001
    "paper": Settings(),
    # interactive on a laptop CPU with the small model: same α, fewer samples and iterations
    "quick": Settings(n0=64, n=2_000, iso_iterations=60, iso_samples=32, ancer_iterations=40, ancer_samples=32),
}


def preset(name: str, **overrides) -> Settings:
    if name not in PRESETS:
        raise AncerInputError(f"preset={name!r}; use one of {', '.join(PRESETS)}")
    return replace(PRESETS[name], **{k: v for k, v in overrides.items() if v is not None}).validate()


def work_estimate(settings: Settings, methods: Sequence[str] = METHODS) -> dict[str, int]:
    """Noisy images the network sees, per certified image, in :func:`run_all_methods`:
    ``forward`` (CERTIFY: N0 + N per method, no gradient) and ``gradient`` (the optimizers'
    forward + backward passes w.r.t. θ: Isotropic DD once, shared with ANCER, then ANCER)."""
    grad = 0
    if "isotropic-dd" in methods or "ancer" in methods:
        grad += settings.iso_iterations * settings.iso_samples
    if "ancer" in methods:
        grad += settings.ancer_iterations * settings.ancer_samples
    return {"forward": len(methods) * (settings.n0 + settings.n), "gradient": grad}


def timed(fn: Callable[[], object], device: torch.device | str) -> tuple[object, float]:
    """``fn()`` and its wall time in seconds, with the device synchronized before and after (CUDA
    runs asynchronously: without it the time would only cover launching the work)."""
    import time

    def sync():
        if torch.device(device).type == "cuda":
            torch.cuda.synchronize(device)
    sync()
    t = time.perf_counter()
    out = fn()
    sync()
    return out, time.perf_counter() - t


def measure_throughput(model: torch.nn.Module, device: torch.device | str, batch: int = 256) -> dict[str, float]:
    """Noisy 3×32×32 images per second through ``model`` on ``device``: ``forward`` (inference)
    and ``gradient`` (forward + backward w.r.t. the input, as the optimizers do); one warm-up, best of two."""
    x = torch.rand(batch, 3, 32, 32, device=device)

    def fwd():
        with torch.inference_mode():
            model(x).argmax(1)

    def grad():
        xi = x.clone().requires_grad_(True)
        torch.autograd.grad(torch.softmax(model(xi), 1)[:, 0].sum(), xi)

    out = {}
    for name, fn in (("forward", fwd), ("gradient", grad)):
        fn()
        out[name] = batch / min(timed(fn, device)[1] for _ in range(2))
    return out


StageCallback = Callable[[str, int, int, dict], None]  # stage, iteration, total, statistics


def optimize_theta(model: torch.nn.Module, x: torch.Tensor, norm: str, method: str, theta0: float, settings: Settings,
                   *, seed: int = 0, indices: Sequence[int] | None = None, callback: StageCallback | None = None,
                   init: torch.Tensor | None = None) -> dict[str, OptimizationResult]:
    """θ for ``method``; returns the results of each stage run ({"isotropic-dd": …, "ancer": …}).

    ``init``: a precomputed Isotropic DD θ (B,) for ``ancer`` (skips that stage)."""
    if method not in METHODS:
        raise AncerInputError(f"method={method!r}; use one of {', '.join(METHODS)}")
    if method == "fixed":
        return {"fixed": fixed_theta(x, theta0)}

    def cb(stage):
        return None if callback is None else (lambda it, tot, st: callback(stage, it, tot, st))

    out = {}
    if init is None:
        out["isotropic-dd"] = isotropic_dd(model, x, theta0, norm, iterations=settings.iso_iterations,
                                           samples=settings.iso_samples, lr=settings.iso_lr, seed=seed,
                                           indices=indices, callback=cb("isotropic-dd"))
        init = out["isotropic-dd"].theta
    if method == "ancer":
        out["ancer"] = ancer(model, x, init, norm, iterations=settings.ancer_iterations, samples=settings.ancer_samples,
                             lr=settings.ancer_lr, kappa=settings.kappa, seed=seed, indices=indices,
                             callback=cb("ancer"))
    return out


def optimize_theta_split(model: torch.nn.Module, x: torch.Tensor, norm: str, method: str, theta0: float,
                         settings: Settings, *, seed: int = 0, indices: Sequence[int]) -> dict[str, torch.Tensor]:
    """θ of each stage of :func:`optimize_theta` for the images ``indices`` (one row of ``x`` each);
    on out-of-memory the batch is split in halves and the work goes on. Each image draws its noise
    from its own seeded stream, so splitting does not change any θ."""
    try:
        return {k: r.theta for k, r in optimize_theta(model, x, norm, method, theta0, settings, seed=seed,
                                                      indices=indices).items()}
    except torch.OutOfMemoryError:
        if x.shape[0] == 1:
            raise AncerInputError(f"out of memory optimizing θ for a single image ({settings.iso_samples} / "
                                  f"{settings.ancer_samples} noise samples per step): lower --iso-samples / "
                                  "--ancer-samples or use a device with more memory") from None
    if x.device.type == "cuda":
        torch.cuda.empty_cache()
    h = x.shape[0] // 2
    a = optimize_theta_split(model, x[:h], norm, method, theta0, settings, seed=seed, indices=list(indices)[:h])
    b = optimize_theta_split(model, x[h:], norm, method, theta0, settings, seed=seed, indices=list(indices)[h:])
    return {k: torch.cat([a[k], b[k]]) for k in a}


@dataclass
class MethodResult:
    method: str
    theta: torch.Tensor  # (B,) isotropic or (B, C, H, W)
    certificates: list
    seconds: float  # optimization + certification wall time for this method
    traces: dict


def run_all_methods(model: torch.nn.Module, x: torch.Tensor, norm: str, theta0: float, settings: Settings, *,
                    seed: int = 0, indices: Sequence[int] | None = None, callback: StageCallback | None = None,
                    methods: Sequence[str] = METHODS) -> dict[str, MethodResult]:
    """Fixed θ, Isotropic DD and ANCER on the same images (ANCER reuses Isotropic DD's θ).

    ``callback(stage, done, total, stats)`` reports progress: stages "isotropic-dd", "ancer" (per
    iteration) and "certify <method>" (done/total noise samples)."""
    import time

    from .smoothing import certify
    settings.validate()
    out: dict[str, MethodResult] = {}
    iso_theta = None
    for method in methods:
        t0 = time.time()
        traces = {}
        if method == "fixed":
            theta = fixed_theta(x, theta0).theta
        elif method == "isotropic-dd" or iso_theta is None:
            res = optimize_theta(model, x, norm, "isotropic-dd", theta0, settings, seed=seed, indices=indices,
                                 callback=callback)
            iso_theta = res["isotropic-dd"].theta
            traces["isotropic-dd"] = res["isotropic-dd"].trace
            theta = iso_theta
        if method == "ancer":
            res = optimize_theta(model, x, norm, "ancer", theta0, settings, seed=seed, indices=indices,
                                 callback=callback, init=iso_theta)
            traces["ancer"] = res["ancer"].trace
            theta = res["ancer"].theta
        prog = None if callback is None else (lambda d, t, m=method: callback(f"certify {m}", d, t, {}))
        certs = certify(model, x, theta, norm, settings.n0, settings.n, settings.alpha, seed=seed, indices=indices,
                        progress=prog)
        out[method] = MethodResult(method, theta, certs, time.time() - t0, traces)
    return out


def export_results(results: dict[str, MethodResult], meta: dict) -> tuple[str, bytes]:
    """The results of :func:`run_all_methods` for one image as files: JSON (settings in ``meta``,
    each method's certificate summary, θ statistics and time) and a compressed NumPy archive with
    each method's θ (``theta_<method>``, float32, the image's shape, or a scalar when isotropic)."""
    import io
    import json

    import numpy as np

    doc = {"meta": meta, "methods": {}}
    arrays = {}
    for m, r in results.items():
        c = r.certificates[0]
        th = r.theta[0].detach().cpu().float().numpy()
        arrays[f"theta_{m}"] = th
        doc["methods"][m] = {"certificate": c.summary(), "seconds": r.seconds,
                             "theta": {"min": float(th.min()), "max": float(th.max()), "mean": float(th.mean()),
                                       "shape": list(th.shape)},
                             "n_a": c.extra.get("n_a")}
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    return json.dumps(doc, indent=2, default=float), buf.getvalue()
