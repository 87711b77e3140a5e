"""Performance benchmarks: one command, any device, side-by-side ratios (README "Performance").

    python benchmarks/run.py --preset cpu     # the small shipped model, sized for a 2-core CPU (~15 min)
    python benchmarks/run.py --preset paper   # GPU: the paper's ResNet-18, paper settings
    python benchmarks/run.py --preset smoke   # seconds; what the test suite runs (nothing timed is asserted)

Every figure is measured in this process, on the device it prints, with Gaussian noise (ℓ2):

* ``certify`` — CERTIFY (N0 + N noise samples per image): ours, batched across images and
  samples; the same work the way the original does it (one image at a time, 1,000 samples per
  forward pass, fp32, a host copy per batch — ``benchmarks/original_style.py``); and the means
  (memory layout, bf16/fp16 autocast, strict fp32 without TF32, larger forward batches).
* ``ancer`` — the ANCER optimization (iterations × samples per image), ours and original-style
  (which also back-propagates into the network's weights), plus autocast / memory layout /
  ``torch.compile`` variants.
* ``end-to-end`` — the equivalent of the paper's Table 3 per image: fixed σ (CERTIFY), Isotropic
  DD (its optimization + CERTIFY), ANCER (Isotropic DD + ANCER + CERTIFY), ours and original-style.
* a dense fp32 matrix product, as the reference for "the FLOP rate the hardware allows".

Writes JSON (``--out``, default ``benchmarks/results/<preset>-<device>.json``) with the settings,
the hardware and every row. Options override the preset (``--n 10000``, ``--images 4`` …).
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import json
import os
import platform
import statistics
import sys
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import original_style  # beside this file (Python puts a script's own folder first on the import path)
import peer  # the authors' packages, when installed
import torch

from ancer_core.core import PRESETS as RUN_PRESETS
from ancer_core.core import SamplingConfig, Settings, ancer, certify, default_device, predict, run_all_methods
from ancer_core.models import (
    build_model,
    cpu_features,
    cpu_name,
    engine_available,
    for_inference,
    int8_path,
    isa_caps,
    load_int8,
    load_model,
    timed,
)
from ancer_core.teaching import attack_smoothed, runner_up

HERE = Path(__file__).resolve().parent

DEFAULT = "batched, default"  # the variant name of our default path
PEER = f"authors' package (ancer-python {peer.VERSION})"


@dataclass(frozen=True)
class Plan:
    """What one run measures. ``images``: images per batched call (ours); ``baseline_images``:
    images the one-at-a-time original-style CERTIFY runs on (s/image is what is compared; in the
    end-to-end section its time is scaled to all images — each image costs the same — while the
    original-style optimizers run on the whole batch, as the original batches them)."""

    model: str = "small-gaussian-0.25"
    sigma: float = 0.25
    images: int = 2
    baseline_images: int = 1
    n0: int = 100
    n: int = 100_000
    alpha: float = 0.001
    variant_n: int = 10_000  # N for the rows that compare the means (throughput does not depend on N)
    ancer_iterations: int = 100
    ancer_samples: int = 100
    e2e: str = "quick"  # a pipeline preset for the end-to-end section
    e2e_images: int = 1
    compile: bool = True
    sections: tuple[str, ...] = ("certify", "ancer", "end-to-end", "attack")
    attack_steps: int = 20  # the live page's "Try to break it" defaults
    attack_samples: int = 32
    all_variants: bool = False  # also the rows meant for CUDA (fp16, TF32 off, channels-last, big batches…)
    pairs: int = 6  # back-to-back pairs (default vs each mean) behind each ratio to our default
    pair_n: int = 2_000  # N of those pairs for CERTIFY (ANCER: a fifth of the iterations)


PRESETS = {
    "smoke": Plan(
        images=2,
        baseline_images=1,
        n0=8,
        n=64,
        variant_n=64,
        ancer_iterations=2,
        ancer_samples=4,
        e2e="smoke",
        e2e_images=1,
        compile=False,
        all_variants=True,
        pairs=1,
        pair_n=64,
        attack_steps=2,
        attack_samples=4,
    ),
    "cpu": Plan(),
    "paper": Plan(
        model="arch:resnet18-imagenet-style",
        images=128,
        baseline_images=4,
        variant_n=20_000,
        e2e="paper",
        e2e_images=128,
    ),
}
E2E_SETTINGS = {
    "quick": RUN_PRESETS["quick"],
    "paper": RUN_PRESETS["paper"],
    "smoke": Settings(n0=8, n=64, iso_iterations=2, iso_samples=4, ancer_iterations=2, ancer_samples=4),
}


@contextlib.contextmanager
def strict_fp32(on: bool):
    """TF32 off for convolutions and matrix products (CUDA) while ``on``; restores the flags."""
    saved = (torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32)
    if on:
        torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
    try:
        yield
    finally:
        torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = saved


def autocast(device: torch.device, dtype: torch.dtype | None):
    return torch.autocast(device.type, dtype=dtype) if dtype is not None else contextlib.nullcontext()


def hardware(device: torch.device) -> dict:
    info = {
        "device": str(device),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
    }
    info["cpu"] = cpu_name()
    info["cpu_features"] = cpu_features()  # which precisions this CPU runs natively
    info["isa_caps"] = isa_caps()  # … unless the environment caps the kernels below them
    if device.type == "cuda":
        p = torch.cuda.get_device_properties(device)
        info.update(
            gpu=p.name,
            gpu_memory_gib=round(p.total_memory / 2**30, 1),
            cuda=torch.version.cuda,
            cudnn=torch.backends.cudnn.version(),
            cudnn_allow_tf32=torch.backends.cudnn.allow_tf32,
            matmul_allow_tf32=torch.backends.cuda.matmul.allow_tf32,
        )
    return info


def forward_flops(model: torch.nn.Module, device: torch.device) -> int:
    """FLOPs (2 × multiply-adds) of one forward pass on one 3×32×32 image, by torch's FlopCounterMode."""
    from torch.utils.flop_counter import FlopCounterMode

    counter = FlopCounterMode(display=False)
    with torch.inference_mode(), counter:
        model(torch.zeros(1, 3, 32, 32, device=device))
    return int(counter.get_total_flops())


def matmul_gflops(device: torch.device, size: int = 2048, reps: int = 5) -> float:
    a = torch.randn(size, size, device=device)
    b = torch.randn(size, size, device=device)
    with strict_fp32(True):
        a @ b
        _, s = timed(lambda: [a @ b for _ in range(reps)], device)
    return 2 * size**3 * reps / s / 1e9


def get_model(spec: str, device: torch.device) -> tuple[torch.nn.Module, torch.nn.Module, str]:
    """(ours: as load_model returns it — BatchNorm folded, channels-last weights on a CPU; the
    checkpoint's own modules, unfolded, in NCHW; a name)."""
    if spec.startswith("arch:"):
        torch.manual_seed(0)
        plain = build_model(spec[5:]).to(device).eval()
        return for_inference(plain, device), plain, f"{spec[5:]} (random weights: speed only)"
    return load_model(spec, device), load_model(spec, device, fold_bn=False), spec


class Bench:
    def __init__(self, plan: Plan, device: torch.device):
        self.plan, self.device = plan, device
        from ancer_core.data.cifar10 import load_cifar10

        x, _ = load_cifar10("test")
        self.x = x[: max(plan.images, plan.e2e_images, plan.baseline_images)].to(device)
        self.model, plain, self.model_name = get_model(plan.model, device)
        # the original runs the checkpoint's modules (BatchNorm kept) in PyTorch's default NCHW
        # layout; ours is what load_model returns (BatchNorm folded; channels-last weights on a CPU)
        self.nchw_model = plain.to(memory_format=torch.contiguous_format)
        self.unfolded_model = copy.deepcopy(plain)
        if device.type == "cpu":
            self.unfolded_model = self.unfolded_model.to(memory_format=torch.channels_last)
        self.cl_model = copy.deepcopy(self.model).to(memory_format=torch.channels_last)
        self.flops = forward_flops(self.model, device)
        self.rows: list[dict] = []

    def row(
        self, section: str, path: str, variant: str, images: int, samples_per_image: int, seconds: float, **extra
    ) -> dict:
        r = {
            "section": section,
            "path": path,
            "variant": variant,
            "images": images,
            "samples_per_image": samples_per_image,
            "seconds": seconds,
            "s_per_image": seconds / images,
            "samples_per_s": images * samples_per_image / seconds,
            **extra,
        }
        if section == "certify":
            r["gflop_per_s"] = r["samples_per_s"] * self.flops / 1e9
        self.rows.append(r)
        print(
            f"  {section:<11} {path:<26} {variant:<36} {images:>4} img  {seconds:9.2f} s  "
            f"{r['s_per_image']:9.3f} s/img  {r['samples_per_s']:11,.0f} samples/s"
            + (
                f"  (vs default, back to back: ×{r['speed_vs_default_back_to_back']:.2f})"
                if "speed_vs_default_back_to_back" in r
                else ""
            ),
            flush=True,
        )
        return r

    def paired(self, default, variant) -> dict:
        """Our default against a mean, timed back to back in ``pairs`` short pairs (order alternating)
        on the same work; the median of default time ÷ mean time. This VM's speed drifts by ±15 %
        (more at times) within a run, which skews ratios of rows measured minutes apart."""
        ratios = []
        for k in range(self.plan.pairs):
            first, second = (default, variant) if k % 2 == 0 else (variant, default)
            _, a = timed(first, self.device)
            _, b = timed(second, self.device)
            ratios.append(a / b if k % 2 == 0 else b / a)
        return {"speed_vs_default_back_to_back": float(statistics.median(ratios)), "back_to_back_ratios": ratios}

    # --- certify -------------------------------------------------------------------------------------------
    def certify_ours(
        self, variant: str, n: int, cfg: SamplingConfig, fp32_strict: bool = False, layout: str | None = None
    ):
        """``layout``: None = the model as load_model returns it (BatchNorm folded, channels-last
        weights on a CPU), "nchw" = NCHW weights and images, "cl" = channels-last weights and
        images, "unfolded" = BatchNorm not folded, otherwise as None."""
        p, x = self.plan, self.x[: self.plan.images]
        models = {None: self.model, "nchw": self.nchw_model, "cl": self.cl_model, "unfolded": self.unfolded_model}
        model = load_int8(self.model_name) if layout == "int8" else models[layout]
        if layout in ("nchw", "cl", "int8"):
            x = x.contiguous(memory_format=torch.contiguous_format if layout == "nchw" else torch.channels_last)
        with strict_fp32(fp32_strict):
            certify(model, x[:1], p.sigma, "l2", 2, min(n, cfg.noise_batch), p.alpha, config=cfg)  # warm-up
            certs, s = timed(lambda: certify(model, x, p.sigma, "l2", p.n0, n, p.alpha, config=cfg), self.device)
        extra = {}
        if variant != DEFAULT:
            short = min(n, p.pair_n)
            with strict_fp32(fp32_strict):
                extra = self.paired(
                    lambda: certify(self.model, self.x[: p.images], p.sigma, "l2", p.n0, short, p.alpha),
                    lambda: certify(model, x, p.sigma, "l2", p.n0, short, p.alpha, config=cfg),
                )
        self.row(
            "certify",
            "ours",
            variant,
            len(x),
            p.n0 + n,
            s,
            predictions=[c.prediction for c in certs],
            radii=[c.radius for c in certs],
            **extra,
        )

    def certify_original(self, n: int):
        p, x = self.plan, self.x[: self.plan.baseline_images]
        with strict_fp32(True):
            original_style.certify_one(self.nchw_model, x[0], p.sigma, 2, min(n, 1000), p.alpha)  # warm-up
            out, s = timed(
                lambda: [original_style.certify_one(self.nchw_model, xi, p.sigma, p.n0, n, p.alpha) for xi in x],
                self.device,
            )
        self.row(
            "certify",
            "original-style",
            "one image at a time, fp32",
            len(x),
            p.n0 + n,
            s,
            predictions=[o[0] for o in out],
        )

    def certify_variants(self) -> list[tuple[str, SamplingConfig, dict]]:
        """The means compared at ``variant_n``: (row name, sampling config, ``certify_ours`` options).
        The rows after the first three are meant for CUDA (on a CPU the default is channels-last
        already, there is no TF32 and no fp16 unit); ``all_variants`` runs them anywhere, which the
        smoke run uses to exercise every code path of the GPU run."""
        bf16, fp16 = SamplingConfig(autocast_dtype=torch.bfloat16), SamplingConfig(autocast_dtype=torch.float16)
        big = SamplingConfig(max_batch=16000)
        rows = [
            ("BatchNorm not folded", SamplingConfig(), {"layout": "unfolded"}),
            ("NCHW, BatchNorm not folded", SamplingConfig(), {"layout": "nchw"}),
            ("bf16 autocast", bf16, {}),
        ]
        if self.device.type == "cpu" and engine_available() and int8_path(self.model_name).is_file():
            rows.append(
                ("int8 (x86 quantized network, channels-last)", SamplingConfig(channels_last=True), {"layout": "int8"})
            )
        if self.device.type == "cuda" or self.plan.all_variants:
            rows += [
                ("strict fp32 (no TF32)", SamplingConfig(), {"fp32_strict": True}),
                ("fp16 autocast", fp16, {}),
                ("max_batch 16000", big, {}),
                ("channels-last", SamplingConfig(), {"layout": "cl"}),
                ("bf16 autocast + channels-last", bf16, {"layout": "cl"}),
                ("fp16 autocast + channels-last", fp16, {"layout": "cl"}),
                ("max_batch 16000 + channels-last", big, {"layout": "cl"}),
                ("max_batch 16000 fp16 channels-last", replace(big, autocast_dtype=torch.float16), {"layout": "cl"}),
            ]
        return rows

    def section_certify(self):
        p = self.plan
        print(f"certify: N0={p.n0}, N={p.n:,}, α={p.alpha}, σ={p.sigma}; means compared at N={p.variant_n:,}")
        self.certify_ours(DEFAULT, p.n, SamplingConfig())
        self.certify_original(p.n)
        if p.variant_n != p.n:
            self.certify_ours(DEFAULT, p.variant_n, SamplingConfig())
        for name, cfg, options in self.certify_variants():
            self.certify_ours(name, p.variant_n, cfg, **options)
        if self.device.type == "cuda":
            self.input_transfer()

    def input_transfer(self):
        """Host → GPU copy of one CLI chunk of images (128), pageable vs pinned memory, beside the
        time CERTIFY spends on those images: the noise is drawn on the GPU, so only the clean
        images (12 KB each) cross the bus."""
        host = self.x[: self.plan.images].cpu().contiguous()
        pinned = host.pin_memory()
        certify_s = next(r["s_per_image"] for r in self.rows if r["section"] == "certify" and r["path"] == "ours")
        certify_s *= len(host)
        for name, src in (("pageable", host), ("pinned", pinned)):
            src.to(self.device, non_blocking=True)
            _, s = timed(lambda src=src: [src.to(self.device, non_blocking=True) for _ in range(10)], self.device)
            self.row(
                "transfer",
                "ours",
                f"{len(host)} images host→GPU, {name}",
                len(host),
                1,
                s / 10,
                fraction_of_certify=s / 10 / certify_s,
            )

    # --- ANCER optimization --------------------------------------------------------------------------------
    def ancer_ours(self, variant: str, model, dtype=None, nchw=False):
        p, x = self.plan, self.x[: self.plan.images]
        x = x.contiguous() if nchw else x

        def run(iterations):
            with autocast(self.device, dtype):
                return ancer(model, x, p.sigma, "l2", iterations=iterations, samples=p.ancer_samples)

        run(1)  # warm-up (and compilation)
        res, s = timed(lambda: run(p.ancer_iterations), self.device)
        extra = {}
        if variant != DEFAULT:
            short = max(1, p.ancer_iterations // 5)
            extra = self.paired(
                lambda: ancer(self.model, self.x[: p.images], p.sigma, "l2", iterations=short, samples=p.ancer_samples),
                lambda: run(short),
            )
        self.row(
            "ancer",
            "ours",
            variant,
            len(x),
            p.ancer_iterations * p.ancer_samples,
            s,
            final_proxy_radius=[float(v) for v in res.trace["proxy_radius"][-1]],
            **extra,
        )

    def section_ancer(self):
        p, x = self.plan, self.x[: self.plan.images]
        print(
            f"ANCER optimization: {p.ancer_iterations} iterations × {p.ancer_samples} samples, from θ = σ = {p.sigma}"
        )
        self.ancer_ours(DEFAULT, self.model)
        with strict_fp32(True):
            theta0 = torch.full((len(x),), p.sigma, device=self.device)
            original_style.ancer(self.nchw_model, x, theta0, 1, p.ancer_samples)  # warm-up
            _, s = timed(
                lambda: original_style.ancer(self.nchw_model, x, theta0, p.ancer_iterations, p.ancer_samples),
                self.device,
            )
        self.nchw_model.requires_grad_(False)
        self.row("ancer", "original-style", "weight gradients, fp32", len(x), p.ancer_iterations * p.ancer_samples, s)
        if self.device.type == "cuda" or p.n <= 1000:  # on a CPU without bf16 units: 0.11× (README), 5 min
            self.ancer_ours("bf16 autocast", self.model, torch.bfloat16)
        self.ancer_ours("BatchNorm not folded", self.unfolded_model)
        self.ancer_ours("NCHW, BatchNorm not folded", self.nchw_model, nchw=True)
        if self.device.type == "cuda" or p.all_variants:
            self.ancer_ours("channels-last", self.cl_model)
            self.ancer_ours("fp16 autocast", self.model, torch.float16)
            self.ancer_ours("bf16 autocast + channels-last", self.cl_model, torch.bfloat16)
        if p.compile:
            t = time.perf_counter()
            compiled = torch.compile(self.model)
            self.ancer_ours("torch.compile", compiled)
            self.rows[-1]["compile_and_warmup_s"] = time.perf_counter() - t - self.rows[-1]["seconds"]

    # --- end to end (Table 3) ------------------------------------------------------------------------------
    def section_end_to_end(self):
        p, st = self.plan, E2E_SETTINGS[self.plan.e2e]
        x = self.x[: p.e2e_images]
        print(
            f"end to end ({p.e2e} settings: Isotropic DD {st.iso_iterations}×{st.iso_samples}, ANCER "
            f"{st.ancer_iterations}×{st.ancer_samples}, N0={st.n0}, N={st.n:,}) on {len(x)} image(s)"
        )
        d = self.device

        def ours(fast: bool = False, int8: bool = False, bf16_optimizers: bool = False):
            """fast: bf16 autocast (optimizers and CERTIFY's forward passes), channels-last model and
            images, 16,000 noisy images per CERTIFY forward pass — what ``--precision bf16
            --channels-last --batch 16000`` does in the CLI. int8: CERTIFY on the int8 network,
            the optimizers in fp32 — what ``--precision int8`` does; with ``bf16_optimizers`` they
            run in bf16 autocast — ``--precision int8 --optimizer-precision bf16``."""
            model = self.cl_model if fast else self.model
            xx = x.contiguous(memory_format=torch.channels_last) if fast else x
            cfg = (
                SamplingConfig(autocast_dtype=torch.bfloat16, channels_last=True, max_batch=16000)
                if fast
                else SamplingConfig()
            )
            if int8:
                cfg = SamplingConfig(channels_last=True)
            with autocast(d, torch.bfloat16 if fast else None):
                res = run_all_methods(
                    model,
                    xx,
                    "l2",
                    p.sigma,
                    st,
                    config=cfg,
                    certify_model=load_int8(self.model_name) if int8 else None,
                    optimizer_autocast=torch.bfloat16 if bf16_optimizers else None,
                )
            t = {"certify " + m: r.stage_seconds["certify"] for m, r in res.items()}
            t["isotropic-dd optimization"] = res["isotropic-dd"].stage_seconds["optimization"]
            t["ancer optimization"] = res["ancer"].stage_seconds["optimization"]
            return t

        k = min(len(x), p.baseline_images)  # the one-image-at-a-time CERTIFY runs on k images, scaled to len(x)

        def certify_each(thetas):
            _, s = timed(
                lambda: [
                    original_style.certify_one(self.nchw_model, x[i], thetas[i], st.n0, st.n, st.alpha)
                    for i in range(k)
                ],
                d,
            )
            return s * len(x) / k

        def original():
            t = {}
            with strict_fp32(True):
                t["certify fixed"] = certify_each([p.sigma] * len(x))
                iso, t["isotropic-dd optimization"] = timed(
                    lambda: original_style.isotropic_dd(
                        self.nchw_model, x, p.sigma, st.iso_iterations, st.iso_samples, st.iso_lr
                    ),
                    d,
                )
                t["certify isotropic-dd"] = certify_each([float(s) for s in iso])
                anc, t["ancer optimization"] = timed(
                    lambda: original_style.ancer(
                        self.nchw_model, x, iso, st.ancer_iterations, st.ancer_samples, st.ancer_lr, st.kappa
                    ),
                    d,
                )
                t["certify ancer"] = certify_each(anc)
            self.nchw_model.requires_grad_(False)
            return t

        certify(self.model, x[:1], p.sigma, "l2", 2, 10, st.alpha)  # warm-up
        paths = [("ours", ours), ("original-style", original)]
        if d.type == "cuda" or p.all_variants:
            paths.insert(1, ("ours, bf16 + channels-last", lambda: ours(fast=True)))
        if d.type == "cpu" and engine_available() and int8_path(self.model_name).is_file():
            paths.insert(1, ("ours, int8 CERTIFY", lambda: ours(int8=True)))
            feats = cpu_features()
            if feats["avx512_bf16"] or feats["amx_bf16"]:  # native bf16: the optimizers' passes too
                paths.insert(2, ("ours, int8 CERTIFY + bf16 optimizers", lambda: ours(int8=True, bf16_optimizers=True)))
        if peer.load() is not None:  # the authors' packages, when installed for benchmarking
            paths.append((PEER, lambda: peer.end_to_end(self.nchw_model, x, p.sigma, st, d, k)))
        else:
            print(f"  ({PEER} not installed: pip install --no-deps ancer-python==1.0.0 ddsmoothing-python==1.0.0 tqdm)")
        for path, fn in paths:
            t = fn()
            table3 = {
                "fixed": t["certify fixed"],
                "isotropic-dd": t["isotropic-dd optimization"] + t["certify isotropic-dd"],
                "ancer": t["isotropic-dd optimization"] + t["ancer optimization"] + t["certify ancer"],
            }
            extra = {"stages_s": t, "settings": p.e2e}
            if path in ("original-style", PEER) and k < len(x):
                extra["certify_measured_on_images"] = k  # each image costs the same: time × len(x) / k
            for method, s in table3.items():
                self.row("end-to-end", path, method, len(x), st.n0 + st.n, s, **extra)
            self.row("end-to-end", path, "all three methods", len(x), st.n0 + st.n, sum(t.values()), **extra)

    # --- the live page's attack ----------------------------------------------------------------------------
    def section_attack(self):
        """ "Try to break it" as the app runs it after a Quick run: the attack inside ANCER's certificate
        (0.95×) on ANCER's smoothed classifier, then PREDICT at x + δ with the preset's N and α."""
        p, st = self.plan, E2E_SETTINGS[self.plan.e2e]
        x = self.x[:1]
        res = run_all_methods(self.model, x, "l2", p.sigma, st, methods=("isotropic-dd", "ancer"))
        an = res["ancer"]
        cert = an.certificates[0]
        print(f"attack ({p.attack_steps} steps × {p.attack_samples} samples, then PREDICT N = {st.n:,}) on 1 image")
        if cert.abstained:
            print("  ANCER abstained on this image: no region to attack")
            return

        def attack_and_predict():
            out = attack_smoothed(
                self.model,
                x[0],
                an.theta[0],
                "l2",
                runner_up(cert),
                an.theta[0],
                0.95 * cert.gap,
                steps=p.attack_steps,
                samples=p.attack_samples,
            )
            return predict(self.model, x + out.delta[None], an.theta, "l2", st.n, st.alpha)

        attack_and_predict()  # warm-up
        _, s = timed(attack_and_predict, self.device)
        self.row(
            "attack",
            "ours",
            f"attack {p.attack_steps}×{p.attack_samples} + PREDICT",
            1,
            p.attack_steps * p.attack_samples + st.n,
            s,
            settings=p.e2e,
        )

    def ratios(self) -> list[dict]:
        """Speed-up of each of our rows over the original-style row of the same section (and, end to
        end, over the authors' package): the ratio of noise samples per second (certify, ancer; rows at
        another N compare throughput) or of s/image for the same method (end-to-end)."""
        out = []
        for r in self.rows:
            if not r["path"].startswith("ours"):
                continue
            for base_path, key in (
                ("original-style", "speedup_vs_original_style"),
                (PEER, "speedup_vs_authors_package"),
            ):
                base = [
                    b
                    for b in self.rows
                    if b["section"] == r["section"]
                    and b["path"] == base_path
                    and (r["section"] != "end-to-end" or b["variant"] == r["variant"])
                ]
                if base:  # throughput ratio (equals the s/image ratio when the work per image is the same)
                    out.append(
                        {
                            "section": r["section"],
                            "path": r["path"],
                            "variant": r["variant"],
                            "n": r["samples_per_image"],
                            "against": base_path,
                            key: r["samples_per_s"] / base[0]["samples_per_s"],
                        }
                    )
        return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--preset", choices=sorted(PRESETS), default="cpu")
    ap.add_argument("--device", default="auto", help="auto (CUDA when present), cpu, cuda, cuda:1 …")
    ap.add_argument("--out", default=None, help="JSON file (default benchmarks/results/<preset>-<device>.json)")
    for f in (
        "model",
        "sigma",
        "images",
        "baseline_images",
        "n0",
        "n",
        "variant_n",
        "ancer_iterations",
        "ancer_samples",
        "e2e",
        "e2e_images",
        "pairs",
        "pair_n",
        "attack_steps",
        "attack_samples",
    ):
        ap.add_argument("--" + f.replace("_", "-"), type=type(getattr(Plan, f)), default=None)
    ap.add_argument("--sections", default=None, help="comma-separated subset of certify,ancer,end-to-end,attack")
    ap.add_argument("--no-compile", action="store_true", help="skip the torch.compile row")
    ap.add_argument(
        "--all-variants",
        action="store_true",
        default=None,
        help="also run the rows meant for CUDA on this device (to check their code paths)",
    )
    a = ap.parse_args(argv)
    over = {f: getattr(a, f) for f in Plan.__dataclass_fields__ if getattr(a, f, None) is not None}
    if a.sections:
        over["sections"] = tuple(s.strip() for s in a.sections.split(","))
    if a.no_compile:
        over["compile"] = False
    plan = replace(PRESETS[a.preset], **over)
    bad = set(plan.sections) - {"certify", "ancer", "end-to-end", "attack"}
    if bad or plan.e2e not in E2E_SETTINGS:
        ap.error(f"unknown sections {sorted(bad)} or --e2e {plan.e2e!r} (use {', '.join(E2E_SETTINGS)})")
    device = default_device() if a.device == "auto" else torch.device(a.device)
    bench = Bench(plan, device)
    hw = hardware(device)
    hw["matmul_fp32_gflop_per_s"] = matmul_gflops(device)
    print(
        f"device {device} ({hw.get('gpu') or hw.get('cpu', '?')}), torch {torch.__version__}, "
        f"{hw['torch_threads']} threads; model {bench.model_name}: {bench.flops / 1e6:.1f} MFLOP/image; "
        f"dense fp32 matmul {hw['matmul_fp32_gflop_per_s']:.0f} GFLOP/s; CPU features: "
        + (", ".join(k for k, v in hw["cpu_features"].items() if v) or "none of " + ", ".join(hw["cpu_features"]))
        + "".join(f"; kernels capped by {k}={v}" for k, v in hw["isa_caps"].items())
    )
    t0 = time.perf_counter()
    for s in plan.sections:
        getattr(bench, "section_" + s.replace("-", "_"))()
    ratios = bench.ratios()
    for against, key in (("original-style", "speedup_vs_original_style"), (PEER, "speedup_vs_authors_package")):
        rows = [r for r in ratios if r["against"] == against]
        if rows:
            print(f"speed-up over the {against} path (throughput ratio, same process):")
        for r in rows:
            label = r["variant"] if r["path"] == "ours" else f"{r['variant']} ({r['path'][6:]})"
            print(f"  {r['section']:<11} {label:<40} ×{r[key]:.2f}")
    paired = [r for r in bench.rows if "speed_vs_default_back_to_back" in r]
    if paired:
        print(
            f"each mean's speed relative to our default (median of {plan.pairs} back-to-back pairs; < 1: slower "
            "than our default):"
        )
        for r in paired:
            print(f"  {r['section']:<11} {r['variant']:<40} ×{r['speed_vs_default_back_to_back']:.2f}")
    doc = {
        "command": " ".join([Path(sys.argv[0]).name] + (argv if argv is not None else sys.argv[1:])),
        "preset": a.preset,
        "plan": asdict(plan),
        "end_to_end_settings": E2E_SETTINGS[plan.e2e].as_dict(),
        "model": bench.model_name,
        "model_forward_flops": bench.flops,
        "hardware": hw,
        "rows": bench.rows,
        "speedups": ratios,
        "total_s": time.perf_counter() - t0,
        "date": time.strftime("%Y-%m-%d %H:%M:%S %z"),
    }
    out = Path(a.out or HERE / "results" / f"{a.preset}-{device.type}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, indent=1, default=float))
    print(f"wrote {out} ({doc['total_s']:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
