"""The attractor-class diagnosis of docs/results.md, from the shipped models and a results grid.

    python scripts/attractor_diagnosis.py [--grid results/paper-objective] [--images 0:10000:100] [--samples 32]

Per model: the share of the base network's votes each class takes on noisy copies of the images as θ
grows from the training θ to 10× it (``ancer_core.teaching.attractor_profile``), and, from the grid's
files, the images fixed σ certifies correctly at r = 0 that Isotropic DD and ANCER lose (and the class
they certify instead), the share of images whose θ ended above twice the training θ, and what the
memory replay revises. Writes ``results/attractors.json`` (with the settings) and prints a summary.
"""

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

import ancer_core as ac
from ancer_core.data import (
    grid_with_memory,
    load_grid,
    lost_and_gained,
    parse_indices,
    revised_rows,
    theta_ratios,
)
from ancer_core.teaching import attractor_profile

ROOT = Path(__file__).resolve().parents[1]
p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
p.add_argument("--grid", default="results/paper-objective", help="the grid whose certificates are diagnosed")
p.add_argument("--images", default="0:10000:100", help="test images of the attractor profile")
p.add_argument("--samples", type=int, default=32, help="noisy copies per image and θ")
p.add_argument("--out", default="results/attractors.json")
a = p.parse_args()

x, y = ac.load_cifar10("test")
idx = parse_indices(a.images, len(y))
grid = load_grid(ROOT / a.grid)
memory = {n: grid_with_memory(g, x.numpy()) for n, g in grid.items()}
report = {
    "command": "python scripts/attractor_diagnosis.py "
    + " ".join(f"--{k.replace('_', '-')} {v}" for k, v in vars(a).items()),
    "images": a.images,
    "samples": a.samples,
    "torch": torch.__version__,
    "models": {},
}
for name, g in grid.items():
    t0 = time.time()
    card = ac.shipped_models()[name]
    noise = ac.noise_for(card["noise"])
    theta0 = float(noise.theta_from_sigma(card["sigma"]))
    prof = attractor_profile(
        ac.load_model(name, "cpu"), x[idx], y[idx].numpy(), theta0, noise, samples=a.samples, indices=idx
    )
    entry = {
        "theta0": theta0,
        "ratios": prof.ratios.tolist(),
        "votes": np.round(prof.votes, 4).tolist(),
        "top_class": [ac.CLASSES[c] for c in prof.votes.argmax(-1)],
        "top_share_of_votes": np.round(prof.votes.max(-1), 4).tolist(),
        "images_answering_top_class": np.round(prof.top_share, 4).tolist(),
        "majority_accuracy": np.round(prof.accuracy, 4).tolist(),
        "methods": {},
    }
    for m in ac.core.OPTIMIZED:
        if m not in g.tables or "fixed" not in g.tables:
            continue
        lg = lost_and_gained(g.tables["fixed"], g.tables[m])
        ratio = theta_ratios(g.tables[m], theta0)
        entry["methods"][m] = {
            "images": lg.images,
            "lost": len(lg.lost),
            "gained": len(lg.gained),
            "lost_to": {("abstain" if c < 0 else ac.CLASSES[c]): n for c, n in lg.destinations().most_common()},
            "theta_above_twice_theta0": int((ratio > 2).sum()),
            "memory_revises": int(revised_rows(g.tables[m], memory[name].tables[m]).sum()),
        }
    report["models"][name] = entry
    k10 = -1
    print(
        f"{name}: at θ = {prof.ratios[k10]:g}·θ₀ the network answers {entry['top_class'][k10]} on "
        f"{100 * entry['top_share_of_votes'][k10]:.0f} % of noisy copies (majority accuracy "
        f"{100 * prof.accuracy[0]:.0f} % → {100 * prof.accuracy[k10]:.0f} %); "
        + "; ".join(
            f"{m}: lost {d['lost']} (to {d['lost_to']}), gained {d['gained']}, θ > 2θ₀ on "
            f"{d['theta_above_twice_theta0']}, memory revises {d['memory_revises']}"
            for m, d in entry["methods"].items()
        )
        + f" [{time.time() - t0:.0f} s]",
        flush=True,
    )
out = ROOT / a.out
out.write_text(json.dumps(report, indent=1))
print(f"wrote {out.relative_to(ROOT)}")
