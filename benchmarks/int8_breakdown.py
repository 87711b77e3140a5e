"""Where CERTIFY's time goes per 1,000 noisy samples of one image: drawing the noise, adding it,
the channels-last copy, and the network's forward pass in fp32, bf16 and int8 — why int8 CERTIFY
is a little less than the int8 forward pass's speed-up.

    python benchmarks/int8_breakdown.py [--model small-gaussian-0.25] [--out FILE.json]

Best of 5 after a warm-up, in one process (compare these figures with each other only).
"""

import argparse
import json
import time

import torch

from ancer_core.core import autocast
from ancer_core.core.noise import noise_for
from ancer_core.models import cpu_features, cpu_name, isa_caps, load_int8, load_model


def best(fn, reps: int = 5) -> float:
    fn()
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
p.add_argument("--model", default="small-gaussian-0.25")
p.add_argument("--samples", type=int, default=1000)
p.add_argument("--out", default=None)
a = p.parse_args()
card_noise = load_model(a.model, "cpu").card.get("noise", "gaussian")
noise = noise_for(card_noise)
fp32 = load_model(a.model, "cpu").to(memory_format=torch.channels_last)
int8 = load_int8(a.model)
x = torch.rand(1, 3, 32, 32)
gens = [torch.Generator().manual_seed(0)]
scale = torch.tensor(0.25).view(1, 1, 1, 1, 1)
u = noise.sample_unit_per_image(gens, a.samples, (3, 32, 32), "cpu", torch.float32)
xs = (x.unsqueeze(1) + u * scale).reshape(a.samples, 3, 32, 32)
xc = xs.contiguous(memory_format=torch.channels_last)


def forward(model, dtype=None):
    def run():
        with torch.inference_mode(), autocast("cpu", dtype):
            model(xc).argmax(1)

    return run


ms = {
    "draw the noise": best(lambda: noise.sample_unit_per_image(gens, a.samples, (3, 32, 32), "cpu", torch.float32)),
    "add it to the image": best(lambda: (x.unsqueeze(1) + u * scale).reshape(a.samples, 3, 32, 32)),
    "channels-last copy": best(lambda: xs.contiguous(memory_format=torch.channels_last)),
    "forward fp32": best(forward(fp32)),
    "forward bf16 autocast": best(forward(fp32, torch.bfloat16)),
    "forward int8": best(forward(int8)),
}
ms = {k: 1000 * v for k, v in ms.items()}
fixed = ms["draw the noise"] + ms["add it to the image"] + ms["channels-last copy"]
report = {
    "command": "python benchmarks/int8_breakdown.py --model " + a.model,
    "cpu": cpu_name(),
    "cpu_features": cpu_features(),
    "isa_caps": isa_caps(),
    "threads": torch.get_num_threads(),
    "samples": a.samples,
    "milliseconds": ms,
    "forward_int8_vs_fp32": ms["forward fp32"] / ms["forward int8"],
    "certify_int8_vs_fp32_bound": (ms["forward fp32"] + fixed) / (ms["forward int8"] + fixed),
}
for k, v in ms.items():
    print(f"{k:24s} {v:8.1f} ms per {a.samples} samples")
print(
    f"int8 forward ×{report['forward_int8_vs_fp32']:.2f} fp32; with the work int8 does not shrink "
    f"({fixed:.1f} ms), CERTIFY can be at most ×{report['certify_int8_vs_fp32_bound']:.2f}"
)
if a.out:
    with open(a.out, "w") as f:
        json.dump(report, f, indent=2)
