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
import copy
import json
import statistics
import sys
import time
from dataclasses import asdict, replace
from pathlib import Path

import torch
from plan import E2E_SETTINGS, HERE, PEER, PRESETS, Plan, forward_flops, get_model, machine_details, matmul_gflops
from sections_certify import CertifySections
from sections_optimize import OptimizerSections

from ancer_core.core import default_device
from ancer_core.models import (
    timed,
)


class Bench(CertifySections, OptimizerSections):
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
    hw = machine_details(device)
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
