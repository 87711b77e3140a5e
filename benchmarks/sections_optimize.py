"""Optimizer sections of the benchmark: ANCER's optimization, end to end (the paper's Table 3 per image), the attack."""

from __future__ import annotations

import time
from dataclasses import replace

import original_style  # beside this file (Python puts a script's own folder first on the import path)
import peer  # the authors' packages, when installed
import torch
from plan import DEFAULT, E2E_SETTINGS, PEER, strict_fp32

from ancer_core.core import (
    OPTIMIZED,
    SamplingConfig,
    ancer,
    autocast,
    certify,
    native_bf16,
    predict,
    run_all_methods,
)
from ancer_core.models import (
    certifying,
    engine_available,
    int8_path,
    timed,
)
from ancer_core.teaching import attack_smoothed, runner_up


class OptimizerSections:
    """Mixed into :class:`run.Bench`: uses its plan, device, models and :meth:`row`."""

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

        def ours(fast: bool = False, int8: bool = False, bf16_optimizers: bool = False, early: bool = False):
            """fast: bf16 autocast (optimizers and CERTIFY's forward passes), channels-last model and
            images, 16,000 noisy images per CERTIFY forward pass — what ``--precision bf16
            --channels-last --batch 16000`` does in the CLI. int8: CERTIFY on the int8 network,
            the optimizers in fp32 — what ``--precision int8`` does; with ``bf16_optimizers`` they
            run in bf16 autocast — ``--precision int8 --optimizer-precision bf16``. early: sequential CERTIFY
            (tolerance 0.03) and ANCER's early stop (patience 8) — ``--sampling sequential --ancer-patience 8``."""
            model = self.cl_model if fast else self.model
            xx = x.contiguous(memory_format=torch.channels_last) if fast else x
            cfg = (
                SamplingConfig(autocast_dtype=torch.bfloat16, channels_last=True, max_batch=16000)
                if fast
                else SamplingConfig()
            )
            decided = certifying(self.model_name, "int8") if int8 else None
            if decided is not None:
                cfg = decided.config
            with autocast(d, torch.bfloat16 if fast else None):
                res = run_all_methods(
                    model,
                    xx,
                    "l2",
                    p.sigma,
                    replace(st, sampling="sequential", ancer_patience=8) if early else st,
                    config=cfg,
                    certify_model=None if decided is None else decided.network,
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
            if native_bf16("cpu"):  # the optimizers' passes in bf16 too
                paths.insert(2, ("ours, int8 CERTIFY + bf16 optimizers", lambda: ours(int8=True, bf16_optimizers=True)))
                paths.insert(
                    3,
                    (
                        "ours, int8 + bf16 + sequential CERTIFY + ANCER early stop",
                        lambda: ours(int8=True, bf16_optimizers=True, early=True),
                    ),
                )
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
        res = run_all_methods(self.model, x, "l2", p.sigma, st, methods=OPTIMIZED)
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
