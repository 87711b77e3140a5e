"""Certified accuracy of a model's int8 network against its fp32 network, on the same images and seeds.

    python scripts/evaluate_shipped.py NAME                    # fp32 (the card's evaluation)
    python scripts/evaluate_shipped.py NAME --precision int8   # the calibrated int8 network
    python scripts/compare_int8.py NAME [NAME …]

Reads ``results/model-cards/NAME.{fp32,int8}.tsv`` (CERTIFY with the model's fixed σ, N0 = 100,
N = 10,000, α = 0.001, every 20th test image) and writes
``benchmarks/results/int8-certified-accuracy.json``: certified accuracy at each radius for both,
the largest difference in points, and the share of images where both certify (or both abstain
on) the same class. The targets: within 1 point at every radius, the same class on ≥ 99 %.
"""

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from ancer_core.data import certified_accuracy, read_results, read_settings

ROOT = Path(__file__).resolve().parents[1]
RADII = (0.0, 0.25, 0.5, 0.75, 1.0)

p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
p.add_argument("names", nargs="+")
p.add_argument("--out", default="benchmarks/results/int8-certified-accuracy.json")
a = p.parse_args()
report = {"command": "python scripts/compare_int8.py " + " ".join(a.names), "radii": list(RADII), "models": {}}
for name in a.names:
    files = {pr: ROOT / "results" / "model-cards" / f"{name}.{pr}.tsv" for pr in ("fp32", "int8")}
    missing = [str(f.relative_to(ROOT)) for f in files.values() if not f.is_file()]
    if missing:
        sys.exit(f"missing {', '.join(missing)}: run scripts/evaluate_shipped.py {name} [--precision int8] first")
    t = {pr: read_results(f) for pr, f in files.items()}
    meta = {pr: read_settings(f) for pr, f in files.items()}
    for key in ("N0", "N", "alpha", "seed", "sigma", "norm"):
        if meta["fp32"].get(key) != meta["int8"].get(key):
            sys.exit(f"{name}: the two files differ in {key} ({meta['fp32'].get(key)} vs {meta['int8'].get(key)})")
    common = np.intersect1d(t["fp32"]["idx"], t["int8"]["idx"])
    if len(common) < max(len(t["fp32"]), len(t["int8"])):
        sys.exit(f"{name}: the files hold different images; finish both runs first")
    pred = {pr: dict(zip(tab["idx"].tolist(), tab["predict"].tolist())) for pr, tab in t.items()}
    rad = {pr: dict(zip(tab["idx"].tolist(), tab["radius"].tolist())) for pr, tab in t.items()}
    same = float(np.mean([pred["fp32"][i] == pred["int8"][i] for i in common.tolist()]))
    differ = [i for i in common.tolist() if pred["fp32"][i] != pred["int8"][i]]
    # an abstention on one side and a certificate on the other (p̲A ≈ ½) vs two different classes
    flips = [i for i in differ if -1 in (pred["fp32"][i], pred["int8"][i])]
    other_class = [i for i in differ if i not in flips]
    acc = {pr: 100 * certified_accuracy(tab, RADII) for pr, tab in t.items()}
    diff = acc["int8"] - acc["fp32"]
    report["models"][name] = {
        "images": len(common),
        "N0": meta["fp32"]["N0"],
        "N": meta["fp32"]["N"],
        "alpha": meta["fp32"]["alpha"],
        "norm": meta["fp32"]["norm"],
        "certified_accuracy_fp32": acc["fp32"].round(2).tolist(),
        "certified_accuracy_int8": acc["int8"].round(2).tolist(),
        "largest_difference_points": float(np.abs(diff).max().round(2)),
        "same_certified_class": round(same, 4),
        "abstain_on_one_side_only": len(flips),
        "largest_radius_where_the_other_abstains": max((max(rad["fp32"][i], rad["int8"][i]) for i in flips), default=0),
        "different_classes_both_certified": len(other_class),
    }
    print(f"{name} ({len(common)} images, {meta['fp32']['norm']} radius {', '.join(f'{r:g}' for r in RADII)})")
    print("  fp32 " + " ".join(f"{v:6.1f}" for v in acc["fp32"]))
    print("  int8 " + " ".join(f"{v:6.1f}" for v in acc["int8"]))
    print(f"  largest difference {np.abs(diff).max():.1f} points; same class on {100 * same:.1f} % of the images")
    print(
        f"  of the {len(differ)} that differ: {len(flips)} abstain on one side only (the other's radius ≤ "
        f"{report['models'][name]['largest_radius_where_the_other_abstains']:.3f}), {len(other_class)} certify "
        "two different classes"
    )
out = ROOT / a.out
out.parent.mkdir(parents=True, exist_ok=True)
out.write_text(json.dumps(report, indent=2) + "\n")
print("wrote", a.out)
