"""CERTIFY sections of the benchmark: ours (batched), original-style, the variants, input transfer."""

from __future__ import annotations

from dataclasses import replace

import original_style  # beside this file (Python puts a script's own folder first on the import path)
import torch
from plan import DEFAULT, strict_fp32

from ancer_core.core import SamplingConfig, certify
from ancer_core.models import (
    engine_available,
    int8_path,
    load_int8,
    timed,
)


class CertifySections:
    """Mixed into :class:`run.Bench`: uses its plan, device, models and :meth:`row`."""

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
