"""The paper's protocol (§6, Appendix C/D): presets, and the one chain fixed σ → Isotropic DD → ANCER.

``fixed``: θ = the model's σ. ``isotropic-dd``: Isotropic DD started at σ. ``ancer``: Isotropic DD,
then ANCER initialized (and floored) at the Isotropic DD θ. Each method's θ is then certified
with CERTIFY (:func:`run_all_methods`). Shared by the CLI, the app and the benchmarks.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace

import torch

from .certificate import Certificate
from .noise import Noise
from .optimize import OptimizationResult, ancer, fixed_theta, isotropic_dd
from .precision import SamplingConfig, autocast
from .scalar import isotropic_dd_scalar, scalar_evaluations
from .smoothing import certify
from .snapshots import snapshot_steps
from .surrogate import OBJECTIVE_BOUND, Surrogate, bound_ratio, check_objective
from .validation import AncerInputError, check_alpha, check_count, check_nonnegative, check_positive

METHODS = ("fixed", "isotropic-dd", "ancer")
ISO_SOLVERS = ("scalar", "gradient")


@dataclass(frozen=True)
class Settings:
    """Everything that defines a certification run besides the model, the image and σ."""

    n0: int = 100  # CERTIFY's selection samples: which class to certify (Cohen et al.'s N0)
    n: int = 100_000  # CERTIFY's estimation samples: the lower bound p̲A (Cohen et al.'s N)
    alpha: float = 0.001  # each certificate is wrong with probability ≤ α
    iso_iterations: int = 900  # Isotropic DD's gradient steps (the "gradient" solver; the scalar one's grid is fixed)
    iso_samples: int = 100  # noise draws per Isotropic DD step (per grid value for the scalar solver)
    iso_lr: float = 0.04  # Isotropic DD's step size (the gradient solver)
    ancer_iterations: int = 100  # ANCER's gradient steps (the maximum, with ancer_patience)
    ancer_samples: int = 100  # noise draws per ANCER step
    ancer_lr: float = 0.04  # ANCER's step size
    kappa: float = 2.0  # ANCER's weight on the ℓ∞ ball inside the region (the paper's κ, Eq. 7)
    # what the optimizers' surrogate maximises (core/surrogate.py): "anchored" (the gap of the class the
    # surrogate predicts at the start θ) or "paper" (the top-2 gap); the softmax temperature
    objective: str = "anchored"
    temperature: float = 1.0
    # θ ≤ this × the start θ; None: unbounded; OBJECTIVE_BOUND: the objective's own (2 for anchored,
    # unbounded for the paper's), decided in core/surrogate.py and read through ``bound``
    theta_max_ratio: float | None | str = OBJECTIVE_BOUND
    # Isotropic DD's solver: "scalar" (a grid of log θ on iso_samples common draws, then golden
    # section) or "gradient" (the original's iterations × samples)
    iso_solver: str = "scalar"
    # ANCER stops once its smoothed objective has not improved for this many iterations (core.optimize.EarlyStop);
    # None runs all ancer_iterations (the paper's); ancer_iterations stays the maximum either way
    ancer_patience: int | None = None

    @property
    def bound(self) -> float | None:
        """The bound on θ as a multiple of the start θ (None: unbounded)."""
        return bound_ratio(self.objective, self.theta_max_ratio)

    def surrogate(self, theta0: float) -> Surrogate:
        """What the optimizers maximise for a run that starts at ``theta0``."""
        bound = self.bound
        return Surrogate(self.objective, self.temperature, None if bound is None else bound * theta0)

    def validate(self) -> Settings:
        check_count("N0", self.n0)
        check_count("N", self.n)
        check_alpha(self.alpha)
        for k in ("iso_iterations", "ancer_iterations"):
            check_count(k, getattr(self, k), 0)
        for k in ("iso_samples", "ancer_samples"):
            check_count(k, getattr(self, k))
        check_objective(self.objective, self.temperature)
        check_positive("iso_lr", self.iso_lr)
        check_positive("ancer_lr", self.ancer_lr)
        check_nonnegative("kappa", self.kappa, " (the paper uses 2)")
        if self.ancer_patience is not None:
            check_count("ancer_patience", self.ancer_patience)
        if self.iso_solver not in ISO_SOLVERS:
            raise AncerInputError(f"iso_solver={self.iso_solver!r}; use one of {', '.join(ISO_SOLVERS)}")
        _ = self.bound  # checks theta_max_ratio
        if self.n < self.n0:
            raise AncerInputError(
                f"N={self.n} is smaller than N0={self.n0}: the estimation step needs at least as "
                "many samples as the selection step: give N ≥ N0 (paper: N0=100, N=100,000)"
            )
        return self

    def as_dict(self) -> dict:
        """The settings as a run records them: the bound on θ as the number it was (None: unbounded)."""
        return asdict(self) | {"theta_max_ratio": self.bound}


# the surrogate of a settings file written before these keys existed: the paper's objective, θ
# unbounded, Isotropic DD by gradient steps, no temperature
LEGACY_SURROGATE = {"objective": "paper", "temperature": 1.0, "theta_max_ratio": None, "iso_solver": "gradient"}


def describe_surrogate(settings: Settings | dict) -> str:
    """What the optimizers maximised and how, in one phrase for captions and reports, from
    :class:`Settings` or a result file's ``settings`` (keys it lacks: :data:`LEGACY_SURROGATE`)."""
    d = settings.as_dict() if isinstance(settings, Settings) else {**LEGACY_SURROGATE, **settings}
    ratio, temperature = d["theta_max_ratio"], float(d["temperature"])
    return (
        f"the {d['objective']} objective"
        + (f" at temperature {temperature:g}" if temperature != 1 else "")
        + (f" with θ ≤ {float(ratio):g} × the initial θ" if ratio is not None else ", θ unbounded")
        + f" (Isotropic DD: {d['iso_solver']} solver)"
    )


PRESETS = {
    # the paper (Appendix C/D): Isotropic DD 900×100, ANCER 100×100, N0=100, N=100,000, α=0.001
    "paper": Settings(),
    # interactive on a laptop CPU with the small model: same α, fewer samples and iterations
    "quick": Settings(n0=64, n=2_000, iso_iterations=60, iso_samples=32, ancer_iterations=40, ancer_samples=32),
    # a data set on a CPU (the shipped results grid): N = 10,000 as in Cohen et al.'s tables, and
    # the optimizers on 7 % (Isotropic DD) and 32 % (ANCER) of the paper's noisy gradient samples
    "cpu": Settings(n0=100, n=10_000, iso_iterations=200, iso_samples=32, ancer_iterations=100, ancer_samples=32),
}


def preset(name: str, **overrides) -> Settings:
    """The preset ``name`` with ``overrides`` (fields of :class:`Settings`), checked. A setting left out
    keeps the preset's; ``theta_max_ratio=None`` is unbounded, and left out it is the objective's own."""
    if name not in PRESETS:
        raise AncerInputError(f"preset={name!r}; use one of {', '.join(PRESETS)}")
    unknown = set(overrides) - set(Settings.__dataclass_fields__)
    if unknown:
        raise AncerInputError(f"unknown settings {sorted(unknown)}; use fields of Settings")
    return replace(PRESETS[name], **overrides).validate()


def work_estimate(settings: Settings, methods: Sequence[str] = METHODS) -> dict[str, int]:
    """Noisy images the network sees, per certified image, in :func:`run_all_methods`:
    ``forward`` (CERTIFY: N0 + N per method, and the scalar Isotropic DD solver's evaluations; no
    gradient) and ``gradient`` (the optimizers' forward + backward passes w.r.t. θ: Isotropic DD's
    gradient solver once, shared with ANCER, then ANCER)."""
    forward, grad = len(methods) * (settings.n0 + settings.n), 0
    if "isotropic-dd" in methods or "ancer" in methods:
        if settings.iso_solver == "scalar":
            forward += scalar_evaluations(theta_max_ratio=settings.bound) * settings.iso_samples
        else:
            grad += settings.iso_iterations * settings.iso_samples
    if "ancer" in methods:
        grad += settings.ancer_iterations * settings.ancer_samples
    return {"forward": forward, "gradient": grad}


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
) -> dict[str, torch.Tensor]:
    """θ of each stage of :func:`optimize_theta` (fp32) for the images ``indices`` (one row of ``x``
    each), the optimizers under ``optimizer_autocast``; on out-of-memory the batch is split in halves
    and the work goes on. Each image draws its noise from its own seeded stream, so splitting does not
    change any θ. A non-finite θ is refused (:func:`check_finite_theta`)."""
    try:
        with autocast(x.device, optimizer_autocast):
            stages = optimize_theta(model, x, norm, method, theta0, settings, seed=seed, indices=indices)
        out = {k: r.theta.float() for k, r in stages.items()}
        for k, v in out.items():
            check_finite_theta(k, v, indices, optimizer_autocast)
        return out
    except torch.OutOfMemoryError:
        if x.shape[0] == 1:
            raise AncerInputError(
                f"out of memory optimizing θ for a single image ({settings.iso_samples} / "
                f"{settings.ancer_samples} noise samples per step): lower --iso-samples / "
                "--ancer-samples or use a device with more memory"
            ) from None
    if x.device.type == "cuda":
        torch.cuda.empty_cache()
    h = x.shape[0] // 2
    half = dict(seed=seed, optimizer_autocast=optimizer_autocast)
    a = optimize_theta_split(model, x[:h], norm, method, theta0, settings, indices=list(indices)[:h], **half)
    b = optimize_theta_split(model, x[h:], norm, method, theta0, settings, indices=list(indices)[h:], **half)
    return {k: torch.cat([a[k], b[k]]) for k in a}


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
) -> dict[str, MethodResult]:
    """Each method's θ (:func:`optimize_theta`) certified with CERTIFY, on the same images; ANCER
    reuses Isotropic DD's θ when that method ran first. Each result records the wall time of its
    optimization and of its CERTIFY (``stage_seconds``). ``config``: CERTIFY's batching and precision;
    ``certify_model``: the network CERTIFY samples, when it is not ``model`` (an int8 version of it);
    ``optimizer_autocast``: a dtype (bf16) the optimizers' forward and backward passes run in — θ only
    has to be fixed before CERTIFY draws its samples, so this never affects soundness. ``snapshots``:
    keep up to that many snapshots of each optimizer stage (θ, the surrogate's class probabilities, the
    proxy radius; the last is the θ CERTIFY uses) in ``MethodResult.snapshots``.

    ``callback(stage, done, total, stats)`` reports progress: stages "isotropic-dd", "ancer" (per
    iteration) and "certify <method>" (done/total noise samples)."""
    settings.validate()
    out: dict[str, MethodResult] = {}
    stages: dict[str, OptimizationResult] = {}
    for method in methods:
        new = {}
        t0 = _synchronized_clock(x.device)
        if method not in stages:
            iso = stages.get("isotropic-dd")
            with autocast(x.device, optimizer_autocast):
                new = optimize_theta(
                    model,
                    x,
                    norm,
                    method,
                    theta0,
                    settings,
                    seed=seed,
                    indices=indices,
                    callback=callback,
                    init=None if iso is None else iso.theta,
                    snapshots=snapshots,
                )
            for k, r in new.items():
                check_finite_theta(k, r.theta, indices, optimizer_autocast)
            stages.update(new)
        t1 = _synchronized_clock(x.device)
        times = {"optimization": t1 - t0} if new else {}
        theta = stages[method].theta
        prog = None if callback is None else (lambda d, t, m=method: callback(f"certify {m}", d, t, {}))
        certs = certify(
            certify_model or model,
            x,
            theta,
            norm,
            settings.n0,
            settings.n,
            settings.alpha,
            seed=seed,
            indices=indices,
            config=config,
            progress=prog,
        )
        times["certify"] = (t2 := _synchronized_clock(x.device)) - t1
        traces = {k: r.trace for k, r in new.items() if k != "fixed"}
        snaps = {k: r.snapshots for k, r in new.items() if r.snapshots}
        out[method] = MethodResult(method, theta, certs, t2 - t0, traces, times, snaps)
    return out


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
