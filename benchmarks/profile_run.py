"""Where every second of a run goes, and how close CERTIFY's loop comes to this CPU's limit.

One image through ``run_all_methods`` (all three methods) at the Quick and the paper preset, CERTIFY on
the int8 network and the optimizers in bf16 where the CPU runs bf16 natively (what the app and
``certify --precision int8`` choose), with timers around: the network's forward passes without
gradients (CERTIFY's and the scalar solver's grid), its forward passes with gradients (the optimizers),
the backward passes (``torch.autograd.grad``), drawing the noise (``Noise.sample_unit*``) and the
Clopper–Pearson bounds. The rest — adding the noise, counting votes, Python — is "other".

The limit: the model's forward throughput alone (images/s) on random inputs at batch sizes 250 … 4000, int8
(channels-last, as CERTIFY runs it) and bf16 autocast; CERTIFY's own rate is (N0 + N) noisy images over
its wall time. For the optimizers, the rate of a forward pass with gradients and the backward pass to the
input (what each of their iterations does per noisy image), bf16 autocast and fp32.

    python benchmarks/profile_run.py [--model small-gaussian-0.25] [--index 7] [--presets quick,paper|none]
        [--out FILE.json]

Run it on a quiet machine: the timers are wall clock.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import time
from collections import defaultdict

import torch

import ancer_core as ac
from ancer_core.core import noise as noise_module
from ancer_core.core import sequential, smoothing
from ancer_core.models import cpu_features, cpu_name

SECTIONS = ("forward, no gradient", "forward, with gradient", "backward", "noise sampling", "Clopper–Pearson")


class Timers:
    """Wall seconds per section, accumulated by wrapped functions (CPU: every call is synchronous)."""

    def __init__(self):
        self.seconds = defaultdict(float)
        self.calls = defaultdict(int)
        self._depth = 0

    def wrap(self, fn, section):
        def timed(*a, **k):
            if self._depth:  # a section inside another (noise drawn inside a timed call) counts once
                return fn(*a, **k)
            self._depth += 1
            t = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                self._depth -= 1
                name = section(*a, **k) if callable(section) else section
                self.seconds[name] += time.perf_counter() - t
                self.calls[name] += 1

        return timed


@contextlib.contextmanager
def patched(timers: Timers, model: torch.nn.Module, int8: torch.nn.Module | None):
    """Timers around the network's passes, the backward passes, the noise and the bounds; undone after."""
    saved = []

    def put(owner, name, new):
        saved.append((owner, name, getattr(owner, name)))
        setattr(owner, name, new)

    grad_or_not = lambda *a, **k: "forward, with gradient" if torch.is_grad_enabled() else "forward, no gradient"  # noqa: E731
    put(model, "forward", timers.wrap(model.forward, grad_or_not))
    if int8 is not None:
        put(int8, "forward", timers.wrap(int8.forward, "forward, no gradient"))
    put(torch.autograd, "grad", timers.wrap(torch.autograd.grad, "backward"))
    for cls in {type(ac.GAUSSIAN), type(ac.UNIFORM), noise_module.Noise}:
        for name in ("sample_unit", "sample_unit_per_image"):
            if name in vars(cls):
                put(cls, name, timers.wrap(vars(cls)[name], "noise sampling"))
    for module in (smoothing, sequential):
        put(module, "lower_confidence_bound", timers.wrap(module.lower_confidence_bound, "Clopper–Pearson"))
    try:
        yield
    finally:
        for owner, name, old in reversed(saved):
            setattr(owner, name, old)


def profile(model, x, index: int, preset: str, precision: str, optimizer_precision: str, name: str) -> dict:
    settings = ac.preset(preset)
    decided = ac.models.certifying(name, precision, optimizer_precision)
    theta0 = ac.smoothing_theta("l2", 0.25)
    ac.warm_up(model, "l2", theta0, settings, **decided.run_options())
    timers = Timers()
    with patched(timers, model, decided.network):
        t = time.perf_counter()
        res = ac.run_all_methods(model, x, "l2", theta0, settings, indices=[index], **decided.run_options())
        total = time.perf_counter() - t
    certify_s = sum(r.stage_seconds["certify"] for r in res.values())
    out = {k: round(timers.seconds.get(k, 0.0), 3) for k in SECTIONS}
    out["other (adding noise, votes, Python)"] = round(total - sum(timers.seconds.values()), 3)
    return {
        "preset": preset,
        "precision": f"{precision} CERTIFY, {optimizer_precision} optimizers",
        "total_s": round(total, 3),
        "sections_s": out,
        "calls": dict(timers.calls),
        "certify_s": round(certify_s, 3),
        "certify_images_per_s": round(3 * (settings.n0 + settings.n) / certify_s),
        "stage_seconds": {m: {k: round(v, 3) for k, v in r.stage_seconds.items()} for m, r in res.items()},
    }


def forward_limit(net: torch.nn.Module, dtype, channels_last: bool, batches=(250, 500, 1000, 2000, 4000)) -> dict:
    """Images/s of the forward pass alone on random inputs, best of 3 per batch size after a warm-up."""
    out = {}
    for b in batches:
        x = torch.rand(b, 3, 32, 32)
        if channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        with torch.inference_mode(), ac.core.autocast("cpu", dtype):
            net(x)
            best = min(_timed(net, x) for _ in range(3))
        out[b] = round(b / best)
    return out


def gradient_limit(net: torch.nn.Module, dtype, batches=(128, 256, 512, 1000, 2000)) -> dict:
    """Images/s of a forward pass with gradients and the backward pass to the input, best of 3 per batch size."""
    out = {}
    net.requires_grad_(False)  # the optimizers differentiate with respect to the input (θ) only

    def step(x):
        x = x.detach().requires_grad_(True)
        with ac.core.autocast("cpu", dtype):
            loss = net(x).float().softmax(1)[:, 0].sum()
        torch.autograd.grad(loss, x)

    for b in batches:
        x = torch.rand(b, 3, 32, 32)
        step(x)
        best = min(_timed(step, x) for _ in range(3))
        out[b] = round(b / best)
    return out


def _timed(net, x) -> float:
    t = time.perf_counter()
    net(x)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="small-gaussian-0.25")
    ap.add_argument("--index", type=int, default=7)
    ap.add_argument("--presets", default="quick,paper")
    ap.add_argument("--out")
    a = ap.parse_args()
    torch.manual_seed(0)
    model = ac.load_model(a.model)
    x = ac.load_cifar10("test")[0][a.index : a.index + 1]
    opt = "bf16" if ac.core.native_bf16("cpu") else "fp32"
    report = {
        "cpu": cpu_name(),
        "cpu_features": cpu_features(),
        "threads": torch.get_num_threads(),
        "model": a.model,
        "image": a.index,
        "runs": [profile(model, x, a.index, p, "int8", opt, a.model) for p in a.presets.split(",") if p != "none"],
        "forward_limit_images_per_s": {
            "int8 (channels-last)": forward_limit(ac.models.load_int8(a.model), None, True),
            "bf16 autocast": forward_limit(model, torch.bfloat16, False),
            "fp32": forward_limit(model, None, False),
        },
        "forward_and_input_gradient_limit_images_per_s": {
            "bf16 autocast": gradient_limit(model, torch.bfloat16),
            "fp32": gradient_limit(model, None),
        },
    }
    print(json.dumps(report, indent=2))
    if a.out:
        with open(a.out, "w") as f:
            json.dump(report, f, indent=2)


if __name__ == "__main__":
    main()
