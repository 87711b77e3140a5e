"""Is the int8 network the same network on a CPU with fewer instructions? The same noisy images
through a model's int8 (and fp32) network twice, in two processes: once with all the CPU has, once
with PyTorch's kernels capped at AVX2 (``ATEN_CPU_CAPABILITY``, ``ONEDNN_MAX_CPU_ISA``,
``FBGEMM_ENABLE_INSTRUCTIONS``), as an AVX2-only CPU would run them.

    python benchmarks/int8_across_isas.py [--model small-gaussian-0.25] [--images 1000] [--out FILE.json]

Reports the largest logit difference and the top-1 agreement between the two runs.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import torch

import ancer_core as ac
from ancer_core.models import load_int8, load_model
from ancer_core.models.speed import ISA_CAP_VARIABLES, hardware

AVX2 = {"FBGEMM_ENABLE_INSTRUCTIONS": "AVX2", "ONEDNN_MAX_CPU_ISA": "AVX2", "ATEN_CPU_CAPABILITY": "avx2"}


def logits(model_name: str, images: int, out: str) -> None:
    """One run: the logits of both networks on ``images`` seeded noisy test images, saved to ``out``."""
    card = ac.shipped_models()[model_name]
    noise = ac.noise_for(card["noise"])
    theta = float(noise.theta_from_sigma(card["sigma"]))
    x, _ = ac.load_cifar10("test")
    gen = torch.Generator().manual_seed(0)
    xb = x[:images] + theta * noise.sample_unit((images, *x.shape[1:]), "cpu", x.dtype, gen)
    xb = xb.contiguous(memory_format=torch.channels_last)
    with torch.inference_mode():
        q = load_int8(model_name)(xb)
        f = load_model(model_name, "cpu").to(memory_format=torch.channels_last)(xb)
    torch.save({"int8": q, "fp32": f, "hardware": hardware("cpu")}, out)


p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
p.add_argument("--model", default="small-gaussian-0.25")
p.add_argument("--images", type=int, default=1000)
p.add_argument("--out", default=None)
p.add_argument("--logits-to", default=None, help=argparse.SUPPRESS)  # the child runs
a = p.parse_args()
if a.logits_to:
    logits(a.model, a.images, a.logits_to)
    sys.exit(0)

runs = {}
with tempfile.TemporaryDirectory() as tmp:
    for name, caps in (("all instructions", {}), ("capped at AVX2", AVX2)):
        env = {k: v for k, v in os.environ.items() if k not in ISA_CAP_VARIABLES} | caps
        path = str(Path(tmp) / f"{len(runs)}.pt")
        cmd = [sys.executable, __file__, "--model", a.model, "--images", str(a.images), "--logits-to", path]
        subprocess.run(cmd, env=env, check=True)
        runs[name] = torch.load(path)
native, capped = runs.values()
report = {
    "command": f"python benchmarks/int8_across_isas.py --model {a.model} --images {a.images}",
    "model": a.model,
    "images": a.images,
    "hardware": {k: r["hardware"] for k, r in runs.items()},
}
for net in ("int8", "fp32"):
    diff = float((native[net] - capped[net]).abs().max())
    agree = float((native[net].argmax(1) == capped[net].argmax(1)).float().mean())
    report[net] = {"max_abs_logit_difference": diff, "top1_agreement": agree}
    print(f"{net}: logits up to {diff:.4g} apart; the same top-1 on {100 * agree:.1f} % of {a.images} noisy images")
if a.out:
    Path(a.out).write_text(json.dumps(report, indent=1))
    print("wrote", a.out)
