"""ANCER with half the forward + backward passes: which optimizer or schedule keeps its objective?

The same images, the same Isotropic DD θ (ANCER's start and floor) and the same noise seeds for every
variant; each variant's final θ is then scored on 512 *fresh* noise draws (one seeded stream, the same for
all variants): ANCER's objective gap·GM(θ) + κ·gap·min(θ) (Appendix C), the proxy radius GM(θ)·gap and the
radius min(θ)·gap, where the gap is the surrogate's (the anchored class's, the optimizers' own). Each
variant's score is paired with the preset's own run (its iterations × samples, Adam at its lr): the mean
difference and the share of images where the variant is better.

    python benchmarks/ancer_passes.py --images 32 --preset quick --out benchmarks/results/ancer-passes-quick.json

This is a screening on the optimizers' own objective, not a certificate: a variant that cannot keep the
objective will not keep the certificates CERTIFY draws from its θ either. Runs on any device; the optimizers
in bf16 autocast on a CPU with native bf16 (as the app runs them), fp32 elsewhere.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from ancer_core.core.noise import noise_for
from ancer_core.core.optimize import _ancer_objective, _full_theta, _project
from ancer_core.core.precision import autocast, autocast_dtype, default_device, default_optimizer_precision
from ancer_core.core.protocol import optimize_theta
from ancer_core.core.settings import PRESETS
from ancer_core.core.smoothing import STREAM_ANCER, make_generators
from ancer_core.core.surrogate import smoothed_probs
from ancer_core.data.cifar10 import load_cifar10
from ancer_core.models.checkpoints import load_model
from ancer_core.models.speed import hardware

SCORE_SAMPLES, SCORE_STREAM = 512, 7  # the fresh draws every variant's θ is scored on


@dataclass(frozen=True)
class Variant:
    """How ANCER's loop runs: ``iterations`` and ``samples`` as fractions of the preset's, Adam's ``lr``
    as a multiple of it; ``schedule`` "constant" or "cosine" (to 0); ``log_space``: Adam on log θ (steps
    proportional to θ); ``average_from``: return the mean of the iterates from that fraction of the run on
    (Polyak averaging); ``common_draws``: the same noise draws at every step (common random numbers);
    ``antithetic``: half the draws are the negatives of the other half; ``betas``: Adam's."""

    iterations: float = 1.0
    samples: float = 1.0
    lr: float = 1.0
    schedule: str = "constant"
    log_space: bool = False
    average_from: float | None = None
    common_draws: bool = False
    antithetic: bool = False
    betas: tuple[float, float] = (0.9, 0.999)

    def passes(self) -> float:
        return self.iterations * self.samples


VARIANTS = {
    "the preset's run": Variant(),
    "the preset's run, iterates averaged over its second half": Variant(average_from=0.5),
    "half the iterations": Variant(iterations=0.5),
    "half the iterations, lr ×2": Variant(iterations=0.5, lr=2),
    "half the iterations, lr ×4": Variant(iterations=0.5, lr=4),
    "half the iterations, lr ×2, cosine": Variant(iterations=0.5, lr=2, schedule="cosine"),
    "half the iterations, lr ×1.5, β1 = 0.95": Variant(iterations=0.5, lr=1.5, betas=(0.95, 0.999)),
    "half the iterations, lr ×2, β = (0.5, 0.9)": Variant(iterations=0.5, lr=2, betas=(0.5, 0.9)),
    "half the iterations, lr ×2, iterates averaged over the second half": Variant(
        iterations=0.5, lr=2, average_from=0.5
    ),
    "half the iterations, log θ, cosine": Variant(iterations=0.5, lr=7.5, schedule="cosine", log_space=True),
    "half the iterations, antithetic draws, lr ×2": Variant(iterations=0.5, lr=2, antithetic=True),
    "half the iterations, common draws, lr ×2": Variant(iterations=0.5, lr=2, common_draws=True),
    "half the samples per iteration": Variant(samples=0.5),
    "a quarter of the iterations, twice the samples, lr ×2": Variant(iterations=0.25, samples=2, lr=2),
}


def _probs(model, x, theta, noise, samples, gens, temperature, antithetic):
    if not antithetic:
        return smoothed_probs(model, x, theta, noise, samples, gens, temperature)
    b, shape = x.shape[0], x.shape[1:]
    u = noise.sample_unit_per_image(gens, samples // 2, shape, x.device, x.dtype)
    xs = (x.unsqueeze(1) + torch.cat([u, -u], 1) * theta.unsqueeze(1)).reshape(b * samples, *shape)
    return torch.softmax(model(xs).float() / temperature, -1).view(b, samples, -1).mean(1)


def run_variant(model, x, idx, init, settings, surrogate, v: Variant, dtype) -> tuple[torch.Tensor, torch.Tensor]:
    """ANCER's loop (core.optimize.ancer) as ``v`` changes it; returns the final θ and the anchored classes."""
    noise = noise_for("l2")
    iterations = max(1, round(settings.ancer_iterations * v.iterations))
    samples = max(2, round(settings.ancer_samples * v.samples))
    lr = settings.ancer_lr * v.lr
    param = (init.log() if v.log_space else init).clone().requires_grad_(True)
    opt = torch.optim.Adam([param], lr=lr, betas=v.betas)
    gens = make_generators(0, idx, x.device, STREAM_ANCER)
    anchor, total, count = None, None, 0
    for it in range(iterations):
        if v.schedule == "cosine":
            opt.param_groups[0]["lr"] = lr * 0.5 * (1 + math.cos(math.pi * it / iterations))
        if v.common_draws:
            gens = make_generators(0, idx, x.device, STREAM_ANCER)
        theta = param.exp() if v.log_space else param
        with autocast(x.device, dtype):
            probs = _probs(model, x, theta, noise, samples, gens, surrogate.temperature, v.antithetic).float()
        if it == 0:
            anchor = surrogate.anchor_classes(None, probs.detach())
        objective = _ancer_objective(probs, anchor, theta, noise, settings.kappa)[0]
        (param.grad,) = torch.autograd.grad(-objective.sum(), param)
        opt.step()
        with torch.no_grad():
            if v.log_space:
                param.copy_(param.exp().clamp(min=init).log())
                if surrogate.theta_max is not None:
                    param.clamp_(max=math.log(max(surrogate.theta_max, float(init.max()))))
            else:
                _project(param, init, surrogate.theta_max)
            if v.average_from is not None and it >= v.average_from * iterations:
                now = param.exp() if v.log_space else param.detach()
                total, count = (now.clone() if total is None else total + now), count + 1
    final = (param.exp() if v.log_space else param).detach()
    return (final if total is None else total / count), anchor


@torch.inference_mode()
def score(model, x, idx, theta, anchor, settings, surrogate) -> dict[str, torch.Tensor]:
    """The objective, proxy radius and radius of ``theta`` on the fresh draws."""
    noise, gens, parts = noise_for("l2"), make_generators(12345, idx, x.device, SCORE_STREAM), []
    for _ in range(SCORE_SAMPLES // 64):
        parts.append(smoothed_probs(model, x, theta, noise, 64, gens, surrogate.temperature).float())
    objective, gap, _, gm, mn = _ancer_objective(torch.stack(parts).mean(0), anchor, theta, noise, settings.kappa)
    certified = noise.certified_gap_estimate(gap)
    return {"objective": objective, "proxy_radius": gm * certified, "radius": mn * certified}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default="small-gaussian-0.25")
    p.add_argument("--preset", default="quick", choices=list(PRESETS))
    p.add_argument("--images", type=int, default=32, help="test images, evenly spaced over the split")
    p.add_argument("--only", type=int, nargs="+", default=None, help="the variants' numbers (0: the preset's run)")
    p.add_argument("--out", default=None)
    a = p.parse_args()
    device = default_device()
    settings = PRESETS[a.preset]
    model = load_model(a.model, device).eval()
    sigma = float(model.card["sigma"])
    x_all, _ = load_cifar10("test")
    idx = list(range(0, 10_000, 10_000 // a.images))[: a.images]
    x = x_all[idx].to(device)
    dtype = autocast_dtype(default_optimizer_precision("int8", device))
    with autocast(device, dtype):
        iso = optimize_theta(model, x, "l2", "isotropic-dd", sigma, settings, indices=idx)["isotropic-dd"]
    init, surrogate = _full_theta(iso.theta.float(), x), settings.surrogate(sigma)
    rows, base = [], None
    chosen = list(VARIANTS.items())
    if a.only:
        chosen = [chosen[i] for i in sorted(set(a.only) | {0})]  # the preset's run is every variant's pair
    for name, v in chosen:
        t0 = time.perf_counter()
        theta, anchor = run_variant(model, x, idx, init, settings, surrogate, v, dtype)
        s = score(model, x, idx, theta, anchor, settings, surrogate)
        base = base or s
        row = {"variant": name, "passes": v.passes(), "settings": asdict(v), "seconds": time.perf_counter() - t0}
        for k, val in s.items():
            diff = val - base[k]
            half_width = 1.96 * float(diff.std()) / math.sqrt(len(idx)) if len(idx) > 1 else float("nan")
            row[k] = {
                "mean": float(val.mean()),
                "difference": float(diff.mean()),
                "difference_95": [float(diff.mean()) - half_width, float(diff.mean()) + half_width],  # normal approx.
                "relative": float(diff.mean() / base[k].mean()),
                "better_on": float((diff > 0).float().mean()),
            }
        rows.append(row)
        said = "  ".join(f"{k} {row[k]['relative']:+.2%}" for k in s)
        print(f"{name:68s} passes ×{v.passes():.2f}  {said}", flush=True)
    out = {
        "model": a.model,
        "preset": a.preset,
        "settings": settings.as_dict(),
        "images": idx,
        "device": str(device),
        "hardware": hardware(device),
        "optimizer_autocast": str(dtype),
        "score_samples": SCORE_SAMPLES,
        "rows": rows,
    }
    if a.out:
        Path(a.out).write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
