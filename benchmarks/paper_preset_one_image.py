"""The paper's preset (Isotropic DD 900 × 100, ANCER 100 × 100, N0 = 100, N = 100,000) for all three
methods on one test image, with CERTIFY in fp32 and on the int8 network: can the app's Paper
preset be used on this CPU?

    python benchmarks/paper_preset_one_image.py [--model small-gaussian-0.25] [--out FILE.json]
        [--precisions fp32,int8,int8+bf16]    # CERTIFY's precision (+ the optimizers' when not fp32)
        [--iso-solvers gradient,scalar]        # Isotropic DD's solver: the original's 900 steps, or scalar
        [--preset quick --index 7]             # the live page's Quick run, as its browser test clicks it
"""

import argparse
import json
import time

import torch

import ancer_core as ac
from ancer_core.core import offered_precisions
from ancer_core.models import cpu_features, cpu_name, int8_ready, isa_caps

ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
ap.add_argument("--model", default="small-gaussian-0.25")
ap.add_argument("--index", type=int, default=0)
ap.add_argument("--preset", default="paper", choices=list(ac.PRESETS))
ap.add_argument("--out", default=None)
ap.add_argument("--precisions", default=None, help="subset of fp32,int8,int8+bf16 (default: every one this CPU has)")
ap.add_argument("--iso-solvers", default="gradient", help="gradient, scalar or both (gradient,scalar)")
a = ap.parse_args()
model = ac.load_model(a.model)
card = ac.shipped_models().get(a.model, getattr(model, "card", {}))
noise = ac.noise_for(card.get("noise", "gaussian"))
theta0 = float(noise.theta_from_sigma(card.get("sigma", 0.25)))
x, _ = ac.load_cifar10("test")
xb = x[a.index : a.index + 1]
out = {
    "model": a.model,
    "image": a.index,
    "cpu": cpu_name(),
    "cpu_features": cpu_features(),
    "isa_caps": isa_caps(),
    "threads": torch.get_num_threads(),
    "torch": torch.__version__,
    "preset": a.preset,
    "settings": ac.PRESETS[a.preset].as_dict(),  # the preset's defaults; each run records its own
    "iso_solvers": a.iso_solvers.split(","),
}
# (CERTIFY's precision, the optimizers' precision)
offered = offered_precisions("cpu", int8_ready(a.model))
precisions = [("fp32", "fp32")]
if "int8" in offered:
    precisions.append(("int8", "fp32"))
    if "bf16" in offered:
        precisions.append(("int8", "bf16"))
if a.precisions:
    want = {tuple(f"{p}+fp32".split("+")[:2]) for p in a.precisions.split(",")}
    if want - {("fp32", "fp32"), ("int8", "fp32"), ("int8", "bf16")}:
        ap.error(f"--precisions {a.precisions!r}: choose among fp32, int8, int8+bf16")
    missing = want - set(precisions)
    if missing:
        ap.error(f"this CPU or model cannot run {sorted(missing)} (int8 needs a calibration, bf16 native bf16)")
    precisions = [p for p in precisions if p in want]
for (cert_prec, opt_prec), solver in ((p, s) for p in precisions for s in a.iso_solvers.split(",")):
    prec = cert_prec if opt_prec == "fp32" else f"{cert_prec} CERTIFY, {opt_prec} optimizers"
    prec += f", Isotropic DD {solver}"
    settings = ac.preset(a.preset, iso_solver=solver)
    t = time.perf_counter()
    res = ac.run_all_methods(
        model,
        xb,
        noise,
        theta0,
        settings,
        indices=[a.index],
        **ac.models.certifying(a.model, cert_prec, opt_prec).run_options(),
    )
    out[prec] = {
        "total_s": time.perf_counter() - t,
        "settings": settings.as_dict(),  # the preset's, with this run's Isotropic DD solver
        "stages_s": {k: r.stage_seconds for k, r in res.items()},
        "radius": {k: r.certificates[0].radius for k, r in res.items()},
    }
    print(f"{prec}: all three methods in {out[prec]['total_s']:.1f} s; stages {out[prec]['stages_s']}", flush=True)
if a.out:
    with open(a.out, "w") as fh:
        json.dump(out, fh, indent=1)
