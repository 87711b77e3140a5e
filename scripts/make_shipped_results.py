"""Certify a subset of CIFAR-10 with fixed σ, Isotropic DD and ANCER and write the result files that
ship in results/ (read by the app's results explorer and by `python -m ancer_core analyze`).

    python scripts/make_shipped_results.py [--model small-gaussian-0.25] [--every 200] [--preset quick]

Each method's rows are those `python -m ancer_core certify --method M` writes (same columns, same
per-image seeds); ANCER starts from Isotropic DD's θ of the same run, as in the paper.
"""

import argparse
import time
from pathlib import Path

import ancer_core as ac
from ancer_core.data import ResultWriter, format_row

p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
p.add_argument("--model", default="small-gaussian-0.25")
p.add_argument("--every", type=int, default=200, help="certify test images 0, every, 2·every, …")
p.add_argument("--preset", default="quick")
p.add_argument("--chunk", type=int, default=10)
p.add_argument("--out", default="results")
a = p.parse_args()
model = ac.load_model(a.model, "cpu")
card = ac.shipped_models()[a.model]
noise = ac.noise_for(card["noise"])
norm = noise.norm
theta0 = float(noise.theta_from_sigma(card["sigma"]))
settings = ac.preset(a.preset)
x, y = ac.load_cifar10("test")
idx = list(range(0, len(y), a.every))
folder = Path(a.out) / a.model
folder.mkdir(parents=True, exist_ok=True)
meta = {
    "command": f"python scripts/make_shipped_results.py --model {a.model} --every {a.every} --preset {a.preset}",
    "model": a.model,
    "norm": norm,
    "sigma": card["sigma"],
    "theta0": theta0,
    "preset": a.preset,
    "settings": settings.as_dict(),
    "N0": settings.n0,
    "N": settings.n,
    "alpha": settings.alpha,
    "seed": 0,
    "indices": f"0:{len(y)}:{a.every}",
    "device": "cpu",
    "ancer_core": ac.__version__,
}
writers = {m: ResultWriter(folder / f"{m}.tsv", dict(meta, method=m)) for m in ("fixed", "isotropic-dd", "ancer")}
todo = [i for i in idx if i not in writers["ancer"].done]
t_start = time.time()
for s in range(0, len(todo), a.chunk):
    part = todo[s : s + a.chunk]
    res = ac.run_all_methods(model, x[part], norm, theta0, settings, seed=0, indices=part)
    for m, r in res.items():
        for k, i in enumerate(part):
            if i not in writers[m].done:
                writers[m].write(format_row(i, int(y[i]), r.certificates[k], r.seconds / len(part)))
    print(f"{s + len(part)}/{len(todo)} images, {time.time() - t_start:.0f} s", flush=True)
for w in writers.values():
    w.close()
