"""Fit the surrogate's softmax temperature of every shipped model on noisy training images.

    python scripts/fit_temperatures.py --data-root cifar10-jpeg.tar.xz [--images 2000] [--ratios 1 2 4]

For each model: the logits of ``--images`` training images (a seeded random subset of the train
split; never test images) under its own noise at θ = θ₀·ratio, and the T that minimises their NLL
(``ancer_core.models.fit_temperature``). Writes ``results/remedies/temperatures.json`` with the settings.
"""

import argparse
import json
from pathlib import Path

import numpy as np
import torch

import ancer_core as ac
from ancer_core.models import fit_temperature, noisy_logits

ROOT = Path(__file__).resolve().parents[1]
p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
p.add_argument("--data-root", required=True, help="the CIFAR-10 train split (original release or JPEG archive)")
p.add_argument("--images", type=int, default=2000)
p.add_argument("--ratios", type=float, nargs="+", default=[1.0, 2.0, 4.0])
p.add_argument("--copies", type=int, default=2, help="noise draws per image and ratio")
p.add_argument("--seed", type=int, default=0)
p.add_argument("--out", default="results/remedies/temperatures.json")
a = p.parse_args()

x, y = ac.load_cifar10("train", a.data_root)
pick = np.random.default_rng(a.seed).choice(len(y), a.images, replace=False)
x, y = x[pick], y[pick]
report = {
    "command": f"python scripts/fit_temperatures.py --data-root {Path(a.data_root).name} --images {a.images} "
    f"--ratios {' '.join(f'{r:g}' for r in a.ratios)} --copies {a.copies} --seed {a.seed}",
    "what": "T minimising the NLL of softmax(logits / T) on noisy training images at θ = θ₀·ratio",
    "images": a.images,
    "ratios": a.ratios,
    "copies": a.copies,
    "seed": a.seed,
    "torch": torch.__version__,
    "models": {},
}
for name, card in ac.shipped_models().items():
    noise = ac.noise_for(card["noise"])
    theta0 = float(noise.theta_from_sigma(card["sigma"]))
    logits = noisy_logits(ac.load_model(name, "cpu"), x, theta0, noise, a.ratios, a.copies, a.seed)
    labels = y.repeat(len(a.ratios) * a.copies)
    t, nll1, nllt = fit_temperature(logits, labels)
    top = torch.softmax(logits, -1).max(-1).values
    report["models"][name] = {
        "theta0": theta0,
        "temperature": round(t, 4),
        "nll_T1": round(nll1, 4),
        "nll_fitted": round(nllt, 4),
        "accuracy": round(float((logits.argmax(-1) == labels).float().mean()), 4),
        "share_top_prob_above_0.999": round(float((top > 0.999).float().mean()), 4),
    }
    print(name, report["models"][name], flush=True)
out = ROOT / a.out
out.parent.mkdir(parents=True, exist_ok=True)
out.write_text(json.dumps(report, indent=1))
print(f"wrote {out.relative_to(ROOT)}")
