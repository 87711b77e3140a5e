"""Evaluate a shipped model as its card reports it, resumably, and write the card's ``evaluation`` block.

    python scripts/evaluate_shipped.py small-gaussian-0.25 [--precision fp32] [--no-card]

Protocol (the model targets' protocol, as in Cohen et al. and the paper): CERTIFY with the model's
own fixed σ on the 500 CIFAR-10 test images 0:10000:20, N0 = 100, N = 10,000, α = 0.001, seed 0;
ℓ2 radius for Gaussian models, ℓ1 radius for uniform ones. The per-image certificates go to
``results/model-cards/NAME.PRECISION.tsv`` through ``python -m ancer_core certify`` (so an
interrupted run resumes where it stopped); when that file is complete and the precision is fp32
(the network as shipped), the card's ``evaluation`` block is replaced by the figures read from it.
``--precision int8`` certifies the model's calibrated int8 network instead (compare with
``scripts/compare_int8.py``); it never writes the card.
"""

import argparse
import json
import sys
from pathlib import Path

import torch

import ancer_core as ac
from ancer_core.cli import main as cli
from ancer_core.data import average_certified_radius, certified_accuracy, read_results, read_settings
from ancer_core.models import MODEL_DIR, load_model, save_checkpoint
from ancer_core.models.speed import hardware

ROOT = Path(__file__).resolve().parents[1]
RADII = (0.0, 0.25, 0.5, 0.75, 1.0)

p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
p.add_argument("name")
p.add_argument("--precision", default="fp32", choices=["fp32", "int8"])
p.add_argument("--indices", default="0:10000:20")
p.add_argument("--N0", type=int, default=100)
p.add_argument("--N", type=int, default=10_000)
p.add_argument("--alpha", type=float, default=0.001)
p.add_argument("--no-card", action="store_true", help="certify only; leave the card as it is")
a = p.parse_args()

card = ac.shipped_models()[a.name]
norm = ac.noise_for(card["noise"]).norm
out = Path("results") / "model-cards" / f"{a.name}.{a.precision}.tsv"
argv = ["certify", "--model", a.name, "--norm", norm, "--method", "fixed", "--sigma", str(card["sigma"])]
argv += ["--indices", a.indices, "--N0", str(a.N0), "--N", str(a.N), "--alpha", str(a.alpha)]
argv += ["--precision", a.precision, "--device", "cpu", "--out", str(ROOT / out)]
rc = cli(argv)
if rc:
    sys.exit(rc)
start, stop, step = (int(v) for v in a.indices.split(":"))
indices = list(range(start, stop, step))
t = read_results(ROOT / out)
if sorted(int(i) for i in t["idx"]) != indices:
    sys.exit(f"{out} holds {len(t)} of {len(indices)} images; run again to finish it")
if a.precision != "fp32" or a.no_card:
    print(f"{out}: complete ({len(t)} images); the card is left as it is")
    sys.exit(0)

model = load_model(a.name, "cpu", fold_bn=False)  # saved again below: keep its BatchNorm
x, y = ac.load_cifar10("test")
with torch.inference_mode():
    clean = torch.cat([model(x[indices[s : s + 250]]).argmax(1) for s in range(0, len(indices), 250)])
meta = read_settings(ROOT / out)
new = {k: v for k, v in model.card.items() if k != "evaluation_larger_n"}  # save_checkpoint drops path
new["evaluation"] = {
    "images": len(t),
    "indices": a.indices,
    "N0": a.N0,
    "N": a.N,
    "alpha": a.alpha,
    "seed": meta.get("seed", 0),
    "precision": a.precision,
    "norm": norm,
    "clean_accuracy_base": float((clean.numpy() == y[indices].numpy()).mean()),
    "smoothed_accuracy": float(t["correct"].mean()),
    "abstain_rate": float((t["predict"] == -1).mean()),
    "certified_accuracy": {f"{r:g}": float(c) for r, c in zip(RADII, certified_accuracy(t, RADII))},
    "ACR": average_certified_radius(t),
    "hardware": hardware(),
    "file": out.as_posix(),
    "what": (
        f"CERTIFY with the model's fixed σ on every {step}th CIFAR-10 test image (the shipped JPEG copy); "
        f"certified accuracy at {ac.noise_for(norm).norm_symbol} radius r; made by "
        f"`python scripts/evaluate_shipped.py {a.name}`"
    ),
}
save_checkpoint(model, new["arch"], new, MODEL_DIR / f"{a.name}.pt")
print(a.name, json.dumps(new["evaluation"], indent=2))
